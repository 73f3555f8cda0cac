"""Schedules multiplied: by a constant (`scaled`, `linear_scaling`) or by each other (`product`).

`product` is PyTorch's `ChainedScheduler` of multiplicative schedulers and
tensor2tensor's factor products; PyTorch's recursion for the others is
`chained_scheduler` (`_chained`). This module never imports TensorFlow.
"""

from typing import Sequence, Tuple

from lrhooks import checks
from lrhooks.schedules._base import (Composite, Schedule, documented, factory, field,
                                     schedule_arg, schedules_arg)

__all__ = ["Scaled", "LinearScaling", "Product", "scaled", "linear_scaling", "product"]


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

    schedule: Schedule = field(schedule_arg)
    factor: float = field(checks.positive)


@documented
def scaled(schedule: Schedule, factor: float) -> Scaled:
    """A schedule times a constant: `rate = schedule(step) * factor`.

    Args:
      schedule: The `Schedule` to scale.
      factor: The factor, a finite number > 0.

    Returns:
      A `Scaled` schedule, with the breakpoints of `schedule`.

    Examples:
      >>> scaled(cosine_decay(0.1, 100), 10.0)(50)
      0.5
    """
    return Scaled(schedule, factor)


@factory("linear_scaling")
class LinearScaling(_TimesFactor):
    """`schedule(step) * (global_batch_size / reference_batch_size)`."""

    schedule: Schedule = field(schedule_arg)
    global_batch_size: int = field(checks.positive_count)
    reference_batch_size: int = field(checks.positive_count)

    @property
    def factor(self) -> float:
        """`global_batch_size / reference_batch_size`."""
        return self.global_batch_size / self.reference_batch_size


@documented
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

    Examples:
      >>> s = linear_scaling(constant(0.1), global_batch_size=1024, reference_batch_size=256)
      >>> s(0), s.factor
      (0.4, 4.0)
    """
    return LinearScaling(schedule, global_batch_size, reference_batch_size)


@factory("product")
class Product(Composite):
    """`schedules[0](step) * schedules[1](step) * ...`."""

    schedules: Tuple[Schedule, ...] = field(schedules_arg)

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

    Examples:
      >>> s = product([constant(2.0), exponential_decay(1.0, 1, 0.5)])
      >>> s(0), s(1), s(3)
      (2.0, 1.0, 0.25)
    """
    return Product(schedules)
