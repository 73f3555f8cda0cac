"""Cyclic schedules: the rate rises and falls again for ever, without restarts.

PyTorch's `CyclicLR` (`cyclic`, triangles between two rates) with the momentum
it cycles (`cyclic_momentum`, also `cyclic(...).momentum()`), and
`CosineAnnealingLR` (`cosine_annealing`, a cosine of period `2 * t_max`).

Step mapping of PyTorch's schedulers (here, in `_steps`, `_one_cycle`, `_warmup`
and `_restarts`): `schedule(s)` is the rate PyTorch's scheduler has set after
`s` calls of `scheduler.step()` (`scheduler.get_last_lr()[0]`; `s = 0` right
after construction). In the usual PyTorch loop, `optimizer.step()` then
`scheduler.step()` once per batch, that is the rate of the `(s + 1)`-th
`optimizer.step()`. In a tf.compat.v1 loop the global step counts the updates
already applied, so `schedule(global_step)` is the rate of the next update: the
same rate for the same update. A scheduler stepped once per epoch maps to
`step = epoch`; in a per-batch loop give its step counts in batches. PyTorch
computes some of these recursively; lrhooks uses the closed forms PyTorch
documents, equal to its recursion to a relative ~1e-13. This module never imports
TensorFlow (nor PyTorch).
"""

import math
from typing import Optional, Tuple

from lrhooks import checks
from lrhooks.schedules._base import (Number, Schedule, documented, factory, field, first_step,
                                     instance_of, power_or_inf)

__all__ = ["Cyclic", "CyclicMomentum", "CosineAnnealing", "cyclic", "cyclic_momentum",
           "cosine_annealing", "MomentumTwin", "cosine_between"]


CYCLIC_MODES = ("triangular", "triangular2", "exp_range")


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


@documented
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

    Examples:
      >>> s = cyclic(1.0, 3.0, step_size_up=4)
      >>> s(0), s(2), s(4), s(6), s(8)
      (1.0, 2.0, 3.0, 2.0, 1.0)
    """
    return Cyclic(base_lr, max_lr, step_size_up, step_size_down, mode, gamma)


class MomentumTwin(Schedule):
    """The momentum a rate schedule cycles with: its `schedule`'s breakpoints."""

    def _breakpoints(self, total_steps):
        return self.schedule.breakpoints(total_steps)


@factory("cyclic_momentum")
class CyclicMomentum(MomentumTwin):
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

    Examples:
      >>> s = cyclic_momentum(cyclic(0.1, 0.5, step_size_up=4))
      >>> s(0), s(4), s(8)
      (0.9, 0.8, 0.9)
    """
    return CyclicMomentum(schedule, base_momentum, max_momentum)


def cosine_between(high: float, low: float, fraction: float) -> float:
    """`low + (high - low) * (1 + cos(pi * fraction)) / 2`."""
    return low + (high - low) * (1 + math.cos(math.pi * fraction)) / 2


@factory("cosine_annealing")
class CosineAnnealing(Schedule):
    """`eta_min + (lr - eta_min) * (1 + cos(pi * step / t_max)) / 2`, periodic."""

    learning_rate: float = field(checks.real)
    t_max: Number = field(checks.positive_steps)
    eta_min: float = field(checks.real, 0.0)

    def _value(self, step):
        return cosine_between(self.learning_rate, self.eta_min, step / self.t_max)

    def _breakpoints(self, total_steps):
        count = int(total_steps // self.t_max) + 1
        return (math.ceil(k * self.t_max) for k in range(1, count + 1))


@documented
def cosine_annealing(learning_rate: float, t_max: Number,
                     eta_min: float = 0.0) -> CosineAnnealing:
    """PyTorch's `CosineAnnealingLR(optimizer, T_max, eta_min)`, which keeps going.

        rate = eta_min + (learning_rate - eta_min) * (1 + cos(pi * step / t_max)) / 2

    Unlike `cosine_decay` (TF, held at its end), the rate rises again after
    `t_max`: it is periodic with period `2 * t_max`, as PyTorch's is.

    Args:
      learning_rate: The optimizer's rate (the peak), a finite number >= 0.
      t_max: Half the period, an integer or finite float > 0.
      eta_min: The trough, a finite number >= 0.

    Returns:
      A `CosineAnnealing` schedule (breakpoints: the troughs and peaks).

    Examples:
      >>> s = cosine_annealing(0.1, t_max=100)
      >>> s(0), s(50), s(100), s(200)
      (0.1, 0.05, 0.0, 0.1)
    """
    return CosineAnnealing(learning_rate, t_max, eta_min)
