"""timm's cycle schedulers: `CosineLRScheduler`, `TanhLRScheduler`, `PolyLRScheduler`.

timm's own cycle arithmetic (`t_initial`, `cycle_mul`, `cycle_decay`,
`cycle_limit`, `lr_min`, `k_decay`) behind timm's warmup (`_timm_warmup`):
`learning_rate` is the optimizer's rate, a step is timm's `t`. This module never imports TensorFlow.
"""

import math
from typing import Tuple

from lrhooks import checks
from lrhooks.schedules._base import documented, factory, field, with_fields
from lrhooks.schedules._timm_warmup import WARMUP_ARGS, TimmWarmup, warmup_fields

__all__ = ["TimmCosine", "TimmTanh", "TimmPoly", "timm_cosine", "timm_tanh", "timm_poly"]


def _cycle_fields():
    """The cycle schedulers' shared arguments, `lr_min` to `warmup_prefix`, fresh."""
    return dict(lr_min=(float, field(checks.real, 0.0)),
                cycle_mul=(float, field(checks.positive, 1.0)),
                cycle_decay=(float, field(checks.real, 1.0)),
                cycle_limit=(int, field(checks.positive_count, 1)),
                **warmup_fields())


class _TimmCycles(TimmWarmup):
    """timm's cycles: the cycle index, the per-cycle shape, `lr_min` after the limit.

    Subclasses are dataclasses with the fields `learning_rate, t_initial` and
    those of `_cycle_fields`.
    """

    def _shape(self, lr_max: float, t_curr: float, t_i: float) -> float:
        raise NotImplementedError

    def _after(self, t):
        i, t_i, t_curr = self._cycle(t)
        if i >= self.cycle_limit:
            return self.lr_min
        return self._shape(self.learning_rate * self.cycle_decay ** i, t_curr, t_i)

    def _start(self, i: int) -> float:
        """Where cycle `i` starts, as timm computes it."""
        m = self.cycle_mul
        if m == 1:
            return self.t_initial * i
        return (1 - m ** i) / (1 - m) * self.t_initial

    def _cycle(self, t: int) -> Tuple[int, float, float]:
        """`(i, t_i, t_curr)`: the cycle, its length and the step within it."""
        m = self.cycle_mul
        if m == 1:
            i = t // self.t_initial
            return i, self.t_initial, t - self.t_initial * i
        if m < 1 and t / self.t_initial >= 1 / (1 - m):
            return self.cycle_limit, 1.0, 0.0  # past every cycle: lr_min
        i = max(0, math.floor(math.log(1 - t / self.t_initial * (1 - m), m)))
        # timm's float log can be one off exactly at a restart: make S(i) <= t < S(i+1).
        while i > 0 and self._start(i) > t:
            i -= 1
        while self._start(i + 1) <= t:
            i += 1
        return i, m ** i * self.t_initial, t - self._start(i)

    def _after_breakpoints(self, total_steps):
        i = 1
        while i <= self.cycle_limit and math.ceil(self._start(i)) - 1 < total_steps:
            start = math.ceil(self._start(i))
            yield from (start - 1, start)
            i += 1


_COMMON = """

    Args:
      learning_rate: The optimizer's rate, the peak of cycle 0, a finite number >= 0.
      t_initial: The length of cycle 0, an integer > 0.
      lr_min: The trough, and the rate after `cycle_limit` cycles, finite, >= 0.
      cycle_mul: Cycle `i` lasts `t_initial * cycle_mul ** i`, a finite number > 0.
      cycle_decay: Cycle `i` peaks at `learning_rate * cycle_decay ** i`, finite, >= 0.
      cycle_limit: The number of cycles, an integer > 0.""" + WARMUP_ARGS + """
        False is the default of these three schedulers.

    Deviation: with `cycle_mul != 1` timm finds the cycle with a float
    `floor(log(...))`, which can be one cycle off exactly at a restart; lrhooks
    uses the exact cycle (`S(i) <= t < S(i + 1)`, timm's own `S`).
"""


@factory("timm_cosine")
@with_fields(_cycle_fields, after="t_initial")
class TimmCosine(_TimmCycles):
    """`lr_min + 0.5 * (lr_max - lr_min) * (1 + cos(pi * t_curr ** k / t_i ** k))`."""

    learning_rate: float = field(checks.real)
    t_initial: int = field(checks.positive_count)
    k_decay: float = field(checks.positive, 1.0)

    def _shape(self, lr_max, t_curr, t_i):
        k = self.k_decay
        return self.lr_min + 0.5 * (lr_max - self.lr_min) * (
            1 + math.cos(math.pi * t_curr ** k / t_i ** k))


