"""lrhooks.hparams: what TensorBoard's readers get back from the event files written."""

import os
import time

import numpy as np
import pytest
import tensorflow as tf
from tensorboard.backend.event_processing import plugin_event_multiplexer
from tensorboard.plugins.hparams import api_pb2
from tensorboard.plugins.hparams import metadata

from lrhooks import schedules
from lrhooks.tools import hparams
from tests.support import events

tf1 = tf.compat.v1

FLOAT, STRING, BOOL = api_pb2.DATA_TYPE_FLOAT64, api_pb2.DATA_TYPE_STRING, api_pb2.DATA_TYPE_BOOL


REAL_WAIT = hparams._wait_for_next_second


@pytest.fixture(autouse=True)
def no_wait(monkeypatch):
    """Skips the wait for the next second (about 1 s a write); see `real_wait`."""
    monkeypatch.setattr(hparams, "_wait_for_next_second", lambda: None)


@pytest.fixture
def real_wait(no_wait, monkeypatch):
    monkeypatch.setattr(hparams, "_wait_for_next_second", REAL_WAIT)


def read(path):
    """{tag: HParamsPluginData content} of the hparams summaries in an event file or dir."""
    return events.plugin_contents(path, metadata.PLUGIN_NAME)


def experiment_of(path):
    return metadata.parse_experiment_plugin_data(read(path)[metadata.EXPERIMENT_TAG])


def start_info_of(path):
    return metadata.parse_session_start_info_plugin_data(read(path)[metadata.SESSION_START_INFO_TAG])


def plain(value):
    """A google.protobuf.Value as a Python value."""
    return getattr(value, value.WhichOneof("kind"))


HPARAMS = {
    "lr_schedule": "piecewise_constant",
    "learning_rate": np.float32(0.5),
    "lr_boundaries": (3, 6),
    "filters": [16, 16, 32, 64],
    "batch_size": np.int64(128),
    "use_nesterov": np.bool_(True),
    "train_steps": 10,
    "momentum": None,
    "schedule": schedules.piecewise_constant([3], [0.1, 0.01]),
}


def test_hparam_value_conversions():
    assert hparams.hparam_value(np.float64(0.25)) == 0.25
    assert type(hparams.hparam_value(np.int32(3))) is int
    assert hparams.hparam_value(np.bool_(False)) is False
    assert hparams.hparam_value((16, 16, 32, 64)) == "16,16,32,64"
    assert hparams.hparam_value([0.1, np.float32(0.5)]) == "0.1,0.5"
    assert hparams.hparam_value(np.array([1, 2])) == "1,2"
    assert hparams.hparam_value(None) is None
    schedule = schedules.constant(0.1)
    assert hparams.hparam_value(schedule) == str(schedule)


def test_experiment_round_trip(tmp_path):
    before = time.time()
    path = hparams.write_experiment(
        tmp_path, {**HPARAMS, "optimizer": str, "dropout": float},
        metrics=[("accuracy", "eval"), ("loss", None)], description="two schedules")
    assert os.path.dirname(path) == str(tmp_path)
    experiment = experiment_of(path)
    types = {info.name: info.type for info in experiment.hparam_infos}
    assert types == {"lr_schedule": STRING, "learning_rate": FLOAT, "lr_boundaries": STRING,
                     "filters": STRING, "batch_size": FLOAT, "use_nesterov": BOOL,
                     "train_steps": FLOAT, "schedule": STRING, "optimizer": STRING,
                     "dropout": FLOAT}
    for info in experiment.hparam_infos:  # open domains: the dashboard filters nothing out
        assert not info.HasField("domain_interval") and not info.domain_discrete
    assert [(m.name.tag, m.name.group) for m in experiment.metric_infos] == [
        ("accuracy", "eval"), ("loss", "")]
    assert experiment.description == "two schedules"
    # Created now (the call then waits for the next second before returning).
    assert before <= experiment.time_created_secs <= time.time()


def test_metrics_have_no_default(tmp_path):
    # The library does not know any program's metric: the caller names them.
    with pytest.raises(TypeError, match="metrics"):
        hparams.write_experiment(tmp_path, {"a": 1})  # pylint: disable=no-value-for-parameter
    assert os.listdir(tmp_path) == []
    experiment = experiment_of(hparams.write_experiment(tmp_path, {"a": 1}, [("loss", "")]))
    assert [(m.name.tag, m.name.group) for m in experiment.metric_infos] == [("loss", "")]


def test_session_round_trip(tmp_path):
    path = hparams.write_session(tmp_path / "run", HPARAMS, start_time_secs=1234.5)
    info = start_info_of(path)
    values = {name: plain(value) for name, value in info.hparams.items()}
    assert values == {
        "lr_schedule": "piecewise_constant", "learning_rate": 0.5, "lr_boundaries": "3,6",
        "filters": "16,16,32,64", "batch_size": 128, "use_nesterov": True, "train_steps": 10,
        "schedule": str(HPARAMS["schedule"])}
    assert info.start_time_secs == 1234.5
    assert info.group_name == ""  # the plugin then groups the session by its run name
    assert metadata.EXPERIMENT_TAG not in read(path)


