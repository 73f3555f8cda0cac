"""optax's schedules made of others: `piecewise_constant_schedule` (scales),
`warmup_cosine_decay_schedule`, `sgdr_schedule` and the one-cycle schedules.

Each is computed with optax's own construction (the same joins and
interpolations, in float64: optax with `jax_enable_x64`), so nothing is
computed by hand: the arguments are optax's. This module never imports TensorFlow.
"""

from typing import Iterable, Sequence, Tuple

from lrhooks import checks
from lrhooks.schedules._base import Composite, Schedule, documented, factory, field
from lrhooks.schedules._products import JoinSchedules
from lrhooks.schedules._piecewise_curves import (CosineDecaySchedule, PiecewiseInterpolateSchedule,
                                      scale_pairs)
from lrhooks.schedules._decays import Constant, PolynomialDecay

__all__ = ["PiecewiseConstantSchedule", "WarmupCosineDecaySchedule", "SgdrSchedule",
           "CosineOnecycleSchedule", "LinearOnecycleSchedule", "piecewise_constant_schedule",
           "warmup_cosine_decay_schedule", "sgdr_schedule", "cosine_onecycle_schedule",
           "linear_onecycle_schedule"]


class _Built(Schedule):
    """A schedule computed by another one, `built`, made from the fields in `_build`."""

    def __post_init__(self):
        super().__post_init__()
        object.__setattr__(self, "built", self._build())

    def _build(self) -> Schedule:
        raise NotImplementedError

    def _value(self, step):
        return self.built(step)

    def _breakpoints(self, total_steps):
        return self.built.breakpoints(total_steps)


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
    """
    return PiecewiseConstantSchedule(init_value, boundaries_and_scales)


@factory("warmup_cosine_decay_schedule")
class WarmupCosineDecaySchedule(_Built):
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
    """
    return WarmupCosineDecaySchedule(init_value, peak_value, warmup_steps, decay_steps,
                                     end_value, exponent)


