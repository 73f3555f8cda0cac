"""`TrainingLogHook`: one readable line every N steps, and a live progress line on a terminal.

    step 1200/3500 (34%)  lr 0.1  loss 0.2345 (mean of 100 steps)  12.3 steps/s  ETA 3m07s

The rate shown is the one the logged run applied (the rate tensor is fetched in that run);
the loss and the other scalars are the means over every step since the previous line (each
run that trains fetches those scalars, nothing else). On a terminal, a `LiveLine` of fixed
width is redrawn in place about once a second with the step just trained and the running
means so far; the log lines and lines printed through `TrainingLogHook.write_line` go above it.
"""

import dataclasses
import logging
import math
import sys
import time
from typing import Callable, Dict, List, Mapping, Optional, TextIO, Union

import numpy as np
import tensorflow as tf

from lrhooks import checks
from lrhooks.graph import graph_lookup
from lrhooks.hooks.live_line import (MAX_LIVE_WIDTH, LiveLine, Ticker, terminal_width,
                                     use_live_progress)
from lrhooks.hooks.step_trigger import PeriodicFetchHook

tf1 = tf.compat.v1
TensorLike = Union[str, tf.Tensor, tf.Variable]
PROGRESS_MODES = ("auto", "always", "never")
MIN_BAR_WIDTH = 10
SPEED_UNIT, EXAMPLES_UNIT = "steps/s", "ex/s"  # the one name of each, in every line
__all__ = ["TrainingLogHook", "RunningMeans", "LiveLine", "format_line", "format_progress",
           "format_duration", "epochs_done", "log_line", "terminal_width", "use_live_progress",
           "MAX_LIVE_WIDTH", "PROGRESS_MODES"]


def format_duration(seconds: float) -> str:
    """`3m07s`, `1h02m`, `45s`; `?` when unknown."""
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return "?"
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"


def _number(value) -> str:
    try:
        return f"{float(value):.4g}"
    except (TypeError, ValueError):
        return str(value)


def epochs_done(step: int, batch_size: Optional[int],
                examples_per_epoch: Optional[int]) -> Optional[float]:
    """Epochs (passes over `examples_per_epoch` examples) after `step` steps; None if unknown."""
    if not batch_size or not examples_per_epoch:
        return None
    return step * batch_size / examples_per_epoch


def _fields(values: Mapping[str, object]) -> List[str]:
    return [f"{name} {_number(value)}" for name, value in values.items()]


def format_line(step: int, last_step: Optional[int], values: Mapping[str, object],
                steps_per_sec: Optional[float], batch_size: Optional[int],
                epoch: Optional[float] = None, means: Optional[Mapping[str, float]] = None,
                mean_steps: Optional[int] = None) -> str:
    """The log line: step (and epoch), values, the running means, speed and time left.

    `means` (e.g. loss and accuracy) are the means over the `mean_steps` steps since the
    previous line, said once after them: `loss 0.61  accuracy 0.98 (mean of 100 steps)`.
    """
    parts = [f"step {step}" if not last_step else
             f"step {step}/{last_step} ({100.0 * step / last_step:.0f}%)"]
    if epoch is not None:
        parts.append(f"epoch {epoch:.2f}")
    parts += _fields(values)
    if means:
        averaged = _fields(means)
        if mean_steps is not None:
            averaged[-1] += f" (mean of {mean_steps} step{'' if mean_steps == 1 else 's'})"
        parts += averaged
    if steps_per_sec:
        parts.append(f"{steps_per_sec:.3g} {SPEED_UNIT}")
        if batch_size:
            parts.append(f"{steps_per_sec * batch_size:.0f} {EXAMPLES_UNIT}")
        if last_step:
            parts.append(f"ETA {format_duration((last_step - step) / steps_per_sec)}")
    return "  ".join(parts)


