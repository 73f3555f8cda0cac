"""Trains flagfiles and reports test accuracy, wall time and time to 99.0%.

Each flagfile is trained from scratch in a fresh temporary train_dir (the
flagfile's own --train_dir is never touched), evaluating the whole test set
every --eval_every steps inside the process; evaluation time is excluded from
the training time. The data directory comes from --data_dir, else
$LRHOOKS_MNIST_DIR, else ../shared/data/mnist beside the checkout.

    python bench/accuracy.py models/resnet_mnist/configs/quick.flags [more.flags ...]
        [--eval_every 100] [--target 0.99] [--train_steps=500 (any trainer flag) ...]
"""

import argparse
import dataclasses
import os
import pathlib
import platform
import shutil
import sys
import tempfile

import tensorflow as tf
from absl import flags

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))  # run from a checkout

from models.resnet_mnist import config as config_lib
from models.resnet_mnist import console as console_lib
from models.resnet_mnist import devices
from models.resnet_mnist import evaluation
from models.resnet_mnist import loop as loop_lib

REPO = pathlib.Path(__file__).resolve().parent.parent


def default_data_dir() -> str:
    return os.environ.get("LRHOOKS_MNIST_DIR") or str(REPO.parent / "shared" / "data" / "mnist")


def run_flagfile(path: str, data_dir: str, eval_every: int, overrides):
    values = flags.FlagValues()
    config_lib.define_flags(values)
    train_dir = tempfile.mkdtemp(prefix="lrhooks-accuracy-")
    try:
        values(["accuracy", f"--flagfile={path}", *overrides, f"--data_dir={data_dir}",
                f"--train_dir={train_dir}"])
        config = config_lib.config_from_flags(values.flag_values_dict())
        config = dataclasses.replace(config, eval_every_n_steps=eval_every, plots=False)
        result = loop_lib.train(config)
        # The last checkpoint scored again in float32 (the in-process evaluations ran in the
        # training session's precision); with --ema_decay, from the averaged weights.
        checkpoint = evaluation.run(data_dir, train_dir, os.path.join(train_dir, "fp32_eval"),
                                    eval_once=True, batch_size=config.eval_batch_size)
        return config, result, checkpoint.accuracy
    finally:
        shutil.rmtree(train_dir, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("flagfiles", nargs="+")
    parser.add_argument("--data_dir", default=default_data_dir())
    parser.add_argument("--eval_every", type=int, default=100)
    parser.add_argument("--target", type=float, default=0.99)
    # Any other --flag=value is a trainer flag that overrides the flagfiles' value.
    args, overrides = parser.parse_known_args()
    console_lib.setup_logging(console_lib.Console("bench"), verbose=True)
    rows = []
    for path in args.flagfiles:
        config, result, checkpoint = run_flagfile(path, args.data_dir, args.eval_every,
                                                  overrides)
        history = result.eval_history
        reached = next((r for r in history if r.accuracy >= args.target), None)
        precision = devices.placement(config).precision
        rows.append((os.path.basename(path), precision, config.train_steps,
                     history[-1].accuracy, checkpoint,
                     max(r.accuracy for r in history), history[-1].train_seconds,
                     result.wall_seconds, reached))
        print(f"{os.path.basename(path)}: " + ", ".join(
            f"{r.step}:{r.accuracy:.4f}@{r.train_seconds:.0f}s" for r in history), flush=True)
    print(f"\nTensorFlow {tf.__version__}, {os.cpu_count()} CPUs, {platform.processor() or platform.machine()}; "
          "trained on the first 24,345 MNIST training images, evaluated on the full official "
          "10,000-image test set")
    print("In-process evaluations run in the training session (its precision); the final "
          "checkpoint evaluation runs in float32 (with --ema_decay: the averaged weights).")
    print(f"| flagfile | precision | steps | final test acc | final checkpoint (fp32) | best | "
          f"train s | wall s | first >= {args.target:.1%} (step, train s) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, precision, steps, final, checkpoint, best, train_s, wall_s, reached in rows:
        first = f"{reached.step}, {reached.train_seconds:.0f} s" if reached else "not reached"
        print(f"| {name} | {precision} | {steps} | {final:.2%} | {checkpoint:.2%} | {best:.2%} | "
              f"{train_s:.0f} | {wall_s:.0f} | {first} |")


if __name__ == "__main__":
    main()
