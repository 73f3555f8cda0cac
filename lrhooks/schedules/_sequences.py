"""Schedules built from other schedules: warmup, sequences and scaling.

    >>> from lrhooks.schedules import cosine_decay, warmup
    >>> s = warmup(cosine_decay(0.1, 1000), warmup_steps=100)
    >>> s(0), s(50), s(100), s(600)
    (0.0, 0.05, 0.1, 0.05)

Like every schedule of `lrhooks.schedules`, these are immutable values: validated
when built, equal and hashable by their arguments, with a `repr` that is the
factory call (`eval(repr(s), vars(lrhooks.schedules)) == s`, nested schedules
included). They wrap `lrhooks.schedules.Schedule` instances only. Import them
from `lrhooks.schedules`. This module never imports TensorFlow.
"""

import bisect
import math
from typing import Iterable, Optional, Sequence, Tuple

from lrhooks import checks
from lrhooks.schedules._base import Composite, Schedule, factory, field

__all__ = ["Warmup", "Sequential", "Scaled", "LinearScaling", "warmup", "sequential",
           "scaled", "linear_scaling"]

WARMUP_KINDS = ("linear", "exponential", "constant")


def _schedule_arg(name: str, value, element: Optional[str] = None) -> Schedule:
    what = f"`{name}`" + ("" if element is None else f" {element}")
    if not isinstance(value, Schedule):
        raise TypeError(
            f"{what} must be a lrhooks.schedules.Schedule, got {value!r}")
    return value


def _shifted(schedule: Schedule, start: int, total_steps: int) -> Iterable[int]:
    """`schedule`'s breakpoints when it runs from global step `start` on."""
    if start >= total_steps:
        return ()
    return (start + b for b in schedule.breakpoints(total_steps - start))


# ---------------------------------------------------------------------------
# warmup
# ---------------------------------------------------------------------------

@factory("warmup")
class Warmup(Composite):
    """A warmup of `warmup_steps` steps from `initial_learning_rate` into `schedule`.

    With `W = warmup_steps`, `target = schedule(0 if offset else W)`, `t = step / W`
    and `lr0 = initial_learning_rate`, for `step < W`:

        rate = lr0 + (target - lr0) * t       # kind='linear'
        rate = lr0 * (target / lr0) ** t      # kind='exponential'
        rate = lr0                            # kind='constant'

    and from the join on (`step >= W`): `rate = schedule(step - W if offset else step)`.
    """

    schedule: Schedule = field(_schedule_arg)
    warmup_steps: int = field(checks.non_negative_count)
    initial_learning_rate: float = field(checks.real, 0.0)
    kind: str = field(checks.choice, "linear", options=WARMUP_KINDS)
    offset: bool = field(checks.flag, True)

    def __post_init__(self):
        super().__post_init__()
        if self.kind == "exponential" and self.initial_learning_rate == 0:
            raise ValueError(
                "`initial_learning_rate` must be > 0 for kind='exponential', got 0.0")

    def _value(self, step):
        w = self.warmup_steps
        if step >= w:
            return self.schedule(step - w if self.offset else step)
        initial = self.initial_learning_rate
        if self.kind == "constant":
            return initial
        target = self.schedule(0 if self.offset else w)
        t = step / w
        if self.kind == "linear":
            return initial + (target - initial) * t
        if target == 0:  # initial * 0 ** t
            return initial if step == 0 else 0.0
        # initial * (target / initial) ** t, without overflowing the quotient.
        return initial * math.exp(t * (math.log(target) - math.log(initial)))

    def _breakpoints(self, total_steps):
        w = self.warmup_steps
        if w == 0:
            return self.schedule.breakpoints(total_steps)
        if self.offset:
            return (w, *_shifted(self.schedule, w, total_steps))
        return (w, *(b for b in self.schedule.breakpoints(total_steps) if b > w))


