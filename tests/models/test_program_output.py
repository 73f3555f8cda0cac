"""What the trainer prints (its own lines only, on stdout), and a finished run that stays finished.

The programs run as subprocesses on tiny IDX files, with the environment a user has: no
TF_CPP_MIN_LOG_LEVEL (unless a test sets one).
"""

import os
import re

import pytest

from lrhooks.cli.console import tensorboard_command
from models.resnet_mnist import run_lock
from tests.support import programs
from tests.support.idx_files import write_tiny_mnist
from tests.support.trainer import tree_snapshot

TINY_FLAGS = ["--model=resnet", "--num_residual_units=1", "--filters=4,4,8,8", "--batch_size=8",
              "--lr_schedule=exponential_decay", "--learning_rate=0.1", "--lr_decay_steps=2",
              "--lr_decay_rate=0.5", "--lr_staircase", "--log_every_n_steps=2",
              "--save_checkpoints_steps=2", "--save_summaries_steps=1"]
# What TensorFlow prints by itself: its C++ banner, and TF1 hook messages.
TENSORFLOW_NOISE = ("oneDNN", "cuda", "cuInit", "cpu_feature_guard", "MLIR", "absl::",
                    "CheckpointSaverHook", "Graph was finalized", "local_init_op",
                    "checkpoint listeners", "Restoring parameters", "deprecat")


def plots(train_dir):
    """The summary's list of the PNG plots the trainer wrote into `train_dir`."""
    return ", ".join(str(train_dir / name)
                     for name in ("accuracy.png", "learning_rate.png", "loss.png"))


def run_program(module, *args, **env):
    environ = programs.environment(tf_log_level=None, without=("CI",), **env)
    return programs.run(programs.python_module(module, *args), env=environ, timeout=300)


def train(data_dir, train_dir, *args, **env):
    return run_program("models.resnet_mnist.train", *TINY_FLAGS, f"--data_dir={data_dir}",
                       f"--train_dir={train_dir}", *args, **env)


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    return write_tiny_mnist(tmp_path_factory.mktemp("mnist"))


@pytest.fixture(scope="module")
def finished(tiny_data, tmp_path_factory):
    """A run trained to step 4 in two commands (to 2, then resumed to 4): the fast tier's one
    real trainer run, as a user runs it (the tests of this file not marked slow)."""
    train_dir = tmp_path_factory.mktemp("runs") / "tiny"
    first = train(tiny_data, train_dir, "--train_steps=2")
    assert first.returncode == 0, first.stderr[-3000:]
    second = train(tiny_data, train_dir, "--train_steps=4")
    assert second.returncode == 0, second.stderr[-3000:]
    return train_dir, first, second


def test_a_run_prints_only_its_own_lines_on_stdout(finished, tiny_data):
    train_dir, first, _ = finished
    assert first.stderr == ""  # no banner, no hook messages, no warnings
    lines = first.stdout.splitlines()
    assert all(line.startswith(("train: ", "  ")) for line in lines), first.stdout
    assert not [noise for noise in TENSORFLOW_NOISE if noise in first.stdout]
    assert lines[:4] == [
        "train: model resnet, 2,518 parameters, optimizer mom, batch 8",
        f"train: data 48 train and 21 test images from {tiny_data}",
        "train: schedule exponential_decay(learning_rate=0.1, decay_steps=2, decay_rate=0.5, "
        "staircase=True), 2 steps (0.333 epochs)",
        f"train: device CPU:0 (NHWC, fp32), train_dir {train_dir}"]
    # Log lines with the epoch; numbers rounded for people (at most 4 significant digits).
    log = [line for line in lines if line.startswith("train: step ")]
    assert [line.split("  ")[0] for line in log] == ["train: step 1/2 (50%)",
                                                     "train: step 2/2 (100%)"]
    assert "epoch 0.33" in log[-1]
    assert all(len(number.replace(".", "").lstrip("0")) <= 4
               for line in log for number in re.findall(r"loss (\S+)", line))


def test_the_summary_says_where_the_results_are(finished):
    train_dir, first, _ = finished
    lines = first.stdout.splitlines()
    done = lines.index(next(line for line in lines if line.startswith("train: done: ")))
    assert re.fullmatch(r"train: done: step 2 of 2 in \S+, [\d.]+ steps/s", lines[done])
    block = lines[done + 1:]
    assert re.fullmatch(r"  test accuracy  0\.\d{4} at step 2 \(best 0\.\d{4}\)", block[0])
    assert block[1:] == [
        f"  checkpoints    {train_dir / 'model.ckpt-2'}",
        f"  events         {train_dir} (training), {train_dir / 'eval'} (test)",
        f"  plots          {plots(train_dir)}",
        f"  TensorBoard    {tensorboard_command(str(train_dir.parent))}"]


def test_a_resumed_run_says_so(finished):
    _, _, second = finished
    assert second.stderr == ""
    assert "train: resuming at step 2 of 4" in second.stdout.splitlines()
    assert "train: done: step 4 of 4 in " in second.stdout


