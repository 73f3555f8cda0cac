"""PyTorch-style schedules: StepLR, MultiStepLR, OneCycleLR and CyclicLR, and the
momentum OneCycleLR and CyclicLR cycle.

`step_decay`, `multistep_decay`, `one_cycle` and `cyclic` take the arguments of
`torch.optim.lr_scheduler.StepLR`, `MultiStepLR`, `OneCycleLR` and `CyclicLR`
(without the optimizer; the optimizer's `lr` is `learning_rate`) and compute their
rates with PyTorch's float64 formulas. Their momentum (`cycle_momentum=True`,
PyTorch's default) is `one_cycle(...).momentum(base_momentum, max_momentum)` and
`cyclic(...).momentum(...)`: the schedules `one_cycle_momentum` and `cyclic_momentum`.

Step mapping: `schedule(s)` is the rate PyTorch's scheduler has set after `s`
calls of `scheduler.step()` (`scheduler.get_last_lr()[0]`; `s = 0` right after
construction). In the usual PyTorch loop, `optimizer.step()` then
`scheduler.step()` once per batch, that is the rate of the `(s + 1)`-th
`optimizer.step()`. In a tf.compat.v1 loop the global step counts the updates
already applied, so `schedule(global_step)` is the rate of the next update:
the same rate for the same update. A scheduler stepped once per epoch instead
maps to `step = epoch`; to use it in a per-batch loop, give `step_size` and
`milestones` in batches (times the steps per epoch): `lr * gamma **
(global_step // (step_size * steps_per_epoch))` is the per-epoch rate.

    >>> from lrhooks.schedules import multistep_decay
    >>> s = multistep_decay(0.1, [30, 80])
    >>> s(29), s(30), s(80)
    (0.1, 0.010000000000000002, 0.0010000000000000002)

Like every schedule of `lrhooks.schedules`, these are immutable values
validated when built, with an evaluable `repr`; import them from
`lrhooks.schedules`. This module never imports TensorFlow (nor PyTorch).
"""

import bisect
import math
from typing import Iterable, Optional, Sequence, Tuple

from lrhooks import checks
from lrhooks.schedules._base import (Number, Schedule, documented, factory, field,
                                     first_step, instance_of, power_or_inf)

__all__ = ["OneCycleMomentum", "CyclicMomentum", "one_cycle_momentum", "cyclic_momentum",
           "StepDecay", "MultiStepDecay", "OneCycle", "Cyclic", "step_decay",
           "multistep_decay", "one_cycle", "cyclic"]

ANNEAL_STRATEGIES = ("cos", "linear")
CYCLIC_MODES = ("triangular", "triangular2", "exp_range")


def _decayed(learning_rate: float, gamma: float, k: int) -> float:
    """`learning_rate * gamma ** k` (inf on overflow, but 0 for a zero rate)."""
    return 0.0 if learning_rate == 0 else learning_rate * power_or_inf(gamma, k)


# ---------------------------------------------------------------------------
# step_decay, multistep_decay
# ---------------------------------------------------------------------------

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

    Raises:
      TypeError: If an argument has the wrong type (a bool for a number, say).
      ValueError: If an argument is out of range (see Args).
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

    Raises:
      TypeError: If an argument has the wrong type (a bool for a number, say).
      ValueError: If an argument is out of range (see Args).
    """
    return MultiStepDecay(learning_rate, milestones, gamma)


# ---------------------------------------------------------------------------
# one_cycle
# ---------------------------------------------------------------------------

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
    29.000000000000004`, `max_lr` up to rounding), step 30 is in phase 1. From step `total_steps - 1` on the rate is held (at `min_lr`,
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

    Raises:
      TypeError: If an argument has the wrong type (a bool for a number, say).
      ValueError: If an argument is out of range (see Args).
    """
    return OneCycle(max_lr, total_steps, pct_start, anneal_strategy, div_factor,
                    final_div_factor, three_phase)


# ---------------------------------------------------------------------------
# cyclic
# ---------------------------------------------------------------------------

def _optional_steps(name: str, value) -> Optional[Number]:
    return None if value is None else checks.positive_steps(name, value)


