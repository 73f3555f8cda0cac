"""optax's schedules that the TF1 family lacks: `exponential_decay` with
`transition_begin` and `end_value`, `cosine_decay_schedule` with `exponent`,
and `piecewise_interpolate_schedule`.

optax evaluates in float32 unless `jax_enable_x64` is set; lrhooks computes in
float64, equal to optax with x64 enabled (checked over 1,000 random cases per
schedule). This module never imports TensorFlow.
"""

import math
from typing import Iterable, Optional, Sequence, Tuple

from lrhooks import checks
from lrhooks.schedules._base import (Schedule, documented, factory, field, optional,
                                     power_or_inf)

__all__ = ["OptaxExponentialDecay", "CosineDecaySchedule", "PiecewiseInterpolateSchedule",
           "optax_exponential_decay", "cosine_decay_schedule", "piecewise_interpolate_schedule"]


@factory("optax_exponential_decay")
class OptaxExponentialDecay(Schedule):
    """`init_value * decay_rate ** ((step - begin) / transition_steps)`, clipped at `end_value`."""

    init_value: float = field(checks.real)
    transition_steps: int = field(checks.positive_count)
    decay_rate: float = field(checks.positive)
    transition_begin: int = field(checks.non_negative_count, 0)
    staircase: bool = field(checks.flag, False)
    end_value: Optional[float] = field(optional(checks.real), None)

    def _value(self, step):
        count = step - self.transition_begin
        if count <= 0:
            value = self.init_value
        else:
            p = count / self.transition_steps
            if self.staircase:
                p = math.floor(p)
            value = self.init_value * power_or_inf(self.decay_rate, p)
        if self.end_value is not None:
            clip = max if self.decay_rate < 1.0 else min
            value = clip(value, self.end_value)
        return value

    def _breakpoints(self, total_steps):
        begin, steps = self.transition_begin, self.transition_steps
        yield begin
        if self.staircase:
            yield from range(begin + steps, total_steps, steps)


@documented
def optax_exponential_decay(init_value: float, transition_steps: int, decay_rate: float,
                            transition_begin: int = 0, staircase: bool = False,
                            end_value: Optional[float] = None) -> OptaxExponentialDecay:
    """optax's `exponential_decay`, with its `transition_begin` and `end_value`.

        count = step - transition_begin
        p = count / transition_steps                 # floor(...) if staircase
        rate = init_value                            # count <= 0
        rate = init_value * decay_rate ** p          # count > 0
        rate = max(rate, end_value)   # if end_value is not None and decay_rate < 1
        rate = min(rate, end_value)   # if end_value is not None and decay_rate >= 1

    Deviation: optax turns a `transition_steps <= 0` or `decay_rate == 0`
    into a constant schedule (with a log line) and a negative
    `transition_begin` into 0; lrhooks rejects them (use `constant`).

    Args:
      init_value: The rate until `transition_begin`, a finite number >= 0.
      transition_steps: Steps per factor `decay_rate`, an integer > 0.
      decay_rate: A finite number > 0.
      transition_begin: The step the decay starts at, an integer >= 0.
      staircase: Whether to decay in whole steps of `transition_steps` (a bool).
      end_value: The bound the rate is clipped at, a finite number >= 0, or None.
    """
    return OptaxExponentialDecay(init_value, transition_steps, decay_rate, transition_begin,
                                 staircase, end_value)


@factory("cosine_decay_schedule")
class CosineDecaySchedule(Schedule):
    """`init_value * ((1 - alpha) * (0.5 * (1 + cos(pi * p))) ** exponent + alpha)`."""

    init_value: float = field(checks.real)
    decay_steps: int = field(checks.positive_count)
    alpha: float = field(checks.real, 0.0)
    exponent: float = field(checks.real, 1.0)

    def _value(self, step):
        count = min(float(step), float(self.decay_steps))
        cosine = 0.5 * (1 + math.cos(math.pi * count / float(self.decay_steps)))
        return self.init_value * ((1 - self.alpha) * cosine ** self.exponent + self.alpha)

    def _breakpoints(self, total_steps):
        return (self.decay_steps,)


