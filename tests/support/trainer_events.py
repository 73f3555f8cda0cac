"""Event readers the trainer's tests need beyond `events.py` (to merge into it later)."""

import os
from typing import List, Tuple

import tensorflow as tf


def scalar_points_before_torn_end(logdir, tag: str) -> List[Tuple[int, float]]:
    """Like `events.scalar_points`, but a file whose last record is torn (a process killed
    while writing) is read up to that record instead of raising."""
    points = []
    for name in sorted(os.listdir(logdir)):
        if "tfevents" in name:
            try:
                for event in tf.compat.v1.train.summary_iterator(os.path.join(logdir, name)):
                    points += [(event.step, v.simple_value) for v in event.summary.value
                               if v.tag == tag]
            except tf.errors.DataLossError:
                pass
    return points
