"""Signals at any moment, bad inputs, non-finite state: one line, the documented exit code.

Every test runs the real trainer or evaluator as a subprocess. Signals are sent at named
moments: the program pauses there when `RESNET_MNIST_PAUSE_AT` names it (see
`models/resnet_mnist/early_signals.py`), after printing `paused at <moment>`.
"""

import json
import os
import shutil
import signal
import subprocess
import threading
import time

import numpy as np
import pytest
import tensorflow as tf
from tensorboard.plugins.hparams import api_pb2
from tensorboard.plugins.hparams import metadata as hparams_metadata

from models.resnet_mnist import checkpoints
from models.resnet_mnist import early_signals
from tests.support import events, programs
from tests.support.trainer_runs import (checkpoint_step, command, copy_run, error_lines,
                                        eval_command, files, run, start, trained_run,
                                        wait_for)

pytestmark = pytest.mark.slow  # real trainer and evaluator processes

tf1 = tf.compat.v1


@pytest.fixture(scope="module")
def trained(data_dir, tmp_path_factory):
    """A run directory trained to step 6 (checkpoints 0, 3, 6)."""
    return trained_run(data_dir, tmp_path_factory.mktemp("trained") / "run", 6, 3)


class StderrLines:
    """Collects a process's stderr on a thread; `read()` is the text so far."""

    def __init__(self, process):
        self.process, self.lines = process, []
        self.thread = threading.Thread(target=self._collect, daemon=True)
        self.thread.start()

    def _collect(self):
        for line in self.process.stderr:
            self.lines.append(line)

    def read(self):
        return "".join(self.lines)

    def finish(self):
        self.thread.join(timeout=30)
        return self.read()


@pytest.mark.parametrize("moment, signum, trained_before", [
    ("imports", signal.SIGINT, False),
    ("building the graph", signal.SIGTERM, False),
    ("creating the session", signal.SIGINT, True),
    ("saving a checkpoint", signal.SIGTERM, True),
    ("running the final evaluation", signal.SIGINT, True),
])
def test_a_signal_at_any_moment_gives_one_line_and_its_exit_status(data_dir, tmp_path, moment,
                                                                   signum, trained_before):
    train_dir = tmp_path / "run"
    process = start(command(data_dir, train_dir, "--train_steps=4", "--save_checkpoints_steps=2",
                            "--final_eval"),
                    **{early_signals.PAUSE_AT: moment, early_signals.PAUSE_SECS: "3"})
    stderr = StderrLines(process)
    try:
        wait_for(lambda: f"paused at {moment}" in stderr.read() or process.poll() is not None,
                 what=f"the pause at {moment}")
        sent = time.monotonic()
        process.send_signal(signum)
        process.wait(timeout=120)
        print(f"exit {process.returncode} {time.monotonic() - sent:.1f} s after the signal")
    finally:
        process.kill()
    text = stderr.finish()
    assert process.returncode == 128 + signum, text[-3000:]
    assert "Traceback" not in text and "KeyboardInterrupt" not in text
    (line,) = error_lines(text)
    step = checkpoint_step(train_dir) if train_dir.exists() else None
    if not trained_before:
        doing = "starting" if moment == "imports" else moment
        assert line == (f"train: stopped by signal {int(signum)} while {doing}; nothing was "
                        "trained: run the same command again")
        assert step is None
    elif moment == "running the final evaluation":
        assert line.startswith(f"train: stopped by signal {int(signum)} while {moment}; training "
                               "finished at step 4 and its checkpoint is kept")
        assert step == 4
    else:  # a checkpoint at the step the line names
        assert line.startswith(f"train: stopped by signal {int(signum)} at step {step}; ")
        assert step is not None and step > 0