@factory("cyclic")
class Cyclic(Schedule):
    """PyTorch's CyclicLR: triangles between `base_lr` and `max_lr`, rising for
    `step_size_up` steps and falling for `step_size_down`, scaled per `mode`."""

    base_lr: float = field(checks.real)
    max_lr: float = field(checks.real)
    step_size_up: Number = field(checks.positive_steps, 2000)
    step_size_down: Optional[Number] = field(_optional_steps, None)
    mode: str = field(checks.choice, "triangular", options=CYCLIC_MODES)
    gamma: float = field(checks.real, 1.0)

    def __post_init__(self):
        super().__post_init__()
        if self.max_lr < self.base_lr:
            raise ValueError(
                f"`max_lr` must be >= `base_lr` ({self.base_lr!r}), got {self.max_lr!r}")
        up, total = self._sizes()
        if not (math.isfinite(total) and up / total > 0):
            raise ValueError(
                f"`step_size_up` / (`step_size_up` + `step_size_down`) must be a finite "
                f"float > 0, got {up!r} / {total!r}")

    def _sizes(self) -> Tuple[float, float]:
        """`(step_size_up, total_size)` as PyTorch's floats."""
        up = float(self.step_size_up)
        down = up if self.step_size_down is None else float(self.step_size_down)
        return up, up + down

    def _position(self, step: int) -> Tuple[int, float, float]:
        """`(cycle, x, step_ratio)`: the cycle (from 1) and the fraction of it done."""
        up, total = self._sizes()
        cycle = math.floor(1 + step / total)
        x = 1.0 + step / total - cycle
        return cycle, x, up / total

    def _regime(self, step: int) -> int:
        """`2 * (cycle - 1)` while rising, `2 * (cycle - 1) + 1` while falling."""
        cycle, x, ratio = self._position(step)
        return 2 * (cycle - 1) + (0 if x <= ratio else 1)

    def _value(self, step):
        cycle, x, ratio = self._position(step)
        scale_factor = x / ratio if x <= ratio else (x - 1) / (ratio - 1)
        base_height = (self.max_lr - self.base_lr) * scale_factor
        if base_height == 0:
            return self.base_lr
        if self.mode == "triangular":
            return self.base_lr + base_height * 1.0
        if self.mode == "triangular2":
            return self.base_lr + base_height * (1 / power_or_inf(2.0, cycle - 1))
        return self.base_lr + base_height * power_or_inf(self.gamma, step)

    def _breakpoints(self, total_steps):
        up, total = self._sizes()
        step, regime = 0, self._regime(0)
        while True:
            cycle, falling = divmod(regime, 2)
            guess = cycle * total + (total if falling else up)
            step = first_step(lambda s, r=regime: self._regime(s) > r, guess)
            if step > total_steps:  # (Turns at step - 1 = total_steps - 1 count.)
                return
            old, regime = regime, self._regime(step)
            if regime - old > 1:  # Both a peak and a trough lie between the steps.
                yield from (step - 1, step)
                continue
            before, after = self._value(step - 1), self._value(step)
            if old % 2 == 0:  # A peak: the higher step (the last rising one on a tie).
                yield step if after > before else step - 1
            else:  # A trough: the lower step (the first of the cycle on a tie).
                yield step if after <= before else step - 1

    def momentum(self, base_momentum: float = 0.8,
                 max_momentum: float = 0.9) -> "CyclicMomentum":
        """The momentum `CyclicLR(..., cycle_momentum=True)` sets with this rate.

        Args:
          base_momentum: The momentum at the peaks of the rate, a finite number >= 0.
          max_momentum: The momentum where the rate is `base_lr`, a finite number >= 0.

        Returns:
          `cyclic_momentum(self, base_momentum, max_momentum)`, a schedule of the step.
        """
        return CyclicMomentum(self, base_momentum, max_momentum)


