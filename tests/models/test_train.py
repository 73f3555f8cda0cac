"""The trainer and evaluator end to end: a few steps on tiny IDX files, resume, CLI errors."""

import json
import os
import signal
import subprocess

import numpy as np
import pytest
import tensorflow as tf
from tensorboard.plugins.hparams import api_pb2
from tensorboard.plugins.hparams import metadata as hparams_metadata

from lrhooks import plot as lrhooks_plot
from lrhooks import schedules
from models.resnet_mnist import config as config_lib
from models.resnet_mnist import devices
from models.resnet_mnist import evaluation
from models.resnet_mnist import faults
from models.resnet_mnist import loop
from models.resnet_mnist import model as model_lib
from tests.support import events, programs
from tests.support.events import plugin_contents, scalar_series
from tests.support.idx_files import make_split, write_mnist
from tests.support.trainer import graph_devices

pytestmark = pytest.mark.slow  # trains the model in this process and as programs

TINY_RESNET = model_lib.HParams(num_residual_units=1, filters=(4, 4, 8, 8))
SCHEDULE = schedules.piecewise_constant([3], [0.1, 0.01])


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    directory = tmp_path_factory.mktemp("mnist")
    write_mnist(directory, "train", n=48)
    images, labels = make_split(21, seed=1)
    write_mnist(directory, "test", images=images, labels=labels)
    return directory


def tiny_config(data_dir, train_dir, **overrides):
    values = dict(data_dir=str(data_dir), train_dir=str(train_dir), hparams=TINY_RESNET,
                  schedule=SCHEDULE, batch_size=8, train_steps=5, save_checkpoints_steps=100,
                  save_summaries_steps=1, log_every_n_steps=2, final_eval=False, plots=False)
    values.update(overrides)
    return config_lib.TrainConfig(**values)


def read_scalars(logdir, tag):
    """{step: value} of a scalar tag in the event files under `logdir` (not recursive)."""
    return scalar_series(logdir, tag)


def test_train_eval_resume(tiny_data, tmp_path):
    train_dir = tmp_path / "run"
    result = loop.train(tiny_config(tiny_data, train_dir))
    assert result.global_step == 5
    assert np.isfinite(result.final_loss)
    assert tf.train.latest_checkpoint(str(train_dir)).endswith("model.ckpt-5")
    recorded = json.loads((train_dir / config_lib.CONFIG_FILE).read_text())
    assert recorded["schedule"] == repr(SCHEDULE)
    assert config_lib.read_hparams(str(train_dir)) == TINY_RESNET

    result = evaluation.run(str(tiny_data), str(train_dir), eval_once=True, batch_size=4)
    # Every test image, last partial batch included (21 = 5*4 + 1).
    assert (result.step, result.num_images) == (5, 21)
    assert result.accuracy * 21 == pytest.approx(round(result.accuracy * 21))  # k of 21
    assert 0.0 <= result.accuracy <= 1.0 and result.best_accuracy == result.accuracy
    assert np.isfinite(result.loss) and result.loss > 0.0
    assert read_scalars(str(train_dir / "eval"), "accuracy") == {
        5: pytest.approx(result.accuracy)}
    assert read_scalars(str(train_dir / "eval"), "loss") == {5: pytest.approx(result.loss)}
    assert read_scalars(str(train_dir / "eval"), "best_accuracy") == {
        5: pytest.approx(result.best_accuracy)}

    resumed = loop.train(tiny_config(tiny_data, train_dir, train_steps=8, final_eval=True))
    assert resumed.global_step == 8
    assert read_scalars(str(train_dir / "eval"), "accuracy")[8] == pytest.approx(
        resumed.final_accuracy)
    rates = read_scalars(str(train_dir), "learning_rate")
    # Summaries record the rate of the run at step s (written as s + 1 by the saver hook):
    # every run of both sessions, steps 0-7.
    assert sorted(rates) == list(range(1, 9))
    assert all(value == pytest.approx(SCHEDULE(step - 1)) for step, value in rates.items())


