"""What verifying the checkpoint to restore costs on the reference ResNet.

    python bench/checkpoint_verify.py [--flagfile models/resnet_mnist/configs/resnet.flags]

Builds the trainer's graph of the flagfile's model (no training, no data: zero images of
the right shape), saves one checkpoint as the trainer's Saver does, then times
`checkpoints.problem` (reading the index and every tensor, checksums included) and
`checkpoints.select` (what a restart runs) five times each; prints the medians.
"""

import argparse
import dataclasses
import os
import statistics
import sys
import tempfile
import time

import numpy as np
import tensorflow as tf
from absl import flags

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from models.resnet_mnist import checkpoints  # pylint: disable=wrong-import-position
from models.resnet_mnist import config as config_lib  # pylint: disable=wrong-import-position
from models.resnet_mnist import devices  # pylint: disable=wrong-import-position
from models.resnet_mnist import graph as graph_lib  # pylint: disable=wrong-import-position

tf1 = tf.compat.v1


def median_seconds(function, repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flagfile", default="models/resnet_mnist/configs/resnet.flags")
    args = parser.parse_args()
    values = flags.FlagValues()
    config_lib.define_flags(values)
    with tempfile.TemporaryDirectory() as train_dir:
        values(["bench", f"--flagfile={args.flagfile}", "--data_dir=unused",
                f"--train_dir={train_dir}"])
        config = dataclasses.replace(config_lib.config_from_flags(values.flag_values_dict()),
                                     device="cpu")
        fake = (np.zeros((config.batch_size, 28, 28), np.uint8),
                np.zeros((config.batch_size,), np.uint8))
        built = graph_lib.build_graph(config, devices.placement(config), fake)
        with built.graph.as_default():
            saver = checkpoints.saver()
            with tf1.Session() as session:
                session.run(tf1.global_variables_initializer())
                prefix = saver.save(session, os.path.join(train_dir, checkpoints.BASENAME),
                                    global_step=0, write_meta_graph=False)
        size = sum(os.path.getsize(os.path.join(train_dir, name))
                   for name in os.listdir(train_dir) if name.startswith(checkpoints.BASENAME))
        verify = median_seconds(lambda: checkpoints.problem(prefix))
        select = median_seconds(lambda: checkpoints.select(train_dir))
        print(f"{args.flagfile}: checkpoint {size / 1e6:.2f} MB "
              f"({len(tf.train.list_variables(prefix))} tensors); verify {verify * 1e3:.1f} ms, "
              f"select {select * 1e3:.1f} ms (medians of 5)")


if __name__ == "__main__":
    main()
