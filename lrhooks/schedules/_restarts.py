"""More of PyTorch's schedulers: CosineAnnealingLR, CosineAnnealingWarmRestarts,
ConstantLR, LinearLR and SWALR.

As in `lrhooks.schedules._cyclic`, `schedule(s)` is the value PyTorch's
scheduler has set after `s` calls of `scheduler.step()` (`s = 0` right after
construction). PyTorch computes most of these recursively (each step from the
previous rate); lrhooks uses the closed forms PyTorch documents, which agree
with the recursion to a relative ~1e-13 (checked over 1,000 random cases per
schedule). This module never imports TensorFlow.
"""

import math
from typing import Optional

from lrhooks import checks
from lrhooks.schedules._base import Number, Schedule, documented, factory, field

__all__ = ["CosineAnnealing", "CosineAnnealingWarmRestarts", "ConstantLR", "LinearLR",
           "SWALR", "cosine_annealing", "cosine_annealing_warm_restarts", "constant_lr",
           "linear_lr", "swalr"]


def _cosine(high: float, low: float, fraction: float) -> float:
    """`low + (high - low) * (1 + cos(pi * fraction)) / 2`."""
    return low + (high - low) * (1 + math.cos(math.pi * fraction)) / 2


@factory("cosine_annealing")
class CosineAnnealing(Schedule):
    """`eta_min + (lr - eta_min) * (1 + cos(pi * step / t_max)) / 2`, periodic."""

    learning_rate: float = field(checks.real)
    t_max: Number = field(checks.positive_steps)
    eta_min: float = field(checks.real, 0.0)

    def _value(self, step):
        return _cosine(self.learning_rate, self.eta_min, step / self.t_max)

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
    """
    return CosineAnnealing(learning_rate, t_max, eta_min)


@factory("cosine_annealing_warm_restarts")
class CosineAnnealingWarmRestarts(Schedule):
    """SGDR as PyTorch: period `i` lasts `t_0 * t_mult ** i` steps."""

    learning_rate: float = field(checks.real)
    t_0: int = field(checks.positive_count)
    t_mult: int = field(checks.positive_count, 1)
    eta_min: float = field(checks.real, 0.0)

    def _period(self, step: int):
        """`(t_cur, t_i)`: the step within the period and the period's length."""
        if self.t_mult == 1:
            return step % self.t_0, self.t_0
        t_i, t_cur = self.t_0, step
        while t_cur >= t_i:  # exact integers; log(step) periods
            t_cur -= t_i
            t_i *= self.t_mult
        return t_cur, t_i

    def _value(self, step):
        t_cur, t_i = self._period(step)
        return _cosine(self.learning_rate, self.eta_min, t_cur / t_i)

    def _breakpoints(self, total_steps):
        start, length = 0, self.t_0
        while start + length - 1 < total_steps:  # (the last step of a period counts)
            start += length
            length *= self.t_mult
            yield from (start - 1, start)


@documented
def cosine_annealing_warm_restarts(learning_rate: float, t_0: int, t_mult: int = 1,
                                   eta_min: float = 0.0) -> CosineAnnealingWarmRestarts:
    """PyTorch's `CosineAnnealingWarmRestarts(optimizer, T_0, T_mult, eta_min)`.

        period i (from 0) lasts T_i = t_0 * t_mult ** i steps; t_cur = step - its start
        rate = eta_min + (learning_rate - eta_min) * (1 + cos(pi * t_cur / T_i)) / 2

    The same as `cosine_decay_restarts(learning_rate, t_0, t_mult, 1.0,
    alpha=eta_min / learning_rate)` but with PyTorch's arguments (integer
    `t_mult`, an absolute `eta_min`), so nothing is computed by hand.

    Args:
      learning_rate: The peak rate, a finite number >= 0.
      t_0: The first period, an integer > 0.
      t_mult: The period factor, an integer > 0.
      eta_min: The trough, a finite number >= 0.
    """
    return CosineAnnealingWarmRestarts(learning_rate, t_0, t_mult, eta_min)


@factory("constant_lr")
class ConstantLR(Schedule):
    """`learning_rate * factor` for `step < total_iters`, then `learning_rate`."""

    learning_rate: float = field(checks.real)
    factor: float = field(checks.interval, 1.0 / 3, low=0.0, high=1.0)
    total_iters: int = field(checks.positive_count, 5)

    def _value(self, step):
        return self.learning_rate * self.factor if step < self.total_iters else self.learning_rate

    def _breakpoints(self, total_steps):
        return (self.total_iters - 1, self.total_iters)