def warmup(schedule: Schedule, warmup_steps: int, initial_learning_rate: float = 0.0,
           kind: str = "linear", offset: bool = True) -> Warmup:
    """Warms up from `initial_learning_rate` into `schedule` over `warmup_steps`.

    For `step < W = warmup_steps` the rate rises (or falls) from
    `initial_learning_rate` (at step 0) towards `target`, the value of
    `schedule` where the warmup ends; from step `W` on it is `schedule`'s rate.
    With `lr0 = initial_learning_rate` and `t = step / W`:

        target = schedule(0) if offset else schedule(W)
        rate = lr0 + (target - lr0) * t      # step < W, kind='linear'
        rate = lr0 * (target / lr0) ** t     # step < W, kind='exponential'
        rate = lr0                           # step < W, kind='constant'
        rate = schedule(step - W) if offset else schedule(step)      # step >= W

    The join is at step `W`, where the rate is exactly `target`; the linear
    and exponential warmups reach it continuously (step `W - 1` is at
    `t = (W - 1) / W`), the constant one jumps there.

    `offset` picks where `schedule` starts:
      * `offset=True` (default): `schedule` starts after the warmup, seeing
        `step - W` (0 at the join), like `sequential([(W, ramp)],
        final=schedule)`, Keras' `CosineDecay(warmup_target=...,
        warmup_steps=...)` and (for a schedule that starts at `lr`) timm's
        `warmup_prefix=True`. A `cosine_decay(lr, N)` then ends at step `W + N`.
      * `offset=False`: `schedule` sees the global step; the warmup replaces
        its first `W` steps and rises to `schedule(W)`, not to `lr`, as the
        Model Garden's `LinearWarmup`. A `cosine_decay(lr, N)` then ends at
        step `N`. (timm's default, `warmup_prefix=False`, ramps towards `lr`
        and then jumps onto the schedule: the `warmup_t` argument of
        `timm_cosine`, `timm_tanh` and `timm_poly`.)

    Args:
      schedule: The `Schedule` to warm up into.
      warmup_steps: `W`, an integer >= 0 (0: no warmup, the rate is `schedule`'s).
      initial_learning_rate: The rate at step 0, a finite number >= 0 (> 0
        for kind='exponential').
      kind: 'linear', 'exponential' (geometric) or 'constant'.
      offset: Whether `schedule` starts at the join (a bool, see above).

    Returns:
      A `Warmup` schedule. Its breakpoints are the join `W` and those of
      `schedule` after it.

    Raises:
      TypeError: If an argument has the wrong type (a bool for a number, say).
      ValueError: If an argument is out of range (see Args).
    """
    return Warmup(schedule, warmup_steps, initial_learning_rate, kind, offset)


# ---------------------------------------------------------------------------
# sequential
# ---------------------------------------------------------------------------