def test_the_rate_series_ends_at_the_last_step_and_the_layout_is_written_once(tiny_data,
                                                                               tmp_path):
    """5 and 8 steps are no multiples of --save_summaries_steps=2: the last run of each session
    is recorded too (labelled with the step it moved to, as TF labels summaries)."""
    from tensorboard.plugins.custom_scalar import layout_pb2
    from tensorboard.plugins.custom_scalar import metadata as custom_scalar_metadata
    train_dir = tmp_path / "run"
    loop.train(tiny_config(tiny_data, train_dir, train_steps=5, save_summaries_steps=2))
    rates = read_scalars(str(train_dir), "learning_rate")
    assert sorted(rates) == [1, 2, 4, 5]
    loop.train(tiny_config(tiny_data, train_dir, train_steps=8, save_summaries_steps=2))
    rates = read_scalars(str(train_dir), "learning_rate")
    assert sorted(rates) == [1, 2, 4, 5, 6, 8]  # the resumed session's first run, 6, 8
    assert all(value == pytest.approx(SCHEDULE(step - 1)) for step, value in rates.items())
    (layout,) = events.load(train_dir).Tensors(custom_scalar_metadata.CONFIG_SUMMARY_TAG)
    layout = layout_pb2.Layout.FromString(layout.tensor_proto.string_val[0])
    assert [category.title for category in layout.category] == ["schedule", "training"]
    assert [chart.title for chart in layout.category[0].chart] == ["learning_rate"]
    assert [list(chart.multiline.tag) for chart in layout.category[1].chart] == [
        ["^loss$", "^cross_entropy$"], ["^accuracy$"]]


def test_evaluator_follows_checkpoints_until_the_last_step(tiny_data, tmp_path):
    train_dir = tmp_path / "run"
    loop.train(tiny_config(tiny_data, train_dir, train_steps=4, save_checkpoints_steps=2))
    last = evaluation.run(str(tiny_data), str(train_dir), eval_once=False, batch_size=10,
                          interval_secs=1, timeout_secs=5)
    assert (last.step, last.num_images) == (4, 21)
    best = json.loads((train_dir / "eval" / evaluation.BEST_FILE).read_text())
    assert best == {"best_accuracy": pytest.approx(last.best_accuracy), "step": 4}


def test_eval_loss_and_accuracy_are_per_image_over_the_whole_test_set(tiny_data, tmp_path):
    """21 images in batches of 4 (the last one partial) score as one batch of 21: the loss is
    the mean over images, not the mean of the batch means."""
    train_dir = tmp_path / "run"
    loop.train(tiny_config(tiny_data, train_dir, train_steps=3))
    batched = evaluation.run(str(tiny_data), str(train_dir), str(tmp_path / "e4"), batch_size=4)
    whole = evaluation.run(str(tiny_data), str(train_dir), str(tmp_path / "e21"),
                           batch_size=21)
    assert (batched.num_images, whole.num_images) == (21, 21)
    assert batched.accuracy == whole.accuracy
    assert batched.loss == pytest.approx(whole.loss, rel=1e-5)
    assert np.isfinite(whole.loss) and whole.loss > 0.0


def test_an_old_best_precision_file_is_read(tiny_data, tmp_path):
    train_dir = tmp_path / "run"
    loop.train(tiny_config(tiny_data, train_dir, train_steps=2))
    eval_dir = train_dir / "eval"
    eval_dir.mkdir()
    legacy = eval_dir / evaluation.LEGACY_BEST_FILE
    legacy.write_text(json.dumps({"best_precision": 1.0, "step": 1}))
    result = evaluation.run(str(tiny_data), str(train_dir), batch_size=7)
    assert result.best_accuracy == 1.0  # the old best, higher than any score of a 2-step model
    assert read_scalars(str(eval_dir), "best_accuracy") == {2: 1.0}
    assert json.loads((eval_dir / evaluation.BEST_FILE).read_text()) == {
        "best_accuracy": 1.0, "step": 2}
    assert json.loads(legacy.read_text()) == {"best_precision": 1.0, "step": 1}  # untouched


