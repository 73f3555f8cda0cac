"""timm's cycle schedulers: `CosineLRScheduler`, `TanhLRScheduler`, `PolyLRScheduler`.

The arguments are timm's (`t_initial`, `lr_min`, `cycle_mul`, `cycle_decay`,
`cycle_limit`, `warmup_t`, `warmup_lr_init`, `warmup_prefix`, `k_decay`),
`learning_rate` is the optimizer's rate, and a step is timm's `t` (an update
with `t_in_epochs=False`, an epoch otherwise). Noise (`noise_range_t`) is not
supported: it is a stateful random draw. This module never imports TensorFlow.
"""

import math
from typing import Tuple

from lrhooks import checks
from lrhooks.schedules._base import Schedule, factory, field

__all__ = ["TimmCosine", "TimmTanh", "TimmPoly", "timm_cosine", "timm_tanh", "timm_poly"]


def _cycle_mul(name: str, value) -> float:
    return checks.positive(name, value)


class _TimmCycles(Schedule):
    """timm's `_get_lr`: warmup, cycle index, per-cycle shape, `lr_min` after the limit.

    Subclasses are dataclasses with the fields `learning_rate, t_initial, lr_min,
    cycle_mul, cycle_decay, cycle_limit, warmup_t, warmup_lr_init, warmup_prefix`.
    """

    # timm's TanhLRScheduler ramps (without warmup_prefix) towards its own value at
    # `warmup_t`; the cosine and poly schedulers towards `learning_rate`.
    _WARMUP_TO_JOIN = False

    def _shape(self, lr_max: float, t_curr: float, t_i: float) -> float:
        raise NotImplementedError

    def _cycles(self, t: int) -> float:
        """The rate at cycle time `t` (after the warmup)."""
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

    def _value(self, step):
        if step < self.warmup_t:
            target = self.learning_rate
            if self._WARMUP_TO_JOIN and not self.warmup_prefix:
                target = self._cycles(self.warmup_t)
            warmup_step = (target - self.warmup_lr_init) / self.warmup_t
            return self.warmup_lr_init + step * warmup_step
        return self._cycles(step - self.warmup_t if self.warmup_prefix else step)

    def _breakpoints(self, total_steps):
        shift = self.warmup_t if self.warmup_prefix else 0
        if self.warmup_t:
            yield self.warmup_t
        i = 1
        while i <= self.cycle_limit and shift + math.ceil(self._start(i)) - 1 < total_steps:
            start = shift + math.ceil(self._start(i))
            yield from (start - 1, start)
            i += 1


_COMMON = """
    Args:
      learning_rate: The optimizer's rate, the peak of cycle 0, a finite number >= 0.
      t_initial: The length of cycle 0, an integer > 0.
      lr_min: The trough, and the rate after `cycle_limit` cycles, finite, >= 0.
      cycle_mul: Cycle `i` lasts `t_initial * cycle_mul ** i`, a finite number > 0.
      cycle_decay: Cycle `i` peaks at `learning_rate * cycle_decay ** i`, finite, >= 0.
      cycle_limit: The number of cycles, an integer > 0.
      warmup_t: Warmup steps, an integer >= 0.
      warmup_lr_init: The rate at step 0 of the warmup, a finite number >= 0.
      warmup_prefix: False (timm's default): the warmup ramps linearly from
        `warmup_lr_init` towards `learning_rate` (reaching
        `warmup_lr_init + (warmup_t - 1) / warmup_t * (learning_rate - warmup_lr_init)`)
        and then the rate jumps to the cycle schedule at `t = warmup_t`, whose first
        `warmup_t` steps are replaced. True: the cycles start after the warmup
        (`t = step - warmup_t`).

    Deviation: with `cycle_mul != 1` timm finds the cycle with a float
    `floor(log(...))`, which can be one cycle off exactly at a restart; lrhooks
    uses the exact cycle (`S(i) <= t < S(i + 1)`, timm's own `S`).
"""


def _fields():
    """Fresh dataclass fields for timm's shared arguments (one set per class)."""
    return dict(
        t_initial=field(checks.positive_count), lr_min=field(checks.real, 0.0),
        cycle_mul=field(_cycle_mul, 1.0), cycle_decay=field(checks.real, 1.0),
        cycle_limit=field(checks.positive_count, 1),
        warmup_t=field(checks.non_negative_count, 0),
        warmup_lr_init=field(checks.real, 0.0), warmup_prefix=field(checks.flag, False))


@factory("timm_cosine")
class TimmCosine(_TimmCycles):
    """`lr_min + 0.5 * (lr_max - lr_min) * (1 + cos(pi * t_curr ** k / t_i ** k))`."""

    learning_rate: float = field(checks.real)
    t_initial: int = _fields()["t_initial"]
    lr_min: float = _fields()["lr_min"]
    cycle_mul: float = _fields()["cycle_mul"]
    cycle_decay: float = _fields()["cycle_decay"]
    cycle_limit: int = _fields()["cycle_limit"]
    warmup_t: int = _fields()["warmup_t"]
    warmup_lr_init: float = _fields()["warmup_lr_init"]
    warmup_prefix: bool = _fields()["warmup_prefix"]
    k_decay: float = field(checks.positive, 1.0)

    def _shape(self, lr_max, t_curr, t_i):
        k = self.k_decay
        return self.lr_min + 0.5 * (lr_max - self.lr_min) * (
            1 + math.cos(math.pi * t_curr ** k / t_i ** k))


