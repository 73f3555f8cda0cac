"""A finished run's rerun answers from its record (`finished_runs.py`) without TensorFlow, and
anything the record does not cover takes the TensorFlow path and prints the same summary."""

import json
import os
import shutil

import pytest

from models.resnet_mnist import finished_runs
from models.resnet_mnist import run_lock
from tests.support import programs
from tests.support.idx_files import write_tiny_mnist
from tests.support.trainer import tree_snapshot

pytestmark = pytest.mark.slow  # real trainer runs

TINY_FLAGS = ["--model=cnn", "--batch_size=8", "--lr_schedule=constant", "--learning_rate=0.1",
              "--log_every_n_steps=1", "--save_checkpoints_steps=2"]
# The program as a user runs it, then whether it imported TensorFlow.
RUN_MODULE = """
import runpy, sys
sys.argv = ["models.resnet_mnist.train"] + {args!r}
code = 0
try:
    runpy.run_module("models.resnet_mnist.train", run_name="__main__")
except SystemExit as stop:
    code = stop.code or 0
sys.stdout.flush()
print("TENSORFLOW_IMPORTED", "tensorflow" in sys.modules)
sys.exit(code)
"""


def train(data_dir, train_dir, *args, stderr=None):
    """(exit status, stdout less the import line, whether TensorFlow was imported); `stderr`:
    a list that receives the program's stderr."""
    argv = [*TINY_FLAGS, f"--data_dir={data_dir}", f"--train_dir={train_dir}", *args]
    done = programs.run(programs.python_code(RUN_MODULE.format(args=[str(a) for a in argv])),
                        env=programs.environment(tf_log_level=None, without=("CI",)),
                        timeout=300)
    if stderr is not None:
        stderr.append(done.stderr)
    lines = done.stdout.splitlines()
    assert lines and lines[-1].startswith("TENSORFLOW_IMPORTED"), done.stderr[-3000:]
    return done.returncode, "\n".join(lines[:-1]), lines[-1].endswith("True")


def snapshot(train_dir):
    state = tree_snapshot(train_dir)
    state.pop(run_lock.LOCK_FILE)  # its holder record changes on every run, as it always did
    state.pop(".")  # the lock file's change of size is no new name
    return state


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A run trained to step 2, and the summary the TensorFlow path prints for it."""
    data = write_tiny_mnist(tmp_path_factory.mktemp("mnist"))
    train_dir = tmp_path_factory.mktemp("runs") / "tiny"
    code, _, _ = train(data, train_dir, "--train_steps=2")
    assert code == 0
    record = train_dir / finished_runs.RECORD_FILE
    assert json.loads(record.read_text())["step"] == 2
    record.unlink()  # a deleted record: the TensorFlow path, which writes it again
    code, slow, imported = train(data, train_dir, "--train_steps=2")
    assert (code, imported) == (0, True)
    assert f"train: {train_dir} is finished (step 2 of 2); nothing to train" in slow
    assert "test accuracy  " in slow and "checkpoints    " in slow
    assert record.is_file()
    return data, train_dir, slow


def test_a_rerun_prints_the_same_summary_without_tensorflow_and_changes_nothing(run):
    data, train_dir, slow = run
    before = snapshot(train_dir)
    code, fast, imported = train(data, train_dir, "--train_steps=2")
    assert (code, imported) == (0, False)
    assert fast == slow
    assert snapshot(train_dir) == before


def test_a_smaller_train_steps_is_answered_as_already_past(run):
    data, train_dir, _ = run
    code, fast, imported = train(data, train_dir, "--train_steps=1")
    assert (code, imported) == (0, False)
    assert fast.splitlines()[0] == (f"train: {train_dir} is already past --train_steps=1: its "
                                    "checkpoint is at step 2; nothing to train (what follows "
                                    "is of step 2)")


@pytest.mark.parametrize("change", ["touched checkpoint", "damaged record", "link at record",
                                    "other settings"])
def test_what_the_record_does_not_cover_takes_the_tensorflow_path(run, change, tmp_path):
    data, train_dir, slow = run
    record = train_dir / finished_runs.RECORD_FILE
    kept = record.read_bytes()
    args = ["--train_steps=2"]
    if change == "touched checkpoint":
        index = next(train_dir.glob("model.ckpt-2.index"))
        os.utime(index, ns=(index.stat().st_atime_ns, index.stat().st_mtime_ns + 1000))
    elif change == "damaged record":
        record.write_bytes(kept[: len(kept) // 2])
    elif change == "link at record":
        target = tmp_path / "elsewhere.json"
        target.write_bytes(kept)
        record.unlink()
        record.symlink_to(target)
    else:
        args.append("--seed=1")
    code, out, imported = train(data, train_dir, *args)
    assert (code, imported) == (0, True)
    assert out == slow
    assert record.is_file() and not record.is_symlink()  # written again by the slow path
    if change == "other settings":  # the record is the last command's: back to the first
        code, out, imported = train(data, train_dir, "--train_steps=2")
        assert (code, out, imported) == (0, slow, True)


def test_a_larger_train_steps_trains_on(run, tmp_path):
    data, train_dir, _ = run
    copy = tmp_path / "copy"
    shutil.copytree(train_dir, copy)
    code, out, imported = train(data, copy, "--train_steps=3")
    assert (code, imported) == (0, True)
    assert "train: done: step 3 of 3" in out
    assert json.loads((copy / finished_runs.RECORD_FILE).read_text())["step"] == 3


def test_a_rerun_while_another_trainer_holds_the_lock_says_so_in_one_line(run):
    data, train_dir, _ = run
    stderr = []
    with run_lock.RunLock(str(train_dir)) as lock:
        lock.take()
        code, out, _ = train(data, train_dir, "--train_steps=2", stderr=stderr)
    assert (code, out) == (1, "")
    assert stderr[0].count("\n") == 1 and "is in use by another trainer" in stderr[0]
