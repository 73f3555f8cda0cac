"""Records runs for TensorBoard's HParams dashboard, from plain values.

Layout: one directory per training run under a parent, evaluation in `eval/`::

    runs/<run_name>/        training events (learning_rate, ...) + hparams
    runs/<run_name>/eval/   evaluation events (accuracy, ...)

Point TensorBoard at the parent (`tensorboard --logdir runs`): the HParams
plugin finds a metric `(tag, group)` of a session as the scalar `tag` of the
run `<session run>/<group>` (`"eval"` -> `runs/<run_name>/eval`; group `""` is
the session's own directory). Pointed at one run directory, the session run is
`.` and an `eval` metric is looked up in the run `./eval`, which does not exist
(the run is `eval`): it shows no value.

The plugin uses ONE experiment config (hparam names and types, metrics): that
of the first run it finds holding one; configs are not merged. Writing the same
config into every run directory therefore works whichever run is found first;
give all runs the same hparam names and metrics. A config in the parent itself
(run `.`, written before the runs) is found first and wins. Without any config the plugin
infers one from the sessions, listing every scalar tag as a metric. The plugin
keeps the first session start (and end) per run: values written again to a
run, e.g. on resume, are ignored.

An end status therefore never changes: write it once, when the run is over (a run stopped
to be continued writes none, so that the end of the continued run is its status).

Which hparam columns the HParams tab shows by default: TensorBoard sorts the hparams of the
experiment config marked `differs` first, then by name, and shows the first
`DEFAULT_COLUMNS` (5); the others are one click away. `shown=` marks the ones a program wants
visible by default. A run may record fewer hparams than the experiment config declares (the
settings that apply to it): its other cells stay empty.

Each call writes a new event file with its own name (existing files are never
touched) and returns once the clock has entered the next second, so that event
files made later (the trainer's) sort after it: TensorBoard reads a run's files
in name order and stops reading a file once a later-named one exists. Write
the session start before training opens its summary writer, the end after it
finished.
"""

import math
import os
import time
import uuid
from typing import Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import tensorflow as tf
from tensorboard.plugins.hparams import api_pb2
from tensorboard.plugins.hparams import summary as hparams_summary

from lrhooks import checks

tf1 = tf.compat.v1

Value = Union[bool, int, float, str]
Metric = Tuple[str, Optional[str]]
_STATUSES = {"success": api_pb2.STATUS_SUCCESS, "failure": api_pb2.STATUS_FAILURE,
             "running": api_pb2.STATUS_RUNNING, "unknown": api_pb2.STATUS_UNKNOWN}
# Hparam columns TensorBoard's HParams tab shows by default (its frontend's constant).
DEFAULT_COLUMNS = 5
_TYPES = {bool: api_pb2.DATA_TYPE_BOOL, int: api_pb2.DATA_TYPE_FLOAT64,
          float: api_pb2.DATA_TYPE_FLOAT64, str: api_pb2.DATA_TYPE_STRING}


def hparam_value(value) -> Optional[Value]:
    """Converts a value to one the plugin stores: bool, int, float or str.

    numpy scalars become Python scalars, tuples and lists a string like
    `"16,16,32,64"`, None stays None (skipped), anything else `str(value)`.
    """
    if isinstance(value, (np.generic, np.ndarray)):
        value = value.tolist()
    for kind in (bool, int, float, str):  # also makes subclasses (enums) plain
        if isinstance(value, kind):
            return kind(value) if kind is not str else str.__str__(value)
    if value is None:
        return None
    if isinstance(value, (tuple, list)):
        return ",".join(str(hparam_value(item)) for item in value)
    return str(value)


def _hparams(hparams: Mapping[str, object], types: bool = False) -> dict:
    """Validated, converted hparams without the None values (types kept if `types`)."""
    if not isinstance(hparams, Mapping):
        raise TypeError(f"`hparams` must be a mapping of names to values, got {hparams!r}")
    result = {}
    for name, value in hparams.items():
        if not isinstance(name, str) or not name:
            raise ValueError(f"`hparams` keys must be non-empty strings, got {name!r}")
        if not (types and isinstance(value, type) and value in _TYPES):
            value = hparam_value(value)
        if value is not None:
            result[name] = value
    return result


def _metrics(metrics: Sequence[Metric]) -> list:
    if isinstance(metrics, str) or not isinstance(metrics, Sequence):
        raise TypeError(f"`metrics` must be a sequence of (tag, group) pairs, got {metrics!r}")
    infos = []
    for metric in metrics:
        if (not isinstance(metric, (tuple, list)) or len(metric) != 2
                or not isinstance(metric[0], str) or not metric[0]
                or not isinstance(metric[1], (str, type(None)))):
            raise ValueError("`metrics` items must be (tag, group) pairs: a non-empty tag "
                             f"string and a group string or None, got {metric!r}")
        infos.append(api_pb2.MetricInfo(name=api_pb2.MetricName(tag=metric[0],
                                                                 group=metric[1] or "")))
    return infos


def _write(logdir, summaries) -> str:
    """Writes `summaries` into a new event file in `logdir`; returns its path."""
    if not isinstance(logdir, (str, os.PathLike)) or not os.fspath(logdir):
        raise ValueError(f"`logdir` must be a non-empty path, got {logdir!r}")
    logdir = os.fspath(logdir)
    suffix = f".lrhooks-hparams.{os.getpid()}.{uuid.uuid4().hex[:8]}"
    with tf.Graph().as_default():
        writer = tf1.summary.FileWriter(logdir, filename_suffix=suffix)
        for summary in summaries:
            writer.add_summary(summary, global_step=0)
        writer.close()
    _wait_for_next_second()
    path, = [os.path.join(logdir, name) for name in os.listdir(logdir) if name.endswith(suffix)]
    return path