def test_eval_every_n_steps_writes_to_the_eval_dir_while_training(tiny_data, tmp_path):
    train_dir = tmp_path / "run"
    result = loop.train(tiny_config(tiny_data, train_dir, train_steps=5, eval_every_n_steps=2,
                                    final_eval=True, plots=True))
    assert [record.step for record in result.eval_history] == [2, 4, 5]
    eval_dir = str(train_dir / "eval")
    accuracy = read_scalars(eval_dir, "accuracy")
    assert accuracy == {record.step: pytest.approx(record.accuracy)
                        for record in result.eval_history}
    assert read_scalars(eval_dir, "loss") == {record.step: pytest.approx(record.loss)
                                              for record in result.eval_history}
    assert result.final_accuracy == result.eval_history[-1].accuracy
    best = json.loads((train_dir / "eval" / evaluation.BEST_FILE).read_text())
    assert best == {"best_accuracy": pytest.approx(max(accuracy.values())), "step": 5}
    # The plots at the end: the applied rate, the losses, train and test accuracy.
    runs, scheduled = lrhooks_plot.read_scalars(str(train_dir))
    picked = lrhooks_plot.pick_series(runs, scheduled)
    assert {figure: sorted(lines) for figure, lines in picked.items()} == {
        "learning_rate": ["learning_rate"], "loss": ["cross_entropy", "eval/loss", "loss"],
        "accuracy": ["accuracy", "eval/accuracy"]}
    assert picked["accuracy"]["eval/accuracy"] == [
        (step, pytest.approx(value)) for step, value in sorted(accuracy.items())]
    for figure in picked:
        png = (train_dir / f"{figure}.png").read_bytes()
        assert png.startswith(b"\x89PNG\r\n\x1a\n"), figure


def test_gpu_request_runs_on_cpu_with_soft_placement(tiny_data, tmp_path):
    config = tiny_config(tiny_data, tmp_path / "gpu", device="gpu", train_steps=2)
    assert devices.session_config(config).allow_soft_placement
    has_gpu = bool(tf.config.list_physical_devices("GPU"))
    assert devices.resolve_device("gpu") == ("/device:GPU:0" if has_gpu else "/device:CPU:0")
    assert devices.resolve_device("cpu") == "/device:CPU:0"
    assert devices.resolve_data_format("auto", "/device:GPU:0") == "NCHW"
    assert devices.resolve_data_format("auto", "/device:CPU:0") == "NHWC"
    # NCHW convolutions need a GPU: without one, --device=gpu trains on the CPU in NHWC.
    assert loop.train(config).global_step == 2


def test_model_ops_request_the_chosen_device(tiny_data, tmp_path):
    expected = devices.resolve_device("gpu")  # the CPU on a machine without a GPU
    placed = graph_devices(tiny_config(tiny_data, tmp_path, device="gpu", data_format="NHWC"))
    assert expected in placed["model"]
    assert placed["input"] == {"/device:CPU:0"}


