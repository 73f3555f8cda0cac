"""PNG plots of a training run's scalars, from series or from any event files.

Pure functions: `read_scalars` (event files -> series), `pick_series` (series -> the
figures to draw), `plot_series` (series -> one PNG) and `write_plots` (all three).
matplotlib (Agg backend, no display) and TensorBoard's reader are imported when called,
so importing this module imports neither.
"""

import json
import math
import os
import stat
from typing import TYPE_CHECKING, Dict, List, Mapping, Optional, Sequence, Tuple

from lrhooks.tools import safe_files

if TYPE_CHECKING:  # matplotlib is imported only when drawing
    from matplotlib.figure import Figure

Point = Tuple[int, float]
Series = List[Point]
Runs = Dict[str, Dict[str, Series]]  # run (its directory relative to logdir) -> tag -> points

# Figure name -> the tags it plots, matched against a tag's last path component, ignoring
# case (TF1 programs write "Precision", "train/loss", "lr", ...). The first figure also
# plots every tag a run's Custom Scalars layout lists under "schedule" (momentum, ...).
# Keras's TensorBoard callback writes epoch_loss, epoch_accuracy, epoch_learning_rate.
DEFAULT_FIGURES: Dict[str, Tuple[str, ...]] = {
    "learning_rate": ("learning_rate", "lr", "momentum", "epoch_learning_rate"),
    "loss": ("loss", "cross_entropy", "xent", "epoch_loss"),
    "accuracy": ("accuracy", "precision", "acc", "epoch_accuracy"),
}
_SCHEDULE_CATEGORY = "schedule"


class NoEventsError(ValueError):
    """The directory holds no event file with scalars (one line, naming it)."""


def _event_dirs(logdir: str) -> List[str]:
    found = []
    for directory, _, names in os.walk(logdir):
        if any("tfevents" in name for name in names):
            found.append(directory)
    return sorted(found)


def read_scalars(logdir: str) -> Tuple[Runs, Dict[str, List[str]]]:
    """Every scalar series of the event files under `logdir`, through TensorBoard's reader.

    TF1 `simple_value` summaries and TF2 scalar tensors alike (also a one-number tensor
    written without metadata); every point kept (no sampling); a later point of the same
    step replaces an earlier one. What cannot be drawn as a line is skipped: histograms,
    images, audio, text, strings (an Estimator's `checkpoint_path`), tensors of more than
    one number, graphs.

    Returns:
      (runs, scheduled): `runs[run][tag]` is the sorted (step, value) list, runs named by
      their directory relative to `logdir` ("." for `logdir` itself); `scheduled[run]` the
      tags the run's Custom Scalars layout lists under "schedule" (if it has one).

    Raises:
      NoEventsError: `logdir` holds no event file with a scalar.
    """
    # pylint: disable=import-outside-toplevel
    from tensorboard.backend.event_processing import plugin_event_accumulator as accumulators
    from tensorboard.plugins.custom_scalar import layout_pb2
    from tensorboard.plugins.custom_scalar import metadata as layout_metadata
    from tensorboard.util import tensor_util
    if not os.path.isdir(logdir):
        raise NoEventsError(f"--logdir {logdir!r} is not a directory")
    runs: Runs = {}
    scheduled: Dict[str, List[str]] = {}
    for directory in _event_dirs(logdir):
        run = os.path.relpath(directory, logdir)
        accumulator = accumulators.EventAccumulator(
            directory, size_guidance={accumulators.TENSORS: 0})
        accumulator.Reload()
        metadata = accumulator.AllSummaryMetadata()
        for tag in accumulator.Tags()[accumulators.TENSORS]:
            # A value written without metadata (an Estimator's `checkpoint_path`, a TF2
            # `tf.summary.write`) has none: it is drawn when it is a number.
            plugin = metadata[tag].plugin_data.plugin_name if tag in metadata else ""
            events = accumulator.Tensors(tag)
            if plugin in ("scalars", ""):
                points = _numbers(events, tensor_util)
                if points is not None:
                    runs.setdefault(run, {})[tag] = points
            elif plugin == layout_metadata.PLUGIN_NAME and events:
                layout = layout_pb2.Layout.FromString(events[0].tensor_proto.string_val[0])
                scheduled[run] = [tag_pattern.strip("^$").replace("\\", "")
                                  for category in layout.category
                                  if category.title == _SCHEDULE_CATEGORY
                                  for chart in category.chart
                                  for tag_pattern in chart.multiline.tag]
    if not runs:
        raise NoEventsError(f"no scalars in the event files under {logdir!r}: point --logdir "
                            "at a directory a training program wrote (e.g. its train_dir)")
    return runs, scheduled


