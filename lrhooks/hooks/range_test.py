"""Learning-rate range test: train briefly on an exponential ramp of rates, watch the loss.

Drive the rate with `range_test_schedule(min_lr, max_lr, num_steps)` through a
`LearningRateSetterHook` and add an `LRRangeTestHook`: it fetches the loss on
every run, smooths it, stops the session when the loss diverges (or after
`num_steps` runs) and suggests rates (see `analyze`)::

    schedule = lrhooks.range_test.range_test_schedule(1e-5, 10.0, 200)
    test = lrhooks.range_test.LRRangeTestHook(schedule, loss, output_dir="runs/lr_test")
    hooks = [lrhooks.LearningRateSetterHook(schedule), test]
    with tf.compat.v1.train.MonitoredSession(hooks=hooks) as sess:
        while not sess.should_stop():
            sess.run(train_op)
    print(test.result().suggested_rate)

Start from freshly initialised weights and do not save the result: the test
trains the model into divergence.
"""

import dataclasses
import math
from typing import Callable, List, Optional, Union

import tensorflow as tf

from lrhooks import checks
from lrhooks.graph import graph_lookup
from lrhooks.graph.step_analysis import StepTracker
from lrhooks.schedules import LRRangeTestSchedule, range_test_schedule

tf1 = tf.compat.v1

__all__ = ["LRRangeTestSchedule", "range_test_schedule", "RangeTestRecord", "RangeTestResult",
           "analyze", "format_curve", "LRRangeTestHook", "TAGS"]

TAGS = ("range_test/learning_rate", "range_test/loss", "range_test/smoothed_loss")


@dataclasses.dataclass(frozen=True)
class RangeTestRecord:
    """One training run of the test: it started at `step` and trained at `rate`."""

    step: int
    rate: float
    loss: float
    smoothed_loss: float


@dataclasses.dataclass(frozen=True)
class RangeTestResult:
    """The curve and the suggestions (see `analyze`).

    Attributes:
      records: Every recorded run, the diverging one included.
      stop_reason: "completed" (all steps ran), "diverged" (smoothed loss above
        `diverge_factor` times its minimum), "non_finite" (NaN/infinite loss) or
        "interrupted" (the session stopped for another reason).
      usable: The first `usable` records are before divergence; suggestions use them.
      suggested_rate: The rate at the steepest descent of the smoothed loss
        against log(rate), or None.
      min_loss_rate: The rate at the lowest smoothed loss, or None.
      reason: Why the suggestions are None, else None.
    """

    records: List[RangeTestRecord]
    stop_reason: str
    usable: int
    suggested_rate: Optional[float]
    min_loss_rate: Optional[float]
    reason: Optional[str] = None

    @property
    def min_loss_suggestion(self) -> Optional[float]:
        """`min_loss_rate / 10`: fastai's second, more conservative suggestion."""
        return None if self.min_loss_rate is None else self.min_loss_rate / 10