def test_unwritable_train_dir_is_a_user_error(tiny_data, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(faults.UserError, match=r"--train_dir .* is not writable"):
        loop.train(tiny_config(tiny_data, blocker / "run"))


@pytest.mark.parametrize("under", ["", "run"])
def test_a_train_dir_that_is_or_is_under_a_file_names_the_file(tiny_data, tmp_path, under):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    train_dir = blocker / under if under else blocker
    with pytest.raises(faults.UserError, match=(
            rf"^--train_dir '{train_dir}' is not writable: '{blocker}' is a file, "
            r"not a directory$")):
        loop.train(tiny_config(tiny_data, train_dir))
    assert blocker.read_text() == "not a directory"


class _SignalAtStep(tf.compat.v1.train.SessionRunHook):
    """Sends this process SIGINT after the run that reaches `step` (what Ctrl-C at that
    moment does: the trainer's SignalStop takes it)."""

    def __init__(self, step):
        self._step = step

    def before_run(self, run_context):
        return tf.compat.v1.train.SessionRunArgs(tf.compat.v1.train.get_global_step())

    def after_run(self, run_context, run_values):
        if run_values.results + 1 == self._step:
            os.kill(os.getpid(), signal.SIGINT)


def test_a_run_stopped_at_its_last_step_is_finished_by_the_same_command(tiny_data, tmp_path):
    """Ctrl-C at the last step: no final evaluation, end status nor plots yet; the same
    command writes them (TensorBoard would otherwise show the run without an end status)."""
    train_dir = tmp_path / "run"
    config = tiny_config(tiny_data, train_dir, final_eval=True, plots=True)
    stopped = loop.train(config, extra_hooks=[_SignalAtStep(config.train_steps)])
    assert (stopped.stopped_by_signal, stopped.global_step) == (signal.SIGINT, 5)
    assert not list(train_dir.glob("*.png")) and not (train_dir / "eval").exists()
    assert hparams_metadata.SESSION_END_INFO_TAG not in plugin_contents(
        str(train_dir), hparams_metadata.PLUGIN_NAME)  # stopped, not ended
    checkpoint_files = {p.name: p.read_bytes() for p in train_dir.glob("model.ckpt-*")}

    finished = loop.train(config)
    assert finished.trained_nothing and finished.eval_step == 5
    assert {p.name: p.read_bytes() for p in train_dir.glob("model.ckpt-*")} == checkpoint_files
    end = plugin_contents(str(train_dir), hparams_metadata.PLUGIN_NAME)[
        hparams_metadata.SESSION_END_INFO_TAG]
    assert (hparams_metadata.parse_session_end_info_plugin_data(end).status
            == api_pb2.STATUS_SUCCESS)
    assert sorted(p.name for p in train_dir.glob("*.png")) == [
        "accuracy.png", "learning_rate.png", "loss.png"]


def test_real_mnist_few_steps(mnist_dir, tmp_path):
    """A few CNN steps on real digits: the loss falls from chance level."""
    config = tiny_config(mnist_dir, tmp_path, hparams=model_lib.HParams(model="cnn",
                                                                          optimizer="adam"),
                         schedule=schedules.constant(0.001), batch_size=32, train_steps=40)
    result = loop.train(config)
    assert result.global_step == 40
    assert result.final_loss < 1.5  # chance level is ln(10) = 2.3


# -------------------------------------------------------------------- CLI
def run_cli(module, *args, cwd=None):
    return programs.run(programs.python_module(module, *args),
                        cwd=cwd or programs.REPO_ROOT, timeout=300)


def test_cli_trains_from_a_flagfile_and_evaluates(tiny_data, tmp_path):
    flagfile = tmp_path / "tiny.flags"
    flagfile.write_text("\n".join([
        "--model=resnet", "--num_residual_units=1", "--filters=4,4,8,8", "--batch_size=8",
        "--train_steps=3", "--lr_schedule=exponential_decay", "--learning_rate=0.1",
        "--lr_decay_steps=2", "--lr_decay_rate=0.5", "--lr_staircase",
        f"--train_dir={tmp_path / 'run'}"]) + "\n")
    done = run_cli("models.resnet_mnist.train", f"--flagfile={flagfile}",
                   f"--data_dir={tiny_data}")
    assert done.returncode == 0, done.stderr[-2000:]
    assert tf.train.latest_checkpoint(str(tmp_path / "run")).endswith("-3")
    done = run_cli("models.resnet_mnist.eval", f"--data_dir={tiny_data}",
                   f"--train_dir={tmp_path / 'run'}", f"--eval_dir={tmp_path / 'eval'}",
                   "--eval_once")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "step 3: accuracy" in done.stdout and "(21 test images)" in done.stdout
    assert ", loss " in done.stdout
    # The evaluator takes the trainer's flagfile: its --train_dir, its model flags checked;
    # the trainer's final evaluation already wrote step 3 to the run's eval dir.
    done = run_cli("models.resnet_mnist.eval", f"--flagfile={flagfile}",
                   f"--data_dir={tiny_data}", "--eval_once")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "step 3 is already evaluated" in done.stdout
    for flag, message in [
            ("--num_residual_units=2", "--num_residual_units=2, but --train_dir "
             f"'{tmp_path / 'run'}' was trained with --num_residual_units=1 (train_config.json):"
             " pass the flagfile of that run, or leave --num_residual_units out (the model is "
             "read from train_config.json)"),
            ("--filters=4,4,8,16", "--filters=4,4,8,16, but --train_dir "),
            ("--model=cnn", "--model=cnn, but --train_dir ")]:
        done = run_cli("models.resnet_mnist.eval", f"--flagfile={flagfile}", flag,
                       f"--data_dir={tiny_data}", "--eval_once")
        assert done.returncode == 1, flag
        (line,) = [line for line in done.stderr.splitlines() if line.startswith("eval: error:")]
        assert line.startswith(f"eval: error: {message}"), line
        assert "Traceback" not in done.stderr


# Each program's --help: its own flags, and none of absl's or TensorFlow's.
PROGRAM_FLAGS = {
    "models.resnet_mnist.eval": {"data_dir", "train_dir", "eval_dir", "eval_once",
                                 "eval_interval_secs", "eval_timeout_secs", "eval_batch_size",
                                 "verbose"},
    "lrhooks.plot": {"logdir", "out"},
}


def own_flags(module):
    """The flags a program defines itself (what --help must list)."""
    from absl import flags
    values = flags.FlagValues()
    if module == "models.resnet_mnist.train":
        config_lib.define_flags(values)
    elif module == "lrhooks.preview":
        from lrhooks.preview import cli
        cli.define_flags(values)
    else:
        return PROGRAM_FLAGS[module]
    return set(values)


@pytest.mark.parametrize("module", ["models.resnet_mnist.train", "models.resnet_mnist.eval",
                                    "lrhooks.preview", "lrhooks.plot"])
def test_help_lists_the_programs_own_flags_only(module):
    done = run_cli(module, "--help")
    assert done.returncode == 0
    assert "Traceback" not in done.stderr
    listed = {line.split(":")[0].strip().lstrip("-").replace("[no]", "")
              for line in done.stdout.splitlines() if line.startswith("  --")}
    assert listed == own_flags(module)
    assert "Try --helpfull to get a list of all flags." in done.stdout


@pytest.mark.parametrize("args, message", [
    (["--lr_schedule=exponential_decay", "--lr_decay_steps=-3", "--lr_decay_rate=0.5"],
     "`decay_steps` must be an integer > 0 or a finite float > 0, got -3 (set by "
     "--lr_decay_steps)"),
    (["--lr_boundaries=10,5", "--lr_values=0.1,0.01,0.001"], "--lr_boundaries"),
    (["--lr_schedule=cosine_decay"], "--lr_decay_steps is required for this schedule"),
    (["--lr_schedule=warmup_cosine"], "value should be one of"),
    (["--no_such_flag=1"], "Unknown command line flag 'no_such_flag'"),
    (["--flagfile=does/not/exist.flags"], "does/not/exist.flags"),
    (["--optimizer=rmsprop"], "value should be one of"),
    (["--train_steps=0"], "--train_steps"),
])
def test_cli_rejects_bad_flags_in_one_line(tiny_data, tmp_path, args, message):
    done = run_cli("models.resnet_mnist.train", f"--data_dir={tiny_data}",
                   f"--train_dir={tmp_path / 'run'}", *args)
    assert done.returncode != 0
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "run").exists()  # nothing was written