def _numbers(events, tensor_util) -> Optional[Series]:
    """The sorted (step, value) points of a tag's tensors, or None when any is not one real
    number (a string, a histogram, an image): such a tag cannot be drawn and is skipped."""
    by_step = {}
    for event in events:
        try:
            value = tensor_util.make_ndarray(event.tensor_proto)
        except (TypeError, ValueError):  # a dtype numpy does not know
            return None
        if value.size != 1 or value.dtype.kind not in "iuf":
            return None
        by_step[event.step] = float(value.reshape(()))
    return sorted(by_step.items()) or None


def _matches(tag: str, names: Sequence[str]) -> bool:
    return tag.rsplit("/", 1)[-1].lower() in names


def pick_series(runs: Runs, scheduled: Optional[Mapping[str, Sequence[str]]] = None,
                figures: Mapping[str, Sequence[str]] = DEFAULT_FIGURES
                ) -> Dict[str, Dict[str, Series]]:
    """The figures to draw: figure name -> {line label: series}, figures without a series left out.

    A line is labelled `run/tag` (`tag` alone for the run "."), e.g. `accuracy` and
    `eval/accuracy` in the figure "accuracy".

    Args:
      runs: From `read_scalars`.
      scheduled: Per run, more tags for the first figure (the rate and the other
        scheduled values), e.g. from its Custom Scalars layout.
      figures: Figure name -> the tag names it plots (see `DEFAULT_FIGURES`).
    """
    scheduled = scheduled or {}
    first = next(iter(figures), None)
    picked: Dict[str, Dict[str, Series]] = {}
    for figure, names in figures.items():
        names = [name.lower() for name in names]
        lines = {}
        for run in sorted(runs):
            extra = [tag.lower() for tag in scheduled.get(run, ())] if figure == first else []
            for tag in sorted(runs[run]):
                if _matches(tag, names) or tag.lower() in extra:
                    lines[tag if run == "." else f"{run}/{tag}"] = runs[run][tag]
        if lines:
            picked[figure] = lines
    return picked


def label_smoothing_floor(label_smoothing: float, num_classes: int = 10) -> float:
    """The least cross-entropy against smoothed targets: their entropy.

    The target puts `1 - s + s / K` on the label and `s / K` on each other class, so a
    training loss with label smoothing `s` cannot go below this (0.50 for s = 0.1, K = 10).
    """
    if not 0 <= label_smoothing < 1:
        raise ValueError(f"`label_smoothing` must be in [0, 1), got {label_smoothing}")
    if num_classes < 2:
        raise ValueError(f"`num_classes` must be >= 2, got {num_classes}")
    rest = label_smoothing / num_classes
    label = 1.0 - label_smoothing + rest
    others = (num_classes - 1) * rest * math.log(rest) if rest else 0.0
    return -(label * math.log(label) + others)


def _wants_log(values: Sequence[float]) -> bool:
    """Every value > 0 and spanning 100x or more (float32 event values: 0.1 / 0.001 is a
    hair under 100, so the ratio has a tolerance of one part in a million)."""
    return bool(values) and min(values) > 0 and max(values) >= 100 * (1 - 1e-6) * min(values)


def _zoomed_limits(lines: Mapping[str, Series]) -> Optional[Tuple[float, float, int]]:
    """(bottom, top, points below bottom) for an accuracy-like axis, or None to keep the
    whole range: the axis starts at the lowest of the later half's points (steps past the
    middle of the drawn range), where the later points span at most a third of the full
    range (a run still climbing keeps it all); the early points below are counted."""
    points = [(step, value) for series in lines.values() for step, value in series
              if math.isfinite(value)]
    if len(points) < 3:
        return None
    first, last = min(s for s, _ in points), max(s for s, _ in points)
    middle = first + (last - first) / 2
    later = [value for step, value in points if step > middle] or [points[-1][1]]
    low, high = min(value for _, value in points), max(value for _, value in points)
    later_low = min(later)
    if high - later_low > (high - low) / 3 or high == later_low:
        return None
    pad = 0.08 * (high - later_low)
    bottom, top = later_low - pad, high + pad
    return bottom, top, sum(1 for _, value in points if value < bottom)


def _with_jumps(points: Series) -> Tuple[List[float], List[float], List[int]]:
    """(xs, ys, indices of the recorded points) of `points` with a vertical jump drawn
    right after point i where the value changes from i to i + 1 and held (two equal
    points) just before or just after that change."""
    def held(i):
        return 0 <= i < len(points) - 1 and math.isclose(points[i][1], points[i + 1][1],
                                                         rel_tol=1e-6, abs_tol=0.0)
    xs, ys, at_points = [points[0][0]], [points[0][1]], [0]
    for i in range(len(points) - 1):
        if not held(i) and (held(i - 1) or held(i + 1)):
            xs.append(points[i][0])
            ys.append(points[i + 1][1])
        xs.append(points[i + 1][0])
        ys.append(points[i + 1][1])
        at_points.append(len(xs) - 1)
    return xs, ys, at_points


