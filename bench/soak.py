"""Soak test: train for a set time with frequent summaries and checkpoints; watch memory and files.

Runs the trainer in-process (not in CI) with checkpoints and summaries every few steps, samples
the process's resident memory and open file descriptors every --sample_secs, and prints the
samples and their drift after a warm-up. A leak shows as memory or descriptors growing with time.

    python bench/soak.py [--minutes 10] [--flagfile models/resnet_mnist/configs/quick.flags]
        [any trainer flag, e.g. --save_checkpoints_steps=5]
"""

import argparse
import dataclasses
import os
import pathlib
import shutil
import sys
import tempfile
import time

from absl import flags

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))  # run from a checkout

from models.resnet_mnist import config as config_lib
from models.resnet_mnist import console as console_lib
from models.resnet_mnist import loop as loop_lib
import tensorflow as tf

tf1 = tf.compat.v1
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE_KB / 1024


def open_files() -> int:
    return len(os.listdir("/proc/self/fd"))


class SoakHook(tf1.train.SessionRunHook):
    """Samples memory and descriptors every `sample_secs`; stops after `seconds`."""

    def __init__(self, seconds: float, sample_secs: float):
        self.seconds, self.sample_secs = seconds, sample_secs
        self.samples = []  # (elapsed s, global step, rss MB, open fds)
        self._global_step = None

    def begin(self):
        self._global_step = tf1.train.get_global_step()

    def after_create_session(self, session, coord):
        self._start = self._next = time.monotonic()

    def after_run(self, run_context, run_values):
        now = time.monotonic()
        if now >= self._next:
            step = int(run_context.session.run(self._global_step))
            self.samples.append((now - self._start, step, rss_mb(), open_files()))
            self._next = now + self.sample_secs
        if now - self._start >= self.seconds:
            run_context.request_stop()


def slope(points):
    """Least-squares slope of (x, y) points."""
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    den = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / den if den else 0.0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--sample_secs", type=float, default=10.0)
    parser.add_argument("--flagfile", default="models/resnet_mnist/configs/quick.flags")
    parser.add_argument("--data_dir", default=os.environ.get("LRHOOKS_MNIST_DIR") or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data", "mnist"))
    args, overrides = parser.parse_known_args()
    console_lib.setup_logging(console_lib.Console("bench"), verbose=True)
    values = flags.FlagValues()
    config_lib.define_flags(values)
    train_dir = tempfile.mkdtemp(prefix="lrhooks-soak-")
    try:
        values(["soak", f"--flagfile={args.flagfile}", "--save_checkpoints_steps=5",
                "--save_summaries_steps=5", "--log_every_n_steps=500", "--progress=never",
                *overrides, f"--data_dir={args.data_dir}", f"--train_dir={train_dir}"])
        config = dataclasses.replace(config_lib.config_from_flags(values.flag_values_dict()),
                                     train_steps=10 ** 9, final_eval=False)
        hook = SoakHook(args.minutes * 60, args.sample_secs)
        result = loop_lib.train(config, extra_hooks=[hook])
        files_in_dir = len(os.listdir(train_dir))
    finally:
        shutil.rmtree(train_dir, ignore_errors=True)
    print(f"\n{result.global_step} steps in {args.minutes:g} min; checkpoints every "
          f"{config.save_checkpoints_steps} steps, summaries every {config.save_summaries_steps}; "
          f"{files_in_dir} files in train_dir at the end (max_to_keep=5)")
    print("| elapsed s | step | RSS MB | open fds |\n|---|---|---|---|")
    for elapsed, step, rss, fds in hook.samples:
        print(f"| {elapsed:.0f} | {step} | {rss:.1f} | {fds} |")
    warm = [s for s in hook.samples if s[0] >= min(120.0, args.minutes * 60 / 3)]
    if len(warm) >= 3:
        per_min = slope([(s[0] / 60, s[2]) for s in warm])
        print(f"\nafter warm-up: RSS {warm[0][2]:.1f} -> {warm[-1][2]:.1f} MB "
              f"(slope {per_min:+.2f} MB/min), open fds {warm[0][3]} -> {warm[-1][3]}")


if __name__ == "__main__":
    main()