def timm_cosine(learning_rate: float, t_initial: int, lr_min: float = 0.0,
                cycle_mul: float = 1.0, cycle_decay: float = 1.0, cycle_limit: int = 1,
                warmup_t: int = 0, warmup_lr_init: float = 0.0, warmup_prefix: bool = False,
                k_decay: float = 1.0) -> TimmCosine:
    """timm's `CosineLRScheduler` (`--sched cosine`), values of its `_get_lr(t)`.

        t < warmup_t:  rate = warmup_lr_init + t * (learning_rate - warmup_lr_init) / warmup_t
        otherwise (t -= warmup_t if warmup_prefix), in cycle i of length t_i at t_curr:
          lr_max = learning_rate * cycle_decay ** i
          rate = lr_min + 0.5 * (lr_max - lr_min) * (1 + cos(pi * t_curr ** k / t_i ** k))
          rate = lr_min                                   # i >= cycle_limit

    With `k = k_decay` (the k-decay paper's exponent; 1 is plain cosine, a finite
    number > 0).
    """
    return TimmCosine(learning_rate, t_initial, lr_min, cycle_mul, cycle_decay, cycle_limit,
                      warmup_t, warmup_lr_init, warmup_prefix, k_decay)


@factory("timm_tanh")
class TimmTanh(_TimmCycles):
    """`lr_min + 0.5 * (lr_max - lr_min) * (1 - tanh(lb * (1 - tr) + ub * tr))`."""

    _WARMUP_TO_JOIN = True

    learning_rate: float = field(checks.real)
    t_initial: int = _fields()["t_initial"]
    lb: float = field(checks.finite, -7.0)
    ub: float = field(checks.finite, 3.0)
    lr_min: float = _fields()["lr_min"]
    cycle_mul: float = _fields()["cycle_mul"]
    cycle_decay: float = _fields()["cycle_decay"]
    cycle_limit: int = _fields()["cycle_limit"]
    warmup_t: int = _fields()["warmup_t"]
    warmup_lr_init: float = _fields()["warmup_lr_init"]
    warmup_prefix: bool = _fields()["warmup_prefix"]

    def __post_init__(self):
        super().__post_init__()
        if not self.lb < self.ub:
            raise ValueError(f"`ub` must be > `lb` ({self.lb!r}), got {self.ub!r}")

    def _shape(self, lr_max, t_curr, t_i):
        tr = t_curr / t_i
        return self.lr_min + 0.5 * (lr_max - self.lr_min) * (
            1 - math.tanh(self.lb * (1. - tr) + self.ub * tr))


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
    """
    return TimmTanh(learning_rate, t_initial, lb, ub, lr_min, cycle_mul, cycle_decay,
                    cycle_limit, warmup_t, warmup_lr_init, warmup_prefix)


@factory("timm_poly")
class TimmPoly(_TimmCycles):
    """`lr_min + (lr_max - lr_min) * (1 - t_curr ** k / t_i ** k) ** power`."""

    learning_rate: float = field(checks.real)
    t_initial: int = _fields()["t_initial"]
    power: float = field(checks.real, 0.5)
    lr_min: float = _fields()["lr_min"]
    cycle_mul: float = _fields()["cycle_mul"]
    cycle_decay: float = _fields()["cycle_decay"]
    cycle_limit: int = _fields()["cycle_limit"]
    warmup_t: int = _fields()["warmup_t"]
    warmup_lr_init: float = _fields()["warmup_lr_init"]
    warmup_prefix: bool = _fields()["warmup_prefix"]
    k_decay: float = field(checks.positive, 1.0)

    def _shape(self, lr_max, t_curr, t_i):
        k = self.k_decay
        return self.lr_min + (lr_max - self.lr_min) * (
            1 - t_curr ** k / t_i ** k) ** self.power


def timm_poly(learning_rate: float, t_initial: int, power: float = 0.5, lr_min: float = 0.0,
              cycle_mul: float = 1.0, cycle_decay: float = 1.0, cycle_limit: int = 1,
              warmup_t: int = 0, warmup_lr_init: float = 0.0, warmup_prefix: bool = False,
              k_decay: float = 1.0) -> TimmPoly:
    """timm's `PolyLRScheduler` (`--sched poly`).

        rate = lr_min + (lr_max - lr_min) * (1 - t_curr ** k / t_i ** k) ** power
               (cycles and warmup as `timm_cosine`; `power` a finite number >= 0)
    """
    return TimmPoly(learning_rate, t_initial, power, lr_min, cycle_mul, cycle_decay,
                    cycle_limit, warmup_t, warmup_lr_init, warmup_prefix, k_decay)


for _factory in (timm_cosine, timm_tanh, timm_poly):
    _factory.__doc__ += _COMMON + """
    Returns:
      The schedule.

    Raises:
      TypeError: If an argument has the wrong type (a bool for a number, say).
      ValueError: If an argument is out of range (see Args).
    """
