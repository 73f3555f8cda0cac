"""The preview's library functions: chart, key points and TensorBoard series of a schedule.

Re-exported by `lrhooks.preview` (import them from there). Imports neither absl nor
TensorFlow (`write_series` imports TensorFlow when called).
"""

import bisect
import math
import os
import uuid
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from lrhooks import checks
from lrhooks.schedules import stateful_parts

__all__ = ["render_chart", "key_points", "format_key_points", "series_steps", "write_series",
           "write_series_file",
           "MIN_WIDTH", "MIN_HEIGHT", "EXACT_SCAN_STEPS", "MAX_TABLE_BREAKPOINTS",
           "TENSORBOARD_SAMPLES"]

MIN_WIDTH, MIN_HEIGHT = 8, 3
EXACT_SCAN_STEPS = 1_000_000  # key_points evaluates every step up to this many steps
MAX_TABLE_BREAKPOINTS = 20
_SAMPLES_PER_COLUMN = 8  # evenly spaced steps per chart column, besides breakpoints
_MAX_COLUMN_BREAKPOINTS = 32
TENSORBOARD_SAMPLES = 1000  # TensorBoard's default number of points per scalar chart

ScheduleFn = Callable[[int], float]


def _rate(schedule: ScheduleFn, step: int) -> float:
    """`schedule(step)` as a float; ValueError (the one rate check) if unusable."""
    return checks.schedule_rate(schedule, step)


def _breakpoints(schedule: ScheduleFn, steps: int) -> Tuple[int, ...]:
    """`schedule.breakpoints(steps)`, or () for a plain callable."""
    method = getattr(schedule, "breakpoints", None)
    return tuple(method(steps)) if method is not None else ()


def stateful_note(schedule: ScheduleFn) -> Optional[str]:
    """A one-line note for a schedule whose rates depend on what the program reports.

    For a `StatefulSchedule` (e.g. `reduce_lr_on_plateau(...)`, or a composition holding
    one) the chart and key points
    show its rate as of now (for a fresh one, its initial rate at every step); returns None
    for a pure schedule.
    """
    parts = stateful_parts(schedule)
    if not parts:
        return None
    held = "" if parts[0] is schedule else (
        f" (it holds {', '.join(type(part).__name__ for part in parts)})")
    return (f"note: {type(schedule).__name__} is stateful{held}: its rate is "
            f"{_rate(schedule, 0):.6g} "
            "until a reported metric (PlateauHook, schedule.report(value)) changes it; the "
            "chart shows that rate, not a forecast")


