"""One-cycle schedules: up from a low rate to a peak, then down below the start, once.

PyTorch's `OneCycleLR` (`one_cycle`, with the momentum it cycles:
`one_cycle_momentum`, also `one_cycle(...).momentum()`) and optax's
`cosine_onecycle_schedule` and `linear_onecycle_schedule` (optax's own
`piecewise_interpolate_schedule` construction, in float64). PyTorch's step
mapping is described in `lrhooks.schedules._cyclic`. This module never imports TensorFlow.
"""

import math
from typing import Tuple

from lrhooks import checks
from lrhooks.schedules._base import Built, Schedule, documented, factory, field, instance_of
from lrhooks.schedules._cyclic import MomentumTwin
from lrhooks.schedules._piecewise_curves import PiecewiseInterpolateSchedule

__all__ = ["OneCycle", "OneCycleMomentum", "CosineOnecycleSchedule", "LinearOnecycleSchedule",
           "one_cycle", "one_cycle_momentum", "cosine_onecycle_schedule",
           "linear_onecycle_schedule"]


ANNEAL_STRATEGIES = ("cos", "linear")


@factory("one_cycle")
class OneCycle(Schedule):
    """PyTorch's OneCycleLR: `initial_lr -> max_lr -> min_lr` (three_phase: `->
    initial_lr ->` in between), annealed by `anneal_strategy` between the phase
    ends `pct_start * total_steps - 1` (`2 * pct_start * total_steps - 2`) and
    `total_steps - 1`; held from `total_steps - 1` on."""

    max_lr: float = field(checks.real)
    total_steps: int = field(checks.positive_count)
    pct_start: float = field(checks.interval, 0.3, low=0.0, high=1.0)
    anneal_strategy: str = field(checks.choice, "cos", options=ANNEAL_STRATEGIES)
    div_factor: float = field(checks.positive, 25.0)
    final_div_factor: float = field(checks.positive, 1e4)
    three_phase: bool = field(checks.flag, False)

    def __post_init__(self):
        super().__post_init__()
        if float(self.pct_start * self.total_steps) - 1 == 0:
            raise ValueError(
                f"`pct_start` * `total_steps` must not be 1 (PyTorch divides by zero at "
                f"step 0 then), got {self.pct_start!r} * {self.total_steps}")

    def _phases(self) -> Tuple[Tuple[float, float, float], ...]:
        """`(end_step, start_lr, end_lr)` of each phase, as PyTorch computes them."""
        total, pct = self.total_steps, self.pct_start
        initial_lr = self.max_lr / self.div_factor
        min_lr = initial_lr / self.final_div_factor
        if self.three_phase:
            return ((float(pct * total) - 1, initial_lr, self.max_lr),
                    (float(2 * pct * total) - 2, self.max_lr, initial_lr),
                    (total - 1, initial_lr, min_lr))
        return ((float(pct * total) - 1, initial_lr, self.max_lr),
                (total - 1, self.max_lr, min_lr))

    def _phase(self, step: int) -> int:
        phases = self._phases()
        for i, (end, _, _) in enumerate(phases):
            if step <= end:
                return i
        return len(phases) - 1

    def _value(self, step):
        step = min(step, self.total_steps - 1)
        phases = self._phases()
        i = self._phase(step)
        start_step = 0.0 if i == 0 else phases[i - 1][0]
        end_step, start, end = phases[i]
        pct = (step - start_step) / (end_step - start_step)
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def _breakpoints(self, total_steps):
        last = self.total_steps - 1
        if last > 0:
            yield last
        for end, _, _ in self._phases()[:-1]:
            first = math.floor(end) + 1  # The first step after the phase.
            if 0 < first <= last and self._phase(first) != self._phase(first - 1):
                yield from (first - 1, first)

    def momentum(self, base_momentum: float = 0.85,
                 max_momentum: float = 0.95) -> "OneCycleMomentum":
        """The momentum `OneCycleLR(..., cycle_momentum=True)` sets with this rate.

        Args:
          base_momentum: The momentum at the peak rate, a finite number >= 0.
          max_momentum: The momentum at the start and end, a finite number >= 0.

        Returns:
          `one_cycle_momentum(self, base_momentum, max_momentum)`, a schedule of the step.
        """
        return OneCycleMomentum(self, base_momentum, max_momentum)


