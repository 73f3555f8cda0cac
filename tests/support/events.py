"""Reading scalar series back from the event files of one directory (not recursive)."""

import os
from typing import Dict, List, Tuple

import tensorflow as tf


def scalar_points(logdir, tag: str) -> List[Tuple[int, float]]:
    """Every (step, value) of `tag`, file by file in name order; raises on a corrupt file."""
    points = []
    if not os.path.isdir(logdir):
        return points
    for name in sorted(os.listdir(logdir)):
        if "tfevents" in name:
            for event in tf.compat.v1.train.summary_iterator(os.path.join(logdir, name)):
                points += [(event.step, v.simple_value) for v in event.summary.value
                           if v.tag == tag]
    return points


def scalar_series(logdir, tag: str) -> Dict[int, float]:
    """{step: value} of `tag` (a later record of a step replaces an earlier one)."""
    return dict(scalar_points(logdir, tag))
