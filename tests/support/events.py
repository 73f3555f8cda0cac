"""Reading event files back: the one reader of every test.

Two ways, for two questions:

* `scalar_points` / `scalar_series` read the raw records of every event file directly in a
  directory, file by file in name order, and raise on a corrupt file: what was written.
* `load` / `scalars` / `tags` / `plugin_contents` go through TensorBoard's `EventAccumulator`
  (every record kept, none sampled): what TensorBoard shows for one run directory (or file).
"""

import os
from typing import Dict, List, Set, Tuple

import tensorflow as tf
from tensorboard.backend.event_processing import event_accumulator


def record_steps(path) -> List[int]:
    """The step of every record holding summary values in the event file `path`, in order."""
    return [event.step for event in tf.compat.v1.train.summary_iterator(str(path))
            if event.summary.value]


def scalar_points(logdir, tag: str, torn_end_ok: bool = False) -> List[Tuple[int, float]]:
    """Every (step, value) of `tag`, file by file in name order.

    A corrupt file raises `tf.errors.DataLossError`, unless `torn_end_ok`: then a file is read
    up to its first damaged record (a process killed while writing tears the last one).
    """
    points = []
    if not os.path.isdir(logdir):
        return points
    for name in sorted(os.listdir(logdir)):
        if "tfevents" in name:
            try:
                for event in tf.compat.v1.train.summary_iterator(os.path.join(logdir, name)):
                    points += [(event.step, v.simple_value) for v in event.summary.value
                               if v.tag == tag]
            except tf.errors.DataLossError:
                if not torn_end_ok:
                    raise
    return points


def scalar_series(logdir, tag: str) -> Dict[int, float]:
    """{step: value} of `tag` (a later record of a step replaces an earlier one)."""
    return dict(scalar_points(logdir, tag))


def load(path) -> event_accumulator.EventAccumulator:
    """TensorBoard's view of a run directory (or one event file), every record kept."""
    accumulator = event_accumulator.EventAccumulator(
        str(path), size_guidance={event_accumulator.SCALARS: 0, event_accumulator.TENSORS: 0})
    accumulator.Reload()
    return accumulator


def scalars(path, tag: str) -> List[Tuple[int, float]]:
    """(step, value) of every point of the scalar `tag`, as TensorBoard shows them."""
    return [(event.step, event.value) for event in load(path).Scalars(tag)]


def tags(path, kind: str = event_accumulator.SCALARS) -> Set[str]:
    """The tags of `kind` (scalars, tensors, ...) TensorBoard finds."""
    return set(load(path).Tags()[kind])


def plugin_contents(path, plugin_name: str) -> Dict[str, bytes]:
    """{tag: plugin data content} of the tensor summaries of plugin `plugin_name`."""
    accumulator = load(path)
    return {tag: accumulator.SummaryMetadata(tag).plugin_data.content
            for tag in accumulator.Tags()[event_accumulator.TENSORS]
            if accumulator.SummaryMetadata(tag).plugin_data.plugin_name == plugin_name}