@pytest.mark.parametrize("make_data, message", [
    (lambda d: None, "is empty"),
    (lambda d: (write_mnist(d, "train", n=4, gz=False),
                (d / "train-images-idx3-ubyte").write_bytes(b"\0\0\x08\x02" + bytes(8))),
     "bad magic number"),
])
def test_cli_reports_data_errors_in_one_line(tmp_path, make_data, message):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    make_data(data_dir)
    done = run_cli("models.resnet_mnist.train", f"--data_dir={data_dir}",
                   f"--train_dir={tmp_path / 'run'}", "--lr_boundaries=5",
                   "--lr_values=0.1,0.01")
    assert done.returncode == 1
    assert "train: error:" in done.stderr and message in done.stderr
    assert "Traceback" not in done.stderr


TINY_CNN = model_lib.HParams(model="cnn", optimizer="adam", cnn_filters=(4, 4, 8),
                            cnn_fc_units=8)
COMMON_HPARAMS = {"model", "optimizer", "schedule", "train_steps", "batch_size", "lr_schedule",
                  "initial_learning_rate", "weight_decay_rate", "max_shift", "data_format",
                  "precision", "label_smoothing", "ema_decay"}
APPLYING = {  # (model, optimizer) -> the HParams columns a run of it records
    ("resnet", "mom"): COMMON_HPARAMS | {"num_residual_units", "use_bottleneck", "filters",
                                         "relu_leakiness", "batch_norm_decay", "momentum"},
    ("cnn", "adam"): COMMON_HPARAMS | {"cnn_filters", "cnn_fc_units", "dropout_rate",
                                       "adam_beta1", "adam_beta2", "adam_epsilon"},
}


