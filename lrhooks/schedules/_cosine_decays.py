"""Closed-form cosine decays: a half cosine (or anneal) from one rate to another, then held.

TF's `cosine_decay`, `linear_cosine_decay` and `noisy_linear_cosine_decay`,
optax's `cosine_decay_schedule` (with an exponent) and PyTorch's `SWALR` anneal.
The cosine that keeps going (PyTorch's `CosineAnnealingLR`) is cyclic:
`lrhooks.schedules._cyclic`; the ones with restarts are in `_restarts`.
This module never imports TensorFlow.
"""

import math
import random

from lrhooks import checks
from lrhooks.schedules._base import Number, Schedule, documented, factory, field

__all__ = ["CosineDecay", "LinearCosineDecay", "NoisyLinearCosineDecay", "CosineDecaySchedule",
           "SWALR", "cosine_decay", "linear_cosine_decay", "noisy_linear_cosine_decay",
           "cosine_decay_schedule", "swalr"]


@factory("cosine_decay")
class CosineDecay(Schedule):
    """`learning_rate * ((1 - alpha) * 0.5 * (1 + cos(pi * p)) + alpha)`.

    Here `p = min(step, decay_steps) / decay_steps`.
    """

    learning_rate: float = field(checks.real)
    decay_steps: Number = field(checks.positive_steps)
    alpha: float = field(checks.real, 0.0)

    def _value(self, step):
        p = min(step, self.decay_steps) / self.decay_steps
        cosine = 0.5 * (1.0 + math.cos(math.pi * p))
        return self.learning_rate * ((1.0 - self.alpha) * cosine + self.alpha)

    def _breakpoints(self, total_steps):
        return (math.ceil(self.decay_steps),)


@documented
def cosine_decay(learning_rate: float, decay_steps: Number,
                 alpha: float = 0.0) -> CosineDecay:
    """Cosine decay from `learning_rate` to `alpha * learning_rate`.

        p = min(step, decay_steps) / decay_steps
        rate = learning_rate * ((1 - alpha) * 0.5 * (1 + cos(pi * p)) + alpha)

    Args:
      learning_rate: The initial rate, a finite number >= 0.
      decay_steps: Steps to decay over, an int or finite float > 0.
      alpha: The final rate as a fraction of `learning_rate`, finite and >= 0.

    Examples:
      >>> s = cosine_decay(0.1, 100)
      >>> s(0), s(50), s(100), s(200)
      (0.1, 0.05, 0.0, 0.0)
    """
    return CosineDecay(learning_rate, decay_steps, alpha)


@factory("linear_cosine_decay")
class LinearCosineDecay(Schedule):
    """`learning_rate * ((alpha + 1 - p) * 0.5 * (1 + cos(2 pi num_periods p)) + beta)`.

    Here `p = min(step, decay_steps) / decay_steps`.
    """

    learning_rate: float = field(checks.real)
    decay_steps: Number = field(checks.positive_steps)
    num_periods: float = field(checks.real, 0.5)
    alpha: float = field(checks.real, 0.0)
    beta: float = field(checks.real, 0.001)

    def _value(self, step):
        step = min(step, self.decay_steps)
        linear = (self.decay_steps - step) / self.decay_steps
        p = step / self.decay_steps
        cosine = 0.5 * (1.0 + math.cos(math.pi * (2.0 * self.num_periods * p)))
        return self.learning_rate * ((self.alpha + linear) * cosine + self.beta)

    def _breakpoints(self, total_steps):
        return (math.ceil(self.decay_steps),)


@documented
def linear_cosine_decay(learning_rate: float, decay_steps: Number,
                        num_periods: float = 0.5, alpha: float = 0.0,
                        beta: float = 0.001) -> LinearCosineDecay:
    """Linear cosine decay (Bello et al., 2017).

        p = min(step, decay_steps) / decay_steps
        linear = (decay_steps - min(step, decay_steps)) / decay_steps
        cosine = 0.5 * (1 + cos(pi * 2 * num_periods * p))
        rate = learning_rate * ((alpha + linear) * cosine + beta)

    Args:
      learning_rate: The initial rate, a finite number >= 0.
      decay_steps: Steps to decay over, an int or finite float > 0.
      num_periods: Number of cosine periods, a finite number >= 0.
      alpha: Offset of the linear part, a finite number >= 0.
      beta: Constant offset (as a fraction of `learning_rate`), finite, >= 0.

    Examples:
      >>> s = linear_cosine_decay(1.0, 100, beta=0.0)
      >>> s(0), s(50), s(100)
      (1.0, 0.25, 0.0)
    """
    return LinearCosineDecay(learning_rate, decay_steps, num_periods, alpha, beta)


