"""A linear warmup, then a cosine: transformers' cosine schedules and optax's warmup cosine.

transformers' `get_cosine_schedule_with_warmup`, `..._with_hard_restarts_...`,
`get_cosine_with_min_lr_schedule_with_warmup(_lr_rate)` (the rate is
`learning_rate * lr_lambda(step)` with transformers' own float operations) and
optax's `warmup_cosine_decay_schedule` (optax's own join, in float64).
This module never imports TensorFlow.
"""

import dataclasses
import math
from typing import Optional

from lrhooks import checks
from lrhooks.schedules._base import Built, documented, factory, field, optional
from lrhooks.schedules._cosine_decays import CosineDecaySchedule
from lrhooks.schedules._decays import Constant, PolynomialDecay
from lrhooks.schedules._sequences import JoinSchedules
from lrhooks.schedules._warmup_decays import WarmupThenDecay, cosine_factor, decay_progress

__all__ = ["CosineScheduleWithWarmup", "CosineWithHardRestartsScheduleWithWarmup",
           "CosineWithMinLrScheduleWithWarmup", "CosineWithMinLrScheduleWithWarmupLrRate",
           "WarmupCosineDecaySchedule", "cosine_schedule_with_warmup",
           "cosine_with_hard_restarts_schedule_with_warmup",
           "cosine_with_min_lr_schedule_with_warmup",
           "cosine_with_min_lr_schedule_with_warmup_lr_rate", "warmup_cosine_decay_schedule"]


@factory("cosine_schedule_with_warmup")
class CosineScheduleWithWarmup(WarmupThenDecay):
    """`lr * max(0, r + (1 - r) * 0.5 * (1 + cos(2 pi num_cycles p)))` after a warmup."""
    num_cycles: float = field(checks.real, 0.5)
    min_lr_rate: float = field(checks.interval, 0.0, low=0.0, high=1.0)

    def _decay(self, step):
        progress = decay_progress(step, self.num_warmup_steps, self.num_training_steps)
        return cosine_factor(progress, self.num_cycles, self.min_lr_rate)

    def _breakpoints(self, total_steps):
        return (self.num_warmup_steps,)


@documented
def cosine_schedule_with_warmup(learning_rate: float, num_warmup_steps: int,
                                num_training_steps: int, num_cycles: float = 0.5,
                                min_lr_rate: float = 0.0) -> CosineScheduleWithWarmup:
    """`transformers.get_cosine_schedule_with_warmup` (and `..._with_min_lr_...`).

        rate = learning_rate * step / max(1, W)                             # step < W
        p = (step - W) / max(1, T - W)                                      # step >= W
        f = 0.5 * (1 + cos(pi * num_cycles * 2 * p))
        rate = learning_rate * max(0, f * (1 - min_lr_rate) + min_lr_rate)

    It keeps going past `T` (the cosine is periodic; transformers does not
    clamp `p`): with `num_cycles=0.5` the rate rises again after `T`, like
    PyTorch's `CosineAnnealingLR`. `min_lr_rate` is
    `get_cosine_with_min_lr_schedule_with_warmup(min_lr_rate=...)` (its
    `min_lr=m` form is `min_lr_rate = m / learning_rate`).

    Args:
      learning_rate: The peak rate, a finite number >= 0.
      num_warmup_steps: `W`, an integer >= 0.
      num_training_steps: `T`, an integer >= 0.
      num_cycles: Cosine waves over `T - W` steps, a finite number >= 0.
      min_lr_rate: The floor as a fraction of `learning_rate`, in [0, 1].

    Examples:
      >>> s = cosine_schedule_with_warmup(1.0, 10, 110)
      >>> s(5), s(10), s(60), s(110)
      (0.5, 1.0, 0.5, 0.0)
    """
    return CosineScheduleWithWarmup(learning_rate, num_warmup_steps, num_training_steps,
                                    num_cycles, min_lr_rate)


@factory("cosine_with_hard_restarts_schedule_with_warmup")
class CosineWithHardRestartsScheduleWithWarmup(WarmupThenDecay):
    """`lr * 0.5 * (1 + cos(pi * ((num_cycles * p) % 1)))` for `p < 1`, then 0."""
    num_cycles: int = field(checks.positive_count, 1)

    def _decay(self, step):
        progress = decay_progress(step, self.num_warmup_steps, self.num_training_steps)
        if progress >= 1.0:
            return 0.0
        return max(0.0, 0.5 * (1.0 + math.cos(
            math.pi * ((float(self.num_cycles) * progress) % 1.0))))