def test_session_group_name_and_trial_id(tmp_path):
    assert start_info_of(hparams.write_session(tmp_path / "a", {"x": 1}, trial_id="t1")) \
        .group_name == "t1"
    assert start_info_of(hparams.write_session(tmp_path / "b", {"x": 1}, group_name="g")) \
        .group_name == "g"


def test_session_with_metrics_writes_the_experiment_in_the_same_file(tmp_path):
    path = hparams.write_session(tmp_path, {"lr": 0.1, "name": "a", "skip": None},
                                 metrics=[("accuracy", "eval")])
    tags = read(path)
    assert set(tags) == {metadata.EXPERIMENT_TAG, metadata.SESSION_START_INFO_TAG}
    experiment = experiment_of(path)
    assert {i.name: i.type for i in experiment.hparam_infos} == {"lr": FLOAT, "name": STRING}
    assert [(m.name.tag, m.name.group) for m in experiment.metric_infos] == [("accuracy", "eval")]


def test_shown_hparams_are_marked_to_sort_first(tmp_path):
    """TensorBoard shows the first DEFAULT_COLUMNS hparams, `differs` ones first: `shown`."""
    path = hparams.write_experiment(tmp_path, {"a": 1, "b": "x", "model": "cnn", "z": True},
                                    [("loss", "")], shown=["z", "model"])
    marked = {info.name: info.differs for info in experiment_of(path).hparam_infos}
    assert marked == {"a": False, "b": False, "model": True, "z": True}


def test_a_session_records_fewer_hparams_than_the_experiment_declares(tmp_path):
    declared = {"model": str, "filters": str, "cnn_filters": str, "steps": int}
    path = hparams.write_session(tmp_path, {"model": "cnn", "cnn_filters": "4,4", "steps": 5},
                                 metrics=[("accuracy", "eval")], experiment_hparams=declared,
                                 shown=["model", "steps"])
    experiment = experiment_of(path)
    assert {i.name: i.type for i in experiment.hparam_infos} == {
        "model": STRING, "filters": STRING, "cnn_filters": STRING, "steps": FLOAT}
    assert {i.name for i in experiment.hparam_infos if i.differs} == {"model", "steps"}
    values = {name: plain(value) for name, value in start_info_of(path).hparams.items()}
    assert values == {"model": "cnn", "cnn_filters": "4,4", "steps": 5}


def test_tensorboard_keeps_the_first_session_end_of_a_run(tmp_path, real_wait):
    """Why a run stopped to be continued writes no end: its continuation's would be ignored."""
    hparams.write_session(tmp_path, {"x": 1})
    hparams.write_session_end(tmp_path, "unknown")
    hparams.write_session_end(tmp_path, "success")
    multiplexer = plugin_event_multiplexer.EventMultiplexer()
    multiplexer.AddRunsFromDirectory(str(tmp_path))
    multiplexer.Reload()
    content = multiplexer.PluginRunToTagToContent("hparams")["."][metadata.SESSION_END_INFO_TAG]
    assert metadata.parse_session_end_info_plugin_data(content).status == api_pb2.STATUS_UNKNOWN


@pytest.mark.parametrize("status,expected", [("success", api_pb2.STATUS_SUCCESS),
                                             ("failure", api_pb2.STATUS_FAILURE)])
def test_session_end(tmp_path, status, expected):
    path = hparams.write_session_end(tmp_path, status, end_time_secs=99.0)
    info = metadata.parse_session_end_info_plugin_data(read(path)[metadata.SESSION_END_INFO_TAG])
    assert (info.status, info.end_time_secs) == (expected, 99.0)


def test_never_touches_existing_event_files(tmp_path, real_wait):
    with tf.Graph().as_default():
        writer = tf1.summary.FileWriter(str(tmp_path))
        writer.add_summary(tf1.Summary(value=[tf1.Summary.Value(tag="loss", simple_value=1.0)]), 1)
        writer.close()
    (existing,) = os.listdir(tmp_path)
    before = (tmp_path / existing).read_bytes()
    first = hparams.write_session(tmp_path, {"x": 1})
    second = hparams.write_session_end(tmp_path)
    assert len({existing, os.path.basename(first), os.path.basename(second)}) == 3
    assert sorted(os.listdir(tmp_path)) == sorted(
        [existing, os.path.basename(first), os.path.basename(second)])
    assert (tmp_path / existing).read_bytes() == before