@documented(args=_COMMON)
def timm_cosine(learning_rate: float, t_initial: int, lr_min: float = 0.0,
                cycle_mul: float = 1.0, cycle_decay: float = 1.0, cycle_limit: int = 1,
                warmup_t: int = 0, warmup_lr_init: float = 0.0, warmup_prefix: bool = False,
                k_decay: float = 1.0) -> TimmCosine:
    """timm's `CosineLRScheduler` (`--sched cosine`):
    the rate its optimizer trains at, `_get_lr(t)` (at `t = 0` without a warmup,
    `learning_rate`: timm sets the rate only from `step(1)` on).

        t < warmup_t:  rate = warmup_lr_init + t * (learning_rate - warmup_lr_init) / warmup_t
        otherwise (t -= warmup_t if warmup_prefix), in cycle i of length t_i at t_curr:
          lr_max = learning_rate * cycle_decay ** i
          rate = lr_min + 0.5 * (lr_max - lr_min) * (1 + cos(pi * t_curr ** k / t_i ** k))
          rate = lr_min                                   # i >= cycle_limit

    With `k = k_decay` (the k-decay paper's exponent; 1 is plain cosine, a finite
    number > 0).

    Examples:
      >>> s = timm_cosine(1.0, t_initial=100, lr_min=0.1, cycle_limit=2)
      >>> s(0), s(50), s(100), s(200)
      (1.0, 0.55, 1.0, 0.1)
    """
    return TimmCosine(learning_rate, t_initial, lr_min, cycle_mul, cycle_decay, cycle_limit,
                      warmup_t, warmup_lr_init, warmup_prefix, k_decay)


@factory("timm_tanh")
@with_fields(_cycle_fields, after="ub")
class TimmTanh(_TimmCycles):
    """`lr_min + 0.5 * (lr_max - lr_min) * (1 - tanh(lb * (1 - tr) + ub * tr))`."""

    learning_rate: float = field(checks.real)
    t_initial: int = field(checks.positive_count)
    lb: float = field(checks.finite, -7.0)
    ub: float = field(checks.finite, 3.0)

    def _warmup_target(self):
        # timm's TanhLRScheduler ramps (without warmup_prefix) towards its own value
        # at `warmup_t`; the cosine and poly schedulers towards `learning_rate`.
        return self.learning_rate if self.warmup_prefix else self._after(self.warmup_t)

    def __post_init__(self):
        super().__post_init__()
        if not self.lb < self.ub:
            raise ValueError(f"`ub` must be > `lb` ({self.lb!r}), got {self.ub!r}")

    def _shape(self, lr_max, t_curr, t_i):
        tr = t_curr / t_i
        return self.lr_min + 0.5 * (lr_max - self.lr_min) * (
            1 - math.tanh(self.lb * (1. - tr) + self.ub * tr))


@documented(args=_COMMON)
def timm_tanh(learning_rate: float, t_initial: int, lb: float = -7.0, ub: float = 3.0,
              lr_min: float = 0.0, cycle_mul: float = 1.0, cycle_decay: float = 1.0,
              cycle_limit: int = 1, warmup_t: int = 0, warmup_lr_init: float = 0.0,
              warmup_prefix: bool = False) -> TimmTanh:
    """timm's `TanhLRScheduler` (`--sched tanh`): hyperbolic-tangent decay.

        tr = t_curr / t_i           (cycles and warmup as `timm_cosine`)
        rate = lr_min + 0.5 * (lr_max - lr_min) * (1 - tanh(lb * (1 - tr) + ub * tr))

    `lb < ub` are finite numbers (timm's -7 and 3). Unlike the cosine and
    poly schedulers, timm's tanh warmup (without `warmup_prefix`) ramps
    towards the tanh curve's own value at `warmup_t`, not `learning_rate`.
    Without a warmup, step 0 is `learning_rate`, the rate timm's optimizer
    holds until the first `step(t)` (its `_get_lr(0)` is below it).

    Examples:
      >>> s = timm_tanh(1.0, t_initial=100)
      >>> s(0) == 1.0, s(1) < 1.0, s(100)
      (True, True, 0.0)
    """
    return TimmTanh(learning_rate, t_initial, lb, ub, lr_min, cycle_mul, cycle_decay,
                    cycle_limit, warmup_t, warmup_lr_init, warmup_prefix)


@factory("timm_poly")
@with_fields(_cycle_fields, after="power")
class TimmPoly(_TimmCycles):
    """`lr_min + (lr_max - lr_min) * (1 - t_curr ** k / t_i ** k) ** power`."""

    learning_rate: float = field(checks.real)
    t_initial: int = field(checks.positive_count)
    power: float = field(checks.real, 0.5)
    k_decay: float = field(checks.positive, 1.0)

    def _shape(self, lr_max, t_curr, t_i):
        k = self.k_decay
        return self.lr_min + (lr_max - self.lr_min) * (
            1 - t_curr ** k / t_i ** k) ** self.power


@documented(args=_COMMON)
def timm_poly(learning_rate: float, t_initial: int, power: float = 0.5, lr_min: float = 0.0,
              cycle_mul: float = 1.0, cycle_decay: float = 1.0, cycle_limit: int = 1,
              warmup_t: int = 0, warmup_lr_init: float = 0.0, warmup_prefix: bool = False,
              k_decay: float = 1.0) -> TimmPoly:
    """timm's `PolyLRScheduler` (`--sched poly`).

        rate = lr_min + (lr_max - lr_min) * (1 - t_curr ** k / t_i ** k) ** power
               (cycles and warmup as `timm_cosine`; `power` a finite number >= 0)

    Examples:
      >>> s = timm_poly(1.0, t_initial=100, power=1.0)
      >>> s(0), s(50), s(100)
      (1.0, 0.5, 0.0)
    """
    return TimmPoly(learning_rate, t_initial, power, lr_min, cycle_mul, cycle_decay,
                    cycle_limit, warmup_t, warmup_lr_init, warmup_prefix, k_decay)