@documented
def cosine_with_hard_restarts_schedule_with_warmup(
        learning_rate: float, num_warmup_steps: int, num_training_steps: int,
        num_cycles: int = 1) -> CosineWithHardRestartsScheduleWithWarmup:
    """`transformers.get_cosine_with_hard_restarts_schedule_with_warmup`.

        rate = learning_rate * step / max(1, W)                             # step < W
        p = (step - W) / max(1, T - W)                                      # step >= W
        rate = learning_rate * 0.5 * (1 + cos(pi * ((num_cycles * p) % 1)))  # p < 1
        rate = 0                                                            # p >= 1

    Args:
      learning_rate: The peak rate, a finite number >= 0.
      num_warmup_steps: `W`, an integer >= 0.
      num_training_steps: `T`, an integer >= 0.
      num_cycles: Hard restarts over `T - W` steps, an integer > 0.

    Examples:
      >>> s = cosine_with_hard_restarts_schedule_with_warmup(1.0, 0, 100, num_cycles=2)
      >>> s(0), s(25), s(50), s(100)
      (1.0, 0.5, 1.0, 0.0)
    """
    return CosineWithHardRestartsScheduleWithWarmup(learning_rate, num_warmup_steps,
                                                    num_training_steps, num_cycles)


_ARGS = """

    Args:
      learning_rate: The peak rate, a finite number >= 0 (> 0 with `min_lr`).
      num_warmup_steps: `W`, an integer >= 0.
      num_training_steps: `T`, an integer >= 0.
      num_cycles: Cosine waves over `T - W` steps, a finite number >= 0.
      min_lr: The floor as a rate, a finite number >= 0, or None.
      min_lr_rate: The floor as a fraction of `learning_rate`, in [0, 1], or None."""


def _fraction(name: str, value) -> float:
    return checks.interval(name, value, 0.0, 1.0)


@dataclasses.dataclass(frozen=True, repr=False)
class _MinLr(WarmupThenDecay):
    """`num_cycles` and the floor, given as `min_lr` or as `min_lr_rate` (exactly one)."""

    num_cycles: float = field(checks.real, 0.5)
    min_lr: Optional[float] = field(optional(checks.real), None)
    min_lr_rate: Optional[float] = field(optional(_fraction), None)

    def __post_init__(self):
        super().__post_init__()
        if self.min_lr is not None and self.min_lr_rate is not None:
            raise ValueError(f"`min_lr` and `min_lr_rate` must not both be set (give one), "
                             f"got {self.min_lr!r} and {self.min_lr_rate!r}")
        if self.min_lr is None and self.min_lr_rate is None:
            raise ValueError("`min_lr` or `min_lr_rate` must be set, got None for both")
        if self.min_lr is not None and self.learning_rate == 0:
            raise ValueError("`learning_rate` must be > 0 with `min_lr` (the floor is "
                             "min_lr / learning_rate), got 0.0")

    @property
    def floor_rate(self) -> float:
        """`min_lr_rate`, or transformers' `min_lr / learning_rate`."""
        if self.min_lr_rate is not None:
            return self.min_lr_rate
        return self.min_lr / self.learning_rate

    def _breakpoints(self, total_steps):
        return (self.num_warmup_steps,)


@factory("cosine_with_min_lr_schedule_with_warmup")
class CosineWithMinLrScheduleWithWarmup(_MinLr):
    """`cosine_schedule_with_warmup` with the floor `min_lr` or `min_lr_rate`."""

    def _decay(self, step):
        progress = decay_progress(step, self.num_warmup_steps, self.num_training_steps)
        return cosine_factor(progress, self.num_cycles, self.floor_rate)


@documented(args=_ARGS)
def cosine_with_min_lr_schedule_with_warmup(
        learning_rate: float, num_warmup_steps: int, num_training_steps: int,
        num_cycles: float = 0.5, min_lr: Optional[float] = None,
        min_lr_rate: Optional[float] = None) -> CosineWithMinLrScheduleWithWarmup:
    """`transformers.get_cosine_with_min_lr_schedule_with_warmup`.

        r = min_lr_rate, or min_lr / learning_rate
        rate = learning_rate * step / max(1, W)                             # step < W
        p = (step - W) / max(1, T - W)                                      # step >= W
        rate = learning_rate * max(0, 0.5 * (1 + cos(pi * num_cycles * 2 * p)) * (1 - r) + r)

    `cosine_schedule_with_warmup(..., min_lr_rate=r)` with transformers' two
    ways to give the floor (exactly one of them, as transformers requires).

    Examples:
      >>> s = cosine_with_min_lr_schedule_with_warmup(1.0, 10, 110, min_lr=0.1)
      >>> s(5), s(10), s(110)
      (0.5, 1.0, 0.1)
    """
    return CosineWithMinLrScheduleWithWarmup(learning_rate, num_warmup_steps,
                                             num_training_steps, num_cycles, min_lr, min_lr_rate)


@factory("cosine_with_min_lr_schedule_with_warmup_lr_rate")
class CosineWithMinLrScheduleWithWarmupLrRate(_MinLr):
    """Warmup `(step + 1) / W` (or from `warmup_lr_rate`), cosine from `step - W + 1`."""

    warmup_lr_rate: Optional[float] = field(optional(checks.real), None)

    def _value(self, step):
        w, s = float(self.num_warmup_steps), float(step)
        if s < w:
            if self.warmup_lr_rate is None:
                return self.learning_rate * ((s + 1.0) / max(1.0, w))
            r = float(self.warmup_lr_rate)
            return self.learning_rate * (r + (1.0 - r) * s / max(1, w - 1))
        progress = (s - w + 1.0) / max(1.0, self.num_training_steps - w)
        return self.learning_rate * cosine_factor(progress, self.num_cycles, self.floor_rate)