def unlocked(snapshot):
    """A `tree_snapshot` without the run lock's file (its record names the last trainer)."""
    return {path: state for path, state in snapshot.items() if path != run_lock.LOCK_FILE}


@pytest.mark.slow  # more real programs
def test_the_same_command_on_a_finished_run_changes_nothing(finished, tiny_data):
    train_dir, _, second = finished
    before = tree_snapshot(train_dir)
    again = train(tiny_data, train_dir, "--train_steps=4")
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.stderr == ""
    # Every file's bytes and mtime, every directory; the lock's record names the last holder.
    assert unlocked(tree_snapshot(train_dir)) == unlocked(before)
    accuracy = re.search(r"test accuracy  (0\.\d{4}) at step 4", second.stdout).group(1)
    assert again.stdout.splitlines() == [
        f"train: {train_dir} is finished (step 4 of 4); nothing to train",
        f"  test accuracy  {accuracy} at step 4 (best {accuracy})",
        f"  checkpoints    {train_dir / 'model.ckpt-4'}",
        f"  events         {train_dir} (training), {train_dir / 'eval'} (test)",
        f"  plots          {plots(train_dir)}",
        f"  TensorBoard    {tensorboard_command(str(train_dir.parent))}"]


@pytest.mark.slow  # more real programs
def test_a_run_already_past_train_steps_says_so_and_changes_nothing(finished, tiny_data):
    train_dir, _, _ = finished
    before = tree_snapshot(train_dir)
    done = train(tiny_data, train_dir, "--train_steps=3")
    assert done.returncode == 0, done.stderr[-3000:]
    assert unlocked(tree_snapshot(train_dir)) == unlocked(before)
    assert done.stdout.splitlines()[0] == (
        f"train: {train_dir} is already past --train_steps=3: its checkpoint is at step 4; "
        "nothing to train (what follows is of step 4)")
    assert re.search(r"^  test accuracy  0\.\d{4} at step 4 ", done.stdout, re.M)


@pytest.mark.slow  # more real programs
def test_a_finished_run_missing_its_final_evaluation_only_evaluates(tiny_data, tmp_path):
    """Killed during its final evaluation: the rerun evaluates; it trains nothing."""
    train_dir = tmp_path / "run"
    assert train(tiny_data, train_dir, "--train_steps=2", "--nofinal_eval").returncode == 0
    checkpoints = {name: data for name, data in tree_snapshot(train_dir).items() if "ckpt" in name}
    done = train(tiny_data, train_dir, "--train_steps=2")
    assert done.returncode == 0, done.stderr[-3000:]
    assert {name: data for name, data in tree_snapshot(train_dir).items()
            if "ckpt" in name} == checkpoints
    assert re.search(r"^  test accuracy  0\.\d{4} at step 2 ", done.stdout, re.M)
    assert os.path.isdir(train_dir / "eval")


@pytest.mark.slow  # more real programs
def test_a_data_error_is_one_line_with_nothing_before_it(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    done = train(empty, tmp_path / "run", "--train_steps=2")
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == (f"train: error: {empty}: MNIST directory is empty, expected "
                           "train-images-idx3-ubyte[.gz] + train-labels-idx1-ubyte[.gz] or "
                           "mnist.npz\n")


@pytest.mark.slow  # more real programs
def test_verbose_shows_tensorflows_own_lines(tiny_data, tmp_path):
    done = train(tiny_data, tmp_path / "run", "--train_steps=1", "--nofinal_eval", "--verbose")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Create CheckpointSaverHook" in done.stderr and "Graph was finalized" in done.stderr
    assert "train: done: step 1 of 1" in done.stdout


@pytest.mark.slow  # more real programs
def test_the_evaluator_prints_its_own_line(finished, tiny_data):
    train_dir, _, _ = finished
    done = run_program("models.resnet_mnist.eval", f"--data_dir={tiny_data}",
                       f"--train_dir={train_dir}", f"--eval_dir={train_dir.parent / 'ev'}",
                       "--eval_once")
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stderr == ""
    assert re.fullmatch(r"eval: step 4: accuracy 0\.\d{4}, loss [\d.]+, best accuracy "
                        r"0\.\d{4} \(21 test images\)\n", done.stdout)


@pytest.mark.slow  # more real programs
def test_the_range_test_prints_its_own_lines(tiny_data, tmp_path):
    done = train(tiny_data, tmp_path / "run", "--lr_range_test", "--range_test_steps=10")
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stderr == ""
    lines = done.stdout.splitlines()
    assert lines[0] == (f"train: range test: rates 1e-05 to 10 over 10 steps, curve in "
                        f"{tmp_path / 'run_range_test'}")
    log = [line for line in lines if line.startswith("train: step ")]
    # About ten log lines: every step of a 10-step ramp.
    assert [line.split("  ")[0] for line in log] == [
        f"train: step {step}/10 ({10 * step}%)" for step in range(1, 11)]
    assert any(line.startswith("suggested rate (steepest descent): ") for line in lines)
