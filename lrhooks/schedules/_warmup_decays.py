"""A warmup and a decay in one formula: transformers' `*_with_warmup` family and WSD.

Each rate is `learning_rate * factor(step)`, the factor computed with the
peer's own float operations (`transformers.optimization` 5.x `lr_lambda`s, which
`LambdaLR` multiplies by the optimizer's rate), so the values are the peer's,
bit for bit where the same operations are used. The cosine ones are in
`_warmup_cosine`. This module never imports TensorFlow.
"""

import dataclasses
import math

from lrhooks import checks
from lrhooks.schedules._base import Schedule, documented, factory, field

__all__ = ["WarmupStableDecay", "LinearScheduleWithWarmup",
           "PolynomialDecayScheduleWithWarmup", "ConstantScheduleWithWarmup",
           "warmup_stable_decay", "linear_schedule_with_warmup",
           "polynomial_decay_schedule_with_warmup", "constant_schedule_with_warmup",
           "WarmupThenDecay", "ramp", "decay_progress", "cosine_factor"]


_SHAPES = ("linear", "cosine", "1-sqrt")


def ramp(step: int, warmup_steps: int) -> float:
    """transformers' warmup factor: `step / max(1, warmup_steps)`."""
    return float(step) / float(max(1, warmup_steps))


def decay_progress(step: int, warmup_steps: int, training_steps: int) -> float:
    """transformers' decay progress: `(step - W) / max(1, T - W)`."""
    return float(step - warmup_steps) / float(max(1, training_steps - warmup_steps))


def cosine_factor(progress: float, num_cycles: float, min_lr_rate: float) -> float:
    """transformers' cosine factor: `max(0, f * (1 - r) + r)`, `f = 0.5 * (1 + cos(...))`."""
    factor = 0.5 * (1.0 + math.cos(math.pi * float(num_cycles) * 2.0 * progress))
    return max(0.0, factor * (1 - min_lr_rate) + min_lr_rate)


def _shape_factor(shape: str, progress: float, decay: bool, num_cycles: float) -> float:
    """WSD's warmup (`decay=False`) or decay factor of `progress` in [0, 1]."""
    if shape == "linear":
        return 1.0 - progress if decay else progress
    if shape == "cosine":
        if decay:
            return 0.5 * (1.0 + math.cos(math.pi * float(num_cycles) * 2.0 * progress))
        return 0.5 * (1.0 - math.cos(math.pi * progress))
    return 1.0 - math.sqrt(progress) if decay else 1.0 - math.sqrt(1.0 - progress)


@factory("warmup_stable_decay")
class WarmupStableDecay(Schedule):
    """transformers' WSD: warmup, `num_stable_steps` at `learning_rate`, then decay."""

    learning_rate: float = field(checks.real)
    num_warmup_steps: int = field(checks.non_negative_count)
    num_stable_steps: int = field(checks.non_negative_count)
    num_decay_steps: int = field(checks.non_negative_count)
    warmup_type: str = field(checks.choice, "linear", options=_SHAPES)
    decay_type: str = field(checks.choice, "cosine", options=_SHAPES)
    min_lr_ratio: float = field(checks.interval, 0.0, low=0.0, high=1.0)
    num_cycles: float = field(checks.real, 0.5)

    def _factor(self, step: int) -> float:
        w, s, d = self.num_warmup_steps, self.num_stable_steps, self.num_decay_steps
        ratio = self.min_lr_ratio
        if step < w:
            progress = float(step) / float(max(1, w))
            factor = _shape_factor(self.warmup_type, progress, False, self.num_cycles)
            return max(0.0, factor * (1.0 - ratio) + ratio)
        if step < w + s:
            return 1.0
        if step < w + s + d:
            progress = float(step - w - s) / float(max(1, d))
            factor = _shape_factor(self.decay_type, progress, True, self.num_cycles)
            return max(0.0, factor * (1.0 - ratio) + ratio)
        return ratio

    def _value(self, step):
        return self.learning_rate * self._factor(step)

    def _breakpoints(self, total_steps):
        w, s, d = self.num_warmup_steps, self.num_stable_steps, self.num_decay_steps
        return (w, w + s, w + s + d)


