"""Piecewise curves: values at boundaries, joined by linear or cosine interpolation.

optax's `piecewise_interpolate_schedule` and the Model Garden's
`StepCosineDecayWithOffset` (`official.modeling.optimization.lr_schedule`), in
float64 (optax with `jax_enable_x64`; the Model Garden evaluates in float32).
This module never imports TensorFlow.
"""

import math
from typing import Sequence, Tuple

from lrhooks import checks
from lrhooks.schedules._base import Schedule, documented, factory, field
from lrhooks.schedules._steps import increasing_steps, scale_pairs

__all__ = ["PiecewiseInterpolateSchedule", "StepCosineDecayWithOffset",
           "piecewise_interpolate_schedule", "step_cosine_decay_with_offset"]


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

    Examples:
      >>> s = piecewise_interpolate_schedule('linear', 1.0, {100: 0.5})
      >>> s(0), s(50), s(100), s(200)
      (1.0, 0.75, 0.5, 0.5)
    """
    return PiecewiseInterpolateSchedule(interpolate_type, init_value, boundaries_and_scales)


def _values(name: str, value) -> Tuple[float, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise TypeError(f"`{name}` must be a sequence of rates, got {value!r}")
    return tuple(checks.real(name, v, element=i) for i, v in enumerate(value))


@factory("step_cosine_decay_with_offset")
class StepCosineDecayWithOffset(Schedule):
    """Cosine from `values[i]` to `values[i + 1]` between `boundaries[i]` and `[i + 1]`."""

    boundaries: Tuple[int, ...] = field(increasing_steps)
    values: Tuple[float, ...] = field(_values)
    offset: int = field(checks.non_negative_count, 0)

    def __post_init__(self):
        super().__post_init__()
        if len(self.values) != len(self.boundaries):
            raise ValueError(f"`values` must have len(boundaries) = {len(self.boundaries)} "
                             f"elements, got {len(self.values)}")
        if len(self.values) < 2:
            raise ValueError(f"`values` must have at least 2 elements (the Model Garden "
                             f"divides by a zero length with one; use constant), "
                             f"got {list(self.values)!r}")

    def _value(self, step):
        s = float(step - self.offset)
        b, v = self.boundaries, self.values
        level = max([i for i in range(1, len(b)) if s >= b[i]], default=0)
        if level == len(b) - 1:
            return v[-1]  # The Model Garden: NaN (a cosine over 0 steps); held here.
        start = 0.0 if level == 0 else float(b[level])
        length = b[level + 1] - b[level]
        return (v[level] - v[level + 1]) * (
            math.cos(math.pi * (s - start) / length) + 1.0) / 2.0 + v[level + 1]

    def _breakpoints(self, total_steps):
        return (self.offset + b for b in self.boundaries[1:])


@documented
def step_cosine_decay_with_offset(boundaries: Sequence[int], values: Sequence[float],
                                  offset: int = 0) -> StepCosineDecayWithOffset:
    """The Model Garden's `StepCosineDecayWithOffset(boundaries, values, offset)`.

    With `s = step - offset`, `b = boundaries`, `v = values` (`n` of each) and
    level `i` the last `i >= 1` with `s >= b[i]` (else 0):

        rate = (v[0] - v[1]) * (cos(pi * s / (b[1] - b[0])) + 1) / 2 + v[1]      # level 0
        rate = (v[i] - v[i+1]) * (cos(pi * (s - b[i]) / (b[i+1] - b[i])) + 1) / 2 + v[i+1]
        rate = v[n-1]                                                         # s >= b[n-1]

    So the rate falls along a half cosine from `v[i]` at `b[i]` to `v[i+1]` at
    `b[i+1]` (level 0 measures `s` from 0, as the Model Garden does, so give
    `b[0] = 0`). Deviation: from the last boundary on the Model Garden divides
    by a zero length and yields NaN; lrhooks holds `v[n-1]` there. With its
    `LinearWarmup`: `warmup(step_cosine_decay_with_offset(...), W,
    warmup_learning_rate, offset=False)`.

    Args:
      boundaries: Integers >= 0, strictly increasing, at least 2.
      values: As many rates as boundaries, finite numbers >= 0.
      offset: Steps before `s` counts from 0, an integer >= 0.

    Examples:
      >>> s = step_cosine_decay_with_offset([0, 100, 200], [1.0, 0.5, 0.1])
      >>> s(0), s(50), s(100), s(300)
      (1.0, 0.75, 0.5, 0.1)
    """
    return StepCosineDecayWithOffset(boundaries, values, offset)