def draw_figure(lines: Mapping[str, Series], title: str, log_scale: Optional[bool] = None, *,
                steps: bool = False, panel_each: bool = False, zoom: bool = False,
                note: Optional[str] = None) -> "Figure":
    """The matplotlib `Figure` of `lines` (label -> (step, value) points), not yet saved.

    Args:
      lines: One line each, steps on the x axis.
      title: Title and y-axis label.
      log_scale: Log y axis; default: when every value of a panel is > 0 and they span 100x
        or more (a rate decayed from 0.1 to 0.001 stays readable).
      steps: Draw the changes of a value that holds between changes as jumps: a change
        next to two equal points (the value held right before or right after it) is
        drawn vertical right after the point before it, where a schedule's boundary is
        when it falls on a round number as the summary steps do (a staircase that drops
        after step 500, recorded every 50 steps, drops at 500, not as a slope to 550); a
        value that changes at every point (warmup, cosine, one-cycle) stays a line.
      panel_each: One panel per line, each with its own y axis and scale (momentum
        does not share the rate's axis).
      zoom: The y axis starts where the later points are (an accuracy that climbs from 0.1
        to 0.99 is drawn over about 0.95-1); the y label says how many earlier points lie
        below.
      note: A line of text drawn under the plot (e.g. what the training loss includes).

    Every series of fewer than 50 points is drawn with round markers (a single evaluation
    is a visible point).

    Raises:
      ValueError: No line, or a line without points.
    """
    # pylint: disable=import-outside-toplevel
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    if not lines:
        raise ValueError(f"`lines` must hold at least one series for {title!r}")
    for label, points in lines.items():
        if not points:
            raise ValueError(f"`lines` has no points for {label!r}")
    groups = [{label: points} for label, points in lines.items()] if panel_each else [lines]
    height = 4.5 if len(groups) == 1 else 0.7 + 2.3 * len(groups)
    figure = Figure(figsize=(8, height + (0.3 if note else 0)), dpi=100)
    FigureCanvasAgg(figure)
    all_axes = figure.subplots(len(groups), 1, sharex=True, squeeze=False)[:, 0]
    for axes, group in zip(all_axes, groups):
        values = [value for points in group.values() for _, value in points
                  if math.isfinite(value)]
        for label, points in group.items():
            xs, ys, at_points = _with_jumps(points) if steps else (*zip(*points), None)
            axes.plot(xs, ys, label=label, marker="o" if len(points) < 50 else None,
                      markevery=at_points, markersize=4 if len(points) > 1 else 7)
        if _wants_log(values) if log_scale is None else log_scale:
            axes.set_yscale("log")
        ylabel = next(iter(group)) if panel_each else title
        limits = _zoomed_limits(group) if zoom else None
        if limits:
            bottom, top, below = limits
            axes.set_ylim(bottom, top)
            if below:
                ylabel += f" ({below} earlier point{'s' if below > 1 else ''} below)"
        axes.set_ylabel(ylabel, fontsize="small" if panel_each else None)
        axes.grid(True, alpha=0.3)
        axes.legend(loc="best", fontsize="small")
    all_axes[0].set_title(title)
    all_axes[-1].set_xlabel("step")
    if note:
        figure.text(0.01, 0.01, note, fontsize="small", ha="left", va="bottom")
    figure.tight_layout(rect=(0, 0.05 if note else 0, 1, 1))
    return figure


def plot_series(lines: Mapping[str, Series], path: str, title: str,
                log_scale: Optional[bool] = None, **drawing) -> str:
    """Draws `lines` (label -> (step, value) points) into the PNG `path`; returns `path`.

    Args:
      lines: One line each, steps on the x axis.
      path: The PNG file to write (its directory must exist).
      title: Title and y-axis label.
      log_scale: Log y axis; default: when every value is > 0 and they span 100x or more.
      **drawing: `steps`, `panel_each`, `zoom`, `note`: as `draw_figure`.

    Raises:
      ValueError: No line, or a line without points.
    """
    figure = draw_figure(lines, title, log_scale, **drawing)
    with safe_files.replacing(path, "wb") as f:  # complete or absent; never through a link
        figure.savefig(f, format="png")
    return path


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"  # the empty IEND chunk with its CRC