def _parts(name: str, value) -> Tuple[Tuple[int, Schedule], ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise TypeError(
            f"`{name}` must be a non-empty sequence of (steps, schedule) pairs, got {value!r}")
    parts = []
    for i, part in enumerate(value):
        pair = () if isinstance(part, (str, bytes)) or not isinstance(
            part, Iterable) else tuple(part)
        if len(pair) != 2:
            raise TypeError(
                f"`{name}` element {i} must be a (steps, schedule) pair, got {part!r}")
        steps, schedule = pair
        parts.append((checks.positive_count(name, steps, f"{i} steps"),
                      _schedule_arg(name, schedule, f"element {i} schedule")))
    if not parts:
        raise ValueError(
            f"`{name}` must be a non-empty sequence of (steps, schedule) pairs, got {value!r}")
    return tuple(parts)


def _optional_schedule(name: str, value) -> Optional[Schedule]:
    if value is not None and not isinstance(value, Schedule):
        raise TypeError(f"`{name}` must be a lrhooks.schedules.Schedule or None, got {value!r}")
    return value


@factory("sequential")
class Sequential(Composite):
    """`parts[i][1](step - start_i)` for `start_i <= step < start_i + parts[i][0]`.

    Here `start_i = parts[0][0] + ... + parts[i-1][0]`; from `end`, the sum of
    all steps, on: `final(step - end)`, or with no `final` the last part goes on.
    """

    parts: Tuple[Tuple[int, Schedule], ...] = field(_parts)
    final: Optional[Schedule] = field(_optional_schedule, None)

    def __post_init__(self):
        super().__post_init__()
        starts, start = [], 0
        for steps, _ in self.parts:
            starts.append(start)
            start += steps
        object.__setattr__(self, "_starts", tuple(starts))
        object.__setattr__(self, "_end", start)

    def _value(self, step):
        if step >= self._end and self.final is not None:
            return self.final(step - self._end)
        i = bisect.bisect_right(self._starts, step) - 1
        return self.parts[i][1](step - self._starts[i])

    def _breakpoints(self, total_steps):
        last = len(self.parts) - 1
        for i, ((steps, schedule), start) in enumerate(zip(self.parts, self._starts)):
            if i > 0:
                yield start
            if i == last and self.final is None:
                yield from _shifted(schedule, start, total_steps)
            else:
                yield from _shifted(schedule, start, min(total_steps, start + steps))
        if self.final is not None:
            yield self._end
            yield from _shifted(self.final, self._end, total_steps)


def sequential(parts: Sequence[Tuple[int, Schedule]],
               final: Optional[Schedule] = None) -> Sequential:
    """Runs schedules one after another, each from its own step 0.

    Part `i`, `(steps_i, schedule_i)`, runs for `steps_i` steps from
    `start_i = steps_0 + ... + steps_{i-1}`, seeing the local step
    `step - start_i` (0 at its first step). After all parts, from
    `end = steps_0 + ... + steps_{n-1}` on, `final` runs, seeing `step - end`;
    if `final` is None the last part simply goes on (its local step keeps
    counting past its `steps`):

        rate = schedule_i(step - start_i)   for start_i <= step < start_i + steps_i
        rate = final(step - end)            for step >= end (if final is not None)
        rate = schedule_{n-1}(step - start_{n-1})  for step >= end (if final is None)

    So the rate at a join `start_i` is `schedule_i(0)`, at `start_i - 1` it is
    `schedule_{i-1}(steps_{i-1} - 1)`; the parts are not made to meet.

        >>> s = sequential([(10, constant(1.0)), (20, constant(0.5))],
        ...                final=constant(0.1))
        >>> s(9), s(10), s(29), s(30)
        (1.0, 0.5, 0.5, 0.1)

    Args:
      parts: A non-empty sequence of `(steps, schedule)` pairs: `steps` an
        integer > 0, `schedule` a `Schedule`.
      final: The `Schedule` after all parts, or None (the last part goes on).

    Returns:
      A `Sequential` schedule (holding a tuple of pairs). Its breakpoints are
      the joins `start_i` (and `end` with a `final`) and the breakpoints of
      each part inside its span.

    Raises:
      TypeError: If an argument has the wrong type (a bool for a number, say).
      ValueError: If an argument is out of range (see Args).
    """
    return Sequential(parts, final)


# ---------------------------------------------------------------------------
# scaled, linear_scaling
# ---------------------------------------------------------------------------

class _TimesFactor(Composite):
    """`schedule(step) * factor`, with the breakpoints of `schedule`.

    Subclasses provide `schedule` (a field) and `factor` (a field or a property).
    """

    def _value(self, step):
        return self.schedule(step) * self.factor

    def _breakpoints(self, total_steps):
        return self.schedule.breakpoints(total_steps)


@factory("scaled")
class Scaled(_TimesFactor):
    """`schedule(step) * factor`."""

    schedule: Schedule = field(_schedule_arg)
    factor: float = field(checks.positive)


def scaled(schedule: Schedule, factor: float) -> Scaled:
    """A schedule times a constant: `rate = schedule(step) * factor`.

    Args:
      schedule: The `Schedule` to scale.
      factor: The factor, a finite number > 0.

    Returns:
      A `Scaled` schedule, with the breakpoints of `schedule`.

    Raises:
      TypeError: If an argument has the wrong type (a bool for a number, say).
      ValueError: If an argument is out of range (see Args).
    """
    return Scaled(schedule, factor)


@factory("linear_scaling")
class LinearScaling(_TimesFactor):
    """`schedule(step) * (global_batch_size / reference_batch_size)`."""

    schedule: Schedule = field(_schedule_arg)
    global_batch_size: int = field(checks.positive_count)
    reference_batch_size: int = field(checks.positive_count)

    @property
    def factor(self) -> float:
        """`global_batch_size / reference_batch_size`."""
        return self.global_batch_size / self.reference_batch_size


def linear_scaling(schedule: Schedule, global_batch_size: int,
                   reference_batch_size: int) -> LinearScaling:
    """The linear scaling rule (Goyal et al., 2017): the rate grows with the batch.

        factor = global_batch_size / reference_batch_size
        rate = schedule(step) * factor

    `schedule` holds the rates tuned for `reference_batch_size` examples per
    step (e.g. 0.1 for 256 in the paper's ResNet-50); the result is for
    `global_batch_size` examples per step, summed over all replicas. The paper
    pairs it with a warmup: `warmup(linear_scaling(...), warmup_steps)`.

    Args:
      schedule: The `Schedule` for the reference batch size.
      global_batch_size: The batch size trained with, an integer > 0.
      reference_batch_size: The batch size `schedule` is for, an integer > 0.

    Returns:
      A `LinearScaling` schedule (its `factor` property is the quotient), with
      the breakpoints of `schedule`.

    Raises:
      TypeError: If an argument has the wrong type (a bool for a number, say).
      ValueError: If an argument is out of range (see Args).
    """
    return LinearScaling(schedule, global_batch_size, reference_batch_size)
