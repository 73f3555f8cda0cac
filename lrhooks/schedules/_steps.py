"""Step and multistep schedules: a constant rate that jumps at boundaries.

`piecewise_constant` (TF: a boundary is the last step at the old value),
`step_decay` and `multistep_decay` (PyTorch's `StepLR`, `MultiStepLR`: a
milestone is the first step at the new value) and optax's
`piecewise_constant_schedule` (scales at boundaries). Also the checks of
boundary and milestone arguments that other modules share. This module never imports TensorFlow.

    >>> s = multistep_decay(0.1, [30, 80])
    >>> s(29), s(30), s(80)
    (0.1, 0.010000000000000002, 0.0010000000000000002)
"""

import bisect
from typing import Iterable, Sequence, Tuple

from lrhooks import checks
from lrhooks.schedules._base import Schedule, documented, factory, field, power_or_inf

__all__ = ["PiecewiseConstant", "StepDecay", "MultiStepDecay", "PiecewiseConstantSchedule",
           "piecewise_constant", "step_decay", "multistep_decay",
           "piecewise_constant_schedule", "milestones_check", "increasing_steps",
           "non_decreasing_milestones", "scale_pairs"]


@factory("piecewise_constant")
class PiecewiseConstant(Schedule):
    """`values[i]` for `boundaries[i-1] < step <= boundaries[i]` (TF's rule)."""

    boundaries: Tuple[int, ...]
    values: Tuple[float, ...]

    def __post_init__(self):
        for name in ("boundaries", "values"):
            seq = getattr(self, name)
            if isinstance(seq, (str, bytes)) or not isinstance(seq, Iterable):
                raise TypeError(f"`{name}` must be a sequence, got {seq!r}")
            object.__setattr__(self, name, tuple(seq))
        boundaries = tuple(checks.non_negative_count("boundaries", b, element=i)
                           for i, b in enumerate(self.boundaries))
        values = tuple(checks.real("values", v, element=i) for i, v in enumerate(self.values))
        if any(b <= a for a, b in zip(boundaries, boundaries[1:])):
            raise ValueError(
                f"`boundaries` must be strictly increasing, got {boundaries!r}")
        if len(values) != len(boundaries) + 1:
            raise ValueError(
                f"`values` must have len(boundaries) + 1 = {len(boundaries) + 1} "
                f"elements, got {len(values)}: {values!r}")
        object.__setattr__(self, "boundaries", boundaries)
        object.__setattr__(self, "values", values)

    def _value(self, step):
        for boundary, value in zip(self.boundaries, self.values):
            if step <= boundary:
                return value
        return self.values[-1]

    def _breakpoints(self, total_steps):
        return (s for b in self.boundaries for s in (b, b + 1))


@documented
def piecewise_constant(boundaries: Sequence[int],
                       values: Sequence[float]) -> PiecewiseConstant:
    """A piecewise-constant rate, with TF's (inclusive upper bound) rule.

        rate = values[0]   if step <= boundaries[0]
               values[i]   if boundaries[i-1] < step <= boundaries[i]
               values[-1]  if step > boundaries[-1]

    Args:
      boundaries: Integer steps >= 0, strictly increasing (may be empty).
      values: `len(boundaries) + 1` rates, each a finite number >= 0.

    Returns:
      A `PiecewiseConstant` schedule (holding tuples).

    Examples:
      >>> s = piecewise_constant([100, 200], [0.1, 0.01, 0.001])
      >>> s(100), s(101), s(201)
      (0.1, 0.01, 0.001)
    """
    return PiecewiseConstant(boundaries, values)


def _decayed(learning_rate: float, gamma: float, k: int) -> float:
    """`learning_rate * gamma ** k` (inf on overflow, but 0 for a zero rate)."""
    return 0.0 if learning_rate == 0 else learning_rate * power_or_inf(gamma, k)


