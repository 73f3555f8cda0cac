"""What a real TensorBoard server shows for runs trained with lrhooks.

Two short runs with different schedules under one parent logdir, each with an
`eval/` accuracy and its hparams (`lrhooks.hparams`), read back through the
server's HTTP data API: the `learning_rate` scalars, and the HParams plugin's
experiment and session groups.
"""

import json
import os

import pytest
import tensorflow as tf

import lrhooks
from lrhooks import schedules
from lrhooks.tools import hparams
from tests.support import tensorboard_server

pytestmark = pytest.mark.slow  # trains two runs, then a real TensorBoard server

tf1 = tf.compat.v1

STEPS = 10
SCHEDULES = {
    "piecewise": schedules.piecewise_constant([3, 6], [0.1, 0.01, 0.001]),
    "exponential": schedules.exponential_decay(0.1, decay_steps=2, decay_rate=0.5,
                                               staircase=True),
}
ACCURACY = {"piecewise": [(5, 0.5), (STEPS, 0.75)], "exponential": [(5, 0.25), (STEPS, 0.625)]}
METRICS = [("accuracy", "eval")]
ALL_STATUSES = ["STATUS_UNKNOWN", "STATUS_SUCCESS", "STATUS_FAILURE", "STATUS_RUNNING"]
SESSION_GROUPS = "/data/plugin/hparams/session_groups"
EXPERIMENT = "/data/plugin/hparams/experiment"


def run_hparams(name):
    schedule = SCHEDULES[name]
    return {"lr_schedule": type(schedule).__name__, "learning_rate": schedule(0),
            "schedule": schedule, "train_steps": STEPS,
            "staircase": getattr(schedule, "staircase", False)}


def scalar(logdir, tag, points):
    with tf.Graph().as_default():
        writer = tf1.summary.FileWriter(logdir)
        for step, value in points:
            writer.add_summary(tf1.Summary(value=[tf1.Summary.Value(tag=tag, simple_value=value)]),
                               step)
        writer.close()


def train(run_dir, schedule):
    """Trains a one-weight model for STEPS steps, recording `learning_rate` every step."""
    with tf.Graph().as_default():
        global_step = tf1.train.get_or_create_global_step()
        rate = lrhooks.learning_rate()
        lrhooks.rate_summary(rate)
        weight = tf1.get_variable("w", initializer=1.0)
        loss = tf.square(weight - 3.0)
        train_op = tf1.train.GradientDescentOptimizer(rate).minimize(loss, global_step=global_step)
        hooks = [lrhooks.LearningRateSetterHook(schedule)]
        with tf1.train.MonitoredTrainingSession(checkpoint_dir=run_dir, save_summaries_steps=1,
                                                hooks=hooks) as sess:
            for _ in range(STEPS):
                sess.run(train_op)


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    """runs/<name>/ (training + hparams) and runs/<name>/eval/ (accuracy), two runs."""
    parent = tmp_path_factory.mktemp("runs")
    for name, schedule in SCHEDULES.items():
        run_dir = str(parent / name)
        hparams.write_session(run_dir, run_hparams(name), metrics=METRICS)  # before training
        train(run_dir, schedule)
        scalar(os.path.join(run_dir, "eval"), "accuracy", ACCURACY[name])
        hparams.write_session_end(run_dir, "success")
    return parent


def list_session_groups(server):
    return server.post_json(SESSION_GROUPS, {"allowedStatuses": ALL_STATUSES,
                                             "startIndex": 0, "sliceSize": 100})


def loaded(server, expected_runs, metric_values=True):
    """Waits until the server lists `expected_runs` and the HParams sessions."""
    def probe():
        if not set(expected_runs) <= set(server.get_json("/data/runs")):
            return None
        groups = list_session_groups(server)["sessionGroups"]
        if metric_values and not all(group["metricValues"] for group in groups):
            return None
        return groups
    return tensorboard_server.wait_for(probe, timeout=30, what=f"runs {expected_runs}")


@pytest.fixture(scope="module")
def server(logdir):
    with tensorboard_server.serve(logdir) as running:
        loaded(running, [*SCHEDULES, *(name + "/eval" for name in SCHEDULES)])
        yield running


def test_a_server_that_cannot_start_fails_with_its_output(tmp_path):
    with pytest.raises(tensorboard_server.ServerError, match="unrecognized arguments"):
        with tensorboard_server.serve(tmp_path, extra_args=["--no_such_flag"]):
            pass


def test_runs_are_listed(server):
    assert sorted(server.get_json("/data/runs")) == sorted(
        [*SCHEDULES, *(name + "/eval" for name in SCHEDULES)])


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_learning_rate_is_the_rate_each_step_trained_at(server, name):
    points = server.get_json("/data/plugin/scalars/scalars", run=name, tag="learning_rate")
    assert [step for _, step, _ in points] == list(range(1, STEPS + 1))
    for _, label, value in points:  # the run moving global_step from L-1 to L is labelled L
        assert value == pytest.approx(SCHEDULES[name](label - 1), rel=1e-6), (label, value)


def test_scalars_multirun_gives_the_same_series(server):
    body = "&".join(["tag=learning_rate", *(f"runs={name}" for name in SCHEDULES)]).encode()
    multirun = json.loads(server.request("/data/plugin/scalars/scalars_multirun", data=body,
                                         content_type="application/x-www-form-urlencoded"))
    for name in SCHEDULES:
        single = server.get_json("/data/plugin/scalars/scalars", run=name, tag="learning_rate")
        assert [tuple(p) for p in multirun[name]] == [tuple(p) for p in single]


