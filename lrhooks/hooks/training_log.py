"""`TrainingLogHook`: one readable line every N steps, and a live progress line on a terminal.

    step 1200/3500 (34%)  epoch 2.56  lr 0.1  loss 0.2345  accuracy 0.98  12.3 steps/s  ...

The learning rate shown is the one the logged run applied (the rate tensor is
fetched in that run). Only the logged runs fetch anything; the others cost a
counter increment. On a terminal, a `LiveLine` of fixed width is redrawn in place
instead; lines printed through `TrainingLogHook.write_line` go above it.
"""

import logging
import math
import os
import sys
import time
from typing import Callable, Dict, Mapping, Optional, TextIO, Union

import tensorflow as tf

from lrhooks import checks
from lrhooks.graph import graph_lookup
from lrhooks.hooks.step_trigger import PeriodicFetchHook

tf1 = tf.compat.v1
TensorLike = Union[str, tf.Tensor, tf.Variable]
PROGRESS_MODES = ("auto", "always", "never")
MAX_LIVE_WIDTH = 100
MIN_BAR_WIDTH = 10
_CLEAR = "\r\x1b[K"  # carriage return, erase to the end of the line


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


def format_line(step: int, last_step: Optional[int], values: Mapping[str, object],
                steps_per_sec: Optional[float], batch_size: Optional[int],
                epoch: Optional[float] = None) -> str:
    """The log line: step (and epoch), rate, loss and named values, speed and time left."""
    parts = [f"step {step}" if not last_step else
             f"step {step}/{last_step} ({100.0 * step / last_step:.0f}%)"]
    if epoch is not None:
        parts.append(f"epoch {epoch:.2f}")
    parts += [f"{name} {_number(value)}" for name, value in values.items()]
    if steps_per_sec:
        parts.append(f"{steps_per_sec:.3g} steps/s")
        if batch_size:
            parts.append(f"{steps_per_sec * batch_size:.0f} ex/s")
        if last_step:
            parts.append(f"ETA {format_duration((last_step - step) / steps_per_sec)}")
    return "  ".join(parts)


def format_progress(step: int, last_step: Optional[int], values: Mapping[str, object],
                    steps_per_sec: Optional[float], width: int = MAX_LIVE_WIDTH,
                    epoch: Optional[float] = None) -> str:
    """The live progress line, exactly `width` characters: step (and epoch), a bar (when the
    last step is known), values, speed, ETA.

    Every field has a fixed width (numbers are padded), so the bar and the values keep their
    places from one redraw to the next. The bar takes the room left; with less than
    `MIN_BAR_WIDTH` there is none, then (on a narrower terminal still) no speed; what still
    does not fit is cut at `width`.
    """
    digits = len(str(last_step)) if last_step else 1
    head = f"{step:>{digits}}/{last_step}" if last_step else f"{step}"
    if epoch is not None:
        head += f" epoch {epoch:5.2f}"
    fields = [f"{name} {_number(value):<7}" for name, value in values.items()]
    speed = f"{steps_per_sec:5.3g} it/s" if steps_per_sec else " " * 10
    if last_step:
        eta = (format_duration((last_step - step) / steps_per_sec) if steps_per_sec
               else "?")
        fields.append(f"ETA {eta:<6}")
    tail = " ".join(fields[:-1] + [speed] + fields[-1:] if last_step else fields + [speed])
    bar_width = width - len(head) - len(tail) - 4
    if last_step and bar_width >= MIN_BAR_WIDTH:
        done = min(bar_width, int(bar_width * step / last_step))
        return f"{head} [{'#' * done}{'.' * (bar_width - done)}] {tail}".ljust(width)
    if len(head) + 1 + len(tail) > width:  # a narrow terminal: the time left before the speed
        tail = " ".join(fields)
    return f"{head} {tail}".ljust(width)[:width]


def terminal_width(stream: TextIO, maximum: int = MAX_LIVE_WIDTH) -> int:
    """The columns of the terminal behind `stream`, minus one (so a full line never wraps),
    at most `maximum`; `maximum` when it cannot be told (not a terminal)."""
    try:
        columns = os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is both
        return maximum
    return max(20, min(maximum, columns - 1))


class LiveLine:
    """One line of fixed width redrawn in place; lines printed through it go above it.

    `draw(text)` replaces the line, `print_above(line)` clears it, prints `line` (to the
    same terminal, on this stream or another, e.g. stderr) and redraws it below, and
    `finish()` ends it with a newline, after which lines print normally.
    """

    def __init__(self, stream: TextIO, width: int):
        self.stream, self.width = stream, width
        self._text: Optional[str] = None

    @property
    def drawn(self) -> bool:
        return self._text is not None

    def draw(self, text: str) -> None:
        self._text = text.ljust(self.width)[:self.width]
        self.stream.write(_CLEAR + self._text)
        self.stream.flush()

    def print_above(self, line: str, stream: Optional[TextIO] = None) -> None:
        stream = stream or self.stream
        if self._text is None:
            stream.write(line + "\n")
            stream.flush()
            return
        self.stream.write(_CLEAR)
        self.stream.flush()
        stream.write(line + "\n")
        stream.flush()
        self.stream.write(self._text)
        self.stream.flush()

    def finish(self) -> None:
        if self._text is not None:
            self.stream.write("\n")
            self.stream.flush()
            self._text = None


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


