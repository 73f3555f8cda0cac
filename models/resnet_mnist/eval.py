"""Evaluates the trainer's checkpoints on the whole MNIST test set.

    python -m models.resnet_mnist.eval --data_dir=DIR --train_dir=DIR --eval_once
    python -m models.resnet_mnist.eval --data_dir=DIR --train_dir=DIR   # follow training

Writes `precision` and `best_precision` summaries to `--eval_dir`
(default `TRAIN_DIR/eval`) and prints them. The model configuration is read from
the `train_config.json` the trainer left in `--train_dir`. Without
`--eval_once` it waits for new checkpoints (sleeping, never spinning) and stops
after evaluating the trainer's last step, or after `--eval_timeout_secs`
without a new checkpoint.
"""

import json
import os
import sys
from typing import Optional

import tensorflow as tf
from absl import app
from absl import flags

from models.resnet_mnist import config as config_lib
from models.resnet_mnist import data as data_lib
from models.resnet_mnist import evaluation

tf1 = tf.compat.v1
FLAGS = flags.FLAGS
BEST_FILE = "best_precision.json"


def define_flags(flag_values: flags.FlagValues = FLAGS) -> None:
    fv = flag_values
    flags.DEFINE_string("data_dir", None, "Directory with the MNIST test files.", flag_values=fv)
    flags.DEFINE_string("train_dir", None, "The trainer's --train_dir.", flag_values=fv)
    flags.DEFINE_string("eval_dir", None, "Event files of the evaluation (default "
                        "TRAIN_DIR/eval).", flag_values=fv)
    flags.DEFINE_bool("eval_once", False, "Evaluate the latest checkpoint once and exit.",
                      flag_values=fv)
    flags.DEFINE_integer("eval_interval_secs", 30, "Minimum seconds between evaluations.",
                         lower_bound=1, flag_values=fv)
    flags.DEFINE_integer("eval_timeout_secs", 3600, "Stop after this long with no new "
                         "checkpoint.", lower_bound=1, flag_values=fv)
    flags.DEFINE_integer("eval_batch_size", 1000, "Evaluation batch size.", lower_bound=1,
                         flag_values=fv)


class Evaluator:
    """Restores checkpoints into an eval graph and scores the whole test set."""

    def __init__(self, data_dir: str, train_dir: str, eval_dir: str, batch_size: int):
        hparams = config_lib.read_hparams(train_dir)
        if hparams is None:
            raise ValueError(f"--train_dir {train_dir!r} has no {config_lib.CONFIG_FILE}: "
                             "is it a directory the trainer wrote?")
        images, labels = data_lib.load_mnist(data_dir, "test")
        self.eval_dir = eval_dir
        self.graph = tf.Graph()
        with self.graph.as_default():
            self.global_step = tf1.train.get_or_create_global_step()
            self.tower = evaluation.build_eval_tower(images, labels, hparams, batch_size)
            self.saver = tf1.train.Saver()
            self.writer = tf1.summary.FileWriter(eval_dir)
        self.best = self._read_best()

    def _read_best(self) -> float:
        path = os.path.join(self.eval_dir, BEST_FILE)
        if os.path.exists(path):
            with open(path) as f:
                return float(json.load(f)["best_precision"])
        return 0.0

    def _write_best(self, step: int) -> None:
        path = os.path.join(self.eval_dir, BEST_FILE)
        with open(path + ".tmp", "w") as f:
            json.dump({"best_precision": self.best, "step": step}, f)
        os.replace(path + ".tmp", path)

    def evaluate(self, checkpoint: str):
        """Scores `checkpoint`; returns (step, precision, best_precision, images seen)."""
        config = tf1.ConfigProto(allow_soft_placement=True)
        with tf1.Session(graph=self.graph, config=config) as session:
            self.saver.restore(session, checkpoint)
            step = int(session.run(self.global_step))
            precision, seen = evaluation.run_eval_pass(session, self.tower)
        self.best = max(self.best, precision)
        summary = tf1.Summary(value=[
            tf1.Summary.Value(tag="precision", simple_value=precision),
            tf1.Summary.Value(tag="best_precision", simple_value=self.best)])
        self.writer.add_summary(summary, step)
        self.writer.flush()
        self._write_best(step)
        print(f"step {step}: precision {precision:.4f}, best precision {self.best:.4f} "
              f"({seen} test images)", flush=True)
        return step, precision, self.best, seen

    def close(self):
        self.writer.close()


def run(data_dir: str, train_dir: str, eval_dir: Optional[str] = None, eval_once: bool = True,
        batch_size: int = 1000, interval_secs: int = 30, timeout_secs: int = 3600):
    """Evaluates once, or follows the trainer's checkpoints; returns the last result."""
    eval_dir = eval_dir or os.path.join(train_dir, "eval")
    evaluator = Evaluator(data_dir, train_dir, eval_dir, batch_size)
    last = None
    try:
        if eval_once:
            checkpoint = tf.train.latest_checkpoint(train_dir)
            if checkpoint is None:
                raise ValueError(f"--train_dir {train_dir!r} has no checkpoint yet")
            return evaluator.evaluate(checkpoint)
        final_step = config_lib.read_train_steps(train_dir)
        for checkpoint in tf.train.checkpoints_iterator(train_dir, min_interval_secs=interval_secs,
                                                        timeout=timeout_secs):
            last = evaluator.evaluate(checkpoint)
            if final_step is not None and last[0] >= final_step:
                break
        return last
    finally:
        evaluator.close()


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    config_lib.setup_logging()
    for name in ("data_dir", "train_dir"):
        if not FLAGS[name].value:
            print(f"eval: error: --{name} is required", file=sys.stderr)
            return 1
    try:
        run(FLAGS.data_dir, FLAGS.train_dir, FLAGS.eval_dir, FLAGS.eval_once,
            FLAGS.eval_batch_size, FLAGS.eval_interval_secs, FLAGS.eval_timeout_secs)
    except ValueError as error:  # includes data_lib.DataError
        print(f"eval: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    define_flags()
    app.run(main)
