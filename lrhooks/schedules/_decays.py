"""Closed-form decays from a start rate: exponential, inverse-time and polynomial.

The `tf.compat.v1.train` decays (`constant`, `exponential_decay`,
`inverse_time_decay`, `natural_exp_decay`, `polynomial_decay`) keep the name and
arguments of their TF counterpart minus `global_step`:
`tf.compat.v1.train.exponential_decay(lr, global_step, 1000, 0.96)` becomes
`schedules.exponential_decay(lr, 1000, 0.96)`; they compute TF's formula in
float64 with exact stair and cycle indices. (A TF session's constant folding
computes `step / decay_steps` as `step * (1 / decay_steps)`, so at an exact
multiple TF can be one stair or cycle off, e.g. at step 428 of a staircase with
`decay_steps=428`.) optax's `exponential_decay`, with its `transition_begin` and
`end_value`, is `optax_exponential_decay` (optax with `jax_enable_x64`).
This module never imports TensorFlow.

    >>> s = exponential_decay(0.1, decay_steps=1000, decay_rate=0.5, staircase=True)
    >>> s(999), s(1000)
    (0.1, 0.05)
"""

import dataclasses
import math
from typing import Optional

from lrhooks import checks
from lrhooks.schedules._base import (Number, Schedule, documented, factory, field, first_step,
                                     optional, power_or_inf)

__all__ = ["Constant", "ExponentialDecay", "InverseTimeDecay", "NaturalExpDecay",
           "PolynomialDecay", "OptaxExponentialDecay", "constant", "exponential_decay",
           "inverse_time_decay", "natural_exp_decay", "polynomial_decay",
           "optax_exponential_decay"]


@factory("constant")
class Constant(Schedule):
    """`rate = learning_rate`."""

    learning_rate: float = field(checks.real)

    def _value(self, step):
        return self.learning_rate


@documented
def constant(learning_rate: float) -> Constant:
    """A constant rate: `rate = learning_rate` at every step.

    Args:
      learning_rate: The rate, a finite number >= 0.

    Examples:
      >>> constant(0.1)(5000)
      0.1
    """
    return Constant(learning_rate)