def format_progress(step: int, last_step: Optional[int], values: Mapping[str, object],
                    steps_per_sec: Optional[float], width: int = MAX_LIVE_WIDTH,
                    epoch: Optional[float] = None, seconds_since: float = 0.0,
                    elapsed: Optional[float] = None) -> str:
    """The live progress line, exactly `width` characters: step (and epoch), a bar (when the
    last step is known), values, speed, and the time left (else the time elapsed).

    The time left is the steps left at `steps_per_sec`, less the `seconds_since` the step
    shown was trained, so that it counts down through a long step. Every field has a fixed
    width (numbers are padded), so the bar and the values keep their places from one redraw
    to the next. The bar takes the room left; with less than `MIN_BAR_WIDTH` there is none,
    then (on a narrower terminal still) no speed; what still does not fit is cut at `width`.
    """
    digits = len(str(last_step)) if last_step else 1
    head = f"{step:>{digits}}/{last_step}" if last_step else f"{step}"
    if epoch is not None:
        head += f" epoch {epoch:5.2f}"
    fields = [f"{name} {_number(value):<7}" for name, value in values.items()]
    speed = (f"{steps_per_sec:5.3g} {SPEED_UNIT}" if steps_per_sec
             else " " * (6 + len(SPEED_UNIT)))
    if last_step:
        left = ((last_step - step) / steps_per_sec - seconds_since) if steps_per_sec else None
        clock = f"ETA {format_duration(max(0.0, left)) if left is not None else '?':<6}"
    else:
        clock = f"{format_duration(elapsed) if elapsed is not None else '?':>6} elapsed"
    tail = " ".join(fields + [speed, clock])
    bar_width = width - len(head) - len(tail) - 4
    if last_step and bar_width >= MIN_BAR_WIDTH:
        done = min(bar_width, int(bar_width * step / last_step))
        return f"{head} [{'#' * done}{'.' * (bar_width - done)}] {tail}".ljust(width)
    if len(head) + 1 + len(tail) > width:  # a narrow terminal: the time before the speed
        tail = " ".join(fields + [clock])
    return f"{head} {tail}".ljust(width)[:width]


_LOG = logging.getLogger("lrhooks")


def log_line(line: str, stream: Optional[TextIO] = None) -> None:
    """Logs `line` at INFO on the `lrhooks` logger when logging shows it, else writes it
    to `stream`.

    Logging shows it once a handler is set up and INFO is enabled: an absl program
    after `app.run` (absl's handler on the root logger, its format), or
    `logging.basicConfig(level=logging.INFO)`. A program that sets up neither would
    see no log lines at all: there the line goes to `stream` (default: sys.stderr).
    """
    if _LOG.isEnabledFor(logging.INFO) and _LOG.hasHandlers():
        _LOG.info("%s", line)
        return
    stream = stream or sys.stderr
    stream.write(line + "\n")
    stream.flush()


class RunningMeans:
    """Means of scalars over the steps added since the last `reset`, each step weighted
    equally (Keras' running means, over a log line's steps instead of an epoch's)."""

    def __init__(self):
        self.count = 0
        self._sums: Dict[str, float] = {}

    def reset(self) -> None:
        self.count, self._sums = 0, {}

    def add(self, values: Mapping[str, object]) -> None:
        """Adds one step's values (name -> scalar)."""
        for name, value in values.items():
            self._sums[name] = self._sums.get(name, 0.0) + float(value)
        self.count += 1

    def means(self) -> Dict[str, float]:
        """name -> mean over the steps added; empty before the first."""
        return {name: total / self.count for name, total in self._sums.items()}


def _averaged(tensor: tf.Tensor) -> bool:
    """Whether a running mean of `tensor` is shown: a real or integer scalar."""
    dtype = tensor.dtype.base_dtype
    return (tensor.shape.rank == 0 and
            (dtype.is_floating or dtype.is_integer or dtype == tf.bool))


@dataclasses.dataclass(frozen=True)
class _Trained:
    """What the live line shows of the last run that trained."""

    step: int
    values: Mapping[str, object]
    means: Mapping[str, float]
    speed: Optional[float]
    at: float  # the hook's clock when the run ended