def render_chart(schedule: ScheduleFn, steps: int, width: int = 72, height: int = 16,
                 log_scale: bool = False) -> str:
    """Plots `schedule(step)` for steps `[0, steps)` as plain ASCII.

    Column `c` covers steps `[c * steps // width, (c + 1) * steps // width)` (at least one: with
    fewer steps than columns, neighbours repeat a step). It samples its first and last step, a few
    in between and its breakpoints with their predecessors, so a jump shows in its step's column.
    '*' marks the sampled rates (lowest to highest), '|' a jump from the previous column's last
    rate or a steep change within the column. Rows are labelled with the highest, middle and
    lowest rate (%.6g), columns with their first step: 0, the middle one and `steps - 1`. Lines
    are at most `label width + 2 + width` characters.

    Args:
      schedule: A `lrhooks.schedules.Schedule`, or any callable `step -> rate` (then without
        breakpoints).
      steps: The number of steps, >= 1.
      width: Plot columns, >= `MIN_WIDTH`.
      height: Plot rows, >= `MIN_HEIGHT`.
      log_scale: A log rate axis; zero rates then get the bottom row, labelled 0.

    Returns:
      The chart, `height + 2` lines without a final newline.

    Raises:
      ValueError: Bad arguments, or a rate that is not finite or is negative.
    """
    steps = checks.positive_count("steps", steps)
    width = checks.integer_at_least("width", width, MIN_WIDTH)
    height = checks.integer_at_least("height", height, MIN_HEIGHT)
    points = _breakpoints(schedule, steps)
    columns = []  # per column: its (step, rate) samples in step order
    for c in range(width):
        first = c * steps // width
        end = max(first + 1, (c + 1) * steps // width)
        picked = {first + (end - 1 - first) * i // (_SAMPLES_PER_COLUMN - 1)
                  for i in range(_SAMPLES_PER_COLUMN)}
        inside = points[bisect.bisect_left(points, first):bisect.bisect_left(points, end)]
        for b in (*inside[::-(-len(inside) // _MAX_COLUMN_BREAKPOINTS) or 1], *inside[-1:]):
            picked.update(s for s in (b - 1, b) if s >= first)
        columns.append([(s, _rate(schedule, s)) for s in sorted(picked)])
    rates = [r for column in columns for _, r in column]
    hi, lo = max(rates), min(rates)
    positive = [r for r in rates if r > 0]
    log_scale = log_scale and bool(positive)
    zero_row = log_scale and lo == 0  # the bottom row is reserved for 0
    last = height - 2 if zero_row else height - 1  # the lowest row for the range [low, hi]
    low = min(positive) if log_scale else lo
    scale = math.log10 if log_scale else (lambda v: v)

    def row(rate: float) -> int:
        if zero_row and rate == 0:
            return height - 1
        if hi == low:
            return last // 2
        return round((scale(hi) - scale(rate)) / (scale(hi) - scale(low)) * last)

    def value(r: int) -> float:  # the rate at the centre of row r
        v = scale(hi) - (scale(hi) - scale(low)) * r / last
        return 10 ** v if log_scale else v

    labels: Dict[int, str] = ({last // 2: "%.6g" % hi} if hi == low else
                              {0: "%.6g" % hi, last // 2: "%.6g" % value(last // 2),
                               last: "%.6g" % low})
    if zero_row:
        labels[height - 1] = "0"
    grid = [[" "] * width for _ in range(height)]
    previous = None
    for c, column in enumerate(columns):
        own = {row(r) for _, r in column}
        top, bottom = min(own), max(own)
        if previous is not None:  # join the previous column's last rate, exclusive
            top, bottom = min(top, previous + 1), max(bottom, previous - 1)
        for r in range(top, bottom + 1):
            grid[r][c] = "*" if r in own else "|"
        previous = row(column[-1][1])
    label_width = max(len(text) for text in labels.values())
    lines = [f"{labels.get(r, ''):>{label_width}} |{''.join(cells).rstrip()}"
             for r, cells in enumerate(grid)]
    middle, end_label = width // 2, str(steps - 1)
    axis, ticks = ["-"] * width, [" "] * width
    ticks[0] = "0"
    if steps > 1 and width - len(end_label) >= 2:
        ticks[width - len(end_label):] = end_label
        axis[width - 1] = "+"
    mid_step = middle * steps // width
    mid_label = str(mid_step)
    if (0 < mid_step < steps - 1 and middle >= 2
            and middle + len(mid_label) < width - len(end_label)):
        ticks[middle:middle + len(mid_label)] = mid_label
        axis[middle] = "+"
    lines.append(" " * label_width + " +" + "".join(axis))
    lines.append(" " * (label_width + 2) + "".join(ticks).rstrip())
    return "\n".join(lines)


def key_points(schedule: ScheduleFn, steps: int) -> List[Tuple[str, int, float]]:
    """The rows `(name, step, rate)` of the key-point table, for steps `[0, steps)`.

    In order: ("start", 0, ...), ("breakpoint", b, ...) for every `b` in
    `schedule.breakpoints(steps)`, ("min", ...), ("max", ...) at the first step reaching the
    extreme, and ("end", steps - 1, ...). Min and max are exact: up to `EXACT_SCAN_STEPS` steps
    every step is evaluated; beyond, the first and last step, the breakpoints with their
    predecessors and `EXACT_SCAN_STEPS` evenly spaced steps, which is exact for every schedule
    that is monotone between breakpoints (all built-ins except `linear_cosine_decay` with
    `num_periods > 0.5`, where the extremes can be off by the sample spacing).

    Args:
      schedule: As for `render_chart`.
      steps: The number of steps, >= 1.

    Returns:
      The rows, rates as Python floats.

    Raises:
      ValueError: Bad `steps`, or a rate that is not finite or is negative.
    """
    steps = checks.positive_count("steps", steps)
    points = _breakpoints(schedule, steps)
    if steps <= EXACT_SCAN_STEPS:
        candidates = range(steps)
    else:
        candidates = sorted({0, steps - 1, *points, *(b - 1 for b in points if b > 0),
                             *(i * (steps - 1) // (EXACT_SCAN_STEPS - 1)
                               for i in range(EXACT_SCAN_STEPS))})
    low = high = None
    for step in candidates:
        rate = _rate(schedule, step)
        if low is None or rate < low[1]:
            low = (step, rate)
        if high is None or rate > high[1]:
            high = (step, rate)
    return ([("start", 0, _rate(schedule, 0))]
            + [("breakpoint", b, _rate(schedule, b)) for b in points]
            + [("min", *low), ("max", *high), ("end", steps - 1, _rate(schedule, steps - 1))])


def format_key_points(rows: Sequence[Tuple[str, int, float]],
                      max_breakpoints: int = MAX_TABLE_BREAKPOINTS) -> str:
    """The key points as a text table, showing at most `max_breakpoints` breakpoint rows."""
    total = sum(1 for name, _, _ in rows if name == "breakpoint")
    step_width = max(4, *(len(str(step)) for _, step, _ in rows))
    lines, seen = [f"{'point':<10}  {'step':>{step_width}}  rate"], 0
    for name, step, rate in rows:
        if name == "breakpoint":
            seen += 1
            if seen > max_breakpoints:
                if seen == total:
                    lines.append(f"... {total - max_breakpoints} more breakpoints omitted")
                continue
        lines.append(f"{name:<10}  {step:>{step_width}}  {rate:.6g}")
    return "\n".join(lines)


def series_steps(schedule: ScheduleFn, steps: int, max_points: int = 10_000) -> List[int]:
    """The steps `write_series` writes: all of them, or if more than `max_points`, every k-th
    step (k = ceil(steps / max_points)), the last step, every breakpoint and its predecessor."""
    steps = checks.positive_count("steps", steps)
    max_points = checks.positive_count("max_points", max_points)
    if steps <= max_points:
        return list(range(steps))
    points = _breakpoints(schedule, steps)
    return sorted({*range(0, steps, -(-steps // max_points)), steps - 1, *points,
                   *(b - 1 for b in points if b > 0)})


def write_series(schedule: ScheduleFn, steps: int, logdir: str, tag: str = "learning_rate",
                 max_points: int = 10_000) -> int:
    """Writes `schedule(s)` at step `s` as scalar `tag` into a new event file in `logdir`.

    The value at step label `s` is `schedule(s)` (the plan; see the module docstring for how
    training labels it). The file name ends in a fresh unique suffix, so existing event files are
    never appended to or overwritten. TensorBoard shows `TENSORBOARD_SAMPLES` random points per
    chart unless started with `--samples_per_plugin=scalars=N`.

    Args:
      schedule: As for `render_chart`.
      steps: The number of steps, >= 1.
      logdir: The directory (created if needed).
      tag: The scalar's tag.
      max_points: Above this many steps, write `series_steps(schedule, steps, max_points)`:
        every k-th step plus all breakpoints and their predecessors (on top of `max_points`),
        so jumps stay exact.

    Returns:
      The number of points written.

    Raises:
      ValueError: Bad arguments, or a rate that is not finite or is negative.
      OSError: `logdir` cannot be written.
    """
    return write_series_file(schedule, steps, logdir, tag, max_points)[0]


def write_series_file(schedule: ScheduleFn, steps: int, logdir: str, tag: str = "learning_rate",
                      max_points: int = 10_000) -> Tuple[int, str]:
    """`write_series`, also returning the path of the event file written."""
    import tensorflow as tf  # pylint: disable=import-outside-toplevel  (only needed here)
    checks.non_empty_string("tag", tag)
    chosen = series_steps(schedule, steps, max_points)
    rates = [_rate(schedule, s) for s in chosen]  # fail before creating a file
    suffix = f".{os.getpid()}.{uuid.uuid4().hex[:12]}.preview"
    try:
        with tf.Graph().as_default():
            writer = tf.compat.v1.summary.FileWriter(logdir, filename_suffix=suffix)
            try:
                for step, rate in zip(chosen, rates):
                    writer.add_summary(tf.compat.v1.Summary(value=[
                        tf.compat.v1.Summary.Value(tag=tag, simple_value=rate)]), step)
            finally:
                writer.close()
    except tf.errors.OpError as error:
        raise OSError(f"cannot write an event file to {logdir}: {error.message}") from None
    [path] = [os.path.join(logdir, n) for n in os.listdir(logdir) if n.endswith(suffix)]
    return len(chosen), path