def is_complete_png(path: str) -> bool:
    """True for a regular file (not a link) that starts with the PNG signature and ends with
    its IEND chunk: what a drawing stopped part-way (or a link planted there) is not."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        info = os.fstat(fd)
        size = info.st_size
        if not stat.S_ISREG(info.st_mode) or size < len(_PNG_SIGNATURE) + len(_PNG_END):
            return False
        return (os.pread(fd, len(_PNG_SIGNATURE), 0) == _PNG_SIGNATURE
                and os.pread(fd, len(_PNG_END), size - len(_PNG_END)) == _PNG_END)
    finally:
        os.close(fd)


def write_plots(logdir: str, out_dir: Optional[str] = None,
                figures: Mapping[str, Sequence[str]] = DEFAULT_FIGURES,
                only_missing: bool = False) -> List[str]:
    """Reads every event file under `logdir` and writes `<figure>.png` into `out_dir`.

    Args:
      logdir: A run directory (its `eval/` included) or a parent of runs.
      out_dir: Where the PNGs go (made if missing); default `logdir`.
      figures: As `pick_series`.
      only_missing: Draw only the figures whose PNG is missing or damaged (not
        `is_complete_png`: e.g. left empty by a process killed while drawing it).

    Returns:
      The paths written, in figure order.

    Raises:
      NoEventsError: No scalars under `logdir`, or none of the figures' tags.
    """
    runs, scheduled = read_scalars(logdir)
    picked = pick_series(runs, scheduled, figures)
    if not picked:
        tags = sorted({tag for series in runs.values() for tag in series})
        raise NoEventsError(f"none of the tags {', '.join(t for f in figures.values() for t in f)}"
                            f" under {logdir!r} (its scalars: {', '.join(tags[:12])}"
                            f"{', ...' if len(tags) > 12 else ''})")
    out_dir = out_dir or logdir
    os.makedirs(out_dir, exist_ok=True)
    paths = {figure: os.path.join(out_dir, f"{figure}.png") for figure in picked}
    first = next(iter(figures))
    return [plot_series(lines, paths[figure], figure,
                        **figure_drawing(figure, figure == first, logdir, sorted(runs)))
            for figure, lines in picked.items()
            if not (only_missing and is_complete_png(paths[figure]))]


def figure_drawing(figure: str, scheduled: bool, logdir: str,
                   runs: Sequence[str] = (".",)) -> Dict[str, object]:
    """How `write_plots` draws a figure (`draw_figure`'s keywords).

    The scheduled values (the first figure) one panel each, their changes drawn as jumps
    where the value holds between points (a staircase) and as lines where it changes at
    every point; accuracy zoomed to where the later points are, with a note that a training
    point is one batch when a run's `train_config.json` names its batch size; loss with a note
    when that file says its training loss includes label smoothing.

    Args:
      figure: The figure's name (`DEFAULT_FIGURES`' keys).
      scheduled: Whether it is the figure of the scheduled values.
      logdir: The directory the runs are under.
      runs: The runs drawn, relative to `logdir` ("." for `logdir` itself).
    """
    if scheduled:
        return {"steps": True, "panel_each": True}
    if figure == "accuracy":
        notes = []
        for run in sorted(runs):
            batch_size = _batch_size(os.path.join(logdir, run))
            if batch_size:
                where = "" if run == "." else f" ({run})"
                notes.append(f"training accuracy{where}: one batch of {batch_size} examples a "
                             "point (noisy); test accuracy: the whole test set")
        return {"zoom": True, **({"note": "\n".join(notes)} if notes else {})}
    if figure == "loss":
        notes = []
        for run in sorted(runs):
            smoothing, classes = _label_smoothing(os.path.join(logdir, run))
            if smoothing:
                where = "" if run == "." else f" ({run})"
                notes.append(f"training loss{where} includes label smoothing {smoothing:g} "
                             f"(floor \u2248 {label_smoothing_floor(smoothing, classes):.2f}); "
                             "test loss does not")
        return {"note": "\n".join(notes)} if notes else {}
    return {}


def _run_settings(run_dir: str) -> Dict[str, object]:
    """`run_dir`'s train_config.json (the trainer's), its "hparams" merged into the top level;
    {} without one or when it is unreadable."""
    try:
        with open(os.path.join(run_dir, "train_config.json"), encoding="utf-8") as f:
            config = json.load(f)
        return {**config.get("hparams", {}), **config}
    except (OSError, ValueError, AttributeError, TypeError):
        return {}


def _batch_size(run_dir: str) -> int:
    """The training batch size a run's train_config.json names; 0 without one."""
    batch_size = _run_settings(run_dir).get("batch_size", 0)
    return batch_size if isinstance(batch_size, int) and batch_size > 0 else 0


def _label_smoothing(run_dir: str) -> Tuple[float, int]:
    """(label_smoothing, num_classes) from `run_dir`'s train_config.json, top level or under
    "hparams" as the trainer writes it; (0, 10) without one or when it is unreadable."""
    settings = _run_settings(run_dir)
    smoothing, classes = settings.get("label_smoothing", 0), settings.get("num_classes", 10)
    if not isinstance(classes, int) or classes < 2:
        classes = 10
    if not isinstance(smoothing, (int, float)) or not 0 < smoothing < 1:
        return 0.0, classes
    return float(smoothing), classes
