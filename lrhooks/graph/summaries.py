"""Summaries with exact tags.

`tf.compat.v1.summary.scalar("learning_rate", rate)` tags the value
`learning_rate_1` when an op called `learning_rate` already exists (as the
tensor made by `lrhooks.learning_rate()` is), because the tag is the unique name
scope. These helpers write the tag exactly as given.

`review_layout` makes a layout for TensorBoard's Custom Scalars tab with the rate
(and every scheduled value) first, then the charts a program names: written once
into a run's event file, it opens at http://localhost:6006/#custom_scalars.
"""

import re
from typing import Mapping, Optional, Sequence

import tensorflow as tf
from tensorboard.plugins.custom_scalar import layout_pb2
from tensorboard.plugins.custom_scalar import summary as custom_scalar

from lrhooks import checks
from lrhooks.graph import rate_tensor

tf1 = tf.compat.v1


def scalar_summary(tag: str, value: tf.Tensor, collections: Optional[list] = None) -> tf.Tensor:
    """A scalar summary op whose tag is exactly `tag`, added to `collections`.

    Args:
      tag: The TensorBoard tag, e.g. "learning_rate".
      value: A real scalar tensor.
      collections: Graph collections to add the op to (default: SUMMARIES).
    """
    checks.non_empty_string("tag", tag)
    with tf.name_scope("summary_" + tag.replace("/", "_")):
        summary = tf.raw_ops.ScalarSummary(tags=tf.constant(tag), values=value)
    for key in collections if collections is not None else [tf1.GraphKeys.SUMMARIES]:
        tf1.add_to_collection(key, summary)
    return summary


def rate_summary(rate: tf.Tensor, tag: Optional[str] = None) -> tf.Tensor:
    """The scalar summary of a rate or scheduled value, tagged exactly (see `scalar_summary`).

    Args:
      rate: A rate tensor, or any tensor made by `lrhooks.scheduled_value()`.
      tag: The tag; default: the value's name for a `scheduled_value()` tensor
        (`learning_rate`, `momentum`, ...), else "learning_rate".
    """
    if tag is None:
        source = rate_tensor.source_of(rate) if isinstance(rate, tf.Tensor) else None
        tag = source.name if source is not None else "learning_rate"
    return scalar_summary(tag, rate)


def _chart(title: str, tags: Sequence[str]):
    checks.non_empty_string("title", title)
    if isinstance(tags, str) or not isinstance(tags, Sequence) or not tags:
        raise TypeError(f"`charts` values must be non-empty sequences of tags, got {tags!r} "
                        f"for {title!r}")
    patterns = [f"^{re.escape(checks.non_empty_string('tag', tag))}$" for tag in tags]
    return layout_pb2.Chart(title=title,
                            multiline=layout_pb2.MultilineChartContent(tag=patterns))


def review_layout(charts: Mapping[str, Sequence[str]],
                  scheduled: Optional[Sequence[str]] = None) -> tf1.Summary:
    """A Custom Scalars layout summary: the schedule first, then `charts`.

    Category "schedule": one chart per scheduled value (the rate, momentum, ...).
    Category "training": one chart per item of `charts`, each holding its tags in
    every run (e.g. `loss` of `runs/a` and of `runs/a/eval` in one chart, and of
    `runs/b` beside them). Write it once per run, e.g.
    `writer.add_summary(review_layout(...), 0)`: TensorBoard reads the first layout
    of each run and merges the runs' layouts by category title.

    Args:
      charts: Chart title -> the tags it plots, e.g. `{"accuracy": ["accuracy"]}`. The
        program names them: there is no default.
      scheduled: Tags of the scheduled values; default: the names of the values made by
        `lrhooks.scheduled_value()` / `learning_rate()` in the default graph, else
        `["learning_rate"]`.

    Returns:
      A `tf.compat.v1.Summary` holding the layout (TensorBoard's `custom_scalar` plugin).

    Raises:
      TypeError, ValueError: A bad argument, named in the message.
    """
    if not isinstance(charts, Mapping) or not charts:
        raise TypeError(f"`charts` must be a non-empty mapping of titles to tags, got {charts!r}")
    if scheduled is None:
        scheduled = [source.name for source in rate_tensor.sources(tf1.get_default_graph())]
        scheduled = sorted(set(scheduled), key=lambda name: (name != "learning_rate", name))
        scheduled = scheduled or ["learning_rate"]
    elif isinstance(scheduled, str) or not isinstance(scheduled, Sequence) or not scheduled:
        raise TypeError(f"`scheduled` must be a non-empty sequence of tags, got {scheduled!r}")
    layout = layout_pb2.Layout(category=[
        layout_pb2.Category(title="schedule", chart=[_chart(tag, [tag]) for tag in scheduled]),
        layout_pb2.Category(title="training",
                            chart=[_chart(title, tags) for title, tags in charts.items()])])
    return tf1.Summary.FromString(custom_scalar.pb(layout).SerializeToString())