def _wait_for_next_second() -> None:
    """Event files made from now on have a later time in their name, so sort after."""
    now = time.time()
    time.sleep(math.floor(now) + 1 - now + 0.001)


def _shown(shown: Sequence[str], hparams: dict) -> set:
    if isinstance(shown, str) or not isinstance(shown, Sequence):
        raise TypeError(f"`shown` must be a sequence of hparam names, got {shown!r}")
    for name in shown:
        if name not in hparams:
            raise ValueError(f"`shown` names {name!r}, which is not an hparam of the experiment "
                             f"({', '.join(sorted(hparams))})")
    if len(set(shown)) > DEFAULT_COLUMNS:
        raise ValueError(f"`shown` names {len(set(shown))} hparams; TensorBoard shows "
                         f"{DEFAULT_COLUMNS} by default, got {list(shown)!r}")
    return set(shown)


def _experiment_summary(hparams: dict, metrics, description, time_created_secs,
                        shown: Sequence[str] = ()):
    marked = _shown(shown, hparams)
    # `differs` is what the dashboard sorts first and shows by default.
    infos = [api_pb2.HParamInfo(name=name, type=_TYPES[value if isinstance(value, type)
                                                      else type(value)],
                                differs=name in marked)
             for name, value in hparams.items()]
    if not isinstance(description, str):
        raise TypeError(f"`description` must be a string, got {description!r}")
    return hparams_summary.experiment_pb(infos, _metrics(metrics), description=description,
                                         time_created_secs=time_created_secs)


def write_experiment(logdir, hparams: Mapping[str, object], metrics: Sequence[Metric], *,
                     description: str = "", time_created_secs: Optional[float] = None,
                     shown: Sequence[str] = ()) -> str:
    """Writes the experiment config: hparam names and types, and the metrics.

    Domains are left open, so the dashboard filters no session out.

    Args:
      logdir: Directory to write into (a run directory, or the parent).
      hparams: Names to example values (converted by `hparam_value`; None is
        skipped) or to their types: bool, int, float or str.
      metrics: `(tag, group)` pairs: the scalar `tag` in the run `group`
        below each session's run (`""` or None: the session's own run), e.g.
        `[("accuracy", "eval")]`. The program names them: there is no default.
      description: Markdown shown by the dashboard.
      time_created_secs: Creation time; default now.
      shown: Names of `hparams` (at most `DEFAULT_COLUMNS`) the dashboard shows by default,
        marked `differs` so that they sort first; the others are hidden until ticked.

    Returns:
      The path of the event file written.

    Raises:
      ValueError, TypeError: A bad argument, named in the message.
    """
    summary = _experiment_summary(_hparams(hparams, types=True), metrics, description,
                                  time_created_secs, shown)
    return _write(logdir, [summary])


def write_session(run_dir, hparams: Mapping[str, object], trial_id: Optional[str] = None,
                  start_time_secs: Optional[float] = None, group_name: Optional[str] = None,
                  *, metrics: Optional[Sequence[Metric]] = None,
                  experiment_hparams: Optional[Mapping[str, object]] = None,
                  shown: Sequence[str] = ()) -> str:
    """Writes the session start: the hparam values of the run in `run_dir`.

    Args:
      run_dir: The run's directory (a subdirectory of the directory TensorBoard
        is pointed at).
      hparams: Names to values, converted by `hparam_value`; None is skipped.
      trial_id: Same as `group_name` (the name `summary_v2.hparams` uses).
      start_time_secs: Start time; default now.
      group_name: Sessions with the same group name form one row of the
        dashboard, with averaged metrics. Default: the run's own name.
      metrics: If given, the experiment config for these hparams and metrics
        (as `write_experiment`) is written into the same file.
      experiment_hparams: With `metrics`: the experiment config's hparams (names to example
        values or types, as `write_experiment`) when they are more than this run's, e.g. the
        settings of every model a program trains, of which a run records those that apply.
        Every name of `hparams` must be one of them. Default: `hparams`.
      shown: With `metrics`: as `write_experiment`.

    Returns:
      The path of the event file written.

    Raises:
      ValueError, TypeError: A bad argument, named in the message.
    """
    values = _hparams(hparams)
    for arg, name in ((trial_id, "trial_id"), (group_name, "group_name")):
        if not isinstance(arg, (str, type(None))):
            raise TypeError(f"`{name}` must be a string or None, got {arg!r}")
    if trial_id is not None and group_name is not None and trial_id != group_name:
        raise ValueError(f"`trial_id` ({trial_id!r}) and `group_name` ({group_name!r}) name "
                         "the same thing: pass one")
    summaries = []
    if metrics is not None:
        declared = values if experiment_hparams is None else _hparams(experiment_hparams,
                                                                      types=True)
        missing = sorted(set(values) - set(declared))
        if missing:
            raise ValueError(f"`hparams` has {missing[0]!r}, which `experiment_hparams` lacks: "
                             "the dashboard would not show it")
        summaries.append(_experiment_summary(declared, metrics, "", None, shown))
    elif experiment_hparams is not None or shown:
        raise ValueError("`experiment_hparams` and `shown` describe the experiment config: "
                         "pass `metrics` too")
    summaries.append(hparams_summary.session_start_pb(
        values, group_name=group_name or trial_id or "", start_time_secs=start_time_secs))
    return _write(run_dir, summaries)


def write_session_end(run_dir, status: str = "success",
                      end_time_secs: Optional[float] = None) -> str:
    """Writes the session end: `status` is success, failure, running or unknown.

    Returns:
      The path of the event file written.
    """
    checks.choice("status", status, tuple(_STATUSES))
    return _write(run_dir, [hparams_summary.session_end_pb(_STATUSES[status], end_time_secs)])