def cyclic(base_lr: float, max_lr: float, step_size_up: Number = 2000,
           step_size_down: Optional[Number] = None, mode: str = "triangular",
           gamma: float = 1.0) -> Cyclic:
    """Cyclical learning rates (Smith, 2017), as PyTorch's `CyclicLR`.

    The rate after `step` calls of `CyclicLR(optimizer, base_lr, max_lr,
    step_size_up, step_size_down, mode, gamma).step()`, in PyTorch's floats:

        total_size = step_size_up + step_size_down   # down defaults to up
        step_ratio = step_size_up / total_size
        cycle = floor(1 + step / total_size)         # from 1
        x = 1 + step / total_size - cycle            # in [0, 1)
        scale_factor = x / step_ratio                if x <= step_ratio
                       (x - 1) / (step_ratio - 1)    otherwise
        rate = base_lr + (max_lr - base_lr) * scale_factor * scale
        scale = 1                                    # 'triangular'
                1 / 2 ** (cycle - 1)                 # 'triangular2'
                gamma ** step                        # 'exp_range'

    So each cycle starts at `base_lr` (at step `(cycle - 1) * total_size`),
    peaks `step_size_up` steps later and falls back over `step_size_down`
    steps. `gamma` only matters for 'exp_range' (`gamma > 1` grows the
    amplitude without bound).

    Args:
      base_lr: The lower boundary, a finite number >= 0.
      max_lr: The upper boundary, a finite number >= `base_lr`.
      step_size_up: Steps rising per cycle, an integer or finite float > 0.
      step_size_down: Steps falling per cycle, likewise, or None for
        `step_size_up`.
      mode: 'triangular', 'triangular2' (amplitude halved every cycle) or
        'exp_range' (amplitude times `gamma ** step`).
      gamma: The 'exp_range' factor, a finite number >= 0.

    Returns:
      A `Cyclic` schedule. Its breakpoints are the turns: the step of each
      peak and of each trough (of the two steps around a turn, the higher,
      resp. lower one; both where a half cycle has no step of its own). With
      `step_size_up=2000`: 2000, 4000, 6000, ... In 'triangular' and
      'triangular2' mode the rate is monotone between them ('exp_range' with
      `gamma < 1` can peak before the end of a rising half).

    Raises:
      TypeError: If an argument has the wrong type (a bool for a number, say).
      ValueError: If an argument is out of range (see Args).
    """
    return Cyclic(base_lr, max_lr, step_size_up, step_size_down, mode, gamma)


# ---------------------------------------------------------------------------
# momentum twins
# ---------------------------------------------------------------------------

class _MomentumTwin(Schedule):
    """The momentum a rate schedule cycles with: its `schedule`'s breakpoints."""

    def _breakpoints(self, total_steps):
        return self.schedule.breakpoints(total_steps)


@factory("one_cycle_momentum")
class OneCycleMomentum(_MomentumTwin):
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
    """
    return OneCycleMomentum(schedule, base_momentum, max_momentum)


@factory("cyclic_momentum")
class CyclicMomentum(_MomentumTwin):
    """CyclicLR's momentum: `max_momentum - (max - base) * scale_factor * scale`."""

    schedule: Cyclic = field(instance_of(Cyclic, "a cyclic(...) schedule"))
    base_momentum: float = field(checks.real, 0.8)
    max_momentum: float = field(checks.real, 0.9)

    def _value(self, step):
        s = self.schedule
        cycle, x, ratio = s._position(step)  # pylint: disable=protected-access
        scale_factor = x / ratio if x <= ratio else (x - 1) / (ratio - 1)
        base_height = (self.max_momentum - self.base_momentum) * scale_factor
        if base_height == 0:
            return self.max_momentum
        if s.mode == "triangular":
            return self.max_momentum - base_height * 1.0
        if s.mode == "triangular2":
            return self.max_momentum - base_height * (1 / 2.0 ** (cycle - 1))
        return self.max_momentum - base_height * power_or_inf(s.gamma, step)


@documented
def cyclic_momentum(schedule: Cyclic, base_momentum: float = 0.8,
                    max_momentum: float = 0.9) -> CyclicMomentum:
    """The momentum `CyclicLR(..., cycle_momentum=True)` sets, step by step.

    With `schedule`'s `cycle`, `scale_factor` and mode scale (see `cyclic`):

        rate = max_momentum - (max_momentum - base_momentum) * scale_factor * scale

    so it is `max_momentum` where the rate is `base_lr` and `base_momentum` at
    the peaks. `schedule.momentum()` is the same schedule.

    Args:
      schedule: A `cyclic(...)` schedule.
      base_momentum: The momentum at the peak rate, a finite number >= 0.
      max_momentum: The momentum at `base_lr`, a finite number >= 0.
    """
    return CyclicMomentum(schedule, base_momentum, max_momentum)