def _cycles(name: str, value) -> Tuple[WarmupCosineDecaySchedule, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise TypeError(f"`{name}` must be a non-empty sequence of "
                        f"warmup_cosine_decay_schedule(...) schedules, got {value!r}")
    cycles = tuple(value)
    for i, cycle in enumerate(cycles):
        if not isinstance(cycle, WarmupCosineDecaySchedule):
            raise TypeError(f"`{name}` element {i} must be a warmup_cosine_decay_schedule(...) "
                            f"schedule, got {cycle!r}")
    if not cycles:
        raise ValueError(f"`{name}` must be a non-empty sequence of "
                         f"warmup_cosine_decay_schedule(...) schedules, got {value!r}")
    return cycles


@factory("sgdr_schedule")
class SgdrSchedule(_Built, Composite):
    """`cycles[i](step - start_i)`, cycle `i` starting where the cycles before it end."""

    cycles: Tuple[WarmupCosineDecaySchedule, ...] = field(_cycles)

    def _build(self):
        boundaries, end = [], 0
        for cycle in self.cycles:
            end += cycle.decay_steps
            boundaries.append(end)
        return JoinSchedules(self.cycles, tuple(boundaries[:-1]))


@documented
def sgdr_schedule(cycles: Sequence[WarmupCosineDecaySchedule]) -> SgdrSchedule:
    """optax's `sgdr_schedule`: warmup-cosine cycles one after another (SGD with restarts).

        start_0 = 0,  start_{i+1} = start_i + cycles[i].decay_steps
        rate = cycles[i](step - start_i)      # start_i <= step < start_{i+1}
        rate = cycles[-1](step - start_{-1})  # after the last start

    Each cycle lasts its own `decay_steps`, as in optax (whose argument is the
    list of the cycles' keyword dicts: here the cycles themselves).

    Args:
      cycles: A non-empty sequence of `warmup_cosine_decay_schedule(...)` schedules.

    Returns:
      A `SgdrSchedule` schedule (holding a tuple).
    """
    return SgdrSchedule(cycles)


class _Onecycle(_Built):
    """optax's one-cycle schedules: a `piecewise_interpolate_schedule` from `peak / div`."""

    _KIND = "linear"

    def _scales(self):
        raise NotImplementedError

    def _build(self):
        return PiecewiseInterpolateSchedule(self._KIND, self.peak_value / self.div_factor,
                                            tuple(self._scales().items()))


@factory("cosine_onecycle_schedule")
class CosineOnecycleSchedule(_Onecycle):
    """Cosine `peak / div -> peak -> peak / (div * final_div)` (optax)."""

    _KIND = "cosine"

    transition_steps: int = field(checks.positive_count)
    peak_value: float = field(checks.real)
    pct_start: float = field(checks.interval, 0.3, low=0.0, high=1.0)
    div_factor: float = field(checks.positive, 25.0)
    final_div_factor: float = field(checks.positive, 1e4)

    def _scales(self):
        return {int(self.pct_start * self.transition_steps): self.div_factor,
                int(self.transition_steps): 1.0 / (self.div_factor * self.final_div_factor)}


@documented
def cosine_onecycle_schedule(transition_steps: int, peak_value: float, pct_start: float = 0.3,
                             div_factor: float = 25.0,
                             final_div_factor: float = 1e4) -> CosineOnecycleSchedule:
    """optax's `cosine_onecycle_schedule`.

    With `T = transition_steps`, `m = int(pct_start * T)`, `v0 = peak_value / div_factor`:

        rate = cosine from v0 (step 0) to v0 * div_factor (step m)
               to v0 * div_factor / (div_factor * final_div_factor) (step T), then held
        cosine from a to b:  b + (a - b) / 2 * (cos(pi * pct) + 1)

    It is optax's own `piecewise_interpolate_schedule('cosine', v0, {m:
    div_factor, T: 1 / (div_factor * final_div_factor)})` (PyTorch's
    `OneCycleLR` is `one_cycle`).

    Args:
      transition_steps: `T`, an integer > 0.
      peak_value: The peak rate, a finite number >= 0.
      pct_start: The rising fraction, a finite number in [0, 1].
      div_factor: `peak_value / div_factor` is the initial rate, a finite number > 0.
      final_div_factor: The final rate's divisor of the initial rate, finite, > 0.
    """
    return CosineOnecycleSchedule(transition_steps, peak_value, pct_start, div_factor,
                                  final_div_factor)


@factory("linear_onecycle_schedule")
class LinearOnecycleSchedule(_Onecycle):
    """Linear `peak / div -> peak -> peak / div -> peak / (div * final_div)` (optax)."""

    transition_steps: int = field(checks.positive_count)
    peak_value: float = field(checks.real)
    pct_start: float = field(checks.interval, 0.3, low=0.0, high=1.0)
    pct_final: float = field(checks.interval, 0.85, low=0.0, high=1.0)
    div_factor: float = field(checks.positive, 25.0)
    final_div_factor: float = field(checks.positive, 1e4)

    def _scales(self):
        t = self.transition_steps
        return {int(self.pct_start * t): self.div_factor,
                int(self.pct_final * t): 1.0 / self.div_factor,
                t: 1.0 / self.final_div_factor}


@documented
def linear_onecycle_schedule(transition_steps: int, peak_value: float, pct_start: float = 0.3,
                             pct_final: float = 0.85, div_factor: float = 25.0,
                             final_div_factor: float = 1e4) -> LinearOnecycleSchedule:
    """optax's `linear_onecycle_schedule`: three linear phases.

    With `T = transition_steps`, `v0 = peak_value / div_factor`:

        rate = linear from v0 (step 0) to v0 * div_factor (step int(pct_start * T)),
               back to v0 (step int(pct_final * T)), to v0 / final_div_factor (step T),
               then held

    It is optax's own `piecewise_interpolate_schedule('linear', v0,
    {int(pct_start * T): div_factor, int(pct_final * T): 1 / div_factor, T: 1 /
    final_div_factor})`; coinciding boundaries keep optax's dict semantics
    (the later entry wins).

    Args:
      transition_steps: `T`, an integer > 0.
      peak_value: The peak rate, a finite number >= 0.
      pct_start: The end of the rise as a fraction of `T`, in [0, 1].
      pct_final: The end of the fall back to `v0` as a fraction of `T`, in [0, 1].
      div_factor: `peak_value / div_factor` is the initial rate, a finite number > 0.
      final_div_factor: The final rate is `v0 / final_div_factor`, finite, > 0.
    """
    return LinearOnecycleSchedule(transition_steps, peak_value, pct_start, pct_final,
                                  div_factor, final_div_factor)
