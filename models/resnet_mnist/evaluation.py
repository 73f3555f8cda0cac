"""Evaluating on the whole test set: one pass, every image, last partial batch included.

The library side of `eval.py` (its CLI) and of the trainer's final and in-process
evaluations: the eval tower, one pass over the test set, the `Evaluator` of
checkpoints and `run` (once, or following the trainer), returning `EvalResult`s.
"""

import contextlib
import dataclasses
import fcntl
import json
import os
import time
from typing import Callable, Dict, List, Mapping, Optional, Tuple

import numpy as np
import tensorflow as tf
from absl import logging

from lrhooks.graph.step_analysis import StepTracker
from lrhooks.tools import safe_files
from models.resnet_mnist import config as config_lib
from models.resnet_mnist import data as data_lib
from models.resnet_mnist import faults
from models.resnet_mnist import model as model_lib
from models.resnet_mnist import optimizer as optimizer_lib
from models.resnet_mnist import write_errors

tf1 = tf.compat.v1
BEST_FILE = "best_accuracy.json"
# Written before the rename to accuracy: still read when BEST_FILE is absent, never written.
LEGACY_BEST_FILE = "best_precision.json"


@dataclasses.dataclass
class EvalTower:
    """Graph pieces of one evaluation pass."""

    input: data_lib.EvalInput
    num_correct: tf.Tensor
    num_seen: tf.Tensor
    sum_cross_entropy: tf.Tensor  # float64: summed over the batch, averaged over the pass


@dataclasses.dataclass(frozen=True)
class PassResult:
    """One pass over the whole test set."""

    accuracy: float  # top-1: correct / images
    loss: float  # mean cross-entropy per image (no weight decay)
    num_images: int


def build_eval_tower(images: np.ndarray, labels: np.ndarray, hparams: model_lib.HParams,
                     batch_size: int, reuse: bool = False,
                     moving_average: Optional[tf1.train.ExponentialMovingAverage] = None
                     ) -> EvalTower:
    """Builds the eval model over the test set (moving BN statistics, no dropout).

    With `moving_average` (and `reuse`), the tower reads the averages of the variables it
    shares with the train tower instead of the variables themselves.
    """
    with tf.device("/device:CPU:0"):
        eval_input = data_lib.eval_input(images, labels, batch_size)

    def averaged(getter, *args, **kwargs):
        variable = getter(*args, **kwargs)
        average = moving_average.average(variable)
        return variable if average is None else average

    getter = averaged if moving_average is not None else None
    with tf1.variable_scope(tf1.get_variable_scope(), reuse=reuse or None,
                            custom_getter=getter):
        outputs = model_lib.build_model(eval_input.images, eval_input.labels, hparams, mode="eval")
    labels = tf.cast(eval_input.labels, tf.int32)
    correct = tf.equal(outputs.predictions, labels)
    cross_entropy = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels,
                                                                   logits=outputs.logits)
    return EvalTower(eval_input, tf.reduce_sum(tf.cast(correct, tf.int64)),
                     tf.size(correct, out_type=tf.int64),
                     tf.reduce_sum(tf.cast(cross_entropy, tf.float64)))


def run_eval_pass(session: tf1.Session, tower: EvalTower) -> PassResult:
    """Runs one pass over every test image, the last partial batch included."""
    session.run(tower.input.initializer)
    correct = seen = 0
    cross_entropy = 0.0
    while True:
        try:
            batch_correct, batch_seen, batch_xent = session.run(
                [tower.num_correct, tower.num_seen, tower.sum_cross_entropy])
        except tf.errors.OutOfRangeError:
            break
        correct += int(batch_correct)
        seen += int(batch_seen)
        cross_entropy += float(batch_xent)
    if seen != tower.input.num_examples:
        raise RuntimeError(f"evaluation saw {seen} images, expected {tower.input.num_examples}")
    return PassResult(correct / seen, cross_entropy / seen, seen)


@dataclasses.dataclass(frozen=True)
class EvalResult:
    """One evaluation of a checkpoint (or of the live weights) on the whole test set."""

    step: int
    accuracy: float  # top-1 accuracy (what the classic ResNet code called precision)
    best_accuracy: float  # over every evaluation written to this eval_dir
    num_images: int
    loss: float  # mean cross-entropy per test image