@factory("noisy_linear_cosine_decay")
class NoisyLinearCosineDecay(Schedule):
    """`lr * ((alpha + linear + noise) * cosine + beta)`, `noise` a seeded normal draw."""

    learning_rate: float = field(checks.real)
    decay_steps: Number = field(checks.positive_steps)
    initial_variance: float = field(checks.real, 1.0)
    variance_decay: float = field(checks.real, 0.55)
    num_periods: float = field(checks.real, 0.5)
    alpha: float = field(checks.real, 0.0)
    beta: float = field(checks.real, 0.001)
    seed: int = field(checks.non_negative_count, 0)

    def noise(self, step: int) -> float:
        """The noise at `step`: `sqrt(initial_variance / (1 + min(step, decay_steps)) **
        variance_decay) * z`, `z` a standard normal draw that depends only on `(seed, step)`
        (TF draws with the variance of the clipped step, as here)."""
        step = checks.step(step)
        z = random.Random(f"lrhooks-noise:{self.seed}:{step}").gauss(0.0, 1.0)
        bounded = min(step, self.decay_steps)
        return math.sqrt(self.initial_variance / (1 + bounded) ** self.variance_decay) * z

    def _value(self, step):
        bounded = min(step, self.decay_steps)
        linear = (self.decay_steps - bounded) / self.decay_steps
        fraction = 2.0 * self.num_periods * bounded / self.decay_steps
        cosine = 0.5 * (1.0 + math.cos(math.pi * fraction))
        return self.learning_rate * ((self.alpha + linear + self.noise(step)) * cosine
                                     + self.beta)

    def _breakpoints(self, total_steps):
        return (math.ceil(self.decay_steps),)


@documented
def noisy_linear_cosine_decay(learning_rate: float, decay_steps: Number,
                              initial_variance: float = 1.0, variance_decay: float = 0.55,
                              num_periods: float = 0.5, alpha: float = 0.0, beta: float = 0.001,
                              seed: int = 0) -> NoisyLinearCosineDecay:
    """TF's `noisy_linear_cosine_decay`, with reproducible noise.

        s = min(step, decay_steps)
        linear = (decay_steps - s) / decay_steps
        cosine = 0.5 * (1 + cos(pi * 2 * num_periods * s / decay_steps))
        noise = sqrt(initial_variance / (1 + s) ** variance_decay) * z(seed, step)
        rate = learning_rate * ((alpha + linear + noise) * cosine + beta)

    Deviation (deliberate): TF draws `z` from its random op on every
    evaluation, so the rate of a step differs from run to run, between the
    rate applied and the rate logged, and after a restart. Here `z(seed,
    step)` is a standard normal draw that depends only on `seed` and the
    step (Python's `random.Random` seeded with both): a pure function, the
    same in every run, every worker and after a restore. TF's values are
    matched exactly with `initial_variance=0` (no noise); with noise, the
    distribution is TF's (its variance, like TF's, stops decaying at
    `decay_steps`: TF computes it from the clipped step `s`). The rate can be
    negative when the noise is (as in TF); the setter hook then fails in one
    line naming the step.

    Args:
      learning_rate: A finite number >= 0.
      decay_steps: An integer or finite float > 0.
      initial_variance: The noise variance at step 0, a finite number >= 0.
      variance_decay: The variance decays as `(1 + step) ** -variance_decay`, >= 0.
      num_periods: Cosine periods, a finite number >= 0.
      alpha, beta: As in `linear_cosine_decay`, finite numbers >= 0.
      seed: Picks the noise sequence, an integer >= 0.

    Returns:
      A `NoisyLinearCosineDecay` schedule (`noise(step)` gives the noise term).

    Examples:
      >>> s = noisy_linear_cosine_decay(1.0, 100, initial_variance=0.0, beta=0.0)
      >>> s(0), s(50)
      (1.0, 0.25)
      >>> noisy_linear_cosine_decay(1.0, 100)(50) == noisy_linear_cosine_decay(1.0, 100)(50)
      True
    """
    return NoisyLinearCosineDecay(learning_rate, decay_steps, initial_variance, variance_decay,
                                  num_periods, alpha, beta, seed)


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

    Examples:
      >>> s = cosine_decay_schedule(1.0, 100, exponent=2.0)
      >>> s(0), s(50), s(100)
      (1.0, 0.25, 0.0)
    """
    return CosineDecaySchedule(init_value, decay_steps, alpha, exponent)


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

    Examples:
      >>> s = swalr(1.0, 0.5, anneal_epochs=10, anneal_strategy='linear')
      >>> s(0), s(5), s(10), s(20)
      (1.0, 0.75, 0.5, 0.5)
    """
    return SWALR(learning_rate, swa_lr, anneal_epochs, anneal_strategy)
