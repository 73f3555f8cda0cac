"""TensorFlow's other schedules: the Model Garden's power decays
(`official.modeling.optimization.lr_schedule`) and `noisy_linear_cosine_decay`.

The Model Garden evaluates in float32; lrhooks computes the same formulas in
float64 (equal to a relative ~1e-7, the float32 rounding; checked over 1,000
random cases per schedule). This module never imports TensorFlow.
"""

import math
import random

from lrhooks import checks
from lrhooks.schedules._base import (Composite, Number, Schedule, documented, factory, field,
                                     power_or_inf)
from lrhooks.schedules._products import schedule_check

__all__ = ["PowerAndLinearDecay", "DirectPowerDecay", "PowerDecayWithOffset",
           "PolynomialWarmup", "NoisyLinearCosineDecay", "power_and_linear_decay",
           "direct_power_decay", "power_decay_with_offset", "polynomial_warmup",
           "noisy_linear_cosine_decay"]


@factory("direct_power_decay")
class DirectPowerDecay(Schedule):
    """`initial_learning_rate * max(step, 1) ** power`."""

    initial_learning_rate: float = field(checks.real)
    power: float = field(checks.finite, 1.0)

    def _value(self, step):
        return self.initial_learning_rate * power_or_inf(float(max(step, 1)), self.power)


@documented
def direct_power_decay(initial_learning_rate: float, power: float = 1.0) -> DirectPowerDecay:
    """The Model Garden's `DirectPowerDecay`.

        rate = initial_learning_rate * max(step, 1) ** power

    Args:
      initial_learning_rate: A finite number >= 0.
      power: A finite number (negative to decay, e.g. -0.5).
    """
    return DirectPowerDecay(initial_learning_rate, power)


@factory("power_and_linear_decay")
class PowerAndLinearDecay(Schedule):
    """`lr * max(s, 1) ** power * min(1, (T - s) / (T * f))`, `s = step - offset`, >= 0."""

    initial_learning_rate: float = field(checks.real)
    total_decay_steps: int = field(checks.non_negative_count)
    power: float = field(checks.finite, 1.0)
    linear_decay_fraction: float = field(checks.interval, 0.1, low=0.0, high=1.0)
    offset: int = field(checks.non_negative_count, 0)

    def _value(self, step):
        s = float(step - self.offset)
        rate = self.initial_learning_rate * power_or_inf(max(s, 1.0), self.power)
        span = self.total_decay_steps * self.linear_decay_fraction
        if span > 0:
            rate *= min(1.0, (self.total_decay_steps - s) / span)
            rate = max(0.0, rate)
        return rate

    def _breakpoints(self, total_steps):
        t, o = self.total_decay_steps, self.offset
        return (o + 1, o + math.floor(t * (1 - self.linear_decay_fraction)) + 1, o + t)


@documented
def power_and_linear_decay(initial_learning_rate: float, total_decay_steps: int,
                           power: float = 1.0, linear_decay_fraction: float = 0.1,
                           offset: int = 0) -> PowerAndLinearDecay:
    """The Model Garden's `PowerAndLinearDecay`.

        s = step - offset
        rate = initial_learning_rate * max(s, 1) ** power
        rate = max(0, rate * min(1, (T - s) / (T * f)))   # if T * f > 0

    with `T = total_decay_steps`, `f = linear_decay_fraction`: a power decay
    multiplied, over its last `T * f` steps, by a linear decay to 0 at `T`.

    Args:
      initial_learning_rate: A finite number >= 0.
      total_decay_steps: `T`, an integer >= 0.
      power: A finite number (e.g. -0.5).
      linear_decay_fraction: `f`, a finite number in [0, 1].
      offset: Steps before the decay starts counting, an integer >= 0.
    """
    return PowerAndLinearDecay(initial_learning_rate, total_decay_steps, power,
                               linear_decay_fraction, offset)


@factory("power_decay_with_offset")
class PowerDecayWithOffset(Schedule):
    """`pre_offset_learning_rate` until `offset`, then `lr * (step - offset) ** power`, capped."""

    initial_learning_rate: float = field(checks.real)
    power: float = field(checks.finite, 1.0)
    offset: int = field(checks.non_negative_count, 0)
    pre_offset_learning_rate: float = field(checks.real, 1.0e6)

    def _value(self, step):
        after = power_or_inf(max(float(step - self.offset), 1.0), self.power) * (
            self.initial_learning_rate)
        rate = self.pre_offset_learning_rate if step <= self.offset else after
        return min(rate, self.pre_offset_learning_rate)

    def _breakpoints(self, total_steps):
        return (self.offset, self.offset + 1)


@documented
def power_decay_with_offset(initial_learning_rate: float, power: float = 1.0,
                            offset: int = 0,
                            pre_offset_learning_rate: float = 1.0e6) -> PowerDecayWithOffset:
    """The Model Garden's `PowerDecayWithOffset`.

        rate = pre_offset_learning_rate                                  # step <= offset
        rate = min(initial_learning_rate * max(step - offset, 1) ** power,
                   pre_offset_learning_rate)                             # step > offset

    Args:
      initial_learning_rate: A finite number >= 0.
      power: A finite number (e.g. -0.5).
      offset: An integer >= 0.
      pre_offset_learning_rate: The rate up to `offset` and the cap, finite, >= 0.
    """
    return PowerDecayWithOffset(initial_learning_rate, power, offset, pre_offset_learning_rate)


@factory("polynomial_warmup")
class PolynomialWarmup(Composite):
    """`schedule(W) * (max(step, 1) / W) ** power` for `step < W`, then `schedule(step)`."""

    schedule: Schedule = field(schedule_check)
    warmup_steps: int = field(checks.non_negative_count)
    power: float = field(checks.finite, 1.0)

    def _value(self, step):
        w = self.warmup_steps
        if step >= w:
            return self.schedule(step)
        target = self.schedule(w)
        return target * power_or_inf(max(float(step), 1.0) / w, self.power)

    def _breakpoints(self, total_steps):
        return (self.warmup_steps, *(b for b in self.schedule.breakpoints(total_steps)
                                     if b > self.warmup_steps))


@documented
def polynomial_warmup(schedule: Schedule, warmup_steps: int,
                      power: float = 1.0) -> PolynomialWarmup:
    """The Model Garden's `PolynomialWarmUp(after_warmup_lr_sched, warmup_steps, power)`.

        rate = schedule(W) * (max(step, 1) / W) ** power     # step < W
        rate = schedule(step)                                # step >= W

    `schedule` sees the global step (no offset), like `warmup(...,
    offset=False)`; note `max(step, 1)`: step 0 already trains at
    `schedule(W) / W ** power`.

    Args:
      schedule: The `Schedule` after the warmup (a constant rate: `constant(r)`).
      warmup_steps: `W`, an integer >= 0.
      power: The warmup's exponent, a finite number.
    """
    return PolynomialWarmup(schedule, warmup_steps, power)


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
    """
    return NoisyLinearCosineDecay(learning_rate, decay_steps, initial_variance, variance_decay,
                                  num_periods, alpha, beta, seed)
