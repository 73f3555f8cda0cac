"""How long the trainer's session takes to close after its last step, with and without autotuning.

Runs the trainer in-process (`loop.train`, the real graph, hooks and MonitoredTrainingSession)
for --steps steps and times `Session.close` (the call that blocked, inside
`MonitoredSession.__exit__`), for two variants of the input pipelines:

  autotune on   tf.data's default: the iterator starts the autotune model thread, which sleeps
                between optimizations for a period that doubles up to 60 s; closing joins it
                (the trainer before its input pipelines turned autotuning off).
  autotune off  `data._without_autotune_thread` (the trainer now): no model thread.

A stop by signal takes the same path (the session closes after the current step), so the figure
holds for Ctrl-C too. The model thread is meant to be woken when the iterator is cancelled, but
that wake-up can be lost (tsl's CancellationManager runs its callbacks before it reports itself
cancelled, and the woken thread, seeing no cancellation yet, sleeps out its period), so the
stall is a race: some runs close at once, others wait up to the period, which grows with the
time the iterator has run (about 60 s after a minute). Hence several rounds, and --steps
matters (quick.flags: 1500). Rounds alternate the variants. Prints a table.

    python bench/close_time.py [--rounds 4] [--steps 1500]
        [--flagfile models/resnet_mnist/configs/quick.flags] [--data_dir DIR]
"""

import argparse
import dataclasses
import os
import pathlib
import platform
import shutil
import statistics
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # run from a checkout

from lrhooks.cli import console  # noqa: E402

console.import_tensorflow_quietly(verbose=False)

from absl import flags  # noqa: E402
import tensorflow as tf  # noqa: E402

from models.resnet_mnist import config as config_lib  # noqa: E402
from models.resnet_mnist import data as data_lib  # noqa: E402
from models.resnet_mnist import loop as loop_lib  # noqa: E402

tf1 = tf.compat.v1
VARIANTS = ("autotune on", "autotune off")


class CloseTimer:
    """Times every `tf.compat.v1.Session.close` while installed."""

    def __init__(self):
        self.seconds = []
        self._original = tf1.Session.close

    def __enter__(self):
        timer, original = self, self._original

        def close(session):
            started = time.perf_counter()
            original(session)
            timer.seconds.append(time.perf_counter() - started)

        tf1.Session.close = close
        return self

    def __exit__(self, *exc_info):
        tf1.Session.close = self._original


def run_once(config, variant: str):
    """(train seconds, close seconds) of one run of `config` in a fresh train_dir."""
    original = data_lib._without_autotune_thread  # pylint: disable=protected-access
    if variant == "autotune on":
        data_lib._without_autotune_thread = lambda ds: ds  # pylint: disable=protected-access
    train_dir = tempfile.mkdtemp(prefix="close_time_")
    try:
        with CloseTimer() as timer:
            result = loop_lib.train(dataclasses.replace(config, train_dir=train_dir))
        assert result.global_step == config.train_steps, result.global_step
        return result.wall_seconds, max(timer.seconds)
    finally:
        data_lib._without_autotune_thread = original  # pylint: disable=protected-access
        shutil.rmtree(train_dir, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--flagfile", default=str(REPO / "models/resnet_mnist/configs/quick.flags"))
    parser.add_argument("--data_dir", default=os.environ.get(
        "LRHOOKS_MNIST_DIR", str(REPO.parent / "shared" / "data" / "mnist")))
    args = parser.parse_args()
    config_lib.define_flags()
    flags.FLAGS([sys.argv[0], f"--flagfile={args.flagfile}", f"--data_dir={args.data_dir}",
                 f"--train_steps={args.steps}", "--progress=never", "--nofinal_eval",
                 f"--log_every_n_steps={args.steps}"])
    config = config_lib.config_from_flags(flags.FLAGS.flag_values_dict())
    results = {variant: [] for variant in VARIANTS}
    for round_index in range(args.rounds):
        order = VARIANTS if round_index % 2 == 0 else VARIANTS[::-1]
        for variant in order:
            train_seconds, close_seconds = run_once(config, variant)
            results[variant].append((train_seconds, close_seconds))
            print(f"round {round_index + 1}: {variant}: train {train_seconds:.1f} s, "
                  f"Session.close {close_seconds:.2f} s", file=sys.stderr, flush=True)
    print(f"\n{os.path.basename(args.flagfile)}, {args.steps} steps, {args.rounds} rounds; "
          f"TensorFlow {tf.__version__}, Python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs\n")
    print("| variant       | run s, close excluded (median) | Session.close s, each round    "
          "| close s (median) |")
    print("|---------------|--------------------------------|--------------------------------"
          "|------------------|")
    for variant in VARIANTS:
        runs = [t - c for t, c in results[variant]]
        closes = [c for _, c in results[variant]]
        print(f"| {variant:<13} | {statistics.median(runs):30.1f} | "
              f"{', '.join(f'{c:.2f}' for c in closes):<30} | {statistics.median(closes):16.2f} |")


if __name__ == "__main__":
    main()
