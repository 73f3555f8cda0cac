"""`LearningRateSetterHook`: applies any schedule to a tf.compat.v1 graph, exactly.

Exactness contract: the run that moves `global_step` from `s` to `s + 1` trains
at `schedule(s)`, which is what `tf.compat.v1.train.piecewise_constant(global_step,
...)` computed in the graph would give. This holds on every run: the first run of
a fresh session, the first run after restoring a checkpoint at any step, and
after other code ran the session without training.

Stateful schedules (`lrhooks.schedules.StatefulSchedule`, e.g.
reduce-on-plateau, or a composition holding one, such as `product([plateau, ...])`)
expose an integer attribute `version` that changes whenever their rate for some
step may have changed; the hook then refills the in-graph
window (graph mode) or recomputes the rate before the next run (other modes).
Pure schedules need nothing.

The hook picks one of three modes from what `learning_rate` is:

* `"graph"`: a tensor made by `lrhooks.learning_rate()`. The rate is looked up
  in the graph from the step the run starts at (see `lrhooks.graph.rate_tensor`), so
  it is exact even when other workers move a shared `global_step`. The hook
  binds its schedule to the tensor in `begin()`; the tensor refills its own
  window. A tensor made with `schedule=` needs no hook at all; a hook given
  for it is accepted when its schedule is the same.
* `"variable"`: a `tf.Variable`. The hook assigns the variable before a run,
  only when the rate changes; the value is saved in checkpoints.
* `"feed"`: a feedable tensor (a placeholder, a `placeholder_with_default`, a
  `tf.constant` as in the classic ResNet model). The hook feeds the rate, only
  when it differs from the tensor's own value, if that is known.

In `"variable"` and `"feed"` modes the hook must know the step before each run.
It reads the step once per session, then counts: the graph is analysed once
per distinct set of fetches to tell how far that run moves the step (see
`lrhooks.graph.step_analysis`). With `step_tracking="fetch"` it also fetches the step
with each run, to notice when other workers move it; in that case the rate
follows the shared step as closely as feeding allows (at most one run late),
and `"graph"` mode is the exact choice.
"""

from typing import Any, Callable, Optional, Union

import numpy as np
import tensorflow as tf

from lrhooks import checks
from lrhooks.graph import graph_lookup
from lrhooks.graph import graph_state
from lrhooks.graph import rate_tensor
from lrhooks.graph.step_analysis import StepTracker
from lrhooks.schedules import stateful_parts

tf1 = tf.compat.v1

_STEP_TRACKING = ("auto", "count", "fetch")


