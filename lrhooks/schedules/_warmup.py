"""Warmups in front of a schedule, and PyTorch's warmup factors.

`warmup` (linear, exponential or constant, into any schedule, offset or not),
the Model Garden's `PolynomialWarmUp` (`polynomial_warmup`) and PyTorch's
`ConstantLR` and `LinearLR` (`constant_lr`, `linear_lr`: a factor on the rate
for the first steps, the usual PyTorch warmup). This module never imports TensorFlow.

    >>> s = warmup(cosine_decay(0.1, 1000), warmup_steps=100)
    >>> s(0), s(50), s(100), s(600)
    (0.0, 0.05, 0.1, 0.05)
"""

import math

from lrhooks import checks
from lrhooks.schedules._base import (Composite, Schedule, documented, factory, field,
                                     power_or_inf, schedule_arg)
from lrhooks.schedules._sequences import shifted

__all__ = ["Warmup", "PolynomialWarmup", "ConstantLR", "LinearLR", "warmup",
           "polynomial_warmup", "constant_lr", "linear_lr"]


WARMUP_KINDS = ("linear", "exponential", "constant")


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

    schedule: Schedule = field(schedule_arg)
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
            return (w, *shifted(self.schedule, w, total_steps))
        return (w, *(b for b in self.schedule.breakpoints(total_steps) if b > w))


@documented
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

    Examples:
      >>> s = warmup(constant(0.1), warmup_steps=10)
      >>> s(0), s(5), s(10)
      (0.0, 0.05, 0.1)
      >>> warmup(cosine_decay(0.1, 100), 10, offset=False)(10) == cosine_decay(0.1, 100)(10)
      True
    """
    return Warmup(schedule, warmup_steps, initial_learning_rate, kind, offset)


@factory("polynomial_warmup")
class PolynomialWarmup(Composite):
    """`schedule(W) * (max(step, 1) / W) ** power` for `step < W`, then `schedule(step)`."""

    schedule: Schedule = field(schedule_arg)
    warmup_steps: int = field(checks.non_negative_count)
    power: float = field(checks.finite, 1.0)

    def _value(self, step):
        w = self.warmup_steps
        if step >= w:
            return self.schedule(step)
        target = self.schedule(w)
        return target * power_or_inf(max(float(step), 1.0) / w, self.power)

    def _breakpoints(self, total_steps):
        return (self.warmup_steps, *(b for b in self.schedule.breakpoints(total_steps)
                                     if b > self.warmup_steps))


@documented
def polynomial_warmup(schedule: Schedule, warmup_steps: int,
                      power: float = 1.0) -> PolynomialWarmup:
    """The Model Garden's `PolynomialWarmUp(after_warmup_lr_sched, warmup_steps, power)`.

        rate = schedule(W) * (max(step, 1) / W) ** power     # step < W
        rate = schedule(step)                                # step >= W

    `schedule` sees the global step (no offset), like `warmup(...,
    offset=False)`; note `max(step, 1)`: step 0 already trains at
    `schedule(W) / W ** power`.

    Args:
      schedule: The `Schedule` after the warmup (a constant rate: `constant(r)`).
      warmup_steps: `W`, an integer >= 0.
      power: The warmup's exponent, a finite number.

    Examples:
      >>> s = polynomial_warmup(constant(1.0), warmup_steps=10, power=2.0)
      >>> s(0), s(5), s(10)
      (0.010000000000000002, 0.25, 1.0)
    """
    return PolynomialWarmup(schedule, warmup_steps, power)


@factory("constant_lr")
class ConstantLR(Schedule):
    """`learning_rate * factor` for `step < total_iters`, then `learning_rate`."""

    learning_rate: float = field(checks.real)
    factor: float = field(checks.interval, 1.0 / 3, low=0.0, high=1.0)
    total_iters: int = field(checks.positive_count, 5)

    def _value(self, step):
        return self.learning_rate * self.factor if step < self.total_iters else self.learning_rate

    def _breakpoints(self, total_steps):
        return (self.total_iters - 1, self.total_iters)


@documented
def constant_lr(learning_rate: float, factor: float = 1.0 / 3,
                total_iters: int = 5) -> ConstantLR:
    """PyTorch's `ConstantLR(optimizer, factor, total_iters)`.

        rate = learning_rate * factor     # step < total_iters
        rate = learning_rate              # step >= total_iters

    Args:
      learning_rate: The optimizer's rate, a finite number >= 0.
      factor: A finite number in [0, 1].
      total_iters: An integer > 0. (PyTorch accepts 0 and then keeps
        `learning_rate * factor` for ever; use `constant` for a constant rate.)

    Examples:
      >>> s = constant_lr(0.1, factor=0.5, total_iters=3)
      >>> s(0), s(2), s(3)
      (0.05, 0.05, 0.1)
    """
    return ConstantLR(learning_rate, factor, total_iters)


@factory("linear_lr")
class LinearLR(Schedule):
    """`lr * (start + (end - start) * min(step, total_iters) / total_iters)`."""

    learning_rate: float = field(checks.real)
    start_factor: float = field(checks.interval, 1.0 / 3, low=0.0, high=1.0, low_open=True)
    end_factor: float = field(checks.interval, 1.0, low=0.0, high=1.0)
    total_iters: int = field(checks.positive_count, 5)

    def _value(self, step):
        done = min(step, self.total_iters) / self.total_iters
        return self.learning_rate * (
            self.start_factor + (self.end_factor - self.start_factor) * done)

    def _breakpoints(self, total_steps):
        return (self.total_iters,)


@documented
def linear_lr(learning_rate: float, start_factor: float = 1.0 / 3, end_factor: float = 1.0,
              total_iters: int = 5) -> LinearLR:
    """PyTorch's `LinearLR(optimizer, start_factor, end_factor, total_iters)`.

        f = start_factor + (end_factor - start_factor) * min(step, total_iters) / total_iters
        rate = learning_rate * f

    Args:
      learning_rate: The optimizer's rate, a finite number >= 0.
      start_factor: A finite number in (0, 1].
      end_factor: A finite number in [0, 1].
      total_iters: An integer > 0 (PyTorch's 0 is rejected: use `constant`).

    Examples:
      >>> s = linear_lr(1.0, start_factor=0.5, end_factor=1.0, total_iters=4)
      >>> s(0), s(2), s(4), s(100)
      (0.5, 0.75, 1.0, 1.0)
    """
    return LinearLR(learning_rate, start_factor, end_factor, total_iters)
