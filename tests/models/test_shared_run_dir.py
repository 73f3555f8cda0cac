"""A run directory others can reach: one trainer at a time, no write through a planted link,
a finished run whose plots a kill damaged redraws them.

The program tests run the real trainer as a subprocess (the tiny ResNet); the lock's own
rules are checked in this process (flock locks of two opens conflict within one process too).
"""

import os
import signal
import socket

import pytest

from lrhooks import plot
from models.resnet_mnist import faults
from models.resnet_mnist import run_lock
from tests.support.trainer_runs import checkpoint_step, command, error_lines, run, start, wait_for

OUTSIDE = b"a file outside the run directory: must never change\n"


def test_a_second_take_is_refused_naming_the_holder_and_free_after_release(tmp_path):
    first = run_lock.RunLock(str(tmp_path))
    first.take()
    with pytest.raises(faults.UserError) as refused:
        run_lock.RunLock(str(tmp_path)).take()
    message = str(refused.value)
    assert "\n" not in message
    assert f"pid {os.getpid()} on host {socket.gethostname()} (since " in message
    assert "is in use by another trainer" in message
    first.release()
    assert (tmp_path / run_lock.LOCK_FILE).read_bytes() == b""  # a clean end leaves no holder
    second = run_lock.RunLock(str(tmp_path))
    second.take()
    second.release()


def test_a_lock_file_left_by_a_dead_trainer_is_taken_over(tmp_path):
    (tmp_path / run_lock.LOCK_FILE).write_text(  # kill -9: the record stays, the flock does not
        "host=elsewhere\npid=999999\nsince=2020-01-01 00:00:00 UTC\n")
    lock = run_lock.RunLock(str(tmp_path))
    lock.take()
    record = (tmp_path / run_lock.LOCK_FILE).read_text()
    assert f"pid={os.getpid()}\n" in record and "elsewhere" not in record
    lock.release()


@pytest.mark.parametrize("plant", ["symlink", "fifo"])
def test_a_planted_lock_file_is_refused_in_one_line_and_never_followed(tmp_path, plant):
    outside = tmp_path / "outside"
    outside.write_bytes(OUTSIDE)
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    if plant == "symlink":
        os.symlink(outside, run_dir / run_lock.LOCK_FILE)
    else:
        os.mkfifo(run_dir / run_lock.LOCK_FILE)
    with pytest.raises(faults.UserError, match="remove it and run the same command again"):
        run_lock.RunLock(str(run_dir)).take()
    assert outside.read_bytes() == OUTSIDE


@pytest.mark.slow  # real trainer processes
def test_a_second_trainer_on_a_running_directory_exits_1_naming_the_first(data_dir, tmp_path):
    train_dir = tmp_path / "run"
    first = start(command(data_dir, train_dir, "--train_steps=100000",
                          "--save_checkpoints_steps=20"))
    try:
        wait_for(lambda: checkpoint_step(train_dir) not in (None, 0) or first.poll() is not None,
                 timeout=240, what="the first trainer's first checkpoint after step 0")
        assert first.poll() is None, first.communicate()[1][-3000:]
        second = run(command(data_dir, train_dir, "--train_steps=100000",
                             "--save_checkpoints_steps=20"))
        assert second.returncode == 1, second.stderr[-3000:]
        assert "Traceback" not in second.stderr
        (line,) = error_lines(second.stderr)
        assert f"is in use by another trainer: pid {first.pid} on host " in line
        assert "(since 20" in line
        assert "done" not in second.stdout
        assert first.poll() is None  # the first runs on
    finally:
        first.send_signal(signal.SIGTERM)
        _, stderr = first.communicate(timeout=240)
    assert first.returncode == 128 + signal.SIGTERM, stderr[-3000:]


# Every name the trainer writes in a run directory (and the fixed temporary names it used to
# write through), with a link to a file outside planted at each.
PLANTED = [".write_probe", "train_config.json", "train_config.json.tmp", "checkpoint.tmp",
           "learning_rate.png", "loss.png", "accuracy.png", "eval/best_accuracy.json",
           "eval/best_accuracy.json.tmp"]


@pytest.mark.slow  # real trainer processes
def test_a_link_planted_at_the_eval_directory_is_refused_before_training(data_dir, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    train_dir = tmp_path / "run"
    train_dir.mkdir()
    os.symlink(outside, train_dir / "eval")
    result = run(command(data_dir, train_dir, "--train_steps=2", "--final_eval"))
    assert result.returncode == 1, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    (line,) = error_lines(result.stderr)
    assert "the evaluation directory cannot be written" in line
    assert "is a symbolic link, which the trainer never follows" in line
    assert list(outside.iterdir()) == []
    assert checkpoint_step(train_dir) is None


def plant_links(train_dir, outside):
    for name in PLANTED:
        path = train_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if os.path.lexists(path):
            os.remove(path)
        os.symlink(outside, path)


@pytest.mark.slow  # real trainer processes
def test_links_planted_at_every_name_are_never_written_through(data_dir, tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_bytes(OUTSIDE)
    train_dir = tmp_path / "run"
    plant_links(train_dir, outside)
    done = run(command(data_dir, train_dir, "--train_steps=2", "--final_eval"))
    assert done.returncode == 0, done.stderr[-3000:]
    assert outside.read_bytes() == OUTSIDE
    plant_links(train_dir, outside)  # again, now also where a resumed run writes its index
    done = run(command(data_dir, train_dir, "--train_steps=4", "--final_eval"))
    assert done.returncode == 0, done.stderr[-3000:]
    assert outside.read_bytes() == OUTSIDE
    assert checkpoint_step(train_dir) == 4
    for name in ("train_config.json", "learning_rate.png", "eval/best_accuracy.json"):
        assert not os.path.islink(train_dir / name), name  # the link was replaced
    assert all(plot.is_complete_png(str(train_dir / f"{name}.png"))
               for name in ("learning_rate", "loss", "accuracy"))


@pytest.mark.slow  # real trainer processes
def test_a_finished_run_redraws_the_plots_a_kill_left_damaged(data_dir, tmp_path):
    train_dir = tmp_path / "run"
    args = ["--train_steps=2", "--final_eval"]
    done = run(command(data_dir, train_dir, *args))
    assert done.returncode == 0, done.stderr[-3000:]
    accuracy = (train_dir / "accuracy.png").read_bytes()
    os.truncate(train_dir / "learning_rate.png", 0)  # kill -9 while savefig wrote it
    (train_dir / "loss.png").unlink()  # ... before it drew the next
    again = run(command(data_dir, train_dir, *args))
    assert again.returncode == 0, again.stderr[-3000:]
    redrew = [line for line in again.stdout.splitlines() if "redrew" in line]
    assert redrew == [f"train: redrew learning_rate.png, loss.png in {train_dir}: missing or "
                      "damaged (a run stopped while drawing them)"]
    assert plot.is_complete_png(str(train_dir / "learning_rate.png"))
    assert plot.is_complete_png(str(train_dir / "loss.png"))
    assert (train_dir / "accuracy.png").read_bytes() == accuracy  # an intact plot is kept
    assert "is finished" in again.stdout and "learning_rate.png" in again.stdout.split(
        "plots", 1)[1]
    third = run(command(data_dir, train_dir, *args))  # complete now: nothing more to redraw
    assert third.returncode == 0 and "redrew" not in third.stdout, third.stderr[-3000:]