def test_a_run_stopped_during_its_final_evaluation_is_finished_by_the_same_command(data_dir,
                                                                                 tmp_path):
    # The same command evaluates, writes the plots the run lacks, and trains nothing (a run
    # stopped at its last step before the evaluation: test_train.py).
    moment = "running the final evaluation"
    train_dir = tmp_path / "run"
    cmd = command(data_dir, train_dir, "--train_steps=2", "--save_checkpoints_steps=2",
                  "--final_eval", "--plots")
    process = start(cmd, **{early_signals.PAUSE_AT: moment, early_signals.PAUSE_SECS: "3"})
    stderr = StderrLines(process)
    try:
        wait_for(lambda: f"paused at {moment}" in stderr.read() or process.poll() is not None,
                 what=f"the pause at {moment}")
        process.send_signal(signal.SIGINT)
        process.wait(timeout=120)
    finally:
        process.kill()
    text = stderr.finish()
    assert process.returncode == 130, text[-3000:]
    assert checkpoint_step(train_dir) == 2
    assert not list(train_dir.glob("*.png")) and not (train_dir / "eval").exists()
    checkpoint_files = {name: data for name, data in files(train_dir).items() if "ckpt" in name}

    done = run(cmd)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.splitlines()[0] == (f"train: {train_dir} is finished (step 2 of 2); "
                                           "nothing to train")
    assert {name: data for name, data in files(train_dir).items()
            if "ckpt" in name} == checkpoint_files
    assert sorted(p.name for p in train_dir.glob("*.png")) == [
        "accuracy.png", "learning_rate.png", "loss.png"]
    end = events.plugin_contents(str(train_dir), hparams_metadata.PLUGIN_NAME)[
        hparams_metadata.SESSION_END_INFO_TAG]
    assert (hparams_metadata.parse_session_end_info_plugin_data(end).status
            == api_pb2.STATUS_SUCCESS)
    assert (train_dir / "eval" / "best_accuracy.json").exists()


def test_rate_spike_exits_3_and_never_saves_a_non_finite_state(data_dir, tmp_path):
    train_dir = tmp_path / "run"
    done = run(command(data_dir, train_dir, "--train_steps=20", "--save_checkpoints_steps=1",
                       "--lr_boundaries=10,13", "--lr_values=0.05,1e6,0.05"))
    assert done.returncode == 3, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    (line,) = error_lines(done.stderr)
    assert "non-finite" in line and "nothing was saved after the last checkpoint" in line
    for step, prefix in checkpoints.on_disk(str(train_dir)).items():  # every one is finite
        reader = tf.train.load_checkpoint(prefix)
        for name in reader.get_variable_to_shape_map():
            value = np.asarray(reader.get_tensor(name))
            if np.issubdtype(value.dtype, np.floating):
                assert np.all(np.isfinite(value)), (step, name)


def _scaled_copy(prefix, target, step, factor):
    """Writes `target` (a checkpoint prefix) at `step` as `prefix` with every conv and fc
    weight times `factor`; the index then names it."""
    reader = tf.train.load_checkpoint(prefix)
    with tf.Graph().as_default():
        variables = []
        for name in reader.get_variable_to_shape_map():
            value = reader.get_tensor(name)
            if name == "global_step":
                value = np.int64(step)
            elif name.endswith("/DW"):
                value = value * np.float32(factor)
            variables.append(tf1.Variable(value, name=name))
        saver = tf1.train.Saver(variables, save_relative_paths=True)
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            saver.save(session, target, write_meta_graph=False)


def test_an_unusable_last_checkpoint_is_named_with_the_way_back(trained, data_dir, tmp_path):
    train_dir = copy_run(trained, tmp_path)
    _scaled_copy(str(train_dir / "model.ckpt-6"), str(train_dir / "model.ckpt-7"), 7, 1e29)
    assert checkpoints.largest_magnitude(str(train_dir / "model.ckpt-7")) > 1e28
    done = run(command(data_dir, train_dir, "--train_steps=9"))
    assert done.returncode == 3, done.stderr[-3000:]
    (line,) = error_lines(done.stderr)
    assert "the last checkpoint model.ckpt-7 is itself unusable" in line
    assert (f"move model.ckpt-7.* out of '{train_dir}' to resume from model.ckpt-6 with a lower "
            "rate, or use a fresh --train_dir") in line
    assert checkpoint_step(train_dir) == 7


def test_a_rate_beyond_float32_is_refused_at_its_step(data_dir, tmp_path):
    done = run(command(data_dir, tmp_path / "run", "--train_steps=10",
                       "--lr_boundaries=5", "--lr_values=0.05,1e39"))
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr[-3000:]
    (line,) = error_lines(done.stderr)
    assert line == ("train: error: learning-rate schedule piecewise_constant(boundaries=(5,), "
                    "values=(0.05, 1e+39)) gave 1e+39 at step 6, which float32 cannot hold "
                    "(largest 3.40282e+38); a learning rate must be finite in its dtype")