def test_training_files_made_afterwards_sort_after_and_stay_live(tmp_path, real_wait):
    """TensorBoard stops reading a run's event file once a later-named file exists:
    the trainer's file, opened right after write_session, must sort after it."""
    ours = os.path.basename(hparams.write_session(tmp_path, {"x": 1}))

    def scalar(step):
        return tf1.Summary(value=[tf1.Summary.Value(tag="lr", simple_value=float(step))])

    multiplexer = plugin_event_multiplexer.EventMultiplexer()
    multiplexer.AddRunsFromDirectory(str(tmp_path))
    with tf.Graph().as_default():
        train = tf1.summary.FileWriter(str(tmp_path))
        train.add_summary(scalar(1), 1)
        train.flush()
        (theirs,) = set(os.listdir(tmp_path)) - {ours}
        assert sorted([theirs, ours]) == [ours, theirs]
        multiplexer.Reload()
        train.add_summary(scalar(2), 2)  # written while TensorBoard is already reading
        train.close()
    multiplexer.Reload()
    assert [e.step for e in multiplexer.Tensors(".", "lr")] == [1, 2]
    assert metadata.SESSION_START_INFO_TAG in multiplexer.PluginRunToTagToContent("hparams")["."]


def test_tensorboard_keeps_the_first_session_start_of_a_run(tmp_path, real_wait):
    """What a resumed run that writes its session start again gets."""
    hparams.write_session(tmp_path, {"x": 1})
    hparams.write_session(tmp_path, {"x": 2})
    multiplexer = plugin_event_multiplexer.EventMultiplexer()
    multiplexer.AddRunsFromDirectory(str(tmp_path))
    multiplexer.Reload()
    content = multiplexer.PluginRunToTagToContent("hparams")["."][metadata.SESSION_START_INFO_TAG]
    assert plain(metadata.parse_session_start_info_plugin_data(content).hparams["x"]) == 1


@pytest.mark.parametrize("call,message", [
    (lambda d: hparams.write_session(d, {"": 1}),
     "`hparams` keys must be non-empty strings, got ''"),
    (lambda d: hparams.write_session(d, {3: 1}),
     "`hparams` keys must be non-empty strings, got 3"),
    (lambda d: hparams.write_experiment(d, [("a", 1)], [("accuracy", "eval")]),
     "`hparams` must be a mapping of names to values, got [('a', 1)]"),
    (lambda d: hparams.write_experiment(d, {"a": 1}, metrics=("accuracy", "eval")),
     "`metrics` items must be (tag, group) pairs: a non-empty tag string and a group string "
     "or None, got 'accuracy'"),
    (lambda d: hparams.write_experiment(d, {"a": 1}, metrics="accuracy"),
     "`metrics` must be a sequence of (tag, group) pairs, got 'accuracy'"),
    (lambda d: hparams.write_experiment(d, {"a": 1}, metrics=[("", "eval")]),
     "`metrics` items must be (tag, group) pairs: a non-empty tag string and a group string "
     "or None, got ('', 'eval')"),
    (lambda d: hparams.write_experiment(d, {"a": 1}, metrics=[("accuracy", 1)]),
     "`metrics` items must be (tag, group) pairs: a non-empty tag string and a group string "
     "or None, got ('accuracy', 1)"),
    (lambda d: hparams.write_experiment(d, {"a": 1}, [("loss", "")], description=None),
     "`description` must be a string, got None"),
    (lambda d: hparams.write_session(d, {"a": 1}, trial_id="t", group_name="g"),
     "`trial_id` ('t') and `group_name` ('g') name the same thing: pass one"),
    (lambda d: hparams.write_session(d, {"a": 1}, trial_id=7),
     "`trial_id` must be a string or None, got 7"),
    (lambda d: hparams.write_session_end(d, "done"),
     "`status` must be one of 'success', 'failure', 'running', 'unknown', got 'done'"),
    (lambda d: hparams.write_session("", {"a": 1}),
     "`logdir` must be a non-empty path, got ''"),
    (lambda d: hparams.write_experiment(d, {"a": 1}, [("loss", "")], shown=["b"]),
     "`shown` names 'b', which is not an hparam of the experiment (a)"),
    (lambda d: hparams.write_experiment(d, {"a": 1}, [("loss", "")], shown="a"),
     "`shown` must be a sequence of hparam names, got 'a'"),
    (lambda d: hparams.write_experiment(d, dict.fromkeys("abcdef", 1), [("loss", "")],
                                        shown=list("abcdef")),
     "`shown` names 6 hparams; TensorBoard shows 5 by default, got "
     "['a', 'b', 'c', 'd', 'e', 'f']"),
    (lambda d: hparams.write_session(d, {"a": 1, "b": 2}, metrics=[("loss", "")],
                                     experiment_hparams={"a": int}),
     "`hparams` has 'b', which `experiment_hparams` lacks: the dashboard would not show it"),
    (lambda d: hparams.write_session(d, {"a": 1}, shown=["a"]),
     "`experiment_hparams` and `shown` describe the experiment config: pass `metrics` too"),
])
def test_errors_are_one_line_and_name_the_argument(tmp_path, call, message):
    with pytest.raises((ValueError, TypeError)) as info:
        call(tmp_path)
    assert str(info.value) == message
    assert os.listdir(tmp_path) == []  # nothing written
