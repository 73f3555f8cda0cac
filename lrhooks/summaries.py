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


def rate_summary(rate: tf.Tensor, tag: str = "learning_rate") -> tf.Tensor:
    """The `learning_rate` scalar summary of a rate tensor (see `scalar_summary`)."""
    return scalar_summary(tag, rate)
