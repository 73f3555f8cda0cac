"""PNG plots of a training run's scalars, from series or from any event files.

Pure functions: `read_scalars` (event files -> series), `pick_series` (series -> the
figures to draw), `plot_series` (series -> one PNG) and `write_plots` (all three).
matplotlib (Agg backend, no display) and TensorBoard's reader are imported when called,
so importing this module imports neither.
"""

import math
import os
import stat
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from lrhooks import safe_files

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


def plot_series(lines: Mapping[str, Series], path: str, title: str,
                log_scale: Optional[bool] = None) -> str:
    """Draws `lines` (label -> (step, value) points) into the PNG `path`; returns `path`.

    Args:
      lines: One line each, steps on the x axis.
      path: The PNG file to write (its directory must exist).
      title: Title and y-axis label.
      log_scale: Log y axis; default: when every value is > 0 and they span 100x or more
        (a rate decayed from 0.1 to 0.001 stays readable).

    Raises:
      ValueError: No line, or a line without points.
    """
    # pylint: disable=import-outside-toplevel
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    if not lines:
        raise ValueError(f"`lines` must hold at least one series for {title!r}")
    values = []
    for label, points in lines.items():
        if not points:
            raise ValueError(f"`lines` has no points for {label!r}")
        values += [value for _, value in points if math.isfinite(value)]
    if log_scale is None:
        log_scale = bool(values) and min(values) > 0 and max(values) >= 100 * min(values)
    figure = Figure(figsize=(8, 4.5), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot(1, 1, 1)
    for label, points in lines.items():
        steps, ys = zip(*points)
        axes.plot(steps, ys, label=label, marker="." if len(points) < 50 else None)
    if log_scale:
        axes.set_yscale("log")
    axes.set_title(title)
    axes.set_xlabel("step")
    axes.set_ylabel(title)
    axes.grid(True, alpha=0.3)
    axes.legend(loc="best", fontsize="small")
    figure.tight_layout()
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
    return [plot_series(lines, paths[figure], figure) for figure, lines in picked.items()
            if not (only_missing and is_complete_png(paths[figure]))]