def interrupt_then_finish(data_dir, train_dir):
    """Runs the trainer CLI, stops it with SIGTERM (exit 143), then continues it 2 more steps
    with the same command; returns the final step."""
    from tests.support import tensorboard_server
    args = [f"--data_dir={data_dir}", f"--train_dir={train_dir}", "--model=resnet",
            "--num_residual_units=1", "--filters=4,4,8,8", "--batch_size=8",
            "--lr_boundaries=3", "--lr_values=0.1,0.01", "--progress=never",
            "--save_checkpoints_steps=100000", "--nofinal_eval"]
    process = programs.start(programs.python_module("models.resnet_mnist.train", *args,
                                                    "--train_steps=100000"),
                             stdout=subprocess.DEVNULL)
    try:
        tensorboard_server.wait_for(
            lambda: tf.train.latest_checkpoint(str(train_dir)) or process.poll() is not None,
            timeout=120, interval=0.1, what="the first checkpoint")
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 143, stderr[-2000:]
    step = int(tf.train.load_variable(tf.train.latest_checkpoint(str(train_dir)), "global_step"))
    assert hparams_metadata.SESSION_END_INFO_TAG not in plugin_contents(
        str(train_dir), hparams_metadata.PLUGIN_NAME)  # stopped, not ended
    done = run_cli("models.resnet_mnist.train", *args, f"--train_steps={step + 2}")
    assert done.returncode == 0, done.stderr[-2000:]
    return step + 2


