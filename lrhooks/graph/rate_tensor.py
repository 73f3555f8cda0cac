"""Scheduled values in the graph: `lrhooks.learning_rate()` and `lrhooks.scheduled_value()`.

Model code calls `lrhooks.learning_rate(schedule=S)` where it would have written
`tf.constant(0.1)` or `tf.compat.v1.train.piecewise_constant(global_step, ...)`,
and `lrhooks.scheduled_value("momentum", S)` for any other scheduled
hyperparameter. The tensor looks its value up *in the graph* from the step the
run starts at:

    value = table.find(global_step)                if global_step is in table
          = schedule(global_step)  (numpy_function)  otherwise

`table` is a TensorFlow hash table (`MutableHashTableV2`) from absolute steps to
values, holding the schedule's values at `n = table_size` steps
`start, start + stride, ..., start + (n - 1) * stride`. It needs no initializer
(running its handle op creates it, empty) and is in no collection, so no saver
checkpoints it and any way a program initializes its variables works (only
`global_variables_initializer()`, a `Saver.restore` alone, a `Scaffold`). Out of
the window, one `tf.numpy_function` call returns the value *and* the next
window, and the same run stores that window in `table`, replacing what it held.
So the tensor is exact on every run by itself, with no hook: in a plain
`Session` loop, a `Supervisor`, a `MonitoredTrainingSession`, an Estimator,
between-graph replicas and `SyncReplicasOptimizer`'s queue runner. Per run it
costs one lookup (under the table's lock, so a window stored concurrently is
never half seen), one compare and the `cond`.

`stride` is learned from the steps the fallback is called for
(`RateSource.learn_stride`): 1 for a step that moves by one per run (or once
every few runs, as with gradient accumulation), the increment of a step that
moves by a constant amount (a frame counter: 12,800 per run), the gcd of
varying increments. Python then runs about once per `table_size` moves of the
step (`table_size * stride` steps); with increments varying around a mean `m`,
once per `table_size * stride / m` moves. Whatever the steps do, every step not in
the table reaches the fallback, so a stride that changes, a restore that jumps
back or a skip costs at most a few more calls, never a wrong value.

Without `schedule=`, a `LearningRateSetterHook(schedule)` binds the schedule in
its `begin()` (the older way, still supported). A stateful schedule (one with a
`version`, e.g. `ReduceLROnPlateau`) changes its values between runs: the party
that changed it (`PlateauHook`, or the setter hook) calls
`invalidate_windows(schedule, session)`, which empties the window of every
value bound to that schedule, so the next run recomputes it.
"""

import math
import threading
import uuid
from typing import Callable, Iterable, List, Optional, Tuple

import numpy as np
import tensorflow as tf

from lrhooks import checks
from lrhooks import schedules
from lrhooks.graph import graph_state
from lrhooks.graph import step_analysis

tf1 = tf.compat.v1

LEARNING_RATE_COLLECTION = "lrhooks_learning_rates"
"""Graph collection that `learning_rate()` adds its rate tensors to."""

SCHEDULED_VALUE_COLLECTION = graph_state.SCHEDULED_VALUE_COLLECTION
"""Graph collection of every tensor made by `scheduled_value()` / `learning_rate()`."""


class UnscheduledValueError(ValueError):
    """A scheduled-value tensor ran without a schedule (no `schedule=` and no hook)."""


class StepNotIncrementedError(ValueError):
    """Nothing in the graph increments the step a scheduled value is computed from."""