def read_best(eval_dir: str) -> float:
    """The best accuracy recorded in `eval_dir` (`best_accuracy.json`, else a legacy
    `best_precision.json`); 0.0 when there is none."""
    for name, key in ((BEST_FILE, "best_accuracy"), (LEGACY_BEST_FILE, "best_precision")):
        path = os.path.join(eval_dir, name)
        if os.path.exists(path) and not os.path.islink(path):  # a planted link: not ours
            with open(path) as f:
                return float(json.load(f)[key])
    return 0.0


@contextlib.contextmanager
def _locked_directory(directory: str):
    """An exclusive flock on `directory` itself (no file is made; a file system without
    locks: no lock)."""
    fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _evaluations(eval_dir: str) -> Dict[int, Dict[str, float]]:
    """Step -> the values (`accuracy` or legacy `precision`, `loss`) of the latest evaluation
    written at that step in the event files of `eval_dir`; reads only (a torn last record, of a
    killed evaluation, ends the reading of its file)."""
    latest: Dict[int, Tuple[float, Dict[str, float]]] = {}
    if not os.path.isdir(eval_dir):
        return {}
    for name in sorted(os.listdir(eval_dir)):
        if "tfevents" not in name:
            continue
        try:
            for record in tf.data.TFRecordDataset(os.path.join(eval_dir, name)):
                event = tf1.Event.FromString(record.numpy())
                values = {v.tag: v.simple_value for v in event.summary.value
                          if v.tag in ("accuracy", "precision", "loss")}
                if values and (event.step not in latest
                               or event.wall_time >= latest[event.step][0]):
                    latest[event.step] = (event.wall_time, values)
        except tf.errors.DataLossError:
            continue
    return {step: values for step, (_, values) in latest.items()
            if "accuracy" in values or "precision" in values}


def _result(eval_dir: str, step: int, values: Mapping[str, float]) -> EvalResult:
    accuracy = values.get("accuracy", values.get("precision"))
    return EvalResult(step, accuracy, max(accuracy, read_best(eval_dir)), 0,
                      values.get("loss", float("nan")))


def read_last_result(eval_dir: str) -> Optional[EvalResult]:
    """The last evaluation written to `eval_dir` (the highest step; of equal steps, the latest
    record), read back from its event files and best file; None if there is none.

    Reads only: a torn last record (a killed evaluation) ends the reading of its file.
    `num_images` is 0 (the files do not record it); `loss` is NaN for an evaluation written
    before there was one (its accuracy was tagged `precision` then).
    """
    evaluations = _evaluations(eval_dir)
    if not evaluations:
        return None
    step = max(evaluations)
    return _result(eval_dir, step, evaluations[step])


def read_result_at(eval_dir: str, step: int) -> Optional[EvalResult]:
    """The evaluation written to `eval_dir` at `step` (as `read_last_result` reads it), or
    None when that step has none."""
    values = _evaluations(eval_dir).get(step)
    return None if values is None else _result(eval_dir, step, values)