@factory("step_decay")
class StepDecay(Schedule):
    """`learning_rate * gamma ** (step // step_size)` (PyTorch's StepLR)."""

    learning_rate: float = field(checks.real)
    step_size: int = field(checks.positive_count)
    gamma: float = field(checks.real, 0.1)

    def _value(self, step):
        return _decayed(self.learning_rate, self.gamma, step // self.step_size)

    def _breakpoints(self, total_steps):
        return range(self.step_size, total_steps, self.step_size)


@documented
def step_decay(learning_rate: float, step_size: int, gamma: float = 0.1) -> StepDecay:
    """Decay by `gamma` every `step_size` steps, as PyTorch's `StepLR`.

        rate = learning_rate * gamma ** (step // step_size)

    The rate after `step` calls of `StepLR(optimizer, step_size, gamma)
    .step()`, for an optimizer with `lr=learning_rate` (PyTorch multiplies by
    `gamma` one step at a time, so it can differ in the last bits). It changes
    at every multiple of `step_size`; `gamma > 1` grows the rate.

    Args:
      learning_rate: The initial rate, a finite number >= 0.
      step_size: Steps per decay, an integer > 0.
      gamma: The factor per decay, a finite number >= 0.

    Returns:
      A `StepDecay` schedule. Its breakpoints are the multiples of `step_size`.

    Examples:
      >>> s = step_decay(0.1, step_size=30, gamma=0.5)
      >>> s(29), s(30), s(60)
      (0.1, 0.05, 0.025)
    """
    return StepDecay(learning_rate, step_size, gamma)


def milestones_check(name: str, value) -> Tuple[int, ...]:
    """Milestones as PyTorch's `MultiStepLR` counts them (a `Counter`): any order, a
    milestone listed twice decays twice; returned sorted."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise TypeError(f"`{name}` must be a sequence, got {value!r}")
    return tuple(sorted(checks.non_negative_count(name, m, element=i)
                        for i, m in enumerate(value)))


def increasing_steps(name: str, value) -> Tuple[int, ...]:
    """Integer steps >= 0, strictly increasing (boundaries)."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise TypeError(f"`{name}` must be a sequence, got {value!r}")
    steps = tuple(checks.non_negative_count(name, m, element=i) for i, m in enumerate(value))
    if any(b <= a for a, b in zip(steps, steps[1:])):
        raise ValueError(f"`{name}` must be strictly increasing, got {steps!r}")
    return steps


def non_decreasing_milestones(name: str, value) -> Tuple[int, ...]:
    """Milestones as timm bisects them: non-decreasing (a repeated one decays twice)."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise TypeError(f"`{name}` must be a sequence, got {value!r}")
    milestones = tuple(checks.non_negative_count(name, m, element=i) for i, m in enumerate(value))
    if any(b < a for a, b in zip(milestones, milestones[1:])):
        raise ValueError(f"`{name}` must be non-decreasing, got {milestones!r}")
    return milestones


@factory("multistep_decay")
class MultiStepDecay(Schedule):
    """`learning_rate * gamma ** bisect_right(milestones, step)` (PyTorch's MultiStepLR)."""

    learning_rate: float = field(checks.real)
    milestones: Tuple[int, ...] = field(milestones_check)
    gamma: float = field(checks.real, 0.1)

    def _value(self, step):
        return _decayed(self.learning_rate, self.gamma,
                        bisect.bisect_right(self.milestones, step))

    def _breakpoints(self, total_steps):
        return self.milestones


@documented
def multistep_decay(learning_rate: float, milestones: Sequence[int],
                    gamma: float = 0.1) -> MultiStepDecay:
    """Decay by `gamma` at each milestone, as PyTorch's `MultiStepLR`.

        rate = learning_rate * gamma ** bisect_right(milestones, step)
             = learning_rate * gamma ** (number of milestones <= step)

    The rate after `step` calls of `MultiStepLR(optimizer, milestones, gamma)
    .step()`: a milestone `m` is the first step at the lower rate (PyTorch's
    "lr = 0.05 if epoch < 30, 0.005 if 30 <= epoch < 80"). Unlike
    `piecewise_constant`, whose boundary `b` is the last step at the old value.

    Args:
      learning_rate: The initial rate, a finite number >= 0.
      milestones: Integer steps >= 0 in any order (may be empty; kept sorted). As
        in PyTorch, a milestone listed twice decays twice (`gamma ** 2` there).
      gamma: The factor per milestone, a finite number >= 0.

    Returns:
      A `MultiStepDecay` schedule (holding a tuple), whose breakpoints are the
      milestones.

    Examples:
      >>> s = multistep_decay(1.0, [30, 80], gamma=0.5)
      >>> s(29), s(30), s(80)
      (1.0, 0.5, 0.25)
    """
    return MultiStepDecay(learning_rate, milestones, gamma)


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


@factory("piecewise_constant_schedule")
class PiecewiseConstantSchedule(Schedule):
    """`init_value * prod(scale for (boundary, scale) if step >= boundary)` (optax)."""

    init_value: float = field(checks.real)
    boundaries_and_scales: Tuple[Tuple[int, float], ...] = field(scale_pairs, ())

    def _value(self, step):
        value = self.init_value
        for boundary, scale in self.boundaries_and_scales:
            if step >= boundary:
                value = scale * value
        return value

    def _breakpoints(self, total_steps):
        return (b for b, _ in self.boundaries_and_scales)


@documented
def piecewise_constant_schedule(
        init_value: float,
        boundaries_and_scales: Sequence[Tuple[int, float]] = ()) -> PiecewiseConstantSchedule:
    """optax's `piecewise_constant_schedule`: each boundary multiplies the rate by its scale.

        rate = init_value * scale_1 * ... * scale_k     # b_k <= step < b_{k+1}

    (boundaries sorted; a boundary `b` is the first step at the new rate).
    `multistep_decay` is the special case of equal scales.

    Args:
      init_value: The rate at step 0, a finite number >= 0.
      boundaries_and_scales: optax's dict `{boundary: scale}`, or a sequence of
        `(boundary, scale)` pairs (the repr's form): distinct integers >= 0 and
        finite scales >= 0.

    Returns:
      A `PiecewiseConstantSchedule` schedule (holding sorted pairs).

    Examples:
      >>> s = piecewise_constant_schedule(1.0, {100: 0.5, 200: 0.5})
      >>> s(99), s(100), s(200)
      (1.0, 0.5, 0.25)
    """
    return PiecewiseConstantSchedule(init_value, boundaries_and_scales)