def test_hparams_experiment(server):
    experiment = server.post_json(EXPERIMENT, {"experimentName": ""})
    types = {info["name"]: info["type"] for info in experiment["hparamInfos"]}
    assert types == {"lr_schedule": "DATA_TYPE_STRING", "learning_rate": "DATA_TYPE_FLOAT64",
                     "schedule": "DATA_TYPE_STRING", "train_steps": "DATA_TYPE_FLOAT64",
                     "staircase": "DATA_TYPE_BOOL"}
    assert [info["name"] for info in experiment["metricInfos"]] == [
        {"group": "eval", "tag": "accuracy"}]


def test_hparams_session_groups(server):
    groups = {group["name"]: group for group in list_session_groups(server)["sessionGroups"]}
    assert sorted(groups) == sorted(SCHEDULES)  # one row per run, named after it
    for name, group in groups.items():
        expected = {key: hparams.hparam_value(value) for key, value in run_hparams(name).items()}
        assert group["hparams"] == expected, name
        (session,) = group["sessions"]
        assert session["name"] == name and session["status"] == "STATUS_SUCCESS"
        (metric,) = group["metricValues"]
        assert metric["name"] == {"group": "eval", "tag": "accuracy"}
        assert (metric["trainingStep"], metric["value"]) == (
            STEPS, pytest.approx(ACCURACY[name][-1][1]))


def test_shown_columns_come_first_and_runs_keep_only_their_settings(tmp_path):
    """The dashboard shows the first 5 hparams of the experiment by default (those marked
    `differs` first, then by name); each run records only the settings that apply to it."""
    declared = {"model": str, "optimizer": str, "schedule": str, "train_steps": int,
                "batch_size": int, "data_format": str, "filters": str, "cnn_filters": str,
                "initial_learning_rate": float}
    shown = ["model", "optimizer", "schedule", "train_steps", "batch_size"]
    runs = {"cnn": {"model": "cnn", "cnn_filters": "4,8,8"},
            "resnet": {"model": "resnet", "filters": "4,4,8,8"}}
    for name, own in runs.items():
        values = {"optimizer": "adam", "schedule": "constant(learning_rate=0.1)",
                  "train_steps": 5, "batch_size": 8, "data_format": "NHWC",
                  "initial_learning_rate": 0.1, **own}
        hparams.write_session(tmp_path / name, values, metrics=METRICS,
                              experiment_hparams=declared, shown=shown)
        scalar(str(tmp_path / name / "eval"), "accuracy", [(5, 0.5)])
        hparams.write_session_end(tmp_path / name, "success")
    with tensorboard_server.serve(tmp_path) as server:
        groups = loaded(server, ["cnn", "resnet", "cnn/eval", "resnet/eval"])
        experiment = server.post_json(EXPERIMENT, {"experimentName": ""})
    infos = experiment["hparamInfos"]
    assert [info["name"] for info in infos[:5]] == sorted(shown)
    assert all(info.get("differs") for info in infos[:5])
    assert not any(info.get("differs") for info in infos[5:])
    by_name = {group["name"]: group["hparams"] for group in groups}
    assert "filters" not in by_name["cnn"] and by_name["cnn"]["cnn_filters"] == "4,8,8"
    assert "cnn_filters" not in by_name["resnet"] and by_name["resnet"]["filters"] == "4,4,8,8"


def test_a_config_at_the_parent_wins_over_the_runs(tmp_path):
    """The plugin takes ONE experiment config (the first run holding one; the
    parent `.` is found first), it does not merge the runs' configs."""
    hparams.write_experiment(tmp_path, {"a": 1, "b": "x", "c": True}, metrics=METRICS)
    hparams.write_session(tmp_path / "one", {"a": 1, "b": "x"}, metrics=METRICS)
    hparams.write_session(tmp_path / "two", {"a": 2, "c": True}, metrics=[("loss", "")])
    scalar(str(tmp_path / "one" / "eval"), "accuracy", [(1, 0.5)])
    scalar(str(tmp_path / "two" / "eval"), "accuracy", [(1, 0.25)])
    with tensorboard_server.serve(tmp_path) as server:
        groups = loaded(server, [".", "one", "two", "one/eval", "two/eval"])
        experiment = server.post_json(EXPERIMENT, {})
    assert sorted(info["name"] for info in experiment["hparamInfos"]) == ["a", "b", "c"]
    assert [info["name"] for info in experiment["metricInfos"]] == [
        {"group": "eval", "tag": "accuracy"}]
    values = {group["name"]: group["metricValues"][0]["value"] for group in groups}
    assert values == {"one": 0.5, "two": 0.25}


def test_pointed_at_one_run_the_eval_metric_depends_on_the_version(logdir):
    """The session run is then `.`: TensorBoard 2.21 looks for `./eval`, not `eval`, and shows
    no metric value; TensorBoard 2.15 finds it. Pointed at the parent (the documented way,
    tested above) both work."""
    import tensorboard
    version = tuple(int(part) for part in tensorboard.__version__.split(".")[:2])
    with tensorboard_server.serve(logdir / "piecewise") as server:
        (group,) = loaded(server, [".", "eval"], metric_values=False)
    assert group["name"] == "."
    if version >= (2, 21):
        assert group["metricValues"] == []
    elif version <= (2, 15):
        assert [m["name"] for m in group["metricValues"]] == [{"group": "eval",
                                                              "tag": "accuracy"}]