class LearningRateSetterHook(tf1.train.SessionRunHook):
    """Drives a rate tensor or variable from a schedule of the global step.

    Example (classic model code that fed `model.lrn_rate`)::

        hook = lrhooks.LearningRateSetterHook(
            lrhooks.schedules.piecewise_constant([40000, 60000], [0.1, 0.01, 0.001]),
            learning_rate=model.lrn_rate)
        with tf.compat.v1.train.MonitoredTrainingSession(hooks=[hook]) as sess:
            ...
    """

    def __init__(
        self,
        schedule: Callable[[int], float],
        learning_rate: Union[None, str, tf.Tensor, tf.Variable] = None,
        *,
        step_tracking: str = "auto",
    ):
        """Builds the hook; nothing is looked up in a graph until `begin()`.

        Args:
          schedule: A callable `step -> rate`, e.g. from `lrhooks.schedules`.
          learning_rate: What to drive: a tensor made by `lrhooks.learning_rate()`,
            a feedable tensor, a `tf.Variable`, the name of a tensor or variable
            (resolved in `begin()`), or None for the one tensor in
            `lrhooks.LEARNING_RATE_COLLECTION`.
          step_tracking: `"count"` (analyse fetches; exact when this session is
            the only writer of the step), `"fetch"` (also fetch the step with each
            run, to follow other workers), or `"auto"`: `"fetch"` when the global
            step is placed on a job of a cluster, else `"count"`.

        Raises:
          TypeError: `schedule` is not callable or `learning_rate` has a bad type.
          ValueError: `step_tracking` is not one of auto, count, fetch.
        """
        if not callable(schedule):
            hint = (" (for a fixed rate use lrhooks.schedules.constant(...))"
                    if isinstance(schedule, (int, float)) else "")
            raise TypeError(f"`schedule` must be callable as schedule(step) -> rate, "
                            f"got {schedule!r}{hint}")
        if learning_rate is not None and not isinstance(
                learning_rate, (str, tf.Tensor, tf.Variable)):
            raise TypeError(
                "`learning_rate` must be a tf.Tensor, a tf.Variable, a tensor/variable name or "
                f"None, got {type(learning_rate).__name__}: {learning_rate!r}")
        self._step_tracking = checks.choice("step_tracking", step_tracking, _STEP_TRACKING)
        self._schedule = schedule
        # Once: a stateful schedule, or a composition holding one (`product([plateau, ...])`).
        self._stateful = bool(stateful_parts(schedule))
        self._requested = learning_rate
        self.mode: Optional[str] = None
        self._cached = (None, None)
        self.assignments = 0  # variable mode: how many times the variable was assigned

    @property
    def schedule(self) -> Callable[[int], float]:
        return self._schedule

    # ----------------------------------------------------------------- begin
    def begin(self) -> None:
        graph = tf1.get_default_graph()
        global_step = graph_lookup.get_global_step_or_raise(graph)
        target = self._resolve(graph)
        self._source = None
        self._fetch = None
        source = rate_tensor.source_of(target) if isinstance(target, tf.Tensor) else None
        if source is not None:
            self.mode = "graph"
            self._bind(source)
            return
        name = target.op.name if isinstance(target, tf.Variable) else target.name
        graph_lookup.check_float_scalar(target, name)
        if graph_lookup.feeds_a_queue(target):
            raise ValueError(
                f"`learning_rate` {name!r} is consumed by ops that a queue runner runs (e.g. "
                "SyncReplicasOptimizer's chief queue runner), which no hook can feed or time: "
                "make the rate with `lrhooks.learning_rate(schedule=...)`")
        self._dtype = target.dtype.base_dtype.as_numpy_dtype
        self._dtype_name = np.dtype(self._dtype).name
        if isinstance(target, tf.Variable):
            self.mode = "variable"
            with tf1.name_scope("lrhooks_rate_setter"):
                self._assign_feed = tf1.placeholder(target.dtype.base_dtype, [], name="rate")
                self._assign_op = target.assign(self._assign_feed, read_value=False)
                self._variable_read = tf.identity(target.read_value())
        else:
            if not graph.is_feedable(target):
                raise ValueError(
                    f"`learning_rate` {name!r} cannot be fed (it lives inside a loop or cond, or "
                    "feeding was prevented); pass a placeholder, a tf.constant, a tf.Variable or "
                    "a tensor made by lrhooks.learning_rate()")
            self.mode = "feed"
            self._tensor = target
            self._default = _static_value(target)
        tracking = self._step_tracking
        if tracking == "auto":
            tracking = "fetch" if "/job:" in (global_step.device or "") else "count"
        self.step_tracking = tracking
        self._tracker = StepTracker(global_step)
        if tracking == "fetch":
            self._fetch = self._tracker.read

    def _bind(self, source: rate_tensor.RateSource) -> None:
        """Graph mode: binds the schedule to the tensor (or checks the one bound at building)."""
        if source.self_driving:
            if source.schedule is not self._schedule and source.schedule != self._schedule:
                raise ValueError(
                    f"`schedule` {self._schedule!r} differs from the schedule "
                    f"{source.schedule!r} that {source.tensor_name!r} was made with; drop the "
                    "hook (the tensor drives itself) or pass it the same schedule")
        elif source.owner is not None and source.owner is not self:
            raise ValueError(f"rate tensor {source.tensor_name!r} is already driven by "
                             "another LearningRateSetterHook; use one hook per rate tensor")
        else:
            source.schedule, source.owner = self._schedule, self
        self._source = source

    def _resolve(self, graph: tf.Graph) -> Union[tf.Tensor, tf.Variable]:
        if self._requested is not None:
            return graph_lookup.resolve_rate(graph, self._requested)
        found = graph.get_collection(rate_tensor.LEARNING_RATE_COLLECTION)
        if len(found) == 1:
            return found[0]
        if not found:
            raise RuntimeError(
                "LearningRateSetterHook was given no `learning_rate` and the graph has no "
                "rate tensor made by lrhooks.learning_rate(): create the rate with "
                "`lrhooks.learning_rate()` in model code, or pass the tensor, variable or "
                "its name as `learning_rate=`")
        raise RuntimeError(
            "LearningRateSetterHook was given no `learning_rate` and the graph has "
            f"{len(found)} rate tensors ({', '.join(t.name for t in found)}): pass the one "
            "to drive as `learning_rate=`")

    # ------------------------------------------------------------- sessions
    def after_create_session(self, session: tf1.Session, coord: Any) -> None:
        if self.mode == "graph":
            graph_state.run_session_checks(session.graph)
            return  # the tensor fills its own window on the first run
        self._tracker.reset(session)
        if self.mode == "variable":
            self._current = self._dtype(session.run(self._variable_read))

    def _rate(self, step: int):
        key = (step, self._version())
        if self._cached[0] != key:
            value = checks.schedule_rate(self._schedule, step, self._dtype_name)
            self._cached = (key, self._dtype(value))
        return self._cached[1]

    def before_run(self, run_context: tf1.train.SessionRunContext):
        if self.mode == "graph":
            if self._stateful and self._source.stale:  # a stateful schedule changed its rates
                rate_tensor.invalidate_windows(self._schedule, run_context.session)
            return None
        rate = self._rate(self._tracker.before_run(run_context.original_args.fetches))
        if self.mode == "variable":
            if rate != self._current:
                run_context.session.run(self._assign_op, {self._assign_feed: rate})
                self._current = rate
                self.assignments += 1
            return tf1.train.SessionRunArgs(self._fetch) if self._fetch is not None else None
        feed = None if rate == self._default else {self._tensor: rate}
        if feed is None and self._fetch is None:
            return None
        return tf1.train.SessionRunArgs(self._fetch, feed_dict=feed)

    def after_run(self, run_context: tf1.train.SessionRunContext,
                  run_values: tf1.train.SessionRunValues) -> None:
        if self.mode == "graph":
            return
        seen = int(run_values.results) if self._fetch is not None else None
        self._tracker.after_run(run_context.session, seen=seen)  # seen: other writers

    def _version(self) -> Optional[int]:
        """The schedule's `version` if it is or holds a stateful schedule, else None."""
        return self._schedule.version if self._stateful else None


def _static_value(tensor: tf.Tensor) -> Optional[np.generic]:
    """The value a tensor has when not fed, if it is a literal constant.

    Reads the Const op's attribute directly: `tf.get_static_value` would mark the
    tensor as not feedable.
    """
    op = tensor.op
    if op.type == "PlaceholderWithDefault":
        op = op.inputs[0].op
    if op.type != "Const":
        return None
    value = tf.make_ndarray(op.get_attr("value"))
    if np.ndim(value) != 0:
        return None
    return tensor.dtype.base_dtype.as_numpy_dtype(value)
