"""Evaluating on the whole test set: one pass, every image, last partial batch included.

The library side of `eval.py` (its CLI) and of the trainer's final and in-process
evaluations: the eval tower, one pass over the test set, the `Evaluator` of
checkpoints and `run` (once, or following the trainer), returning `EvalResult`s.
"""

import dataclasses
import json
import os
import time
from typing import List, Optional, Tuple

import numpy as np
import tensorflow as tf
from absl import logging

from models.resnet_mnist import config as config_lib
from models.resnet_mnist import data as data_lib
from models.resnet_mnist import model as model_lib

tf1 = tf.compat.v1
BEST_FILE = "best_precision.json"


@dataclasses.dataclass
class EvalTower:
    """Graph pieces of one evaluation pass."""

    input: data_lib.EvalInput
    num_correct: tf.Tensor
    num_seen: tf.Tensor


def build_eval_tower(images: np.ndarray, labels: np.ndarray, hparams: model_lib.HParams,
                     batch_size: int, reuse: bool = False) -> EvalTower:
    """Builds the eval model over the test set (moving BN statistics, no dropout)."""
    with tf.device("/device:CPU:0"):
        eval_input = data_lib.eval_input(images, labels, batch_size)
    with tf1.variable_scope(tf1.get_variable_scope(), reuse=reuse or None):
        outputs = model_lib.build_model(eval_input.images, eval_input.labels, hparams, mode="eval")
    correct = tf.equal(outputs.predictions, tf.cast(eval_input.labels, tf.int32))
    return EvalTower(eval_input, tf.reduce_sum(tf.cast(correct, tf.int64)),
                     tf.size(correct, out_type=tf.int64))


def run_eval_pass(session: tf1.Session, tower: EvalTower) -> Tuple[float, int]:
    """Runs one pass; returns (precision, number of images seen)."""
    session.run(tower.input.initializer)
    correct = seen = 0
    while True:
        try:
            batch_correct, batch_seen = session.run([tower.num_correct, tower.num_seen])
        except tf.errors.OutOfRangeError:
            break
        correct += int(batch_correct)
        seen += int(batch_seen)
    if seen != tower.input.num_examples:
        raise RuntimeError(f"evaluation saw {seen} images, expected {tower.input.num_examples}")
    return correct / seen, seen


@dataclasses.dataclass
class EvalRecord:
    step: int
    train_seconds: float  # wall time spent training (evaluation excluded) when measured
    precision: float


class InProcessEvalHook(tf1.train.SessionRunHook):
    """Evaluates the test set every N steps inside the training process.

    Used by benchmarks to find the time to reach an accuracy: the time spent
    evaluating is excluded from `train_seconds`. The pass runs on the raw
    session, so no other hook sees it.
    """

    def __init__(self, tower: EvalTower, every_n_steps: int, last_step: int):
        self._tower, self._every, self._last = tower, every_n_steps, last_step
        self.history: List[EvalRecord] = []

    def begin(self):
        self._global_step = tf1.train.get_global_step()
        self._eval_seconds = 0.0
        self._start: Optional[float] = None
        self._next: Optional[int] = None

    def after_create_session(self, session, coord):
        step = int(session.run(self._global_step))
        self._next = (step // self._every + 1) * self._every
        self._start = time.perf_counter()

    def before_run(self, run_context):
        return tf1.train.SessionRunArgs(self._global_step)

    def after_run(self, run_context, run_values):
        # The fetched read races with the increment: use it only to decide when to look.
        if int(run_values.results) + 1 >= min(self._next, self._last):
            step = int(run_context.session.run(self._global_step))
            if step >= self._next or step >= self._last:
                self._evaluate(run_context.session, step)
                self._next = (step // self._every + 1) * self._every

    def _evaluate(self, session, step):
        started = time.perf_counter()
        train_seconds = started - self._start - self._eval_seconds
        precision, _ = run_eval_pass(session, self._tower)
        self._eval_seconds += time.perf_counter() - started
        self.history.append(EvalRecord(step, train_seconds, precision))
        logging.info("eval at step %d: precision %.4f (%.1f s of training)", step, precision,
                     train_seconds)


@dataclasses.dataclass(frozen=True)
class EvalResult:
    """One evaluation of a checkpoint on the whole test set."""

    step: int
    precision: float
    best_precision: float  # over every evaluation written to this eval_dir
    num_images: int


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
            self.tower = build_eval_tower(images, labels, hparams, batch_size)
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

    def evaluate(self, checkpoint: str) -> EvalResult:
        """Scores `checkpoint`, writes its summaries and prints its line."""
        config = tf1.ConfigProto(allow_soft_placement=True)
        with tf1.Session(graph=self.graph, config=config) as session:
            self.saver.restore(session, checkpoint)
            step = int(session.run(self.global_step))
            precision, seen = run_eval_pass(session, self.tower)
        self.best = max(self.best, precision)
        summary = tf1.Summary(value=[
            tf1.Summary.Value(tag="precision", simple_value=precision),
            tf1.Summary.Value(tag="best_precision", simple_value=self.best)])
        self.writer.add_summary(summary, step)
        self.writer.flush()
        self._write_best(step)
        print(f"step {step}: precision {precision:.4f}, best precision {self.best:.4f} "
              f"({seen} test images)", flush=True)
        return EvalResult(step, precision, self.best, seen)

    def close(self):
        self.writer.close()


def run(data_dir: str, train_dir: str, eval_dir: Optional[str] = None, eval_once: bool = True,
        batch_size: int = 1000, interval_secs: int = 30,
        timeout_secs: int = 3600) -> Optional[EvalResult]:
    """Evaluates once, or follows the trainer's checkpoints; returns the last result.

    Raises:
      ValueError: No train_config.json or no checkpoint in `train_dir`, or bad data
        (`data.DataError`); one line.
    """
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
            if final_step is not None and last.step >= final_step:
                break
        return last
    finally:
        evaluator.close()