class EvalRecorder:
    """Writes evaluations to an eval dir: `accuracy`, `loss`, `best_accuracy` scalars and
    `best_accuracy.json` (the best so far, kept across runs; a `best_precision.json`
    written before the rename is read when there is no `best_accuracy.json`)."""

    def __init__(self, eval_dir: str):
        self.eval_dir = eval_dir
        self.writer: Optional[tf1.summary.FileWriter] = None  # the first record makes it
        self.best = read_best(eval_dir)


    def _write_best(self, step: int) -> None:
        """Replaces `best_accuracy.json` (never through a link) with the best of this
        recorder's and the file's: a trainer and an evaluator may both write this eval dir,
        so the read and the replace are one step under a lock on the directory itself."""
        path = os.path.join(self.eval_dir, BEST_FILE)
        with _locked_directory(self.eval_dir):
            on_disk = read_best(self.eval_dir)
            if on_disk > self.best:  # the other writer's best, newer than ours
                self.best = on_disk
                return
            safe_files.write_file(path, json.dumps({"best_accuracy": self.best, "step": step}))

    def record(self, step: int, scored: PassResult) -> EvalResult:
        """Writes the summaries of `scored` at `step` and updates the best; returns them."""
        self.best = max(self.best, scored.accuracy)
        if self.writer is None:  # nothing is written before the first result
            with tf.Graph().as_default():
                # Named by pid and a random part: a trainer's and an evaluator's event
                # files in one eval dir never share a name (TensorFlow's names only hold
                # the second and the host).
                self.writer = tf1.summary.FileWriter(
                    self.eval_dir, filename_suffix=safe_files.unique_suffix())
        summary = tf1.Summary(value=[
            tf1.Summary.Value(tag="accuracy", simple_value=scored.accuracy),
            tf1.Summary.Value(tag="loss", simple_value=scored.loss),
            tf1.Summary.Value(tag="best_accuracy", simple_value=self.best)])
        self.writer.add_summary(summary, step)
        self.writer.flush()
        self._write_best(step)
        return EvalResult(step, scored.accuracy, self.best, scored.num_images, scored.loss)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


@dataclasses.dataclass
class EvalRecord:
    step: int
    train_seconds: float  # wall time spent training (evaluation excluded) when measured
    accuracy: float
    loss: float


