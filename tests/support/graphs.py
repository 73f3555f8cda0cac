"""Tiny training graphs whose runs record the rate they actually applied.

`build(kind)` makes a one-weight model trained by plain SGD and returns handles.
Each training run records, *inside the run* and before the optimizer increments
`global_step`, (a) the rate the optimizer consumed and (b) an in-graph reference
`tf.compat.v1.train.piecewise_constant` (or any TF decay function) evaluated at
the step the run started from. Both are ordered before the increment by control
dependencies, so the records are exact, not racy.
"""

import dataclasses
from typing import Callable, Optional

import tensorflow as tf

import lrhooks

tf1 = tf.compat.v1

KINDS = ("graph", "placeholder", "constant", "placeholder_with_default", "variable")


@dataclasses.dataclass
class TinyModel:
    graph: tf.Graph
    global_step: tf.Variable
    rate: object  # what the hook drives (tensor or variable)
    train_op: tf.Operation
    loss: tf.Tensor
    applied: tf.Variable  # rate consumed by the last training run
    reference: tf.Variable  # in-graph reference rate at the step the last run started
    started_at: tf.Variable  # step the last training run started at


def make_rate(kind: str, initial: float = 0.1, table_size: int = 1024):
    if kind == "graph":
        return lrhooks.learning_rate(table_size=table_size)
    if kind == "placeholder":
        return tf1.placeholder(tf.float32, [], name="lr")
    if kind == "constant":
        return tf.constant(initial, tf.float32, name="lr")
    if kind == "placeholder_with_default":
        return tf1.placeholder_with_default(tf.constant(initial, tf.float32), [], name="lr")
    if kind == "variable":
        return tf1.get_variable("lr", initializer=tf.constant(initial), trainable=False)
    raise ValueError(kind)


def build(kind: str, reference_fn: Optional[Callable[[tf.Tensor], tf.Tensor]] = None,
          graph: Optional[tf.Graph] = None, table_size: int = 1024) -> TinyModel:
    """Builds the tiny model in `graph` (a new one by default)."""
    graph = graph or tf.Graph()
    with graph.as_default():
        global_step = tf1.train.get_or_create_global_step()
        rate = make_rate(kind, table_size=table_size)
        weight = tf1.get_variable("w", initializer=tf.constant(1.0))
        loss = tf.square(weight) * 0.5
        applied = tf1.get_variable("applied", initializer=tf.constant(-1.0), trainable=False)
        reference = tf1.get_variable("reference", initializer=tf.constant(-1.0),
                                     trainable=False)
        started_at = tf1.get_variable("started_at", initializer=tf.constant(-1, tf.int64),
                                      trainable=False)
        step_now = global_step.read_value()
        ref_value = (reference_fn(step_now) if reference_fn is not None
                     else tf.constant(-1.0))
        rate_value = tf.convert_to_tensor(rate)
        record = tf.group(applied.assign(rate_value), reference.assign(tf.cast(ref_value, tf.float32)),
                          started_at.assign(step_now))
        optimizer = tf1.train.GradientDescentOptimizer(rate_value)
        grads = tf.gradients(loss, [weight])
        with tf.control_dependencies([record]):
            train_op = optimizer.apply_gradients(zip(grads, [weight]), global_step=global_step,
                                                 name="train_step")
    return TinyModel(graph, global_step, rate, train_op, loss, applied, reference, started_at)
