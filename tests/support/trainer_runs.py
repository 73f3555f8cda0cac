"""Running the real trainer and evaluator as subprocesses (the fault tests' helpers)."""

import pathlib
import shutil
import time

import tensorflow as tf

from tests.support import programs
from tests.support.idx_files import make_split, write_mnist
from tests.support.programs import REPO_ROOT as REPO, environment

# A ResNet small enough for many subprocess runs.
TINY = ["--model=resnet", "--num_residual_units=1", "--filters=4,4,8,8", "--batch_size=8",
        "--lr_schedule=piecewise_constant", "--lr_boundaries=30,60", "--lr_values=0.05,0.02,0.01",
        "--save_summaries_steps=1", "--log_every_n_steps=50", "--progress=never",
        "--nofinal_eval"]


def command(data_dir, train_dir, *args):
    """The trainer's command line on `data_dir` into `train_dir` (TINY, then `args`)."""
    return programs.python_module("models.resnet_mnist.train", f"--data_dir={data_dir}",
                                  f"--train_dir={train_dir}", *TINY, *args)


def eval_command(*args):
    return programs.python_module("models.resnet_mnist.eval", *args)


def run(cmd, timeout=240, **extra_env):
    """Runs `cmd` to its end in `environment(**extra_env)`; prints how long it took."""
    return programs.run(cmd, env=environment(**extra_env), timeout=timeout)


def start(cmd, **extra_env):
    """Starts `cmd` in `environment(**extra_env)`, stdout and stderr as text pipes."""
    return programs.start(cmd, env=environment(**extra_env))


def wait_for(predicate, timeout=120, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def checkpoint_step(train_dir):
    """The step of the latest checkpoint of `train_dir`, or None."""
    checkpoint = tf.train.latest_checkpoint(str(train_dir))
    return None if checkpoint is None else int(tf.train.load_variable(checkpoint, "global_step"))


def error_lines(stderr: str, program: str = "train"):
    """The lines a program prints for a fault (`<program>: error:` or `: stopped`)."""
    return [line for line in stderr.splitlines()
            if line.startswith((f"{program}: error:", f"{program}: stopped"))]


def files(directory):
    """{relative path: bytes} of every file under `directory`."""
    directory = pathlib.Path(directory)
    return {str(p.relative_to(directory)): p.read_bytes()
            for p in sorted(directory.rglob("*")) if p.is_file()}


def write_tiny_mnist(directory):
    """64 training and 12 test images (IDX, gzipped) into `directory`; returns it."""
    write_mnist(directory, "train", n=64)
    images, labels = make_split(12, seed=1)
    write_mnist(directory, "test", images=images, labels=labels)
    return directory


def trained_run(data_dir, train_dir, train_steps: int, save_every: int):
    """Trains the tiny ResNet into `train_dir` (checkpoints every `save_every` steps)."""
    done = run(command(data_dir, train_dir, f"--train_steps={train_steps}",
                       f"--save_checkpoints_steps={save_every}"))
    assert done.returncode == 0, done.stderr[-3000:]
    return train_dir


def copy_run(train_dir, tmp_path):
    """A copy of `train_dir` as `tmp_path/run`."""
    target = tmp_path / "run"
    shutil.copytree(train_dir, target)
    return target
