"""Power-law decays: the rate falls as a power of the step (`step ** -0.5` and others).

fairseq's and transformers' `inverse_sqrt`, the Transformer's `noam` rate,
tensor2tensor's `rsqrt_decay` factor and the Model Garden's power decays
(`official.modeling.optimization.lr_schedule`: `DirectPowerDecay`,
`PowerAndLinearDecay`, `PowerDecayWithOffset`). tensor2tensor and the Model
Garden evaluate in float32; lrhooks computes the same formulas in float64
(equal to a relative ~1e-7, the float32 rounding). This module never imports TensorFlow.
"""

import math
from typing import Optional

from lrhooks import checks
from lrhooks.schedules._base import (Schedule, documented, factory, field, optional,
                                     power_or_inf)
from lrhooks.schedules._warmup_decays import ramp

__all__ = ["InverseSqrt", "Noam", "RsqrtDecay", "DirectPowerDecay", "PowerAndLinearDecay",
           "PowerDecayWithOffset", "inverse_sqrt", "noam", "rsqrt_decay", "direct_power_decay",
           "power_and_linear_decay", "power_decay_with_offset"]


@factory("inverse_sqrt")
class InverseSqrt(Schedule):
    """`learning_rate / sqrt((step + timescale - W) / timescale)` after a linear warmup."""

    learning_rate: float = field(checks.real)
    warmup_steps: int = field(checks.non_negative_count)
    timescale: Optional[int] = field(optional(checks.positive_count), None)
    warmup_init_lr: float = field(checks.real, 0.0)

    @property
    def effective_timescale(self) -> int:
        """`timescale`, or transformers' default: `warmup_steps or 10000`."""
        return self.timescale if self.timescale is not None else (self.warmup_steps or 10_000)

    def _value(self, step):
        w = self.warmup_steps
        if step < w:
            if self.warmup_init_lr == 0.0:  # transformers' `lr * step / max(1, W)`
                return self.learning_rate * ramp(step, w)
            lr_step = (self.learning_rate - self.warmup_init_lr) / w  # fairseq
            return self.warmup_init_lr + step * lr_step
        timescale = self.effective_timescale
        shift = timescale - w
        return self.learning_rate * (1.0 / math.sqrt((step + shift) / timescale))

    def _breakpoints(self, total_steps):
        return (self.warmup_steps,) if self.warmup_steps else ()


@documented
def inverse_sqrt(learning_rate: float, warmup_steps: int, timescale: Optional[int] = None,
                 warmup_init_lr: float = 0.0) -> InverseSqrt:
    """Inverse square root decay after a linear warmup (transformers, fairseq).

    With `W = warmup_steps` and `tau = timescale` (default `W`, or 10000 when
    `W == 0`, as transformers):

        rate = warmup_init_lr + step * (learning_rate - warmup_init_lr) / W   # step < W
        rate = learning_rate / sqrt((step + tau - W) / tau)                   # step >= W

    Equals `transformers.get_inverse_sqrt_schedule(opt, W, timescale)` (rate
    `learning_rate * lr_lambda(step)`, with `warmup_init_lr=0`) and fairseq's
    `inverse_sqrt` (`--lr`, `--warmup-updates`, `--warmup-init-lr`; its decay
    `lr * sqrt(W) / sqrt(step)` is this one with `tau = W`). The Transformer's
    "noam" rate `d_model**-0.5 * min(step**-0.5, step * W**-1.5)` is
    `noam(d_model, W)`; tensor2tensor's `rsqrt_decay` factor is `rsqrt_decay(W)`.

    Args:
      learning_rate: The peak rate (at step `W`), a finite number >= 0.
      warmup_steps: `W`, an integer >= 0.
      timescale: `tau`, an integer > 0, or None for the default.
      warmup_init_lr: The rate at step 0, a finite number >= 0.

    Examples:
      >>> s = inverse_sqrt(0.1, warmup_steps=100)
      >>> s(50), s(100), s(400)
      (0.05, 0.1, 0.05)
    """
    return InverseSqrt(learning_rate, warmup_steps, timescale, warmup_init_lr)