@documented
def constant_lr(learning_rate: float, factor: float = 1.0 / 3,
                total_iters: int = 5) -> ConstantLR:
    """PyTorch's `ConstantLR(optimizer, factor, total_iters)`.

        rate = learning_rate * factor     # step < total_iters
        rate = learning_rate              # step >= total_iters

    Args:
      learning_rate: The optimizer's rate, a finite number >= 0.
      factor: A finite number in [0, 1].
      total_iters: An integer > 0. (PyTorch accepts 0 and then keeps
        `learning_rate * factor` for ever; use `constant` for a constant rate.)
    """
    return ConstantLR(learning_rate, factor, total_iters)


@factory("linear_lr")
class LinearLR(Schedule):
    """`lr * (start + (end - start) * min(step, total_iters) / total_iters)`."""

    learning_rate: float = field(checks.real)
    start_factor: float = field(checks.interval, 1.0 / 3, low=0.0, high=1.0, low_open=True)
    end_factor: float = field(checks.interval, 1.0, low=0.0, high=1.0)
    total_iters: int = field(checks.positive_count, 5)

    def _value(self, step):
        done = min(step, self.total_iters) / self.total_iters
        return self.learning_rate * (
            self.start_factor + (self.end_factor - self.start_factor) * done)

    def _breakpoints(self, total_steps):
        return (self.total_iters,)


@documented
def linear_lr(learning_rate: float, start_factor: float = 1.0 / 3, end_factor: float = 1.0,
              total_iters: int = 5) -> LinearLR:
    """PyTorch's `LinearLR(optimizer, start_factor, end_factor, total_iters)`.

        f = start_factor + (end_factor - start_factor) * min(step, total_iters) / total_iters
        rate = learning_rate * f

    Args:
      learning_rate: The optimizer's rate, a finite number >= 0.
      start_factor: A finite number in (0, 1].
      end_factor: A finite number in [0, 1].
      total_iters: An integer > 0 (PyTorch's 0 is rejected: use `constant`).
    """
    return LinearLR(learning_rate, start_factor, end_factor, total_iters)


@factory("swalr")
class SWALR(Schedule):
    """`swa_lr * a + learning_rate * (1 - a)`, `a` annealed over `anneal_epochs`."""

    learning_rate: float = field(checks.real)
    swa_lr: float = field(checks.real)
    anneal_epochs: int = field(checks.non_negative_count, 10)
    anneal_strategy: str = field(checks.choice, "cos", options=("cos", "linear"))

    def _value(self, step):
        if self.anneal_epochs == 0:  # PyTorch: swa_lr from the first step on
            step = max(1, step)
        t = max(0.0, min(1.0, step / max(1, self.anneal_epochs)))
        alpha = (1 - math.cos(math.pi * t)) / 2 if self.anneal_strategy == "cos" else t
        return self.swa_lr * alpha + self.learning_rate * (1 - alpha)

    def _breakpoints(self, total_steps):
        return (max(1, self.anneal_epochs),)


@documented
def swalr(learning_rate: float, swa_lr: float, anneal_epochs: int = 10,
          anneal_strategy: str = "cos") -> SWALR:
    """PyTorch's `SWALR(optimizer, swa_lr, anneal_epochs, anneal_strategy)`.

        t = min(1, max(step, 1 if anneal_epochs == 0 else 0) / max(1, anneal_epochs))
        a = (1 - cos(pi * t)) / 2     # 'cos'
        a = t                         # 'linear'
        rate = swa_lr * a + learning_rate * (1 - a)

    `learning_rate` is the optimizer's rate when SWALR is built (usually where
    SWA starts: `sequential([(swa_start, schedule)], final=swalr(...))`).

    Args:
      learning_rate: The rate annealed from, a finite number >= 0.
      swa_lr: The rate annealed to, a finite number >= 0.
      anneal_epochs: Steps of the anneal, an integer >= 0.
      anneal_strategy: 'cos' or 'linear'.
    """
    return SWALR(learning_rate, swa_lr, anneal_epochs, anneal_strategy)