@documented
def cosine_decay_schedule(init_value: float, decay_steps: int, alpha: float = 0.0,
                          exponent: float = 1.0) -> CosineDecaySchedule:
    """optax's `cosine_decay_schedule`: cosine decay with an exponent.

        p = min(step, decay_steps) / decay_steps
        rate = init_value * ((1 - alpha) * (0.5 * (1 + cos(pi * p))) ** exponent + alpha)

    With `exponent=1` it is TF's `cosine_decay`. optax's
    `warmup_cosine_decay_schedule(init, peak, W, T, end, exponent)` is
    `join_schedules([polynomial_decay(init, W, peak, 1.0), cosine_decay_schedule(peak,
    T - W, end / peak, exponent)], [W])`.

    Args:
      init_value: The initial rate, a finite number >= 0.
      decay_steps: An integer > 0.
      alpha: The final rate as a fraction of `init_value`, finite, >= 0.
      exponent: The exponent of the cosine factor, a finite number >= 0.
    """
    return CosineDecaySchedule(init_value, decay_steps, alpha, exponent)


def scale_pairs(name: str, value) -> Tuple[Tuple[int, float], ...]:
    """A dict `{boundary: scale}` or a sequence of `(boundary, scale)` pairs, sorted."""
    if isinstance(value, dict):
        value = list(value.items())
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise TypeError(f"`{name}` must be a dict or a sequence of (boundary, scale) pairs, "
                        f"got {value!r}")
    pairs = []
    for i, pair in enumerate(value):
        pair = tuple(pair) if isinstance(pair, (tuple, list)) else ()
        if len(pair) != 2:
            raise TypeError(f"`{name}` element {i} must be a (boundary, scale) pair, "
                            f"got {value!r}")
        pairs.append((checks.non_negative_count(name, pair[0], i),
                      checks.real(name, pair[1], element=i)))
    boundaries = [b for b, _ in pairs]
    if len(set(boundaries)) != len(boundaries):
        raise ValueError(f"`{name}` boundaries must be distinct, got {boundaries!r}")
    return tuple(sorted(pairs))


def _cosine_interpolate(start: float, end: float, pct: float) -> float:
    return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)


@factory("piecewise_interpolate_schedule")
class PiecewiseInterpolateSchedule(Schedule):
    """Linear or cosine interpolation between `init_value * prod(scales[:i])` at boundaries."""

    interpolate_type: str = field(checks.choice, options=("linear", "cosine"))
    init_value: float = field(checks.real)
    boundaries_and_scales: Tuple[Tuple[int, float], ...] = field(scale_pairs, ())

    def _value(self, step):
        bounds = (0,) + tuple(b for b, _ in self.boundaries_and_scales)
        values = [self.init_value]
        for _, scale in self.boundaries_and_scales:
            values.append(values[-1] * scale)
        if step >= bounds[-1]:
            return values[-1]
        i = max(j for j in range(len(bounds) - 1) if bounds[j] <= step)
        pct = (step - bounds[i]) / max(bounds[i + 1] - bounds[i], 1)
        if self.interpolate_type == "linear":
            return (values[i + 1] - values[i]) * pct + values[i]
        return _cosine_interpolate(values[i], values[i + 1], pct)

    def _breakpoints(self, total_steps):
        return (b for b, _ in self.boundaries_and_scales)


@documented
def piecewise_interpolate_schedule(
        interpolate_type: str, init_value: float,
        boundaries_and_scales: Sequence[Tuple[int, float]] = ()) -> PiecewiseInterpolateSchedule:
    """optax's `piecewise_interpolate_schedule`.

    With the boundaries `b_1 < b_2 < ...` (and `b_0 = 0`) and values
    `v_0 = init_value`, `v_i = v_{i-1} * scale_i`:

        pct = (step - b_i) / max(b_{i+1} - b_i, 1)   # b_i <= step < b_{i+1}
        rate = v_i + (v_{i+1} - v_i) * pct                           # 'linear'
        rate = v_{i+1} + (v_i - v_{i+1}) / 2 * (cos(pi * pct) + 1)   # 'cosine'
        rate = v_last                                 # step >= the last boundary

    Args:
      interpolate_type: 'linear' or 'cosine'.
      init_value: The rate at step 0, a finite number >= 0.
      boundaries_and_scales: optax's dict `{boundary: scale}`, or (the flag
        language's form, which the repr uses) a sequence of `(boundary,
        scale)` pairs: distinct integers >= 0 and finite scales >= 0.

    Returns:
      A `PiecewiseInterpolateSchedule` schedule (holding sorted pairs).
    """
    return PiecewiseInterpolateSchedule(interpolate_type, init_value, boundaries_and_scales)