class RateSource:
    """The graph side of a tensor made by `scheduled_value()`.

    Holds the window variable and the Python fallback that the graph calls for
    steps outside the window. The schedule is bound at graph building
    (`schedule=`) or by a `LearningRateSetterHook` in `begin()`.
    """

    def __init__(self, name: str, table_size: int, global_step: tf.Variable,
                 schedule: Optional[Callable[[int], float]]):
        self.name = name  # the value's name: its log column and summary tag
        self.table_size = table_size
        self.global_step = global_step
        self.schedule = schedule
        self.self_driving = schedule is not None  # bound when the graph was built
        self.owner: Optional[object] = None  # the hook that bound `schedule`, if any
        self.tensor: Optional[tf.Tensor] = None
        self.tensor_name = name
        self.step_tensor: Optional[tf.Tensor] = None  # the step read the value is computed from
        self.table: Optional[tf.Tensor] = None  # the hash table's handle
        self.invalidate_op: Optional[tf.Operation] = None
        self.dtype = np.float32
        self.fallback_count = 0
        self.stride = 1  # the spacing of the window's steps, learned from the fallback's calls
        self._last_call: Optional[int] = None  # the step of the fallback's previous call
        self._last_jump: Optional[int] = None  # its distance from the call before, if a jump
        self.filled_version = None  # the schedule's `version` when the window was computed
        self._writers_checked = False
        self._lock = threading.Lock()
        self.refused: Optional[ValueError] = None  # the check error of a refused value

    def fallback(self, step: np.ndarray):
        """Called by the graph (numpy_function) for a step outside the window.

        Returns `(value, steps, values)`; the graph stores the window `steps -> values`
        in the table, replacing what it held. The window's steps are
        `step + k * stride` for the stride learned from the steps of this and
        earlier calls (`learn_stride`).
        """
        step = _whole_step(step, self.global_step)
        if self.schedule is None:
            raise self.unscheduled_error()
        if not self._writers_checked:
            self._check_step_is_incremented()
        with self._lock:
            version = getattr(self.schedule, "version", None)
            try:
                value = checks.schedule_rate(self.schedule, step, np.dtype(self.dtype).name)
            except ValueError as error:  # the graph reports it as an InvalidArgumentError
                self.refused = error
                raise
            self.learn_stride(step)
            steps, values = self.window(step)
            self.fallback_count += 1
            self.filled_version = version
        return np.asarray(value, dtype=self.dtype), steps, values

    def learn_stride(self, step: int) -> int:
        """Updates `stride` from the step of a fallback call and returns it.

        Only a miss reaches the fallback, so the distance `gap` from the previous
        call says how the steps moved:

        - `0 < gap < table_size * stride`, off the window's steps: the steps are
          finer than the window (a smaller or varying stride): `stride` becomes
          `gcd(stride, gap)`, which holds both.
        - `gap == table_size * stride`: the window was used up step by step; kept.
        - a larger gap is a jump: a stride beyond the window's span, or a skip.
          Two jumps in a row make `stride` the gcd of the two (a constant stride
          of `s` gives `s`); one alone changes nothing.
        - `gap <= 0` (a restore, or another worker's older step): kept.

        The stride only ever decides which steps are stored: every key is an
        absolute step and every other step reaches this fallback, so the value is
        exact whatever the steps do; a wrong guess costs one more call.
        """
        previous, self._last_call = self._last_call, step
        jump = None
        if previous is not None:
            gap, span = step - previous, self.table_size * self.stride
            if 0 < gap < span:
                self.stride = math.gcd(self.stride, gap)
            elif gap > span:
                if self._last_jump is not None:
                    self.stride = math.gcd(gap, self._last_jump)
                jump = gap
        self._last_jump = jump
        return self.stride

    def unscheduled_error(self) -> UnscheduledValueError:
        """The one-line error for a value that runs without a schedule."""
        return UnscheduledValueError(
            f"scheduled value {self.tensor_name!r} has no schedule: make it with "
            f"`lrhooks.learning_rate(schedule=...)` (or `scheduled_value({self.name!r}, "
            "schedule)`), or pass `lrhooks.LearningRateSetterHook(schedule)` in the "
            "session's hooks")

    def _check_step_is_incremented(self) -> None:
        """Raises when the graph trains with this value but never moves its step.

        A graph that only reads the value (an evaluation graph restored from a
        checkpoint, a serving graph) is fine: its value is `schedule(restored step)`.
        """
        if (not step_analysis.is_incremented(self.global_step)
                and step_analysis.feeds_a_variable_update(self.tensor)):
            raise StepNotIncrementedError(
                f"nothing in the graph increments `global_step` {self.global_step.op.name!r} "
                f"that {self.tensor_name!r} is computed from: pass the variable your train op "
                "increments as `global_step=` (or pass this one to "
                "`optimizer.minimize(..., global_step=...)`)")
        self._writers_checked = True

    def window(self, start: int) -> Tuple[np.ndarray, np.ndarray]:
        """The window of steps `start + k * stride`, `k < table_size`: `(steps, values)`.

        Stops before the first step whose value is invalid (that step stays out
        of the table), so that the fallback raises the error exactly at that step;
        and before the largest int64.
        """
        stride = self.stride
        count = min(self.table_size, (np.iinfo(np.int64).max - start) // stride + 1)
        steps = range(start, start + count * stride, stride)
        values = self._values_unchecked(steps)
        if values is None:
            checked = []
            for step in steps:
                try:
                    checked.append(checks.schedule_rate(self.schedule, step,
                                                        np.dtype(self.dtype).name))
                except ValueError:
                    break
            values = np.asarray(checked, dtype=np.float64)
        return start + stride * np.arange(len(values), dtype=np.int64), values

    def _values_unchecked(self, steps: range) -> Optional[np.ndarray]:
        """The values at `steps` when all are valid, computed without per-value checks.

        Filling windows is the only per-step Python cost of a scheduled value
        (one schedule call per stored step, made once per `table_size` runs), so
        this calls a built-in schedule's `_value` directly (its `__call__` adds only
        the step check, needless for steps >= 0) and checks all values at once.
        None when a value is invalid or the schedule raises: the caller then
        takes the checked path, which stops the window before that step.
        """
        function = self.schedule
        if steps.start >= 0 and type(function).__call__ is schedules.Schedule.__call__:
            function = function._value  # pylint: disable=protected-access
        try:
            values = np.fromiter(map(function, steps), dtype=np.float64, count=len(steps))
        except Exception:  # pylint: disable=broad-except  # the checked path reports it
            return None
        largest = checks.DTYPE_MAX.get(np.dtype(self.dtype).name, np.inf)
        if not np.all((values >= 0) & (values != np.inf) & (values <= largest)):  # NaN too
            return None
        return values

    @property
    def stale(self) -> bool:
        """Whether a stateful schedule changed since the window was computed.

        A composition holding stateful schedules (`product([plateau, ...])`) has a
        `version` that follows theirs, so a change inside it makes it stale too.
        """
        return (self.fallback_count > 0 and
                getattr(self.schedule, "version", None) != self.filled_version)


# A floating step counts by one up to 2**(mantissa bits + 1); there, adding 1 rounds back.
_FLOAT_STEP_LIMITS = {"bfloat16": 2 ** 8, "float16": 2 ** 11, "float32": 2 ** 24,
                      "float64": 2 ** 53}


def _window_key(step: tf.Tensor) -> tf.Tensor:
    """The window's int64 key for a step read.

    A floating step (as TF's decays accept: cifar10's float32 `global_step`) is
    its whole value; a value that is not whole, or that the dtype can no longer
    count past by one, gets a key no window holds, so the run calls the fallback,
    which raises the one-line error (`_whole_step`).
    """
    if step.dtype.is_integer:
        return step if step.dtype == tf.int64 else tf.cast(step, tf.int64)
    limit = _FLOAT_STEP_LIMITS.get(step.dtype.base_dtype.name, 2 ** 8)
    countable = tf.logical_and(tf.equal(step, tf.round(step)), tf.abs(step) < limit)
    return tf.where(countable, tf.cast(step, tf.int64),
                    tf.constant(np.iinfo(np.int64).min, tf.int64))


def _whole_step(step, global_step: tf.Variable) -> int:
    """The step the fallback received, as an int; one line for a floating step that is
    not a whole number, or that its dtype can no longer count past by one.

    Raises:
      ValueError: Such a floating step.
    """
    value = np.asarray(step).item()
    if isinstance(value, float):
        dtype = global_step.dtype.base_dtype.name
        limit = _FLOAT_STEP_LIMITS.get(dtype, 2 ** 8)
        if not value.is_integer():
            raise ValueError(
                f"`global_step` {global_step.op.name!r} is {dtype} and holds {value!r}, "
                "not a whole step: move it by whole numbers only, or make it an integer "
                "variable (`tf.compat.v1.train.get_or_create_global_step()`)")
        if abs(value) >= limit:
            raise ValueError(
                f"`global_step` {global_step.op.name!r} is {dtype} and holds {value!r}, "
                f"where {dtype} can no longer count by one (from {limit}): make it an "
                "integer variable (`tf.compat.v1.train.get_or_create_global_step()`)")
    return int(value)


def _check_name(name) -> str:
    if callable(name):
        raise TypeError(f"`name` must be a non-empty string, got {name!r} "
                        "(pass the schedule as `schedule=`)")
    return checks.non_empty_string("name", name)


def resolve_global_step(graph: tf.Graph, global_step) -> tf.Variable:
    """`global_step`, or the graph's registered step when None; one-line errors naming the fix."""
    if global_step is None:
        try:
            global_step = graph_state.registered_global_step(graph)
        except ValueError as error:
            raise ValueError(f"`global_step` is None and {error}") from None
        if global_step is None:
            raise ValueError(
                "`global_step` is None and the graph has no registered global step: call "
                "`tf.compat.v1.train.get_or_create_global_step()` before building the model, "
                "or pass `global_step=your_step_variable`")
        return global_step
    if not isinstance(global_step, tf.Variable) or not (
            global_step.dtype.base_dtype.is_integer or global_step.dtype.base_dtype.is_floating):
        raise TypeError(f"`global_step` must be an integer or floating tf.Variable, "
                        f"got {global_step!r}")
    if global_step.graph is not graph:
        raise ValueError(f"`global_step` {global_step.op.name!r} belongs to another graph")
    return global_step


def scheduled_value(
    name: str,
    schedule: Optional[Callable[[int], float]] = None,
    *,
    dtype: tf.DType = tf.float32,
    global_step: Optional[tf.Variable] = None,
    table_size: int = 4096,
    collections: Iterable[str] = (),
) -> tf.Tensor:
    """A tensor equal, in each run, to `schedule(step at the start of the run)`.

    For any scheduled hyperparameter: momentum, Adam's beta1, a weight-decay
    coefficient, a dropout rate, a second optimizer's rate. `name` is the
    value's name: its `TrainingLogHook` column and its TensorBoard tag.

    Example::

        global_step = tf.compat.v1.train.get_or_create_global_step()
        momentum = lrhooks.scheduled_value("momentum", schedules.linear_warmup(...))

    Args:
      name: The value's name, e.g. "momentum" (also the name of the tensor,
        under the scope `<name>_window`).
      schedule: A callable `step -> value` (e.g. from `lrhooks.schedules`),
        bound now: the tensor then needs no hook. None: a
        `LearningRateSetterHook(schedule, learning_rate=tensor)` binds it.
      dtype: A floating dtype.
      global_step: The step variable the train op increments, integer or
        floating (its whole value is the step, as in TF's decays); default: the
        graph's registered global step (never created here).
      table_size: Values kept in the graph at a time (> 0), at steps `stride`
        apart (learned from the steps the fallback is called for).
      collections: Graph collections to add the tensor to, besides
        `SCHEDULED_VALUE_COLLECTION`.

    Raises:
      ValueError: No global step (the message shows both fixes), `table_size`
        not > 0 or a non-floating `dtype`.
      TypeError: `name` is not a string, `schedule` not callable, `table_size`
        not an integer, or `global_step` not an integer or floating variable.
    """
    name = _check_name(name)
    if schedule is not None and not callable(schedule):
        raise TypeError(f"`schedule` must be callable as schedule(step) -> value, "
                        f"got {schedule!r}")
    table_size = checks.positive_count("table_size", table_size)
    dtype = tf.as_dtype(dtype)
    if not dtype.is_floating:
        raise ValueError(f"`dtype` must be a floating dtype, got {dtype.name}")
    graph = tf1.get_default_graph()
    global_step = resolve_global_step(graph, global_step)
    step = graph_state.global_step_read(global_step)
    # The lookup, the table and the Python fallback have CPU kernels only: pinned to the
    # CPU of whatever job and task the enclosing scope names, so a rate built inside a
    # model's `tf.device("/gpu:0")` needs no soft placement.
    with tf1.variable_scope(None, default_name=name + "_window"), tf.device("/device:CPU:0"):
        source = RateSource(name, table_size, global_step, schedule)
        source.dtype = dtype.as_numpy_dtype
        source.step_tensor = step
        # A hash table keyed by the absolute step: it needs no initializer (running its
        # handle op creates it, empty), so the tensor works after any initialization a
        # program does (only `global_variables_initializer()`, a `Saver.restore` alone, a
        # `Scaffold`), and no saver ever sees it. A lookup and an import hold the table's
        # lock: a window stored concurrently (another thread's or worker's fallback) is
        # never half seen.
        # Its own shared name per graph built: a server (a parameter server that outlives
        # its workers) keeps resources across sessions, and a worker restarted with
        # another schedule must never read the old one's window.
        # Beside the fallback that fills it: on the device this scope gives an op that is no
        # variable (this machine's CPU; under a `replica_device_setter`, the worker's), not
        # where a setter puts tables (a parameter server). There, every run waited for a
        # second round trip, the store's branch on the ps needing the worker's predicate
        # (1.5x TF's own decay per step, 1 ps + 2 workers). Each worker then fills a window
        # of its own, of the same absolute steps: exact as one shared window.
        missing = tf.constant(np.nan, tf.float64, name="missing")
        with tf.device(missing.device):
            source.table = tf.raw_ops.MutableHashTableV2(
                key_dtype=tf.int64, value_dtype=tf.float64,
                shared_name=f"lrhooks_window_{uuid.uuid4().hex}", use_node_name_sharing=False,
                name="table")
        source.invalidate_op = tf.raw_ops.LookupTableImportV2(
            table_handle=source.table, keys=tf.constant([], tf.int64),
            values=tf.constant([], tf.float64), name="invalidate")
        key = _window_key(step)
        found = tf.raw_ops.LookupTableFindV2(table_handle=source.table, keys=key,
                                             default_value=missing)
        in_window = tf.equal(found, found)  # a missing step reads NaN, which equals nothing
        stored = tf.cast(found, dtype)

        def from_table():
            return stored

        def from_schedule():
            value, steps, values = tf.numpy_function(
                source.fallback, [step], [dtype, tf.int64, tf.float64], stateful=True,
                name="schedule_fallback")
            store = tf.raw_ops.LookupTableImportV2(table_handle=source.table, keys=steps,
                                                   values=values)
            with tf.control_dependencies([store]):
                return tf.reshape(value, [])

        value = tf.identity(tf1.cond(in_window, from_table, from_schedule), name=name)
    source.tensor = value
    source.tensor_name = value.name
    graph_state.graph_state(graph).sources.append(source)
    if schedule is None:
        graph_state.add_session_check(graph, _check_schedules_bound)
    for key in (SCHEDULED_VALUE_COLLECTION, *collections):
        graph.add_to_collection(key, value)
    return value


def learning_rate(
    name: str = "learning_rate",
    *,
    schedule: Optional[Callable[[int], float]] = None,
    dtype: tf.DType = tf.float32,
    global_step: Optional[tf.Variable] = None,
    table_size: int = 4096,
) -> tf.Tensor:
    """The learning-rate tensor: `scheduled_value(name, schedule)` in `LEARNING_RATE_COLLECTION`.

    With `schedule=`, the tensor drives itself: no hook is needed, in any TF1
    loop (plain `Session.run`, `Supervisor`, `MonitoredTrainingSession`,
    Estimator). Without it, pass `lrhooks.LearningRateSetterHook(schedule)` in
    the session's hooks. Either way the tensor is found through
    `LEARNING_RATE_COLLECTION` (also by a hook built before the graph, as
    `tf.estimator` requires); its op is `<name>_window/<name>`, so the root
    name `learning_rate` stays free for `tf.summary.scalar("learning_rate", rate)`.

    Args:
      name: The rate's name (its log column is "lr" and its tag `name`).
      schedule: A callable `step -> rate`, bound now; or None for a hook to bind.
      dtype: A floating dtype for the rate.
      global_step: The step variable; default: the graph's registered global step.
      table_size: Schedule values kept in the graph at a time (> 0), at steps
        `stride` apart (learned from the steps the fallback is called for).

    Returns:
      A scalar tensor equal, in each run, to `schedule(global_step)` for the
      value `global_step` has when the run starts.

    Raises:
      ValueError: No global step (the message shows both fixes), `table_size`
        is not > 0 or `dtype` not floating.
      TypeError: `table_size` is not an integer.
    """
    return scheduled_value(name, schedule, dtype=dtype, global_step=global_step,
                           table_size=table_size, collections=(LEARNING_RATE_COLLECTION,))


def _check_schedules_bound(graph: tf.Graph) -> None:
    """Raises `UnscheduledValueError` for a value of a training graph still without a schedule.

    Runs when an lrhooks hook's session starts, after every hook's `begin()`
    (where a `LearningRateSetterHook` binds its schedule): the error then comes
    before the first run, as itself, not wrapped by TensorFlow. A graph that
    nothing trains (an evaluation graph) may leave a value unscheduled.
    """
    for source in graph_state.graph_state(graph).sources:
        if source.schedule is None and step_analysis.is_incremented(source.global_step):
            raise source.unscheduled_error()


def source_of(tensor: tf.Tensor) -> Optional[RateSource]:
    """Returns the RateSource behind a tensor made by `scheduled_value()`, else None."""
    for source in graph_state.graph_state(tensor.graph).sources:
        if source.tensor is tensor:
            return source
    return None


def refused_value(tensor: tf.Tensor) -> Optional[ValueError]:
    """The one-line check error of the last value `tensor`'s schedule gave and the tensor
    refused (NaN, an infinity, negative, beyond its dtype), else None.

    A refused value fails the run with an `InvalidArgumentError`; this is the error to
    report (it names the schedule, the step and the value).
    """
    source = source_of(tensor)
    return None if source is None else source.refused


def sources(graph: tf.Graph) -> List[RateSource]:
    """The RateSources of `graph`, in creation order."""
    return list(graph_state.graph_state(graph).sources)


def invalidate_windows(schedule: Callable[[int], float], session) -> int:
    """Empties the window of each value whose schedule is or holds `schedule` and changed.

    Call it after changing a stateful schedule (one with `version`), in the
    session that runs the graph: a value bound to the schedule itself, or to a
    composition holding it (`product([plateau, ...])`, `warmup(plateau, ...)`,
    at any depth), is recomputed by the next run. Returns how many windows
    were emptied.
    """
    def holds(bound) -> bool:  # `bound` is `schedule` or holds it (at any depth)
        return bound is schedule or bound is not None and any(
            part is schedule for part in schedules.stateful_parts(bound))

    stale = [s.invalidate_op for s in graph_state.graph_state(session.graph).sources
             if holds(s.schedule) and s.stale]
    if stale:
        session.run(stale)
    return len(stale)