def use_live_progress(mode: str, stream: TextIO) -> bool:
    """Whether to draw the live line: "always", "never", or ("auto") iff `stream` is a terminal.

    The library reads no environment: a program that must not draw it (e.g. under CI)
    passes "never".
    """
    if mode == "always":
        return True
    if mode == "never":
        return False
    return bool(hasattr(stream, "isatty") and stream.isatty())


class TrainingLogHook(PeriodicFetchHook):
    """Logs step, applied learning rate, loss, named tensors, speed and time left.

    Every scheduled value of the graph (`lrhooks.learning_rate()`,
    `lrhooks.scheduled_value("momentum", ...)`, ...) is its own column: "lr"
    for the learning rate, else the value's name.
    """

    def __init__(self, loss: Optional[TensorLike] = None,
                 tensors: Optional[Mapping[str, TensorLike]] = None, *,
                 every_n_steps: Optional[int] = 100, every_n_secs: Optional[float] = None,
                 batch_size: Optional[int] = None, last_step: Optional[int] = None,
                 learning_rate: Optional[TensorLike] = None, output_dir: Optional[str] = None,
                 progress: str = "auto", stream: TextIO = None,
                 log_fn: Callable[[str], None] = None,
                 examples_per_epoch: Optional[int] = None, width: Optional[int] = None):
        """Builds the hook; tensors given by name are resolved in `begin()`.

        Args:
          loss: The loss tensor (or its name) to show.
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
          log_fn: Where log lines go (default: the `lrhooks` logger at INFO when
            logging shows it, as in an absl program, else sys.stderr; see `log_line`).
          examples_per_epoch: The size of the training set: with `batch_size`, the
            epoch is shown beside the step.
          width: Columns of the live line (default: the terminal's, at most 100).
        """
        checks.choice("progress", progress, PROGRESS_MODES)
        for name, value in (("batch_size", batch_size), ("last_step", last_step),
                            ("examples_per_epoch", examples_per_epoch), ("width", width)):
            if value is not None:
                checks.positive_count(name, value)
        super().__init__(every_n_steps, every_n_secs, owner="TrainingLogHook")
        self._loss, self._tensors = loss, dict(tensors or {})
        self._batch_size, self._last_step = batch_size, last_step
        self._rate_arg, self._output_dir = learning_rate, output_dir
        self._stream = stream or sys.stderr
        self._examples_per_epoch = examples_per_epoch
        self.live_line = (LiveLine(self._stream, width or terminal_width(self._stream))
                          if use_live_progress(progress, self._stream) else None)
        self._log = log_fn or log_line

    def write_line(self, line: str, stream: Optional[TextIO] = None) -> None:
        """Prints `line` (e.g. a program's own line) without breaking the live line.

        While the live line is drawn, `line` goes above it (to `stream`, default the live
        line's) and the live line is redrawn; otherwise it is written to `stream`, or, without
        one, given to `log_fn`.
        """
        if self.live_line is not None and self.live_line.drawn:
            self.live_line.print_above(line, stream)
        elif stream is not None:
            stream.write(line + "\n")
            stream.flush()
        else:
            self._log(line)

    def begin(self) -> None:
        super().begin()
        graph = tf1.get_default_graph()
        values, step, self._exact_step_fetch = graph_lookup.telemetry_tensors(
            graph, self._rate_arg)
        fetches: Dict[str, object] = {graph_lookup.value_label(name): tensor
                                      for name, tensor in values.items()}
        if self._loss is not None:
            fetches["loss"] = graph_lookup.resolve_rate(graph, self._loss, "loss")
        for name, tensor in self._tensors.items():
            fetches[name] = graph_lookup.resolve_rate(graph, tensor, f"tensors[{name!r}]")
        self._fetches = {"step": step, "values": fetches}
        self._writer = (tf1.summary.FileWriterCache.get(self._output_dir)
                        if self._output_dir else None)

    def after_create_session(self, session, coord) -> None:
        super().after_create_session(session, coord)
        self._last_time = self._last_logged = None

    def _due(self, started_at, results, run_context) -> None:
        self._report(started_at + 1, results["values"])

    def _report(self, step: int, values: Mapping[str, object]) -> None:
        now = time.perf_counter()
        speed = None
        if self._last_time is not None and step > self._last_logged:
            speed = (step - self._last_logged) / (now - self._last_time)
        self._last_time, self._last_logged = now, step
        self._last_values, self._last_speed = values, speed
        epoch = epochs_done(step, self._batch_size, self._examples_per_epoch)
        if self.live_line is not None:
            self.live_line.draw(format_progress(step, self._last_step, values, speed,
                                                self.live_line.width, epoch))
        else:
            self._log(format_line(step, self._last_step, values, speed, self._batch_size,
                                  epoch))
        if self._writer is not None and speed is not None:
            tag, value = (("examples/sec", speed * self._batch_size) if self._batch_size
                          else ("steps/sec", speed))
            self._writer.add_summary(
                tf1.Summary(value=[tf1.Summary.Value(tag=tag, simple_value=value)]), step)

    def end(self, session) -> None:
        if self.live_line is not None:
            # Finish the live line at the final step, with the last values seen.
            step = int(session.run(self._step_read))
            if self._last_logged is not None and step != self._last_logged:
                self.live_line.draw(format_progress(
                    step, self._last_step, self._last_values, self._last_speed,
                    self.live_line.width,
                    epochs_done(step, self._batch_size, self._examples_per_epoch)))
            self.live_line.finish()