def analyze(records: List[RangeTestRecord], stop_reason: str, usable: Optional[int] = None,
            min_records: int = 5, skip_end: int = 5) -> RangeTestResult:
    """Computes the suggestions from the records before divergence.

    `suggested_rate` is fastai's "steep" point, where the loss falls fastest: with
    `g_i = (s[i+1] - s[i]) / (log r[i+1] - log r[i])` over consecutive records
    (smoothed loss `s`, rate `r`), the rate `r[i]` at the most negative `g_i`.
    `min_loss_rate` is the rate at the lowest smoothed loss; fastai suggests a
    tenth of it (`RangeTestResult.min_loss_suggestion`), as the minimum lies at
    the edge of divergence. As in fastai's `lr_find`, the first tenth of the
    records (a young, noisy average) and the last `skip_end` are left out,
    unless fewer than `min_records` would remain. Both are None (with a
    `reason`) with fewer than `min_records` usable records; `suggested_rate`
    also when the smoothed loss never falls.
    """
    usable = len(records) if usable is None else usable
    points = [r for r in records[:usable]
              if math.isfinite(r.smoothed_loss) and math.isfinite(r.rate) and r.rate > 0]
    if len(points) < min_records:
        return RangeTestResult(list(records), stop_reason, usable, None, None,
                               f"only {len(points)} usable records (before divergence), "
                               f"need at least {min_records}: lower min_lr or raise num_steps")
    trimmed = points[len(points) // 10:len(points) - skip_end]
    if len(trimmed) >= min_records:
        points = trimmed
    min_loss_rate = min(points, key=lambda r: r.smoothed_loss).rate
    steepest, slope = None, 0.0
    for a, b in zip(points, points[1:]):
        dx = math.log(b.rate) - math.log(a.rate)
        if dx > 0:
            g = (b.smoothed_loss - a.smoothed_loss) / dx
            if g < slope:
                steepest, slope = a.rate, g
    reason = None if steepest is not None else "the smoothed loss never decreased"
    return RangeTestResult(list(records), stop_reason, usable, steepest, min_loss_rate, reason)


def format_curve(result: RangeTestResult, every: Optional[int] = None) -> str:
    """A text table of about every `every`-th record (default: ~20 rows) and the suggestions."""
    records = result.records
    every = every or max(1, len(records) // 20)
    rows = [f"{'step':>6}  {'rate':>10}  {'loss':>10}  {'smoothed':>10}"]
    shown = set(range(0, len(records), every)) | ({len(records) - 1} if records else set())
    for i in sorted(shown):
        r = records[i]
        rows.append(f"{r.step:>6}  {r.rate:>10.4g}  {r.loss:>10.4g}  {r.smoothed_loss:>10.4g}")
    rows.append(f"stopped: {result.stop_reason} after {len(records)} records "
                f"({result.usable} before divergence)")
    if result.suggested_rate is None:
        rows.append(f"no suggestion: {result.reason}")
    else:
        rows.append(f"suggested rate (steepest descent): {result.suggested_rate:.4g}")
    if result.min_loss_rate is not None:
        rows.append(f"min-loss rate / 10: {result.min_loss_suggestion:.4g} "
                    f"(lowest loss at {result.min_loss_rate:.4g})")
    return "\n".join(rows)


class LRRangeTestHook(tf1.train.SessionRunHook):
    """Records (step, rate, loss, smoothed loss) on every run and stops on divergence."""

    def __init__(self, schedule: Callable[[int], float], loss: Union[str, tf.Tensor],
                 smoothing: float = 0.98, diverge_factor: float = 4.0,
                 output_dir: Optional[str] = None, start_step: Optional[int] = None):
        """Builds the hook; a loss given by name is resolved in `begin()`.

        Args:
          schedule: The schedule the `LearningRateSetterHook` drives: a record's
            rate is `schedule(step)` (what the setter hook applies); its
            `num_steps` (if any) ends the test.
          loss: The scalar training loss (or its name).
          smoothing: beta of the bias-corrected moving average, in [0, 1):
            `avg = beta * avg + (1 - beta) * loss`, `smoothed = avg / (1 - beta**n)`.
          diverge_factor: Stop when the smoothed loss exceeds this (> 1) times its
            minimum so far (checked while that minimum is > 0).
          output_dir: If set, write the `range_test/*` scalars there (x axis: step).
          start_step: The global step of the ramp's first step; default: the
            schedule's `start_step`, else 0. Runs before it are not recorded.
        """
        if not callable(schedule):
            raise TypeError(f"`schedule` must be callable as schedule(step) -> rate, "
                            f"got {schedule!r}")
        self._beta = checks.interval("smoothing", smoothing, 0.0, 1.0, high_open=True)
        self._factor = checks.real("diverge_factor", diverge_factor, 1.0, strict=True)
        if start_step is None:
            start_step = getattr(schedule, "start_step", 0)
        self._start = checks.non_negative_count("start_step", start_step)
        self._schedule, self._loss_arg = schedule, loss
        self._num_steps = getattr(schedule, "num_steps", None)
        self._output_dir = output_dir
        self._writer = None
        self.records: List[RangeTestRecord] = []
        self._avg, self._best = 0.0, math.inf
        self._usable: Optional[int] = None
        self._stop_reason = "interrupted"

    def begin(self) -> None:
        graph = tf1.get_default_graph()
        self._loss = graph_lookup.resolve_rate(graph, self._loss_arg, "loss")
        global_step = graph_lookup.get_global_step_or_raise(graph, owner="LRRangeTestHook")
        # The step is read once per session and then counted (a step fetched with the
        # training run would race with the optimizer's increment).
        self._tracker = StepTracker(global_step)
        if self._output_dir and self._writer is None:
            self._writer = tf1.summary.FileWriter(self._output_dir)

    def after_create_session(self, session, coord) -> None:
        self._step = self._tracker.reset(session)

    def before_run(self, run_context):
        self._started = self._tracker.before_run(run_context.original_args.fetches)
        if self._tracker.pending == 0 or self._usable is not None:
            return None  # cannot train (e.g. an evaluation), or the test is over
        return tf1.train.SessionRunArgs(self._loss)

    def after_run(self, run_context, run_values) -> None:
        self._step = self._tracker.after_run(run_context.session)
        if self._tracker.pending == 0 or self._usable is not None:
            return
        step = self._started
        if step < self._start:
            return
        if self._record(step, float(self._schedule(step)), float(run_values.results)):
            run_context.request_stop()

    def _record(self, step: int, rate: float, loss: float) -> bool:
        """Adds one record; returns True when the test is over."""
        if not math.isfinite(loss):
            self.records.append(RangeTestRecord(step, rate, loss, math.nan))
            self._write(step, rate, None, None)
            return self._finish("non_finite", len(self.records) - 1)
        n = len(self.records) + 1
        self._avg = self._beta * self._avg + (1 - self._beta) * loss
        smoothed = self._avg / (1 - self._beta ** n)
        self.records.append(RangeTestRecord(step, rate, loss, smoothed))
        self._write(step, rate, loss, smoothed)
        if self._best > 0 and smoothed > self._factor * self._best:
            return self._finish("diverged", len(self.records) - 1)
        self._best = min(self._best, smoothed)
        if self._num_steps is not None and step - self._start >= self._num_steps - 1:
            return self._finish("completed", len(self.records))
        return False

    def _finish(self, reason: str, usable: int) -> bool:
        self._stop_reason, self._usable = reason, usable
        self.flush()
        return True

    def _write(self, step: int, rate: float, loss: Optional[float],
               smoothed: Optional[float]) -> None:
        if self._writer is None:
            return
        values = [tf1.Summary.Value(tag=TAGS[0], simple_value=rate)]
        if loss is not None:
            values += [tf1.Summary.Value(tag=TAGS[1], simple_value=loss),
                       tf1.Summary.Value(tag=TAGS[2], simple_value=smoothed)]
        self._writer.add_summary(tf1.Summary(value=values), step)

    def record_non_finite(self) -> None:
        """Records that the run after the last record failed on a non-finite loss.

        For models that check finiteness in the graph and raise (the run never
        returns a loss): call this when catching that error.
        """
        if self._usable is not None:
            return
        step = getattr(self, "_step", self._start)  # the failed run started here
        self._record(step, float(self._schedule(step)), math.nan)

    def flush(self) -> None:
        """Writes pending summaries to disk."""
        if self._writer is not None:
            self._writer.flush()

    def end(self, session) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def result(self, min_records: int = 5, skip_end: int = 5) -> RangeTestResult:
        """The records so far, why the test stopped, and the suggestions (see `analyze`)."""
        self.flush()
        return analyze(self.records, self._stop_reason, self._usable, min_records, skip_end)

    def suggested_rate(self) -> Optional[float]:
        """The rate at the steepest descent of the smoothed loss, or None (see `result`)."""
        return self.result().suggested_rate
