"""A closed stdout stops nothing: `train | head -3`, `| tee` and Ctrl-C, `preview | head`.

The programs run as real processes whose stdout is a pipe that the test closes (as `head`
does after its lines, or as a Ctrl-C does to `tee`, which dies first). What they write
afterwards is dropped; the run goes on (or stops as on the signal, with its checkpoint) and
exits as documented, with no traceback and no "Exception ignored" from the exit-time flush.
"""

import os
import signal
import subprocess

import pytest

from tests.support import programs, trainer_runs
from tests.support.trainer_runs import checkpoint_step, command

pytestmark = pytest.mark.slow  # real trainer, evaluator and plot processes

QUIET = ("Traceback", "Exception ignored", "BrokenPipeError", "Broken pipe")


def _data(tmp_path):
    (tmp_path / "data").mkdir()
    return trainer_runs.write_tiny_mnist(tmp_path / "data")


def _start(cmd, stderr_path, **popen):
    return programs.start(cmd, stderr=open(stderr_path, "w"), **popen)


def _assert_quiet(stderr: str):
    assert not [word for word in QUIET if word in stderr], stderr[-3000:]


@pytest.fixture(scope="module")
def run_after_head(tmp_path_factory):
    """`train ... | head -3`: the trainer's exit status, stderr and its train_dir."""
    tmp_path = tmp_path_factory.mktemp("head")
    data_dir = _data(tmp_path)
    train_dir = tmp_path / "run"
    trainer = _start(command(data_dir, train_dir, "--train_steps=12", "--log_every_n_steps=1"),
                     tmp_path / "stderr")
    lines = [trainer.stdout.readline() for _ in range(3)]
    trainer.stdout.close()  # `head -3` exits
    code = trainer.wait(timeout=300)
    assert all(line.startswith("train: ") for line in lines), lines
    return code, (tmp_path / "stderr").read_text(), train_dir, data_dir


def test_train_piped_to_head_trains_every_step_and_writes_its_checkpoint(run_after_head):
    code, stderr, train_dir, _ = run_after_head
    assert code == 0, stderr[-3000:]
    _assert_quiet(stderr)
    assert checkpoint_step(train_dir) == 12
    assert (train_dir / "loss.png").is_file()  # the end of the run still happened


@pytest.mark.parametrize("program", ["eval", "plot"])
def test_eval_and_plot_with_a_closed_stdout_do_their_work_and_exit_0(run_after_head, tmp_path,
                                                                    program):
    _, _, train_dir, data_dir = run_after_head
    out = tmp_path / "out"
    cmd = (trainer_runs.eval_command(f"--data_dir={data_dir}", f"--train_dir={train_dir}",
                                     f"--eval_dir={out}", "--eval_once")
           if program == "eval" else
           programs.python_module("lrhooks.plot", f"--logdir={train_dir}", f"--out={out}"))
    process = _start(cmd, tmp_path / "stderr")
    process.stdout.close()  # nobody reads: every line it prints meets a closed pipe
    code = process.wait(timeout=300)
    stderr = (tmp_path / "stderr").read_text()
    assert code == 0, stderr[-3000:]
    _assert_quiet(stderr)
    written = sorted(os.listdir(out))
    if program == "eval":
        assert "best_accuracy.json" in written
    else:
        assert "loss.png" in written


def test_ctrl_c_on_train_piped_to_tee_exits_130_with_its_checkpoint(tmp_path):
    data_dir = _data(tmp_path)
    train_dir, log = tmp_path / "run", tmp_path / "run.log"
    trainer = _start(command(data_dir, train_dir, "--train_steps=100000",
                             "--log_every_n_steps=1", "--save_checkpoints_steps=100000"),
                     tmp_path / "stderr", preexec_fn=os.setpgrp)  # a job of a shell
    tee = programs.start(["tee", log], stdin=trainer.stdout, stdout=subprocess.DEVNULL,
                         stderr=None,
                         preexec_fn=lambda: os.setpgid(0, trainer.pid))  # the same job
    trainer.stdout.close()  # tee holds the only read end
    try:
        trainer_runs.wait_for(lambda: log.exists() and "train: step 3/" in log.read_text(),
                              what="step 3")  # tee creates the log when it starts
        os.killpg(trainer.pid, signal.SIGINT)  # Ctrl-C: the whole process group
        code = trainer.wait(timeout=300)
    finally:
        for process in (trainer, tee):
            if process.poll() is None:
                process.kill()
    tee.wait(timeout=60)
    stderr = (tmp_path / "stderr").read_text()
    assert code == 130, stderr[-3000:]
    _assert_quiet(stderr)
    stopped = [line for line in stderr.splitlines()
               if line.startswith("train: stopped by signal 2")]
    assert len(stopped) == 1, stderr[-3000:]
    step = checkpoint_step(train_dir)
    assert step is not None and step >= 3
    assert f"at step {step};" in stopped[0]


def test_preview_piped_to_head_exits_quietly(tmp_path):
    preview = _start(programs.python_module("lrhooks.preview", "--lr_schedule=cosine_decay",
                                            "--learning_rate=0.1", "--lr_decay_steps=100",
                                            "--steps=100"),
                     tmp_path / "stderr")
    first = preview.stdout.readline()
    preview.stdout.close()
    code = preview.wait(timeout=120)
    stderr = (tmp_path / "stderr").read_text()
    assert first.startswith("cosine_decay(")
    assert code == 0, stderr
    assert stderr == ""