@factory("noam")
class Noam(Schedule):
    """`factor * d_model ** -0.5 * min(s ** -0.5, s * warmup_steps ** -1.5)`, `s = step + offset`.
    """

    d_model: int = field(checks.positive_count)
    warmup_steps: int = field(checks.positive_count)
    factor: float = field(checks.real, 1.0)
    offset: int = field(checks.non_negative_count, 0)

    def _value(self, step):
        s = step + self.offset
        if s == 0:
            return 0.0
        return self.factor * self.d_model ** -0.5 * min(s ** -0.5, s * self.warmup_steps ** -1.5)

    def _breakpoints(self, total_steps):
        return (max(0, self.warmup_steps - self.offset),)


@documented
def noam(d_model: int, warmup_steps: int, factor: float = 1.0, offset: int = 0) -> Noam:
    """The Transformer's rate ("Attention is all you need", 5.3; "noam").

        s = step + offset
        rate = factor * d_model ** -0.5 * min(s ** -0.5, s * warmup_steps ** -1.5)
        rate = 0                                                  # s == 0

    It rises linearly to its peak `factor * (d_model * warmup_steps) ** -0.5`
    at `s = warmup_steps` and then decays as `s ** -0.5`. The paper counts
    steps from 1: `offset=1` trains the first step (global step 0) at `s = 1`,
    as tensor2tensor's legacy `noam` scheme (`(step + 1)`, with `factor =
    5000 * learning_rate * optimizer_correction`) and the Annotated
    Transformer do; with `offset=0` the first step trains at rate 0.

    Args:
      d_model: The model width, an integer > 0.
      warmup_steps: An integer > 0.
      factor: A finite number >= 0 (tensor2tensor's `learning_rate_constant`).
      offset: Added to the step, an integer >= 0.

    Examples:
      >>> s = noam(d_model=512, warmup_steps=4000, offset=1)
      >>> s(0) < s(3999), s(3999) == max(s(3998), s(3999), s(4000))
      (True, True)
    """
    return Noam(d_model, warmup_steps, factor, offset)


@factory("rsqrt_decay")
class RsqrtDecay(Schedule):
    """`1 / sqrt(max(step, warmup_steps))` (tensor2tensor's factor)."""

    warmup_steps: int = field(checks.positive_count)

    def _value(self, step):
        return 1.0 / math.sqrt(max(step, self.warmup_steps))

    def _breakpoints(self, total_steps):
        return (self.warmup_steps,)


@documented
def rsqrt_decay(warmup_steps: int) -> RsqrtDecay:
    """tensor2tensor's `rsqrt_decay` factor: `rate = 1 / sqrt(max(step, warmup_steps))`.

    A factor, meant for `product([...])` or `t2t_schedule` (it is
    `warmup_steps ** -0.5` until `warmup_steps`).

    Args:
      warmup_steps: An integer > 0.

    Examples:
      >>> s = rsqrt_decay(100)
      >>> s(0), s(400)
      (0.1, 0.05)
    """
    return RsqrtDecay(warmup_steps)


@factory("direct_power_decay")
class DirectPowerDecay(Schedule):
    """`initial_learning_rate * max(step, 1) ** power`."""

    initial_learning_rate: float = field(checks.real)
    power: float = field(checks.finite, 1.0)

    def _value(self, step):
        return self.initial_learning_rate * power_or_inf(float(max(step, 1)), self.power)


@documented
def direct_power_decay(initial_learning_rate: float, power: float = 1.0) -> DirectPowerDecay:
    """The Model Garden's `DirectPowerDecay`.

        rate = initial_learning_rate * max(step, 1) ** power

    Args:
      initial_learning_rate: A finite number >= 0.
      power: A finite number (negative to decay, e.g. -0.5).

    Examples:
      >>> s = direct_power_decay(1.0, power=-0.5)
      >>> s(0), s(4), s(100)
      (1.0, 0.5, 0.1)
    """
    return DirectPowerDecay(initial_learning_rate, power)


