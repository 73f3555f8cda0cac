"""Schedules combined from schedules: `product` (PyTorch's ChainedScheduler of
multiplicative schedulers, the factor strings of tensor2tensor) and `join_schedules` (optax).

This module never imports TensorFlow.
"""

import bisect
from typing import Iterable, Sequence, Tuple

from lrhooks import checks
from lrhooks.schedules._base import Composite, Schedule, documented, factory, field

__all__ = ["Product", "JoinSchedules", "product", "join_schedules", "schedule_check"]


def schedule_check(name: str, value, element=None) -> Schedule:
    """Checks for a `Schedule` (the argument of a combined schedule)."""
    what = f"`{name}`" + ("" if element is None else f" element {element}")
    if not isinstance(value, Schedule):
        raise TypeError(f"{what} must be a lrhooks.schedules.Schedule, got {value!r}")
    return value


def _schedules(name: str, value) -> Tuple[Schedule, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise TypeError(f"`{name}` must be a non-empty sequence of schedules, got {value!r}")
    items = tuple(schedule_check(name, s, i) for i, s in enumerate(value))
    if not items:
        raise ValueError(f"`{name}` must be a non-empty sequence of schedules, got {value!r}")
    return items


def _boundaries(name: str, value) -> Tuple[int, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise TypeError(f"`{name}` must be a sequence of integers >= 0, got {value!r}")
    return tuple(checks.non_negative_count(name, b, i) for i, b in enumerate(value))


@factory("product")
class Product(Composite):
    """`schedules[0](step) * schedules[1](step) * ...`."""

    schedules: Tuple[Schedule, ...] = field(_schedules)

    def _value(self, step):
        value = 1.0
        for schedule in self.schedules:
            value *= schedule(step)
        return value

    def _breakpoints(self, total_steps):
        return (b for s in self.schedules for b in s.breakpoints(total_steps))


@documented
def product(schedules: Sequence[Schedule]) -> Product:
    """The product of schedules: `rate = schedules[0](step) * schedules[1](step) * ...`.

    The rate PyTorch gives when several multiplicative schedulers step one
    optimizer (`ChainedScheduler([s1, s2])`, or `s1.step(); s2.step()`): the
    first holds the optimizer's rate, the others are factors (rate 1.0), e.g.
    `ChainedScheduler([ConstantLR(opt, 0.1, 2), ExponentialLR(opt, 0.9)])` with
    `lr=1.0` is `product([constant_lr(1.0, 0.1, 2), exponential_decay(1.0, 1,
    0.9)])`. Its scope: PyTorch steps each chained scheduler on the running rate
    (its chainable `get_lr`), which is a factor only for the multiplicative
    schedulers (`ConstantLR`, `LinearLR`, `ExponentialLR`, `StepLR`,
    `MultiStepLR`, `PolynomialLR`); a `CosineAnnealingLR` with `eta_min`, or
    past `T_max`, differs from the product of closed forms by up to 0.9
    relative: `chained_scheduler` is PyTorch's recursion for those. A
    `reduce_lr_on_plateau` factor skips reductions by at most its `eps` on its
    own rate, not on the product. tensor2tensor's `learning_rate_schedule="constant*linear_warmup*
    rsqrt_decay"` is `t2t_schedule(...)`, or with separate factors
    `product([constant(c), warmup(constant(1.0), W), rsqrt_decay(W)])`. A
    product of any Python callables is a lambda; the flag language only knows
    schedules.

    Args:
      schedules: A non-empty sequence of `Schedule`s.

    Returns:
      A `Product` schedule (holding a tuple), with the breakpoints of every factor.

    Raises:
      TypeError: If an argument has the wrong type.
      ValueError: If `schedules` is empty.
    """
    return Product(schedules)


@factory("join_schedules")
class JoinSchedules(Composite):
    """`schedules[i](step - boundaries[i-1])` for `boundaries[i-1] <= step < boundaries[i]`."""

    schedules: Tuple[Schedule, ...] = field(_schedules)
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
    """
    return JoinSchedules(schedules, boundaries)

