"""Which step a rate follows: the step each run starts at, and a step variable made later.

`run_start_step()` is the tensor that reads the step at the start of each run: the very
read every scheduled value of the graph is computed from. A program that writes its own
summaries from its training runs (a `Supervisor` loop, `slim.learning.train` with a
`train_step_fn`) fetches it with the train op and the summary op and labels the summary
`step + 1`: TensorFlow's convention, the point at `s + 1` holds what the run from `s`
applied, whatever other threads or workers do to the step meanwhile.

`learning_rate_fn(schedule, global_step=lambda: ...)` is a learning rate for an optimizer
built before the step variable it should follow exists: Keras's `compile` wraps a
`tf.compat.v1.train` optimizer in its own, whose `iterations` variable (made by `compile`)
`fit` increments. Every `tf.compat.v1.train` optimizer accepts a callable learning rate and
calls it when it applies gradients, by which time the variable exists.
"""

from typing import Callable, Optional

import tensorflow as tf

from lrhooks.graph import graph_state
from lrhooks.graph import rate_tensor

tf1 = tf.compat.v1


def run_start_step(global_step: Optional[tf.Variable] = None) -> tf.Tensor:
    """The step each run starts at, as the graph's scheduled values read it.

    Fetched in a training run beside a summary of a scheduled value, it is the step whose
    value the run applied; label the summary `step + 1` (TensorFlow's convention):

        _, summary, step = sess.run([train_op, summary_op, lrhooks.run_start_step()])
        writer.add_summary(summary, step + 1)

    Args:
      global_step: The step variable; default: the graph's registered global step.

    Returns:
      A scalar tensor of the step's dtype (the same tensor on every call in a graph).

    Raises:
      ValueError: No global step (the message shows both fixes), or one of another graph.
      TypeError: `global_step` is not an integer or floating `tf.Variable`.
    """
    global_step = rate_tensor.resolve_global_step(tf1.get_default_graph(), global_step)
    return graph_state.global_step_read(global_step)


def learning_rate_fn(
    schedule: Callable[[int], float],
    *,
    global_step: Callable[[], tf.Variable],
    name: str = "learning_rate",
    dtype: tf.DType = tf.float32,
    table_size: int = 4096,
) -> Callable[[], tf.Tensor]:
    """A learning rate bound to a step variable that exists only when gradients are applied.

    For Keras 2 (TensorFlow <= 2.15) in graph mode, given a `tf.compat.v1.train` optimizer:

        optimizer = tf.compat.v1.train.MomentumOptimizer(
            lrhooks.learning_rate_fn(schedule, global_step=lambda: model.optimizer.iterations),
            momentum=0.9)
        model.compile(optimizer=optimizer, loss=...)   # makes model.optimizer.iterations
        model.fit(...)                                  # batch k trains at schedule(k)

    The optimizer calls the returned function when it applies gradients (every
    `tf.compat.v1.train` optimizer accepts a callable rate); it then makes, once per graph
    and step variable, `lrhooks.learning_rate(name, schedule=schedule,
    global_step=global_step())`: exact on every run, as that rate is.

    Args:
      schedule: A callable `step -> rate` (e.g. from `lrhooks.schedules`).
      global_step: A callable with no argument returning the integer step variable the
        optimizer increments (e.g. `lambda: model.optimizer.iterations`).
      name: The rate's name (its summary tag).
      dtype: A floating dtype for the rate.
      table_size: Steps of schedule values kept in the graph at a time (> 0).

    Returns:
      A function with no argument returning the rate tensor, for the optimizer's
      `learning_rate`.

    Raises:
      TypeError: `schedule` or `global_step` is not callable (a variable that exists
        already goes to `lrhooks.learning_rate(..., global_step=...)`), or, when called,
        `global_step()` returns no `tf.Variable`.
      RuntimeError: When called while executing eagerly (Keras's eager `fit`).
    """
    if not callable(schedule):
        raise TypeError(f"`schedule` must be callable as schedule(step) -> rate, got {schedule!r}")
    if isinstance(global_step, tf.Variable) or not callable(global_step):
        raise TypeError("`global_step` must be a callable with no argument that returns the step "
                        f"variable (e.g. `lambda: model.optimizer.iterations`), got {global_step!r}"
                        "; for a variable that exists already use "
                        "`lrhooks.learning_rate(schedule=..., global_step=...)`")
    built = []  # the last (graph, step variable, rate): one graph kept alive at most

    def rate() -> tf.Tensor:
        if tf1.executing_eagerly_outside_functions():
            raise RuntimeError(
                "lrhooks.learning_rate_fn needs graph mode: call "
                "`tf.compat.v1.disable_eager_execution()` before building the model")
        graph = tf1.get_default_graph()
        step = global_step()
        if not isinstance(step, tf.Variable):
            raise TypeError(f"`global_step()` must return the step tf.Variable, got {step!r}")
        if built and built[0][0] is graph and built[0][1] is step:
            return built[0][2]
        value = rate_tensor.learning_rate(name, schedule=schedule, dtype=dtype,
                                          global_step=step, table_size=table_size)
        built[:] = [(graph, step, value)]
        return value

    return rate