def test_trainer_runs_side_by_side_in_a_real_tensorboard(tiny_data, tmp_path):
    """The trainer's learning_rate series and HParams data, read through TensorBoard's HTTP API:
    the settings that apply to each model, the headline columns first, and a final status for
    every finished run, also one stopped by SIGTERM and continued."""
    from tests.support import tensorboard_server
    runs = {"piecewise": (SCHEDULE, TINY_RESNET),
            "exponential": (schedules.exponential_decay(0.1, 2, 0.5), TINY_CNN)}
    for name, (schedule, model_hparams) in runs.items():
        loop.train(tiny_config(tiny_data, tmp_path / name, schedule=schedule,
                               hparams=model_hparams, final_eval=True))
    interrupted_steps = interrupt_then_finish(tiny_data, tmp_path / "interrupted")
    groups_request = {"allowedStatuses": ["STATUS_UNKNOWN", "STATUS_SUCCESS", "STATUS_FAILURE",
                                          "STATUS_RUNNING"], "startIndex": 0, "sliceSize": 10}
    with tensorboard_server.serve(tmp_path) as server:
        def ready():
            groups = server.post_json("/data/plugin/hparams/session_groups",
                                      groups_request)["sessionGroups"]
            return groups if len(groups) == 3 and all(
                g["metricValues"] for g in groups if g["name"] in runs) else None
        groups = tensorboard_server.wait_for(ready, timeout=30, what="three HParams sessions")
        experiment = server.post_json("/data/plugin/hparams/experiment", {"experimentName": ""})
        layout = server.get_json("/data/plugin/custom_scalars/layout")
        for name, (schedule, _) in runs.items():
            points = server.get_json("/data/plugin/scalars/scalars", run=name,
                                     tag="learning_rate")
            assert [step for _, step, _ in points] == [1, 2, 3, 4, 5]
            for _, label, value in points:
                assert value == pytest.approx(schedule(label - 1), rel=1e-6)
    # The Custom Scalars tab opens on the rate, then loss and accuracy of every run.
    assert [category["title"] for category in layout["category"]] == ["schedule", "training"]
    assert [chart["title"] for chart in layout["category"][0]["chart"]] == ["learning_rate"]
    assert [chart["multiline"]["tag"] for chart in layout["category"][1]["chart"]] == [
        ["^loss$", "^cross_entropy$"], ["^accuracy$"]]
    by_name = {group["name"]: group for group in groups}
    assert sorted(by_name) == sorted([*runs, "interrupted"])
    for name, group in by_name.items():
        (session,) = group["sessions"]
        assert session["status"] == "STATUS_SUCCESS", name
    assert interrupted_steps > 2
    # The dashboard shows the first 5 columns by default: model, optimizer, schedule, steps.
    infos = experiment["hparamInfos"]
    assert [info["name"] for info in infos[:5]] == sorted(config_lib.TENSORBOARD_SHOWN)
    assert all(info.get("differs") for info in infos[:5])
    assert not any(info.get("differs") for info in infos[5:])
    for name, (schedule, model_hparams) in runs.items():
        recorded = by_name[name]["hparams"]
        assert set(recorded) == APPLYING[(model_hparams.model, model_hparams.optimizer)], name
        assert recorded["schedule"] == repr(schedule)
        assert (recorded["model"], recorded["optimizer"], recorded["train_steps"]) == (
            model_hparams.model, model_hparams.optimizer, 5)
        metrics = {m["name"]["tag"]: m for m in by_name[name]["metricValues"]}
        assert sorted(metrics) == ["accuracy", "loss"]
        assert {m["name"]["group"] for m in metrics.values()} == {"eval"}
        assert {m["trainingStep"] for m in metrics.values()} == {5}
        assert 0.0 <= metrics["accuracy"]["value"] <= 1.0 and metrics["loss"]["value"] > 0.0
    assert by_name["exponential"]["hparams"]["cnn_filters"] == "4,4,8"
    assert by_name["piecewise"]["hparams"]["filters"] == "4,4,8,8"


def test_cli_lr_range_test_prints_a_suggestion_and_leaves_train_dir_alone(tiny_data, tmp_path):
    done = run_cli("models.resnet_mnist.train", f"--data_dir={tiny_data}",
                   f"--train_dir={tmp_path / 'run'}", "--model=resnet", "--num_residual_units=1",
                   "--filters=4,4,8,8", "--batch_size=8", "--lr_boundaries=5",
                   "--lr_values=0.1,0.01", "--lr_range_test", "--range_test_steps=20",
                   "--range_test_min_lr=1e-4", "--range_test_max_lr=10")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "suggest" in done.stdout.lower()
    assert not (tmp_path / "run").exists()
    assert any("tfevents" in p.name for p in (tmp_path / "run_range_test").iterdir())


def test_in_process_evaluation_every_n_steps_across_a_resume(tiny_data, tmp_path):
    """The in-process eval hook (on lrhooks' StepTracker) resumed at a step that is no multiple of N."""
    train_dir = tmp_path / "run"
    loop.train(tiny_config(tiny_data, train_dir, train_steps=5, eval_every_n_steps=2))
    # Resumed at step 5 (not a multiple of 2): the next evaluation is at 6, then the last step.
    second = loop.train(tiny_config(tiny_data, train_dir, train_steps=8, eval_every_n_steps=2))
    assert [record.step for record in second.eval_history] == [6, 8]
    assert all(0.0 <= record.accuracy <= 1.0 for record in second.eval_history)