@factory("power_and_linear_decay")
class PowerAndLinearDecay(Schedule):
    """`lr * max(s, 1) ** power * min(1, (T - s) / (T * f))`, `s = step - offset`, >= 0."""

    initial_learning_rate: float = field(checks.real)
    total_decay_steps: int = field(checks.non_negative_count)
    power: float = field(checks.finite, 1.0)
    linear_decay_fraction: float = field(checks.interval, 0.1, low=0.0, high=1.0)
    offset: int = field(checks.non_negative_count, 0)

    def _value(self, step):
        s = float(step - self.offset)
        rate = self.initial_learning_rate * power_or_inf(max(s, 1.0), self.power)
        span = self.total_decay_steps * self.linear_decay_fraction
        if span > 0:
            rate *= min(1.0, (self.total_decay_steps - s) / span)
            rate = max(0.0, rate)
        return rate

    def _breakpoints(self, total_steps):
        t, o = self.total_decay_steps, self.offset
        return (o + 1, o + math.floor(t * (1 - self.linear_decay_fraction)) + 1, o + t)


@documented
def power_and_linear_decay(initial_learning_rate: float, total_decay_steps: int,
                           power: float = 1.0, linear_decay_fraction: float = 0.1,
                           offset: int = 0) -> PowerAndLinearDecay:
    """The Model Garden's `PowerAndLinearDecay`.

        s = step - offset
        rate = initial_learning_rate * max(s, 1) ** power
        rate = max(0, rate * min(1, (T - s) / (T * f)))   # if T * f > 0

    with `T = total_decay_steps`, `f = linear_decay_fraction`: a power decay
    multiplied, over its last `T * f` steps, by a linear decay to 0 at `T`.

    Args:
      initial_learning_rate: A finite number >= 0.
      total_decay_steps: `T`, an integer >= 0.
      power: A finite number (e.g. -0.5).
      linear_decay_fraction: `f`, a finite number in [0, 1].
      offset: Steps before the decay starts counting, an integer >= 0.

    Examples:
      >>> s = power_and_linear_decay(1.0, total_decay_steps=100, power=-0.5,
      ... linear_decay_fraction=0.5)
      >>> s(4), s(25), s(100)
      (0.5, 0.2, 0.0)
    """
    return PowerAndLinearDecay(initial_learning_rate, total_decay_steps, power,
                               linear_decay_fraction, offset)


@factory("power_decay_with_offset")
class PowerDecayWithOffset(Schedule):
    """`pre_offset_learning_rate` until `offset`, then `lr * (step - offset) ** power`, capped."""

    initial_learning_rate: float = field(checks.real)
    power: float = field(checks.finite, 1.0)
    offset: int = field(checks.non_negative_count, 0)
    pre_offset_learning_rate: float = field(checks.real, 1.0e6)

    def _value(self, step):
        after = power_or_inf(max(float(step - self.offset), 1.0), self.power) * (
            self.initial_learning_rate)
        rate = self.pre_offset_learning_rate if step <= self.offset else after
        return min(rate, self.pre_offset_learning_rate)

    def _breakpoints(self, total_steps):
        return (self.offset, self.offset + 1)


@documented
def power_decay_with_offset(initial_learning_rate: float, power: float = 1.0,
                            offset: int = 0,
                            pre_offset_learning_rate: float = 1.0e6) -> PowerDecayWithOffset:
    """The Model Garden's `PowerDecayWithOffset`.

        rate = pre_offset_learning_rate                                  # step <= offset
        rate = min(initial_learning_rate * max(step - offset, 1) ** power,
                   pre_offset_learning_rate)                             # step > offset

    Args:
      initial_learning_rate: A finite number >= 0.
      power: A finite number (e.g. -0.5).
      offset: An integer >= 0.
      pre_offset_learning_rate: The rate up to `offset` and the cap, finite, >= 0.

    Examples:
      >>> s = power_decay_with_offset(1.0, power=-0.5, offset=10, pre_offset_learning_rate=0.5)
      >>> s(10), s(14), s(110)
      (0.5, 0.5, 0.1)
    """
    return PowerDecayWithOffset(initial_learning_rate, power, offset, pre_offset_learning_rate)
