"""The trainer under faults: kill -9 and restart, SIGTERM/SIGINT, NaN, bad input.

Every test runs the real program (`python -m models.resnet_mnist.train`) as a subprocess.
"""

import gzip
import signal
import time

import numpy as np
import pytest
import tensorflow as tf

from lrhooks import schedules
from tests.support import programs
from tests.support.events import scalar_points
from tests.support.idx_files import idx_bytes, make_split, write_mnist
from tests.support.trainer_runs import TINY, checkpoint_step, command, run, start, wait_for

pytestmark = pytest.mark.slow  # real trainer processes

SCHEDULE = schedules.piecewise_constant([30, 60], [0.05, 0.02, 0.01])


def learning_rate_series(train_dir):
    """(label, value) of every learning_rate record of every event file; raises on corruption."""
    return scalar_points(train_dir, "learning_rate")


def test_kill_9_at_several_moments_then_restart(data_dir, tmp_path):
    train_dir = tmp_path / "run"
    cmd = command(data_dir, train_dir, "--train_steps=90", "--save_checkpoints_steps=7")
    for delay in (0.0, 0.4, 1.2):
        process = start(cmd)
        try:  # wait until training writes, then kill at some moment of it
            wait_for(lambda: checkpoint_step(train_dir) is not None or process.poll() is not None,
                     what="the first checkpoint")
            time.sleep(delay)
        finally:
            process.kill()
            process.communicate(timeout=60)
    done = run(cmd)
    assert done.returncode == 0, done.stderr[-3000:]
    assert checkpoint_step(train_dir) == 90
    series = learning_rate_series(train_dir)  # every event file reads to its end
    assert {label for label, _ in series} == set(range(1, 91))  # every run, none beyond
    for label, value in series:  # steps re-run after a restore record the same rate
        assert value == pytest.approx(SCHEDULE(label - 1), rel=1e-6), (label, value)
    leftovers = [p.name for p in train_dir.iterdir() if "tmp" in p.name or
                 p.name.endswith(".tempstate")]
    assert leftovers == []


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signal_writes_a_checkpoint_and_restart_continues_from_it(data_dir, tmp_path, signum):
    train_dir = tmp_path / "run"
    process = start(command(data_dir, train_dir, "--train_steps=100000",
                            "--save_checkpoints_steps=100000"))
    try:
        wait_for(lambda: checkpoint_step(train_dir) is not None or process.poll() is not None,
                 what="training to start")  # the session writes a first checkpoint
        time.sleep(1.0)
        sent = time.monotonic()
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    assert time.monotonic() - sent < 20
    assert process.returncode == 128 + signum, stderr[-3000:]
    step = checkpoint_step(train_dir)
    assert f"stopped by signal {int(signum)} at step {step}" in stderr
    assert step > 0
    done = run(command(data_dir, train_dir, f"--train_steps={step + 3}"))
    assert done.returncode == 0, done.stderr[-3000:]
    assert checkpoint_step(train_dir) == step + 3
    resumed = [value for label, value in learning_rate_series(train_dir) if label > step]
    assert resumed == pytest.approx([SCHEDULE(s) for s in range(step, step + 3)])


def test_nan_stops_with_one_line_and_keeps_the_last_good_checkpoint(data_dir, tmp_path):
    train_dir = tmp_path / "run"
    assert run(command(data_dir, train_dir, "--train_steps=4")).returncode == 0
    good = str(train_dir / "model.ckpt-4")
    before = {name: tf.train.load_variable(good, name) for name, _ in tf.train.list_variables(good)}
    diverge = command(data_dir, train_dir, "--train_steps=50", "--lr_schedule=constant",
                      "--learning_rate=1e38", "--save_checkpoints_steps=1")
    done = run([arg for arg in diverge if not arg.startswith(("--lr_boundaries", "--lr_values"))])
    assert done.returncode == 3, done.stderr[-3000:]
    lines = [line for line in done.stderr.splitlines() if line.startswith("train: error:")]
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert "non-finite at step" in lines[0] and "learning rate 1e+38" in lines[0]
    step = checkpoint_step(train_dir)
    checkpoint = tf.train.latest_checkpoint(str(train_dir))
    for name, _ in tf.train.list_variables(checkpoint):
        value = tf.train.load_variable(checkpoint, name)
        if np.issubdtype(np.asarray(value).dtype, np.floating):
            assert np.all(np.isfinite(value)), (step, name)
    # The restart re-saves step 4 as it was; nothing after it holds non-finite weights.
    for name, value in before.items():
        np.testing.assert_array_equal(tf.train.load_variable(good, name), value)


