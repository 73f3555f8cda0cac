"""Summaries with exact tags.

`tf.compat.v1.summary.scalar("learning_rate", rate)` tags the value
`learning_rate_1` when an op called `learning_rate` already exists (as the
tensor made by `lrhooks.learning_rate()` is), because the tag is the unique name
scope. These helpers write the tag exactly as given.
"""

from typing import Optional

import tensorflow as tf

from lrhooks import checks

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
        from lrhooks import rate_tensor  # pylint: disable=import-outside-toplevel
        source = rate_tensor.source_of(rate) if isinstance(rate, tf.Tensor) else None
        tag = source.name if source is not None else "learning_rate"
    return scalar_summary(tag, rate)
