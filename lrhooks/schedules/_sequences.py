"""Schedules in sequence and shifted in time: `sequential`, `join_schedules`, `with_offset`.

Each part of a sequence sees its own step from 0 (`sequential` by lengths,
optax's `join_schedules` by absolute boundaries); `with_offset` is the Model
Garden's `*WithOffset` wrappers, a schedule evaluated at `step - offset`. These
are immutable values like every schedule (`eval(repr(s), vars(lrhooks.schedules))
== s`, nested schedules included). This module never imports TensorFlow.
"""

import bisect
from typing import Iterable, Optional, Sequence, Tuple

from lrhooks import checks
from lrhooks.schedules._base import (Composite, Schedule, documented, factory, field,
                                     schedule_arg, schedules_arg)
from lrhooks.schedules._cosine_decays import CosineDecay
from lrhooks.schedules._decays import ExponentialDecay, PolynomialDecay
from lrhooks.schedules._steps import PiecewiseConstant

__all__ = ["Sequential", "JoinSchedules", "WithOffset", "sequential", "join_schedules",
           "with_offset", "shifted"]


def shifted(schedule: Schedule, start: int, total_steps: int) -> Iterable[int]:
    """`schedule`'s breakpoints when it runs from global step `start` on."""
    if start >= total_steps:
        return ()
    return (start + b for b in schedule.breakpoints(total_steps - start))


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
                      schedule_arg(name, schedule, f"element {i} schedule")))
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
                yield from shifted(schedule, start, total_steps)
            else:
                yield from shifted(schedule, start, min(total_steps, start + steps))
        if self.final is not None:
            yield self._end
            yield from shifted(self.final, self._end, total_steps)


@documented
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

    Args:
      parts: A non-empty sequence of `(steps, schedule)` pairs: `steps` an
        integer > 0, `schedule` a `Schedule`.
      final: The `Schedule` after all parts, or None (the last part goes on).

    Returns:
      A `Sequential` schedule (holding a tuple of pairs). Its breakpoints are
      the joins `start_i` (and `end` with a `final`) and the breakpoints of
      each part inside its span.

    Examples:
      >>> s = sequential([(10, constant(1.0)), (20, constant(0.5))], final=constant(0.1))
      >>> s(9), s(10), s(29), s(30)
      (1.0, 0.5, 0.5, 0.1)
    """
    return Sequential(parts, final)


def _boundaries(name: str, value) -> Tuple[int, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise TypeError(f"`{name}` must be a sequence of integers >= 0, got {value!r}")
    return tuple(checks.non_negative_count(name, b, i) for i, b in enumerate(value))


@factory("join_schedules")
class JoinSchedules(Composite):
    """`schedules[i](step - boundaries[i-1])` for `boundaries[i-1] <= step < boundaries[i]`."""

    schedules: Tuple[Schedule, ...] = field(schedules_arg)
    boundaries: Tuple[int, ...] = field(_boundaries)

    def __post_init__(self):
        super().__post_init__()
        if len(self.boundaries) != len(self.schedules) - 1:
            raise ValueError(f"`boundaries` must have len(schedules) - 1 = "
                             f"{len(self.schedules) - 1} elements, got {len(self.boundaries)}")
        if any(b < a for a, b in zip(self.boundaries, self.boundaries[1:])):
            raise ValueError(f"`boundaries` must be non-decreasing, got {self.boundaries!r}")

    def _value(self, step):
        i = bisect.bisect_right(self.boundaries, step)  # boundaries <= step
        start = self.boundaries[i - 1] if i else 0
        return self.schedules[i](step - start)

    def _breakpoints(self, total_steps):
        starts = (0,) + self.boundaries
        for i, (schedule, start) in enumerate(zip(self.schedules, starts)):
            if i:
                yield from (start - 1, start)
            if start < total_steps:
                end = starts[i + 1] if i + 1 < len(starts) else total_steps
                yield from (start + b for b in schedule.breakpoints(
                    max(0, min(end, total_steps) - start)))


@documented
def join_schedules(schedules: Sequence[Schedule], boundaries: Sequence[int]) -> JoinSchedules:
    """optax's `join_schedules`: each schedule from its boundary on, seeing its own step.

        rate = schedules[0](step)                          # step < boundaries[0]
        rate = schedules[i](step - boundaries[i - 1])      # boundaries[i-1] <= step < boundaries[i]
        rate = schedules[-1](step - boundaries[-1])        # step >= boundaries[-1]

    Like `sequential`, but with absolute boundaries (optax's form) instead of
    lengths. optax's `polynomial_schedule(init, end, power, steps, transition_begin=B)`
    is `join_schedules([constant(init), polynomial_decay(init, steps, end, power)], [B])`.

    Args:
      schedules: A non-empty sequence of `Schedule`s.
      boundaries: `len(schedules) - 1` integers >= 0, non-decreasing (a schedule
        between equal boundaries never runs).

    Returns:
      A `JoinSchedules` schedule (holding tuples).

    Examples:
      >>> s = join_schedules([constant(1.0), exponential_decay(1.0, 10, 0.5)], [100])
      >>> s(99), s(100), s(110)
      (1.0, 1.0, 0.5)
    """
    return JoinSchedules(schedules, boundaries)


_OFFSETTABLE = (PiecewiseConstant, ExponentialDecay, PolynomialDecay, CosineDecay)


def _offsettable(name: str, value) -> Schedule:
    if not isinstance(value, _OFFSETTABLE) or isinstance(value, PolynomialDecay) and value.cycle:
        raise TypeError(f"`{name}` must be a piecewise_constant, exponential_decay, "
                        f"polynomial_decay (cycle=False) or cosine_decay schedule, got {value!r}")
    return value


@factory("with_offset")
class WithOffset(Composite):
    """`schedule(step - offset)`, evaluated by the schedule's formula also before `offset`."""

    schedule: Schedule = field(_offsettable)
    offset: int = field(checks.non_negative_count)

    def _value(self, step):
        # The formulas of the four schedules hold for negative steps (TF's values).
        return self.schedule._value(step - self.offset)  # pylint: disable=protected-access

    def _breakpoints(self, total_steps):
        moved = self.schedule.breakpoints(max(0, total_steps - self.offset))
        return (self.offset, *(self.offset + b for b in moved))


@documented
def with_offset(schedule: Schedule, offset: int) -> WithOffset:
    """The Model Garden's `PiecewiseConstantDecayWithOffset`, `ExponentialDecayWithOffset`,
    `PolynomialDecayWithOffset` and `CosineDecayWithOffset`.

        rate = schedule(step - offset)     # by schedule's own formula, also for step < offset

    The Model Garden evaluates the Keras schedule at `step - offset`, a negative
    step before the offset, and so does this: there `piecewise_constant` is
    `values[0]`, `exponential_decay` is above its initial rate (`decay_rate **
    p`, `p < 0`), `polynomial_decay` extrapolates `(1 - p) ** power` with `p <
    0`, `cosine_decay` mirrors (`cos` is even). `polynomial_decay(...,
    cycle=True)` is rejected (the Keras formula divides by zero before the offset).

    Args:
      schedule: A `piecewise_constant`, `exponential_decay`, `polynomial_decay`
        (cycle=False) or `cosine_decay` schedule.
      offset: An integer >= 0.

    Examples:
      >>> s = with_offset(exponential_decay(1.0, 10, 0.5), offset=100)
      >>> s(100), s(110), s(90)
      (1.0, 0.5, 2.0)
    """
    return WithOffset(schedule, offset)