@documented
def one_cycle(max_lr: float, total_steps: int, pct_start: float = 0.3,
              anneal_strategy: str = "cos", div_factor: float = 25.0,
              final_div_factor: float = 1e4, three_phase: bool = False) -> OneCycle:
    """The 1cycle policy (Smith & Topin, 2018), as PyTorch's `OneCycleLR`.

    The rate after `step` calls of `OneCycleLR(optimizer, max_lr, total_steps,
    pct_start, anneal_strategy, div_factor=div_factor,
    final_div_factor=final_div_factor, three_phase=three_phase).step()`, with
    PyTorch's phase boundaries (float phase ends, not rounded):

        initial_lr = max_lr / div_factor
        min_lr = initial_lr / final_div_factor
        phases (end_i, start_lr_i, end_lr_i):
          (pct_start * total_steps - 1,     initial_lr, max_lr)
          (2 * pct_start * total_steps - 2, max_lr, initial_lr)  # if three_phase
          (total_steps - 1,                 max_lr or initial_lr, min_lr)
        s = min(step, total_steps - 1)
        i = the first phase with s <= end_i (else the last one)
        pct = (s - end_{i-1}) / (end_i - end_{i-1})          # end_{-1} = 0
        rate = end_lr + (start_lr - end_lr) / 2 * (cos(pi * pct) + 1)  # 'cos'
             = (end_lr - start_lr) * pct + start_lr                    # 'linear'

    So the rate rises from `initial_lr` at step 0 to `max_lr` at the end of
    phase 0 and falls to `min_lr` at step `total_steps - 1`. With
    `pct_start=0.3, total_steps=100`, phase 0 ends at `0.3 * 100 - 1 =
    29.000000000000004`: step 29 is still in phase 0 (at `pct = 29 /
    29.000000000000004`, `max_lr` up to rounding), step 30 is in phase 1.
    From step `total_steps - 1` on the rate is held (at `min_lr`,
    unless phase 0 reaches that far): PyTorch extrapolates one more step, to
    step `total_steps` (whose rate no optimizer step of a `total_steps`-step
    run uses), and raises after it.

    Args:
      max_lr: The peak rate, a finite number >= 0.
      total_steps: The length of the cycle in steps, an integer > 0.
      pct_start: The fraction of the steps spent rising, a finite number in
        [0, 1]; `pct_start * total_steps` must not be exactly 1.
      anneal_strategy: 'cos' or 'linear'.
      div_factor: `initial_lr = max_lr / div_factor`, a finite number > 0.
      final_div_factor: `min_lr = initial_lr / final_div_factor`, finite, > 0.
      three_phase: Whether to return to `initial_lr` (symmetrically) before
        annealing to `min_lr` (a bool).

    Returns:
      A `OneCycle` schedule. Its breakpoints are the last step of each phase
      but the last (the peak, for three_phase also the return to `initial_lr`),
      the first step of the next phase, and `total_steps - 1`.

    Examples:
      >>> s = one_cycle(1.0, total_steps=100, pct_start=0.25, anneal_strategy='linear')
      >>> s(0), s(24), round(s(99), 9)
      (0.04, 1.0, 4e-06)
      >>> max(s(step) for step in range(100)) == s(24)
      True
    """
    return OneCycle(max_lr, total_steps, pct_start, anneal_strategy, div_factor,
                    final_div_factor, three_phase)


@factory("one_cycle_momentum")
class OneCycleMomentum(MomentumTwin):
    """OneCycleLR's momentum: `max -> base` while the rate rises, `base -> max` after."""

    schedule: OneCycle = field(instance_of(OneCycle, "a one_cycle(...) schedule"))
    base_momentum: float = field(checks.real, 0.85)
    max_momentum: float = field(checks.real, 0.95)

    def _value(self, step):
        s = self.schedule
        step = min(step, s.total_steps - 1)
        ends = [end for end, _, _ in s._phases()]  # pylint: disable=protected-access
        i = s._phase(step)  # pylint: disable=protected-access
        start_step = 0.0 if i == 0 else ends[i - 1]
        pct = (step - start_step) / (ends[i] - start_step)
        high, low = self.max_momentum, self.base_momentum
        ramps = ((high, low), (low, high), (high, high)) if s.three_phase else (
            (high, low), (low, high))
        start, end = ramps[i]
        if s.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start


@documented
def one_cycle_momentum(schedule: OneCycle, base_momentum: float = 0.85,
                       max_momentum: float = 0.95) -> OneCycleMomentum:
    """The momentum `OneCycleLR(..., cycle_momentum=True)` sets, step by step.

    The value is a momentum, not a learning rate (a scheduled hyperparameter):

        rate = anneal(start_momentum_i, end_momentum_i, pct)   # phase i and pct of `schedule`

    In each phase of `schedule` (same `pct`, same `anneal_strategy`) the
    momentum goes the other way: `max_momentum -> base_momentum` while the
    rate rises, `base_momentum -> max_momentum` while it falls (three_phase:
    `max -> base`, `base -> max`, then held at `max`). PyTorch writes it to the
    optimizer's `momentum` (or Adam's `betas[0]`); `schedule.momentum()` is
    the same schedule.

    Args:
      schedule: A `one_cycle(...)` schedule.
      base_momentum: The momentum at the peak rate, a finite number >= 0.
      max_momentum: The momentum at the start and end, a finite number >= 0.

    Examples:
      >>> s = one_cycle_momentum(one_cycle(1.0, total_steps=100, pct_start=0.25))
      >>> s(0), s(24), s(99)
      (0.95, 0.85, 0.95)
    """
    return OneCycleMomentum(schedule, base_momentum, max_momentum)


class _Onecycle(Built):
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

    Examples:
      >>> s = cosine_onecycle_schedule(100, 1.0, pct_start=0.5, div_factor=4.0,
      ... final_div_factor=10.0)
      >>> s(0), s(50), s(100)
      (0.25, 1.0, 0.025)
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

    Examples:
      >>> s = linear_onecycle_schedule(100, 1.0, pct_start=0.25, pct_final=0.75,
      ... div_factor=4.0, final_div_factor=10.0)
      >>> s(0), s(25), s(75), s(100)
      (0.25, 1.0, 0.25, 0.025)
    """
    return LinearOnecycleSchedule(transition_steps, peak_value, pct_start, pct_final,
                                  div_factor, final_div_factor)