class InProcessEvalHook(tf1.train.SessionRunHook):
    """Evaluates the test set every N steps (and at the last step) inside the training process.

    `--eval_every_n_steps`: the evaluations go to `eval_dir` (`<train_dir>/eval`, as those of
    `eval.py`); benchmarks read `history` to find the time to reach an accuracy: the time
    spent evaluating is excluded from `train_seconds`. The pass runs on the raw session, so no
    other hook sees it. Which step each run ends at comes from lrhooks' one `StepTracker`
    (counting what the run's fetches increment; the graph's one step read, fetched with the
    run, shows steps other workers add).
    """

    def __init__(self, tower: EvalTower, every_n_steps: int, last_step: int,
                 eval_dir: Optional[str] = None):
        self._tower, self._every, self._last = tower, every_n_steps, last_step
        self._eval_dir = eval_dir
        self._recorder: Optional[EvalRecorder] = None
        self.history: List[EvalRecord] = []

    def begin(self):
        self._tracker = StepTracker(tf1.train.get_global_step())
        self._eval_seconds = 0.0
        self._start: Optional[float] = None
        self._next: Optional[int] = None

    def after_create_session(self, session, coord):
        step = self._tracker.reset(session)
        self._next = (step // self._every + 1) * self._every
        self._start = time.perf_counter()

    def before_run(self, run_context):
        self._tracker.before_run(run_context.original_args.fetches)
        return tf1.train.SessionRunArgs(self._tracker.read)

    def after_run(self, run_context, run_values):
        step = self._tracker.after_run(run_context.session, seen=int(run_values.results))
        if step >= self._next or step >= self._last:
            self._evaluate(run_context.session, step)
            self._next = (step // self._every + 1) * self._every

    def _evaluate(self, session, step):
        started = time.perf_counter()
        train_seconds = started - self._start - self._eval_seconds
        scored = run_eval_pass(session, self._tower)
        if self._eval_dir is not None:
            if self._recorder is None:
                self._recorder = EvalRecorder(self._eval_dir)
            self._recorder.record(step, scored)
        self._eval_seconds += time.perf_counter() - started
        self.history.append(EvalRecord(step, train_seconds, scored.accuracy, scored.loss))
        logging.info("eval at step %d: accuracy %.4f, loss %.4f (%.1f s of training)", step,
                     scored.accuracy, scored.loss, train_seconds)

    def end(self, session):
        if self._recorder is not None:
            self._recorder.close()
            self._recorder = None


class Evaluator:
    """Restores checkpoints into an eval graph and scores the whole test set."""

    def __init__(self, data_dir: str, train_dir: str, eval_dir: str, batch_size: int,
                 print_fn: Optional[Callable[[str], None]] = print):
        hparams = config_lib.read_hparams(train_dir)
        if hparams is None:
            raise ValueError(f"--train_dir {train_dir!r} has no {config_lib.CONFIG_FILE}: "
                             "is it a directory the trainer wrote?")
        problem = write_errors.unwritable(eval_dir)
        if problem:
            raise ValueError(f"--eval_dir {eval_dir!r} cannot be written: {problem}")
        checkpoint = tf.train.latest_checkpoint(train_dir)
        problem = checkpoint and model_lib.checkpoint_disagreement(  # before building anything
            hparams, dict(tf.train.list_variables(checkpoint)))
        if problem:
            raise ValueError(f"checkpoint {checkpoint!r} is not of the model "
                             f"{config_lib.CONFIG_FILE} describes: {problem}")
        images, labels = data_lib.load_mnist(data_dir, "test")
        self.eval_dir = eval_dir
        self._print = print_fn
        self.graph = tf.Graph()
        with self.graph.as_default():
            self.global_step = tf1.train.get_or_create_global_step()
            self.tower = build_eval_tower(images, labels, hparams, batch_size)
            # With ema_decay, each weight is restored from its moving average.
            self.saver = tf1.train.Saver(optimizer_lib.averages_to_restore(hparams)
                                         if hparams.ema_decay else None)
            self.recorder = EvalRecorder(eval_dir)

    @property
    def best(self) -> float:
        """The best accuracy written to the eval dir so far."""
        return self.recorder.best

    def evaluate(self, checkpoint: str) -> EvalResult:
        """Scores `checkpoint`, writes its summaries and prints its line.

        A step the eval dir already has (e.g. the trainer's final evaluation) is not scored
        again: one line says so, nothing is written, and its recorded result is returned
        (`num_images` 0)."""
        try:
            step = int(tf.train.load_variable(checkpoint, "global_step"))
        except (tf.errors.OpError, ValueError):  # reported below, before anything is written
            step = None
        done = None if step is None else read_result_at(self.eval_dir, step)
        if done is not None:
            if self._print is not None:
                self._print(f"step {done.step} is already evaluated in {self.eval_dir}: "
                            f"accuracy {done.accuracy:.4f}, loss {done.loss:.4f}, best accuracy "
                            f"{done.best_accuracy:.4f} (nothing written)")
            return done
        with self.graph.as_default():
            problems = faults.checkpoint_mismatches(checkpoint, tf1.global_variables())
        if problems:  # before anything is written
            raise ValueError(f"checkpoint {checkpoint!r} is not of the model "
                             f"{config_lib.CONFIG_FILE} describes: {problems[0]}")
        config = tf1.ConfigProto(allow_soft_placement=True)
        with tf1.Session(graph=self.graph, config=config) as session:
            try:
                self.saver.restore(session, checkpoint)
            except tf.errors.OpError as error:
                raise ValueError(f"checkpoint {checkpoint!r} cannot be restored: "
                                 f"{error.message.splitlines()[0]}") from None
            step = int(session.run(self.global_step))
            scored = run_eval_pass(session, self.tower)
        result = self.recorder.record(step, scored)
        if self._print is not None:
            self._print(f"step {step}: accuracy {result.accuracy:.4f}, loss {result.loss:.4f}, "
                        f"best accuracy {result.best_accuracy:.4f} ({result.num_images} test "
                        "images)")
        return result

    def close(self):
        self.recorder.close()


def run(data_dir: str, train_dir: str, eval_dir: Optional[str] = None, eval_once: bool = True,
        batch_size: int = 1000, interval_secs: int = 30, timeout_secs: int = 3600,
        print_fn: Optional[Callable[[str], None]] = print) -> Optional[EvalResult]:
    """Evaluates once, or follows the trainer's checkpoints; returns the last result.

    Each evaluation's line goes to `print_fn` (None: not printed).

    Raises:
      ValueError: No train_config.json or no checkpoint in `train_dir`, or bad data
        (`data.DataError`); one line.
    """
    eval_dir = eval_dir or os.path.join(train_dir, "eval")
    evaluator = Evaluator(data_dir, train_dir, eval_dir, batch_size, print_fn)
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
