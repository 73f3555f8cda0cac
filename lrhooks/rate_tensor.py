"""`lrhooks.learning_rate()`: a rate tensor that is exact by construction and nearly free.

Model code calls `lrhooks.learning_rate()` where it would have written
`tf.constant(0.1)` or `tf.compat.v1.train.piecewise_constant(global_step, ...)`.
The tensor it returns looks the rate up *in the graph* from the step the run
starts at:

    rate = table[global_step - base]          if base <= global_step < base + n
         = schedule(global_step)  (py_func)   otherwise

`table` is a small local variable that `LearningRateSetterHook` fills with the
schedule's values for a window of `table_size` steps, and refills rarely. The
rate is read from the same `global_step` value the optimizer increments, in the
same run, so it is exact on every run: after a restore, after runs that do not
train, and when other workers move a shared `global_step`. Per run it costs a
gather and a compare; the Python fallback runs only when a step falls outside
the window (then the hook moves the window).
"""

import threading
import weakref
from typing import Callable, List, Optional

import numpy as np
import tensorflow as tf

from lrhooks import checks

tf1 = tf.compat.v1

LEARNING_RATE_COLLECTION = "lrhooks_learning_rates"
"""Graph collection that `learning_rate()` adds its rate tensors to."""

_HEADER = 2  # table[0] = first step of the window, table[1] = number of valid entries.

# Graph -> the RateSource objects created in it. Kept beside the graph (not in a
# collection) so that meta-graph export never tries to serialize Python objects.
_SOURCES: "weakref.WeakKeyDictionary[tf.Graph, List[RateSource]]" = weakref.WeakKeyDictionary()


class RateSource:
    """The graph side of a rate tensor made by `learning_rate()`.

    Holds the window variable and its assign op, and the Python fallback the
    graph calls for steps outside the window. A `LearningRateSetterHook`
    binds its schedule here in `begin()`.
    """

    def __init__(self, tensor_name: str, table_size: int):
        self.tensor: Optional[tf.Tensor] = None
        self.step_tensor: Optional[tf.Tensor] = None  # the step read the rate is computed from
        self.tensor_name = tensor_name
        self.table_size = table_size
        self.table: Optional[tf.Variable] = None
        self.table_feed: Optional[tf.Tensor] = None
        self.table_assign: Optional[tf.Operation] = None
        self.schedule: Optional[Callable[[int], float]] = None
        self.owner: Optional[object] = None  # the hook that bound `schedule`
        self.dtype = np.float32
        self._lock = threading.Lock()
        self.fallback_count = 0  # read without the lock by the hook after each run

    def fallback(self, step: np.ndarray) -> np.ndarray:
        """Called by the graph (py_func) for a step outside the window."""
        step = int(step)
        if self.schedule is None:
            raise RuntimeError(
                f"rate tensor {self.tensor_name!r} (made by lrhooks.learning_rate()) is not "
                "driven by a LearningRateSetterHook: pass `lrhooks.LearningRateSetterHook"
                "(schedule)` in the session's hooks"
            )
        value = checks.schedule_rate(self.schedule, step)
        with self._lock:
            self.fallback_count += 1
        return np.asarray(value, dtype=self.dtype)

    def window(self, start: int) -> np.ndarray:
        """The table contents for a window starting at `start`.

        Stops before the first step whose rate is invalid, so that the fallback
        raises the error exactly at that step.
        """
        rates = [start, 0.0]
        for step in range(start, start + self.table_size):
            try:
                rates.append(checks.schedule_rate(self.schedule, step))
            except ValueError:
                break
        rates[1] = len(rates) - _HEADER
        rates.extend([0.0] * (_HEADER + self.table_size - len(rates)))
        return np.asarray(rates, dtype=np.float64)


def learning_rate(
    name: str = "learning_rate",
    *,
    dtype: tf.DType = tf.float32,
    global_step: Optional[tf.Variable] = None,
    table_size: int = 4096,
) -> tf.Tensor:
    """Creates the rate tensor that a `LearningRateSetterHook` drives.

    Call it in model code, inside the graph being built, and pass the result to
    the optimizer. The tensor is added to `LEARNING_RATE_COLLECTION`, so a hook
    built with `learning_rate=None` finds it (also when the hook is built before
    the graph, as `tf.estimator` requires).

    Args:
      name: Name of the returned tensor (under the current name scope).
      dtype: A floating dtype for the rate.
      global_step: The step variable; default: the graph's global step,
        created if missing.
      table_size: Steps of schedule values kept in the graph at a time (> 0).

    Returns:
      A scalar tensor equal, in each run, to `schedule(global_step)` for the
      value `global_step` has when the run starts.

    Raises:
      TypeError: `table_size` is not an integer.
      ValueError: `table_size` is not > 0 or `dtype` not floating.
    """
    table_size = checks.positive_count("table_size", table_size)
    dtype = tf.as_dtype(dtype)
    if not dtype.is_floating:
        raise ValueError(f"`dtype` must be a floating dtype, got {dtype.name}")
    graph = tf1.get_default_graph()
    if global_step is None:
        global_step = tf1.train.get_or_create_global_step(graph)
    with tf1.variable_scope(None, default_name=name + "_window"):
        source = RateSource(name, table_size)
        source.dtype = dtype.as_numpy_dtype
        initial = np.zeros(_HEADER + table_size, dtype=np.float64)
        source.table = tf1.get_variable(
            "table", initializer=tf.constant(initial), trainable=False,
            collections=[tf1.GraphKeys.LOCAL_VARIABLES], use_resource=True)
        source.table_feed = tf1.placeholder(tf.float64, [_HEADER + table_size], name="table_feed")
        source.table_assign = source.table.assign(source.table_feed, read_value=False)
        table = source.table.value()
        step = global_step.value() if hasattr(global_step, "value") else global_step
        source.step_tensor = step
        offset = step - tf.cast(table[0], step.dtype)
        in_window = tf.logical_and(offset >= 0, offset < tf.cast(table[1], step.dtype))

        def from_table():
            return tf.cast(tf.gather(table, offset + _HEADER), dtype)

        def from_schedule():
            value = tf1.py_func(source.fallback, [step], dtype, stateful=True,
                                name="schedule_fallback")
            value.set_shape([])
            return value

        rate = tf1.cond(in_window, from_table, from_schedule)
    rate = tf.identity(rate, name=name)
    source.tensor = rate
    source.tensor_name = rate.name
    _SOURCES.setdefault(graph, []).append(source)
    graph.add_to_collection(LEARNING_RATE_COLLECTION, rate)
    return rate


def source_of(tensor: tf.Tensor) -> Optional[RateSource]:
    """Returns the RateSource behind a tensor made by `learning_rate()`, else None."""
    for source in _SOURCES.get(tensor.graph, ()):
        if source.tensor is tensor:
            return source
    return None