def test_missing_test_files_fail_before_training(data_dir, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for name in os.listdir(data_dir):
        if name.startswith("train-"):
            shutil.copy(data_dir / name, data / name)
    train_dir = tmp_path / "run"
    done = run(command(data, train_dir, "--train_steps=3", "--final_eval"))
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr[-3000:]
    (line,) = error_lines(done.stderr)
    assert line.endswith("the test files are needed by --final_eval (on by default; "
                         "--nofinal_eval skips it)")
    assert not train_dir.exists() or not checkpoints.on_disk(str(train_dir))


@pytest.mark.parametrize("program", ["train", "eval"])
def test_a_binary_flagfile_is_one_line(tmp_path, program):
    flagfile = tmp_path / "garbage.flags"
    flagfile.write_bytes(bytes(range(128, 256)) * 4)
    cmd = (command("d", tmp_path / "run") if program == "train" else eval_command())
    done = run(cmd + [f"--flagfile={flagfile}"])
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr[-3000:]
    (line,) = error_lines(done.stderr, program)
    assert line.startswith(f"{program}: error: --flagfile '{flagfile}' is not a text file of "
                           "flags (")
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("program", ["train", "eval"])
def test_a_stray_argument_is_one_line_not_the_help(tmp_path, program):
    # e.g. `--lr_staircase true`: absl leaves `true` as an argument, not a flag value.
    cmd = (command("d", tmp_path / "run") if program == "train"
           else eval_command("--data_dir=d", f"--train_dir={tmp_path / 'run'}"))
    done = programs.run(cmd + ["--plots" if program == "train" else "--eval_once", "true"],
                        env=programs.environment(tf_log_level=None), timeout=240)
    assert done.returncode == 1, done.stderr[-3000:]
    assert done.stderr.splitlines() == [
        f"{program}: error: unexpected arguments: true (every argument is a flag, "
        "--name=value; --help lists them)"]
    assert done.stdout == ""
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("flag", ["train_steps", "save_checkpoints_steps"])
def test_step_counts_beyond_int64_are_refused(data_dir, tmp_path, flag):
    done = run(command(data_dir, tmp_path / "run", f"--{flag}={2**63}"))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert (f"flag --{flag}={2**63}: {2**63} is not an integer in the range "
            f"[1, {2**63 - 1}]") in done.stderr
    assert not (tmp_path / "run").exists()


def _edit_config(train_dir, edit):
    path = train_dir / "train_config.json"
    values = json.loads(path.read_text())
    edit(values["hparams"])
    path.write_text(json.dumps(values))


@pytest.mark.parametrize("edit, message", [
    (lambda h: h.pop("relu_leakiness"), "lacks hparams keys relu_leakiness"),
    (lambda h: h.update(colour="blue"), "holds unknown hparams keys colour"),
    (lambda h: h.update(filters=[4, 4, 8, 16]), "is not of the model train_config.json "
                                                "describes: variable"),
])
def test_evaluator_bad_run_directory_is_one_line_and_writes_nothing(trained, data_dir, tmp_path,
                                                                    edit, message):
    train_dir = copy_run(trained, tmp_path)
    _edit_config(train_dir, edit)
    before = files(train_dir)
    done = run(eval_command(f"--data_dir={data_dir}", f"--train_dir={train_dir}", "--eval_once"))
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr[-3000:]
    (line,) = error_lines(done.stderr, "eval")
    assert message in line
    assert files(train_dir) == before and not (train_dir / "eval").exists()


def _read_only_bind(source, target):
    if os.geteuid() != 0:
        os.chmod(source, 0o555)
        return source, lambda: os.chmod(source, 0o755)
    target.mkdir()
    for args in (["mount", "--bind", str(source), str(target)],
                 ["mount", "-o", "remount,ro,bind", str(target)]):
        if subprocess.run(args, capture_output=True).returncode != 0:
            subprocess.run(["umount", str(target)], capture_output=True)
            pytest.skip("cannot make a read-only directory here")
    return target, lambda: subprocess.run(["umount", str(target)], capture_output=True)


def test_evaluator_on_a_read_only_train_dir_is_one_line(trained, data_dir, tmp_path):
    source = copy_run(trained, tmp_path)
    train_dir, undo = _read_only_bind(source, tmp_path / "read_only")
    try:
        before = files(train_dir)
        done = run(eval_command(f"--data_dir={data_dir}", f"--train_dir={train_dir}",
                                "--eval_once"))
        assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr[-3000:]
        (line,) = error_lines(done.stderr, "eval")
        assert line.startswith(f"eval: error: --eval_dir '{train_dir}/eval' cannot be written: ")
        assert "Read-only file system" in line or "Permission denied" in line
        assert files(train_dir) == before
    finally:
        undo()