def _gzip_truncated(d):
    write_mnist(d, "train", n=8)
    blob = (d / "train-images-idx3-ubyte.gz").read_bytes()
    (d / "train-images-idx3-ubyte.gz").write_bytes(blob[: len(blob) // 2])


def _gzip_corrupt(d):
    write_mnist(d, "train", n=8)
    (d / "train-labels-idx1-ubyte.gz").write_bytes(b"\x1f\x8b" + b"\x00garbage" * 4)


def _count_mismatch(d):
    images, labels = make_split(8)
    write_mnist(d, "train", images=images, labels=labels[:7])


def _label_out_of_range(d):
    images, labels = make_split(8)
    labels[3] = 12
    write_mnist(d, "train", images=images, labels=labels)


def _bad_magic(d):
    write_mnist(d, "train", n=8)
    (d / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(
        idx_bytes(np.zeros(8, np.uint8), magic=0x0903)))


@pytest.mark.parametrize("make, message", [
    (_gzip_truncated, "train-images-idx3-ubyte.gz"),
    (_gzip_corrupt, "train-labels-idx1-ubyte.gz"),
    (_count_mismatch, "7"),
    (_label_out_of_range, "12"),
    (_bad_magic, "magic"),
    (lambda d: None, "is empty"),
])
def test_bad_data_one_line(tmp_path, make, message):
    data = tmp_path / "data"
    data.mkdir()
    make(data)
    done = run(command(data, tmp_path / "run", "--train_steps=2"))
    assert done.returncode == 1
    (line,) = [l for l in done.stderr.splitlines() if l.startswith("train: error:")]
    assert message in line and "Traceback" not in done.stderr


@pytest.mark.parametrize("args, message", [
    (["--lr_schedule=piecewise", "--lr_boundaries=5"], "--lr_schedule"),
    (["--lr_boundaries=10,20", "--lr_values=0.1,0.01"], "len(boundaries) + 1"),
    (["--lr_boundaries=20,10", "--lr_values=0.1,0.01,0.001"], "--lr_boundaries"),
    (["--lr_boundaries=10", "--lr_values=0.1,-0.01"], "--lr_values"),
    (["--lr_boundaries=10", "--lr_values=0.1,nan"], "--lr_values"),
    (["--lr_boundaries=10", "--lr_values=inf,0.1"], "--lr_values"),
    (["--lr_schedule=cosine_decay", "--lr_decay_steps=0"], "decay_steps"),
    (["--train_stpes=5"], "train_stpes"),
    (["--flagfile=no/such/file.flags"], "no/such/file.flags"),
])
def test_bad_flags_one_line(data_dir, tmp_path, args, message):
    done = run(command(data_dir, tmp_path / "run", "--train_steps=2", *args))
    assert done.returncode == 1
    assert message in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "run").exists()


def test_plateau_schedule_is_refused_in_one_line(data_dir, tmp_path):
    """It needs reported metrics, which this trainer does not report: never a silent constant."""
    args = [a for a in TINY if not a.startswith("--lr_")]
    done = run(programs.python_module(
        "models.resnet_mnist.train", f"--data_dir={data_dir}", f"--train_dir={tmp_path / 'run'}",
        *args, "--train_steps=2", "--lr_schedule=reduce_lr_on_plateau(0.1, patience=3)"))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    (line,) = [l for l in done.stderr.splitlines() if l.startswith("train: error:")]
    assert "--lr_schedule=reduce_lr_on_plateau(learning_rate=0.1" in line
    assert "needs a reported metric" in line
    assert not (tmp_path / "run").exists()


def test_unwritable_train_dir_one_line(data_dir, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    done = run(command(data_dir, blocker / "run", "--train_steps=2"))
    assert done.returncode == 1 and "is not writable" in done.stderr
    assert "Traceback" not in done.stderr


def test_checkpoint_of_another_model_is_refused_and_left_intact(data_dir, tmp_path):
    train_dir = tmp_path / "run"
    assert run(command(data_dir, train_dir, "--train_steps=2")).returncode == 0
    before = {p.name: p.read_bytes() for p in train_dir.iterdir() if p.is_file()}
    done = run(command(data_dir, train_dir, "--train_steps=4", "--filters=4,4,8,16"))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    (line,) = [l for l in done.stderr.splitlines() if l.startswith("train: error:")]
    assert "holds a checkpoint of another model configuration" in line and "shape" in line
    assert ("it was trained with --filters=4,4,8,8, not --filters=4,4,8,16 "
            "(train_config.json); use a new --train_dir or the flags of that run") in line
    after = {p.name: p.read_bytes() for p in train_dir.iterdir() if p.is_file()}
    assert after == before