class TrainingLogHook(PeriodicFetchHook):
    """Logs step, applied learning rate, running means of the loss and named scalars, speed
    and time left; on a terminal, also a live line redrawn about once a second.

    Every scheduled value of the graph (`lrhooks.learning_rate()`,
    `lrhooks.scheduled_value("momentum", ...)`, ...) is its own column: "lr"
    for the learning rate, else the value's name, as the logged run applied it. The loss
    and every real or integer scalar of `tensors` are shown as their mean over the steps
    since the previous log line (fetched with every run that trains); a tensor of another
    shape is shown as the logged run computed it.
    """

    def __init__(self, loss: Optional[TensorLike] = None,
                 tensors: Optional[Mapping[str, TensorLike]] = None, *,
                 every_n_steps: Optional[int] = 100, every_n_secs: Optional[float] = None,
                 batch_size: Optional[int] = None, last_step: Optional[int] = None,
                 learning_rate: Optional[TensorLike] = None, output_dir: Optional[str] = None,
                 progress: str = "auto", stream: TextIO = None,
                 log_fn: Callable[[str], None] = None,
                 examples_per_epoch: Optional[int] = None, width: Optional[int] = None,
                 redraw_secs: float = 1.0, clock: Callable[[], float] = time.monotonic):
        """Builds the hook; tensors given by name are resolved in `begin()`.

        Args:
          loss: The loss tensor (or its name) to show (its running mean, if a scalar).
          tensors: More values to show, name -> tensor or tensor name (e.g. accuracy).
          every_n_steps: Log when the global step reaches a multiple of this.
          every_n_secs: Also (or instead) log at least this often.
          batch_size: Examples per step, for examples/sec.
          last_step: The step training stops at, for the percentage and time left.
          learning_rate: The rate tensor to report; default: the `lrhooks.learning_rate()`
            tensor if the graph has one.
          output_dir: If set, also write `examples/sec` (or `steps/sec`) summaries there.
          progress: "auto" (a live line iff `stream` is an interactive terminal),
            "always" or "never" (e.g. a program's choice under CI).
          stream: Where the live line goes (default: sys.stderr).
          log_fn: Where log lines go (default: above the live line when there is one, else
            the `lrhooks` logger at INFO when logging shows it, as in an absl program, else
            sys.stderr; see `log_line`). With a live line, a `log_fn` of the program's should
            print through `write_line`.
          examples_per_epoch: The size of the training set: with `batch_size`, the
            epoch is shown beside the step.
          width: Columns of the live line (default: the terminal's, at most 100).
          redraw_secs: The live line is redrawn when a run ends at least this long after
            its last redraw, and, through a long run, by a background thread.
          clock: Seconds, for the speed and the redraws (a test's fake clock).
        """
        checks.choice("progress", progress, PROGRESS_MODES)
        for name, value in (("batch_size", batch_size), ("last_step", last_step),
                            ("examples_per_epoch", examples_per_epoch), ("width", width)):
            if value is not None:
                checks.positive_count(name, value)
        checks.positive("redraw_secs", redraw_secs)
        super().__init__(every_n_steps, every_n_secs, owner="TrainingLogHook")
        self._loss, self._tensors = loss, dict(tensors or {})
        self._batch_size, self._last_step = batch_size, last_step
        self._rate_arg, self._output_dir = learning_rate, output_dir
        self._stream = stream or sys.stderr
        self._examples_per_epoch = examples_per_epoch
        self._redraw_secs, self._clock = redraw_secs, clock
        self.live_line = (LiveLine(self._stream, width or terminal_width(self._stream))
                          if use_live_progress(progress, self._stream) else None)
        if log_fn is not None:
            self._log = log_fn
        elif self.live_line is not None:
            self._log = self.live_line.print_above
        else:
            self._log = log_line
        self._window = RunningMeans()
        self._ticker: Optional[Ticker] = None
        self._trained: Optional[_Trained] = None

    def write_line(self, line: str, stream: Optional[TextIO] = None) -> None:
        """Prints `line` (e.g. a program's own line) without breaking the live line.

        While the live line is drawn, `line` goes above it (to `stream`, default the live
        line's) and the live line is redrawn; otherwise it is written to `stream`, or, without
        one, given to `log_fn`. Safe from any thread: one lock orders it with the redraws.
        """
        if self.live_line is None:
            self._write_plain(line, stream)
            return
        with self.live_line.lock:
            if self.live_line.drawn:
                self.live_line.print_above(line, stream)
            else:
                self._write_plain(line, stream)

    def _write_plain(self, line: str, stream: Optional[TextIO]) -> None:
        if stream is not None:
            stream.write(line + "\n")
            stream.flush()
        else:
            self._log(line)

    def begin(self) -> None:
        super().begin()
        if self.live_line is not None:
            self.live_line.reopen()
        graph = tf1.get_default_graph()
        values, step, self._exact_step_fetch = graph_lookup.telemetry_tensors(
            graph, self._rate_arg)
        scheduled: Dict[str, object] = {graph_lookup.value_label(name): tensor
                                        for name, tensor in values.items()}
        shown, averaged = dict(scheduled), {}
        named = [("loss", self._loss, "loss")] if self._loss is not None else []
        named += [(name, tensor, f"tensors[{name!r}]") for name, tensor in self._tensors.items()]
        for name, tensor, argument in named:
            resolved = graph_lookup.resolve_rate(graph, tensor, argument)
            (averaged if _averaged(tf.convert_to_tensor(resolved)) else shown)[name] = resolved
        self._fetches = {"step": step, "values": shown}
        # Every run that trains: the scalars to average and, for the live line, the scheduled
        # values of the step it shows, in one float64 vector (one fetch, no structure).
        self._averaged_names = list(averaged)
        self._current_names = list(scheduled) if self.live_line is not None else []
        every_run = list(averaged.values())
        every_run += [scheduled[name] for name in self._current_names]
        self._every_run = None
        if every_run or self.live_line is not None:  # the live line follows every run
            with tf1.name_scope("TrainingLogHook"):
                self._every_run = (tf.stack([tf.cast(tensor, tf.float64) for tensor in every_run])
                                   if every_run else tf.constant([], tf.float64))
        self._writer = (tf1.summary.FileWriterCache.get(self._output_dir)
                        if self._output_dir else None)

    def after_create_session(self, session, coord) -> None:
        super().after_create_session(session, coord)
        now = self._clock()
        self._last_time = self._last_logged = self._last_speed = None
        self._window.reset()
        self._window_start = (self._tracker.step, now)
        self._session_start, self._last_draw, self._drawn_step = now, None, None
        self._trained = None
        self._in_run_since: Optional[float] = None
        if self.live_line is not None and self._ticker is None:
            self._ticker = Ticker(self.live_line, self._tick_frame, self._redraw_secs,
                                  self._clock)
            self._ticker.start()

    def before_run(self, run_context):
        args = super().before_run(run_context)
        self._in_run_since = self._clock() if self._tracker.pending != 0 else None
        return args

    def _every_run_fetches(self) -> Optional[tf.Tensor]:
        return self._every_run

    def _each_run(self, started_at: int, results: np.ndarray) -> None:
        numbers = results.tolist()
        count = len(self._averaged_names)
        # Counted also with nothing to average: the live line's "steps since the last line".
        self._window.add(dict(zip(self._averaged_names, numbers[:count])))
        if self.live_line is not None:
            step, now = started_at + 1, self._clock()
            self._trained = _Trained(step, dict(zip(self._current_names, numbers[count:])),
                                     self._window.means(), self._window_speed(step, now), now)

    def after_run(self, run_context, run_values) -> None:
        self._drew_now = False
        super().after_run(run_context, run_values)
        self._in_run_since = None
        if (self.live_line is not None and self._trained is not None and not self._drew_now
                and (self._last_draw is None or
                     self._trained.at - self._last_draw >= self._redraw_secs)):
            self._draw(self._trained)

    def _window_speed(self, step: int, now: float) -> Optional[float]:
        start_step, start_time = self._window_start
        if step > start_step and now > start_time:
            return (step - start_step) / (now - start_time)
        return self._last_speed if self._last_time is not None else None

    def _frame(self, trained: _Trained, now: float) -> str:
        return format_progress(
            trained.step, self._last_step, {**trained.values, **trained.means}, trained.speed,
            self.live_line.width,
            epochs_done(trained.step, self._batch_size, self._examples_per_epoch),
            seconds_since=now - trained.at, elapsed=now - self._session_start)

    def _draw(self, trained: _Trained) -> None:
        now = self._clock()
        with self.live_line.lock:
            self.live_line.draw(self._frame(trained, now))
            self._last_draw, self._drawn_step, self._drew_now = trained.at, trained.step, True
            if self._ticker is not None:
                self._ticker.note_draw(now)

    def _tick_frame(self, now: float) -> Optional[str]:
        """The ticker's frame: the last one again, its time moved on, once a run has lasted
        `redraw_secs` (shorter runs redraw the line themselves)."""
        trained, since = self._trained, self._in_run_since
        if since is None or trained is None or now - since < self._redraw_secs:
            return None
        return self._frame(trained, now)

    def _due(self, started_at, results, run_context) -> None:
        self._report(started_at + 1, results["values"])

    def _report(self, step: int, values: Mapping[str, object]) -> None:
        now = self._clock()
        speed = None
        if (self._last_time is not None and step > self._last_logged
                and now > self._last_time):
            speed = (step - self._last_logged) / (now - self._last_time)
        self._last_time, self._last_logged, self._last_speed = now, step, speed
        epoch = epochs_done(step, self._batch_size, self._examples_per_epoch)
        if self.live_line is not None and self._trained is not None:
            # The live line shows this line's numbers (drawn first, so that the line printed
            # above it is followed by this frame, not the one before).
            self._draw(dataclasses.replace(self._trained, speed=speed))
        self._log(format_line(step, self._last_step, values, speed, self._batch_size, epoch,
                              self._window.means(), self._window.count))
        self._window.reset()
        self._window_start = (step, now)
        if self._writer is not None and speed is not None:
            tag, value = (("examples/sec", speed * self._batch_size) if self._batch_size
                          else ("steps/sec", speed))
            self._writer.add_summary(
                tf1.Summary(value=[tf1.Summary.Value(tag=tag, simple_value=value)]), step)

    def end(self, session) -> None:
        if self._ticker is not None:
            self._ticker.stop()
            self._ticker = None
        if self.live_line is not None:
            # Steps trained since the last log line stay on the screen in the live line, at
            # the last step; otherwise that log line says it all and the live line goes.
            partial = self._window.count > 0 and self._trained is not None
            if partial and self._drawn_step != self._trained.step:
                self._draw(self._trained)
            self.live_line.close(keep=partial)
