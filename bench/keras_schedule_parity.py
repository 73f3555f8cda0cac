"""The reference trainer's schedule in a Keras 3 `fit` run: the rate of every step, compared.

Reads the trainer's flagfile (default `models/resnet_mnist/configs/quick.flags`: Adam,
a staircase `exponential_decay` template resolved with its `--train_steps`), builds its
schedule as the trainer does (`config_from_flags`), and trains the trainer's network twin
(`bench/keras_resnet.py`) with `model.fit` for `--train_steps` steps of `--batch_size`
(random MNIST-shaped data: the rate does not depend on it), the optimizer's rate being
`lrhooks.keras.KerasSchedule(<the schedule's spec>)`. The optimizer records the rate each
update received (a numpy function in Adam's `update_step`); every step's rate is compared
with `lrhooks.from_spec(<spec>)(step)` rounded to float32. Prints the count of steps
compared and the largest difference.

    python bench/keras_schedule_parity.py [--flagfile F] [--steps N] [--table_steps T]
"""

import argparse
import os
import pathlib
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))  # run from a checkout

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from absl import flags  # noqa: E402

import lrhooks  # noqa: E402
from lrhooks import keras as lrkeras  # noqa: E402
from bench import keras_resnet  # noqa: E402
from models.resnet_mnist import config as config_lib  # noqa: E402


class RecordingAdam(keras.optimizers.Adam):
    """Adam whose updates record (step, rate received) through a numpy function."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.applied = {}

    def _record(self, step, rate):
        self.applied.setdefault(int(step), set()).add(float(rate))
        return np.int64(0)

    def update_step(self, gradient, variable, learning_rate):
        record = tf.numpy_function(self._record, [self.iterations, learning_rate], tf.int64,
                                   stateful=True)
        with tf.control_dependencies([record]):
            return super().update_step(gradient, variable, learning_rate)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--flagfile", default="models/resnet_mnist/configs/quick.flags")
    parser.add_argument("--steps", type=int, default=None, help="default: --train_steps")
    parser.add_argument("--table_steps", type=int, default=0,
                        help="KerasSchedule's table (0: every step calls Python)")
    args = parser.parse_args()

    values = flags.FlagValues()
    config_lib.define_flags(values)
    values(["parity", f"--flagfile={args.flagfile}", "--data_dir=unused", "--train_dir=unused"])
    flag_values = values.flag_values_dict()
    config = config_lib.config_from_flags(flag_values)
    hparams = config_lib.hparams_from_flags(flag_values)
    text = lrhooks.spec.spec(config.schedule)
    reference = lrhooks.from_spec(text)
    steps = args.steps or flag_values["train_steps"]
    batch = flag_values["batch_size"]

    optimizer = RecordingAdam(lrkeras.KerasSchedule(text, table_steps=args.table_steps))
    model = keras_resnet.build_keras_cnn(hparams)
    model.compile(optimizer=optimizer, loss=keras.losses.SparseCategoricalCrossentropy(
        from_logits=True))
    rng = np.random.default_rng(0)
    images = rng.random((steps * batch, 28, 28, 1), dtype=np.float32)
    labels = rng.integers(0, 10, steps * batch)
    start = time.perf_counter()
    model.fit(images, labels, batch_size=batch, epochs=1, verbose=0, shuffle=False)
    seconds = time.perf_counter() - start

    assert sorted(optimizer.applied) == list(range(steps)), "a step was not recorded"
    assert all(len(rates) == 1 for rates in optimizer.applied.values()), "variables differ"
    got = np.array([next(iter(optimizer.applied[step])) for step in range(steps)])
    exact = np.array([reference(step) for step in range(steps)], np.float64)
    difference = np.abs(got - exact.astype(np.float32).astype(np.float64))
    print(f"flagfile {args.flagfile}: schedule {text}")
    print(f"keras {keras.__version__}, tensorflow {tf.__version__}: {steps} steps of batch "
          f"{batch} in {seconds:.1f} s (table_steps={args.table_steps})")
    print(f"steps compared: {steps}; largest difference from from_spec(...)(step) in float32: "
          f"{difference.max():.3g} (relative to float64: "
          f"{np.max(np.abs(got - exact) / np.maximum(exact, 1e-300)):.3g}, float32 rounding)")
    changes = [step for step in range(1, steps) if got[step] != got[step - 1]]
    print(f"first steps at a new rate: {changes[:10]}")
    return 0 if difference.max() == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
