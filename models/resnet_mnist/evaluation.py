"""Evaluating on the whole test set: one pass, every image, last partial batch included."""

import dataclasses
import time
from typing import List, Optional, Tuple

import numpy as np
import tensorflow as tf
from absl import logging

from models.resnet_mnist import data as data_lib
from models.resnet_mnist import model as model_lib

tf1 = tf.compat.v1


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
