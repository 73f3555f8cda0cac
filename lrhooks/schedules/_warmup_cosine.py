"""transformers' cosine schedules with a floor: `get_cosine_with_min_lr_schedule_with_warmup`
(with `min_lr` or `min_lr_rate`) and `get_cosine_with_min_lr_schedule_with_warmup_lr_rate`.

As in `lrhooks.schedules._warmup_decays`, the rate is `learning_rate *
lr_lambda(step)` with transformers' own float operations. This module never
imports TensorFlow.
"""

import dataclasses
from typing import Optional

from lrhooks import checks
from lrhooks.schedules._base import documented, factory, field, optional
from lrhooks.schedules._warmup_decays import WarmupThenDecay, cosine_factor, decay_progress

_ARGS = """
    Args:
      learning_rate: The peak rate, a finite number >= 0 (> 0 with `min_lr`).
      num_warmup_steps: `W`, an integer >= 0.
      num_training_steps: `T`, an integer >= 0.
      num_cycles: Cosine waves over `T - W` steps, a finite number >= 0.
      min_lr: The floor as a rate, a finite number >= 0, or None.
      min_lr_rate: The floor as a fraction of `learning_rate`, in [0, 1], or None."""

__all__ = ["CosineWithMinLrScheduleWithWarmup", "CosineWithMinLrScheduleWithWarmupLrRate",
           "cosine_with_min_lr_schedule_with_warmup",
           "cosine_with_min_lr_schedule_with_warmup_lr_rate"]


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
    """
    return CosineWithMinLrScheduleWithWarmupLrRate(learning_rate, num_warmup_steps,
                                                   num_training_steps, num_cycles, min_lr,
                                                   min_lr_rate, warmup_lr_rate)


cosine_with_min_lr_schedule_with_warmup.__doc__ += _ARGS
cosine_with_min_lr_schedule_with_warmup_lr_rate.__doc__ += _ARGS + """
      warmup_lr_rate: The warmup's start as a fraction of `learning_rate`, a finite
        number >= 0, or None (then `1 / W`)."""
documented(cosine_with_min_lr_schedule_with_warmup)
documented(cosine_with_min_lr_schedule_with_warmup_lr_rate)
