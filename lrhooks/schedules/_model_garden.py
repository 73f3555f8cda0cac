"""The Model Garden's stepwise cosine and offset schedules
(`official.modeling.optimization.lr_schedule`): `StepCosineDecayWithOffset` and the
`*WithOffset` wrappers of the Keras schedules.

The Model Garden evaluates in float32; lrhooks computes the same formulas in
float64. This module never imports TensorFlow.
"""

import math
from typing import Sequence, Tuple

from lrhooks import checks
from lrhooks.schedules._base import Composite, Schedule, documented, factory, field
from lrhooks.schedules._cyclic import increasing_steps
from lrhooks.schedules._decays import CosineDecay, ExponentialDecay, PiecewiseConstant, PolynomialDecay

__all__ = ["StepCosineDecayWithOffset", "WithOffset", "step_cosine_decay_with_offset",
           "with_offset"]


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
    """
    return StepCosineDecayWithOffset(boundaries, values, offset)


_OFFSETTABLE = (PiecewiseConstant, ExponentialDecay, PolynomialDecay, CosineDecay)


def _offsettable(name: str, value) -> Schedule:
    if not isinstance(value, _OFFSETTABLE) or isinstance(value, PolynomialDecay) and value.cycle:
        raise TypeError(f"`{name}` must be a piecewise_constant, exponential_decay, "
                        f"polynomial_decay (cycle=False) or cosine_decay schedule, got {value!r}")
    return value


@factory("with_offset")
class WithOffset(Composite):
    """`schedule(step - offset)`, evaluated by the schedule's formula also before `offset`."""

    schedule: Schedule = field(_offsettable)
    offset: int = field(checks.non_negative_count)

    def _value(self, step):
        # The formulas of the four schedules hold for negative steps (TF's values).
        return self.schedule._value(step - self.offset)  # pylint: disable=protected-access

    def _breakpoints(self, total_steps):
        shifted = self.schedule.breakpoints(max(0, total_steps - self.offset))
        return (self.offset, *(self.offset + b for b in shifted))


@documented
def with_offset(schedule: Schedule, offset: int) -> WithOffset:
    """The Model Garden's `PiecewiseConstantDecayWithOffset`, `ExponentialDecayWithOffset`,
    `PolynomialDecayWithOffset` and `CosineDecayWithOffset`.

        rate = schedule(step - offset)     # by schedule's own formula, also for step < offset

    The Model Garden evaluates the Keras schedule at `step - offset`, a negative
    step before the offset, and so does this: there `piecewise_constant` is
    `values[0]`, `exponential_decay` is above its initial rate (`decay_rate **
    p`, `p < 0`), `polynomial_decay` extrapolates `(1 - p) ** power` with `p <
    0`, `cosine_decay` mirrors (`cos` is even). `polynomial_decay(...,
    cycle=True)` is rejected (the Keras formula divides by zero before the offset).

    Args:
      schedule: A `piecewise_constant`, `exponential_decay`, `polynomial_decay`
        (cycle=False) or `cosine_decay` schedule.
      offset: An integer >= 0.
    """
    return WithOffset(schedule, offset)