@documented(args=_ARGS + """
      warmup_lr_rate: The warmup's start as a fraction of `learning_rate`, a finite
        number >= 0, or None (then `1 / W`).""")
def cosine_with_min_lr_schedule_with_warmup_lr_rate(
        learning_rate: float, num_warmup_steps: int, num_training_steps: int,
        num_cycles: float = 0.5, min_lr: Optional[float] = None,
        min_lr_rate: Optional[float] = None,
        warmup_lr_rate: Optional[float] = None) -> CosineWithMinLrScheduleWithWarmupLrRate:
    """`transformers.get_cosine_with_min_lr_schedule_with_warmup_lr_rate`.

        r = min_lr_rate, or min_lr / learning_rate
        rate = learning_rate * (step + 1) / max(1, W)        # step < W, warmup_lr_rate None
        rate = learning_rate * (w0 + (1 - w0) * step / max(1, W - 1))   # step < W, w0 given
        p = (step - W + 1) / max(1, T - W)                   # step >= W
        rate = learning_rate * max(0, 0.5 * (1 + cos(pi * num_cycles * 2 * p)) * (1 - r) + r)

    Unlike `cosine_with_min_lr_schedule_with_warmup`, step 0 already trains
    at `learning_rate / W` and the cosine is one step ahead (the scheduler
    type `cosine_warmup_with_min_lr`).

    Examples:
      >>> s = cosine_with_min_lr_schedule_with_warmup_lr_rate(1.0, 10, 110, min_lr_rate=0.1)
      >>> s(0), s(9), s(109)
      (0.1, 1.0, 0.1)
    """
    return CosineWithMinLrScheduleWithWarmupLrRate(learning_rate, num_warmup_steps,
                                                   num_training_steps, num_cycles, min_lr,
                                                   min_lr_rate, warmup_lr_rate)


@factory("warmup_cosine_decay_schedule")
class WarmupCosineDecaySchedule(Built):
    """A linear warmup `init -> peak` over `warmup_steps`, then `cosine_decay_schedule`."""

    init_value: float = field(checks.real)
    peak_value: float = field(checks.real)
    warmup_steps: int = field(checks.non_negative_count)
    decay_steps: int = field(checks.positive_count)
    end_value: float = field(checks.real, 0.0)
    exponent: float = field(checks.real, 1.0)

    def _build(self):
        if self.decay_steps <= self.warmup_steps:
            raise ValueError(f"`decay_steps` must be > `warmup_steps` ({self.warmup_steps}), "
                             f"got {self.decay_steps}")
        alpha = 0.0 if self.peak_value == 0.0 else self.end_value / self.peak_value
        warmup = (PolynomialDecay(self.init_value, self.warmup_steps, self.peak_value, 1.0)
                  if self.warmup_steps else Constant(self.init_value))
        decay = CosineDecaySchedule(self.peak_value, self.decay_steps - self.warmup_steps,
                                    alpha, self.exponent)
        return JoinSchedules((warmup, decay), (self.warmup_steps,))


@documented
def warmup_cosine_decay_schedule(init_value: float, peak_value: float, warmup_steps: int,
                                 decay_steps: int, end_value: float = 0.0,
                                 exponent: float = 1.0) -> WarmupCosineDecaySchedule:
    """optax's `warmup_cosine_decay_schedule`.

    With `W = warmup_steps`, `T = decay_steps` (the whole length, warmup included):

        rate = (init_value - peak_value) * (1 - step / W) + peak_value         # step < W
        p = min(step - W, T - W) / (T - W)                                     # step >= W
        rate = peak_value * ((1 - a) * (0.5 * (1 + cos(pi * p))) ** exponent + a)
        a = end_value / peak_value   (0 if peak_value == 0)

    It is optax's own `join_schedules([linear_schedule(...),
    cosine_decay_schedule(...)], [W])`. One cycle of `sgdr_schedule`.

    Args:
      init_value: The rate at step 0, a finite number >= 0.
      peak_value: The rate at the end of the warmup, a finite number >= 0.
      warmup_steps: `W`, an integer >= 0.
      decay_steps: `T`, an integer > `W`.
      end_value: The final rate, a finite number >= 0.
      exponent: The cosine factor's exponent, a finite number >= 0.

    Examples:
      >>> s = warmup_cosine_decay_schedule(0.0, 1.0, warmup_steps=10, decay_steps=110,
      ... end_value=0.1)
      >>> s(5), s(10), s(60), s(110)
      (0.5, 1.0, 0.55, 0.1)
    """
    return WarmupCosineDecaySchedule(init_value, peak_value, warmup_steps, decay_steps,
                                     end_value, exponent)