@dataclasses.dataclass(frozen=True, repr=False)
class _Decay(Schedule):
    """Fields and checks shared by exponential, inverse-time and natural-exp."""

    learning_rate: float = field(checks.real)
    decay_steps: Number = field(checks.positive_steps)
    decay_rate: float = field(checks.real)
    staircase: bool = field(checks.flag, False)

    def _p(self, step: int) -> float:
        p = step / self.decay_steps
        return math.floor(p) if self.staircase else p

    def _breakpoints(self, total_steps):
        if not self.staircase:
            return ()
        count = int(total_steps // self.decay_steps) + 1
        return (first_step(lambda s, k=k: self._p(s) >= k, k * self.decay_steps)
                for k in range(1, count + 1))


@factory("exponential_decay")
class ExponentialDecay(_Decay):
    """`learning_rate * decay_rate ** p`, `p = step / decay_steps` (floored)."""

    def _value(self, step):
        return self.learning_rate * power_or_inf(self.decay_rate, self._p(step))


@documented
def exponential_decay(learning_rate: float, decay_steps: Number, decay_rate: float,
                      staircase: bool = False) -> ExponentialDecay:
    """Exponential decay (a `decay_rate` > 1 makes the rate grow).

        p = step / decay_steps              # floor(...) if staircase
        rate = learning_rate * decay_rate ** p

    Args:
      learning_rate: The initial rate, a finite number >= 0.
      decay_steps: Steps per decay period, an int or finite float > 0.
      decay_rate: The decay rate, a finite number >= 0.
      staircase: If True, `p = floor(step / decay_steps)` (a bool).

    Examples:
      >>> exponential_decay(0.1, 100, 0.5)(200)
      0.025
      >>> exponential_decay(0.1, 100, 0.5, staircase=True)(150)
      0.05
    """
    return ExponentialDecay(learning_rate, decay_steps, decay_rate, staircase)


@factory("inverse_time_decay")
class InverseTimeDecay(_Decay):
    """`learning_rate / (1 + decay_rate * p)`, `p = step / decay_steps` (floored)."""

    def _value(self, step):
        return self.learning_rate / (1.0 + self.decay_rate * self._p(step))


@documented
def inverse_time_decay(learning_rate: float, decay_steps: Number, decay_rate: float,
                       staircase: bool = False) -> InverseTimeDecay:
    """Inverse-time decay.

        p = step / decay_steps              # floor(...) if staircase
        rate = learning_rate / (1 + decay_rate * p)

    Args:
      learning_rate: The initial rate, a finite number >= 0.
      decay_steps: Steps per decay period, an int or finite float > 0.
      decay_rate: The decay rate, a finite number >= 0.
      staircase: If True, `p = floor(step / decay_steps)` (a bool).

    Examples:
      >>> inverse_time_decay(0.1, 100, 1.0)(300)
      0.025
    """
    return InverseTimeDecay(learning_rate, decay_steps, decay_rate, staircase)


@factory("natural_exp_decay")
class NaturalExpDecay(_Decay):
    """`learning_rate * exp(-decay_rate * p)`, `p = step / decay_steps` (floored)."""

    def _value(self, step):
        return self.learning_rate * math.exp(-self.decay_rate * self._p(step))


@documented
def natural_exp_decay(learning_rate: float, decay_steps: Number, decay_rate: float,
                      staircase: bool = False) -> NaturalExpDecay:
    """Natural exponential decay.

        p = step / decay_steps              # floor(...) if staircase
        rate = learning_rate * exp(-decay_rate * p)

    (TF evaluates the same value as `learning_rate * exp(-decay_rate) ** p`.)

    Args:
      learning_rate: The initial rate, a finite number >= 0.
      decay_steps: Steps per decay period, an int or finite float > 0.
      decay_rate: The decay rate, a finite number >= 0.
      staircase: If True, `p = floor(step / decay_steps)` (a bool).

    Examples:
      >>> s = natural_exp_decay(0.1, 100, 1.0, staircase=True)
      >>> s(99) == 0.1, s(100) == 0.1 * math.exp(-1.0)
      (True, True)
    """
    return NaturalExpDecay(learning_rate, decay_steps, decay_rate, staircase)


@factory("polynomial_decay")
class PolynomialDecay(Schedule):
    """`(learning_rate - end_learning_rate) * (1 - p) ** power + end_learning_rate`.

    `p = min(step, decay_steps) / decay_steps`, or with `cycle` TF's
    `p = step / (decay_steps * max(1, ceil(step / decay_steps)))`.
    """

    learning_rate: float = field(checks.real)
    decay_steps: Number = field(checks.positive_steps)
    end_learning_rate: float = field(checks.real, 0.0001)
    power: float = field(checks.positive, 1.0)
    cycle: bool = field(checks.flag, False)

    def _multiplier(self, step: int) -> int:
        return 1 if step == 0 else math.ceil(step / self.decay_steps)

    def _value(self, step):
        if self.cycle:
            p = step / (self.decay_steps * self._multiplier(step))
        else:
            p = min(step, self.decay_steps) / self.decay_steps
        p = min(p, 1.0)  # Keeps `1 - p` >= 0 whatever the float rounding.
        return ((self.learning_rate - self.end_learning_rate)
                * (1.0 - p) ** self.power + self.end_learning_rate)

    def _breakpoints(self, total_steps):
        if not self.cycle:
            return (math.ceil(self.decay_steps),)
        count = int(total_steps // self.decay_steps) + 1
        jumps = [first_step(lambda s, k=k: self._multiplier(s) > k,
                             k * self.decay_steps) for k in range(1, count + 1)]
        return jumps + [s - 1 for s in jumps]


@documented
def polynomial_decay(learning_rate: float, decay_steps: Number,
                     end_learning_rate: float = 0.0001, power: float = 1.0,
                     cycle: bool = False) -> PolynomialDecay:
    """Polynomial decay from `learning_rate` to `end_learning_rate`.

        m = 1 if step == 0 else ceil(step / decay_steps)   # only if cycle
        p = step / (decay_steps * m)         # if cycle
        p = min(step, decay_steps) / decay_steps            # otherwise
        rate = (learning_rate - end_learning_rate) * (1 - p) ** power
               + end_learning_rate

    With `cycle`, the rate reaches `end_learning_rate` at every multiple of
    `decay_steps` and jumps up one step later (TF's rule).

    Args:
      learning_rate: The initial rate, a finite number >= 0.
      decay_steps: Steps to decay over, an int or finite float > 0.
      end_learning_rate: The final rate, a finite number >= 0.
      power: The exponent, a finite number > 0.
      cycle: Whether to restart after each `decay_steps` (a bool).

    Examples:
      >>> s = polynomial_decay(0.1, 100, end_learning_rate=0.0, power=1.0)
      >>> s(0), s(50), s(100), s(150)
      (0.1, 0.05, 0.0, 0.0)
    """
    return PolynomialDecay(learning_rate, decay_steps, end_learning_rate, power,
                           cycle)


@factory("optax_exponential_decay")
class OptaxExponentialDecay(Schedule):
    """`init_value * decay_rate ** ((step - begin) / transition_steps)`, clipped at `end_value`."""

    init_value: float = field(checks.real)
    transition_steps: int = field(checks.positive_count)
    decay_rate: float = field(checks.positive)
    transition_begin: int = field(checks.non_negative_count, 0)
    staircase: bool = field(checks.flag, False)
    end_value: Optional[float] = field(optional(checks.real), None)

    def _value(self, step):
        count = step - self.transition_begin
        if count <= 0:
            value = self.init_value
        else:
            p = count / self.transition_steps
            if self.staircase:
                p = math.floor(p)
            value = self.init_value * power_or_inf(self.decay_rate, p)
        if self.end_value is not None:
            clip = max if self.decay_rate < 1.0 else min
            value = clip(value, self.end_value)
        return value

    def _breakpoints(self, total_steps):
        begin, steps = self.transition_begin, self.transition_steps
        yield begin
        if self.staircase:
            yield from range(begin + steps, total_steps, steps)


@documented
def optax_exponential_decay(init_value: float, transition_steps: int, decay_rate: float,
                            transition_begin: int = 0, staircase: bool = False,
                            end_value: Optional[float] = None) -> OptaxExponentialDecay:
    """optax's `exponential_decay`, with its `transition_begin` and `end_value`.

        count = step - transition_begin
        p = count / transition_steps                 # floor(...) if staircase
        rate = init_value                            # count <= 0
        rate = init_value * decay_rate ** p          # count > 0
        rate = max(rate, end_value)   # if end_value is not None and decay_rate < 1
        rate = min(rate, end_value)   # if end_value is not None and decay_rate >= 1

    Deviation: optax turns a `transition_steps <= 0` or `decay_rate == 0`
    into a constant schedule (with a log line) and a negative
    `transition_begin` into 0; lrhooks rejects them (use `constant`).

    Args:
      init_value: The rate until `transition_begin`, a finite number >= 0.
      transition_steps: Steps per factor `decay_rate`, an integer > 0.
      decay_rate: A finite number > 0.
      transition_begin: The step the decay starts at, an integer >= 0.
      staircase: Whether to decay in whole steps of `transition_steps` (a bool).
      end_value: The bound the rate is clipped at, a finite number >= 0, or None.

    Examples:
      >>> s = optax_exponential_decay(1.0, 10, 0.5, transition_begin=5, end_value=0.3)
      >>> s(5), s(15), s(100)
      (1.0, 0.5, 0.3)
    """
    return OptaxExponentialDecay(init_value, transition_steps, decay_rate, transition_begin,
                                 staircase, end_value)