@documented
def warmup_stable_decay(learning_rate: float, num_warmup_steps: int, num_stable_steps: int,
                        num_decay_steps: int, warmup_type: str = "linear",
                        decay_type: str = "cosine", min_lr_ratio: float = 0.0,
                        num_cycles: float = 0.5) -> WarmupStableDecay:
    """Warmup-stable-decay (WSD), as `transformers.get_wsd_schedule`.

    With `W, S, D` the three lengths and `r = min_lr_ratio`,
    `rate = learning_rate * factor`:

        p = step / max(1, W)                                 # step < W
        f = p | 0.5 * (1 - cos(pi * p)) | 1 - sqrt(1 - p)    # linear | cosine | 1-sqrt
        factor = max(0, f * (1 - r) + r)
        factor = 1                                           # W <= step < W + S
        p = (step - W - S) / max(1, D)                       # W + S <= step < W + S + D
        f = 1 - p | 0.5 * (1 + cos(2 pi num_cycles p)) | 1 - sqrt(p)
        factor = max(0, f * (1 - r) + r)
        factor = r                                           # step >= W + S + D

    transformers' `num_training_steps` form is `num_stable_steps = T - W - D`.

    Args:
      learning_rate: The stable rate, a finite number >= 0.
      num_warmup_steps: `W`, an integer >= 0.
      num_stable_steps: `S`, an integer >= 0.
      num_decay_steps: `D`, an integer >= 0.
      warmup_type: 'linear', 'cosine' or '1-sqrt'.
      decay_type: 'linear', 'cosine' or '1-sqrt'.
      min_lr_ratio: `r`, the start and end rate as a fraction, in [0, 1].
      num_cycles: Cosine waves in the decay (0.5: half a cosine), finite, >= 0.

    Examples:
      >>> s = warmup_stable_decay(1.0, 10, 80, 10, decay_type='linear')
      >>> s(5), s(50), s(95), s(100)
      (0.5, 1.0, 0.5, 0.0)
    """
    return WarmupStableDecay(learning_rate, num_warmup_steps, num_stable_steps,
                             num_decay_steps, warmup_type, decay_type, min_lr_ratio,
                             num_cycles)


class _WithWarmup(Schedule):
    """The `transformers` family: `learning_rate * factor`, a linear warmup first."""

    def _decay(self, step: int) -> float:
        raise NotImplementedError

    def _value(self, step):
        if step < self.num_warmup_steps:
            return self.learning_rate * ramp(step, self.num_warmup_steps)
        return self.learning_rate * self._decay(step)

    def _breakpoints(self, total_steps):
        ends = [self.num_warmup_steps]
        training = getattr(self, "num_training_steps", None)
        if training is not None:
            ends += [training, training + 1]
        return ends


@dataclasses.dataclass(frozen=True, repr=False)
class WarmupThenDecay(_WithWarmup):
    """The arguments `learning_rate, num_warmup_steps, num_training_steps` most share."""

    learning_rate: float = field(checks.real)
    num_warmup_steps: int = field(checks.non_negative_count)
    num_training_steps: int = field(checks.non_negative_count)


@factory("linear_schedule_with_warmup")
class LinearScheduleWithWarmup(WarmupThenDecay):
    """`lr * max(0, (T - step) / max(1, T - W))` after a linear warmup (transformers)."""

    def _decay(self, step):
        return max(0.0, float(self.num_training_steps - step)
                   / float(max(1, self.num_training_steps - self.num_warmup_steps)))


@documented
def linear_schedule_with_warmup(learning_rate: float, num_warmup_steps: int,
                                num_training_steps: int) -> LinearScheduleWithWarmup:
    """`transformers.get_linear_schedule_with_warmup`, times `learning_rate`.

        rate = learning_rate * step / max(1, W)                             # step < W
        rate = learning_rate * max(0, (T - step) / max(1, T - W))           # step >= W

    Args:
      learning_rate: The peak rate, a finite number >= 0.
      num_warmup_steps: `W`, an integer >= 0.
      num_training_steps: `T`, an integer >= 0 (the rate is 0 from `T` on).

    Examples:
      >>> s = linear_schedule_with_warmup(1.0, num_warmup_steps=10, num_training_steps=110)
      >>> s(5), s(10), s(60), s(110)
      (0.5, 1.0, 0.5, 0.0)
    """
    return LinearScheduleWithWarmup(learning_rate, num_warmup_steps, num_training_steps)


@factory("polynomial_decay_schedule_with_warmup")
class PolynomialDecayScheduleWithWarmup(_WithWarmup):
    """`(lr - lr_end) * (1 - (step - W) / (T - W)) ** power + lr_end`, `lr_end` after `T`."""

    learning_rate: float = field(checks.positive)
    num_warmup_steps: int = field(checks.non_negative_count)
    num_training_steps: int = field(checks.positive_count)
    lr_end: float = field(checks.real, 1e-7)
    power: float = field(checks.real, 1.0)

    def __post_init__(self):
        super().__post_init__()
        if self.lr_end > self.learning_rate:
            raise ValueError(f"`lr_end` must be <= `learning_rate` ({self.learning_rate!r}), "
                             f"got {self.lr_end!r}")
        if self.num_training_steps <= self.num_warmup_steps:
            raise ValueError(f"`num_training_steps` must be > `num_warmup_steps` "
                             f"({self.num_warmup_steps}), got {self.num_training_steps}")

    def _decay(self, step):
        lr_init, lr_end = self.learning_rate, self.lr_end
        if step > self.num_training_steps:
            return lr_end / lr_init
        decay_steps = self.num_training_steps - self.num_warmup_steps
        pct_remaining = 1 - (step - self.num_warmup_steps) / decay_steps
        return ((lr_init - lr_end) * pct_remaining ** self.power + lr_end) / lr_init


@documented
def polynomial_decay_schedule_with_warmup(
        learning_rate: float, num_warmup_steps: int, num_training_steps: int,
        lr_end: float = 1e-7, power: float = 1.0) -> PolynomialDecayScheduleWithWarmup:
    """`transformers.get_polynomial_decay_schedule_with_warmup`.

        rate = learning_rate * step / max(1, W)                              # step < W
        rate = lr * ((lr - lr_end) * (1 - (step - W) / (T - W)) ** power + lr_end) / lr
                                                                            # W <= step <= T
        rate = lr * (lr_end / lr)                                            # step > T

    (the factor form of transformers, so the values are its own).

    Args:
      learning_rate: `lr`, the peak rate, a finite number > 0.
      num_warmup_steps: `W`, an integer >= 0.
      num_training_steps: `T`, an integer > `W`.
      lr_end: The final rate, a finite number in [0, learning_rate].
      power: The exponent, a finite number >= 0.

    Examples:
      >>> s = polynomial_decay_schedule_with_warmup(1.0, 10, 110, lr_end=0.0, power=2.0)
      >>> s(5), s(10), s(60), s(200)
      (0.5, 1.0, 0.25, 0.0)
    """
    return PolynomialDecayScheduleWithWarmup(learning_rate, num_warmup_steps,
                                             num_training_steps, lr_end, power)


@factory("constant_schedule_with_warmup")
class ConstantScheduleWithWarmup(_WithWarmup):
    """`lr * step / max(1, W)` for `step < W`, then `lr` (transformers)."""

    learning_rate: float = field(checks.real)
    num_warmup_steps: int = field(checks.non_negative_count)

    def _value(self, step):
        if step < self.num_warmup_steps:
            return self.learning_rate * (float(step) / float(max(1.0, self.num_warmup_steps)))
        return self.learning_rate * 1.0


@documented
def constant_schedule_with_warmup(learning_rate: float,
                                  num_warmup_steps: int) -> ConstantScheduleWithWarmup:
    """`transformers.get_constant_schedule_with_warmup`, times `learning_rate`.

        rate = learning_rate * step / max(1, W)       # step < W
        rate = learning_rate                          # step >= W

    Args:
      learning_rate: The rate after the warmup, a finite number >= 0.
      num_warmup_steps: `W`, an integer >= 0.

    Examples:
      >>> s = constant_schedule_with_warmup(1.0, num_warmup_steps=4)
      >>> s(0), s(2), s(4), s(100)
      (0.0, 0.5, 1.0, 1.0)
    """
    return ConstantScheduleWithWarmup(learning_rate, num_warmup_steps)
