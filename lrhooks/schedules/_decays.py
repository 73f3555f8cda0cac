"""The `tf.compat.v1.train` family: constant, piecewise and decay schedules.

Each factory has the name and argument names of its `tf.compat.v1.train`
counterpart minus `global_step`: `tf.compat.v1.train.exponential_decay(lr,
global_step, 1000, 0.96)` becomes `schedules.exponential_decay(lr, 1000, 0.96)`.
A schedule maps an integer step to a Python float using TF's formula, in
float64 with exact stair/cycle/restart indices. (A TF session's constant
folding computes `step / decay_steps` as `step * (1 / decay_steps)`, so at an
exact multiple TF can be one stair, cycle or restart off, e.g. at step 428 of
a staircase with `decay_steps=428`.) Arguments are validated when the
schedule is built. This module never imports TensorFlow.

    >>> s = exponential_decay(0.1, decay_steps=1000, decay_rate=0.5, staircase=True)
    >>> s(999), s(1000)
    (0.1, 0.05)
"""

import dataclasses
import math
from typing import Iterable, Sequence, Tuple

from lrhooks import checks
from lrhooks.schedules._base import (Number, Schedule, factory, field, first_step,
                                     power_or_inf)

__all__ = [
    "Constant", "PiecewiseConstant", "ExponentialDecay", "InverseTimeDecay",
    "NaturalExpDecay", "PolynomialDecay", "CosineDecay", "CosineDecayRestarts",
    "LinearCosineDecay", "constant", "piecewise_constant", "exponential_decay",
    "inverse_time_decay", "natural_exp_decay", "polynomial_decay", "cosine_decay",
    "cosine_decay_restarts", "linear_cosine_decay"]

# A restart of `cosine_decay_restarts` within this relative distance of a step
# (at most 1e-6 first_decay_steps) counts as reached: absorbs float rounding.
_RESTART_TOLERANCE = 1e-12


def _last_true(predicate, guess: int) -> int:
    """The largest `j >= 0` with `predicate(j)`, for a predicate that holds up
    to some `j` and then never again; searched from `guess` (galloping)."""
    lo, hi, jump = (guess, None, 1) if predicate(guess) else (None, guess, 1)
    while lo is None or hi is None:
        j = max(0, hi - jump) if lo is None else lo + jump
        if predicate(j):
            lo = j
        else:
            hi = j
        jump *= 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if predicate(mid) else (lo, mid)
    return lo



@factory("constant")
class Constant(Schedule):
    """`rate = learning_rate`."""

    learning_rate: float = field(checks.real)

    def _value(self, step):
        return self.learning_rate


def constant(learning_rate: float) -> Constant:
    """A constant rate: `rate = learning_rate` at every step.

    Args:
      learning_rate: The rate, a finite number >= 0.

    Returns:
      A `Constant` schedule.

    Raises:
      TypeError: If an argument has the wrong type (a bool for a number, say).
      ValueError: If an argument is out of range (see Args).
    """
    return Constant(learning_rate)


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

    Raises:
      TypeError: If an argument has the wrong type (a bool for a number, say).
      ValueError: If an argument is out of range (see Args).
    """
    return PiecewiseConstant(boundaries, values)


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

    Returns:
      An `ExponentialDecay` schedule.

    Raises:
      TypeError: If an argument has the wrong type (a bool for a number, say).
      ValueError: If an argument is out of range (see Args).
    """
    return ExponentialDecay(learning_rate, decay_steps, decay_rate, staircase)


@factory("inverse_time_decay")
class InverseTimeDecay(_Decay):
    """`learning_rate / (1 + decay_rate * p)`, `p = step / decay_steps` (floored)."""

    def _value(self, step):
        return self.learning_rate / (1.0 + self.decay_rate * self._p(step))


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

    Returns:
      An `InverseTimeDecay` schedule.

    Raises:
      TypeError: If an argument has the wrong type (a bool for a number, say).
      ValueError: If an argument is out of range (see Args).
    """
    return InverseTimeDecay(learning_rate, decay_steps, decay_rate, staircase)


@factory("natural_exp_decay")
class NaturalExpDecay(_Decay):
    """`learning_rate * exp(-decay_rate * p)`, `p = step / decay_steps` (floored)."""

    def _value(self, step):
        return self.learning_rate * math.exp(-self.decay_rate * self._p(step))


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

    Returns:
      A `NaturalExpDecay` schedule.

    Raises:
      TypeError: If an argument has the wrong type (a bool for a number, say).
      ValueError: If an argument is out of range (see Args).
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

    Returns:
      A `PolynomialDecay` schedule.

    Raises:
      TypeError: If an argument has the wrong type (a bool for a number, say).
      ValueError: If an argument is out of range (see Args).
    """
    return PolynomialDecay(learning_rate, decay_steps, end_learning_rate, power,
                           cycle)


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


def cosine_decay(learning_rate: float, decay_steps: Number,
                 alpha: float = 0.0) -> CosineDecay:
    """Cosine decay from `learning_rate` to `alpha * learning_rate`.

        p = min(step, decay_steps) / decay_steps
        rate = learning_rate * ((1 - alpha) * 0.5 * (1 + cos(pi * p)) + alpha)

    Args:
      learning_rate: The initial rate, a finite number >= 0.
      decay_steps: Steps to decay over, an int or finite float > 0.
      alpha: The final rate as a fraction of `learning_rate`, finite and >= 0.

    Returns:
      A `CosineDecay` schedule.

    Raises:
      TypeError: If an argument has the wrong type (a bool for a number, say).
      ValueError: If an argument is out of range (see Args).
    """
    return CosineDecay(learning_rate, decay_steps, alpha)


@factory("cosine_decay_restarts")
class CosineDecayRestarts(Schedule):
    """SGDR: `learning_rate * ((1 - alpha) * 0.5 * m_mul ** i * (1 + cos(pi * p))
    + alpha)` in period `i` (of `first_decay_steps * t_mul ** i` steps)."""

    learning_rate: float = field(checks.real)
    first_decay_steps: Number = field(checks.positive_steps)
    t_mul: float = field(checks.positive, 2.0)
    m_mul: float = field(checks.real, 1.0)
    alpha: float = field(checks.real, 0.0)

    def _sum(self, i: int) -> float:
        """`S(i)`: where period `i` starts, in units of `first_decay_steps`."""
        t = self.t_mul
        return float(i) if t == 1.0 else (1.0 - power_or_inf(t, i)) / (1.0 - t)

    def _restart(self, step: int) -> Tuple[int, float]:
        """Returns `(i, p)`: the period index and the fraction of it done."""
        t, f = self.t_mul, step / self.first_decay_steps
        tolerance = min(_RESTART_TOLERANCE * (1.0 + f), 1e-6)
        if t < 1.0 and f >= 1.0 / (1.0 - t) - 2.0 * tolerance:
            raise ValueError(
                f"`step` must be < {self.first_decay_steps / (1.0 - t)!r} "
                f"(first_decay_steps / (1 - t_mul), where the restarts of "
                f"t_mul < 1 accumulate), got {step}")
        if t == 1.0:
            i = math.floor(f)
        else:  # TF's estimate; it can be one short exactly at a restart.
            i = max(0, math.floor(math.log(1.0 - f * (1.0 - t)) / math.log(t)))
        i = _last_true(lambda j: self._sum(j) <= f + tolerance, i)
        p = (f - self._sum(i)) / t ** i
        return i, min(max(p, 0.0), 1.0)

    def _index(self, step: int) -> float:
        try:
            return self._restart(step)[0]
        except ValueError:  # At or past the limit of a t_mul < 1.
            return math.inf

    def _value(self, step):
        i, p = self._restart(step)
        cosine = 0.5 * power_or_inf(self.m_mul, i) * (1.0 + math.cos(math.pi * p))
        return self.learning_rate * ((1.0 - self.alpha) * cosine + self.alpha)

    def _start(self, k: int) -> int:
        """The first step of period `k`."""
        return first_step(lambda s: self._index(s) >= k,
                           self.first_decay_steps * self._sum(k))

    def _breakpoints(self, total_steps):
        t, first, k = self.t_mul, self.first_decay_steps, 1
        end = total_steps if t >= 1.0 else min(total_steps, math.ceil(first / (1 - t)))
        while first * self._sum(k) < end:
            if first * power_or_inf(t, k) >= 1.0:  # Period k lasts a step or more.
                yield self._start(k)
                k += 1
                continue
            # Periods k, k + 1, ... are shorter than a step, so every step
            # starts a period until one lasts a step again (period `later`).
            if t <= 1.0:
                yield from range(self._start(k), end)
                return
            later = max(k + 1, math.ceil(-math.log(first) / math.log(t)))
            while first * t ** later < 1.0:
                later += 1
            while later > k + 1 and first * t ** (later - 1) >= 1.0:
                later -= 1
            yield from range(self._start(k), min(end, self._start(later)))
            k = later


def cosine_decay_restarts(learning_rate: float, first_decay_steps: Number,
                          t_mul: float = 2.0, m_mul: float = 1.0,
                          alpha: float = 0.0) -> CosineDecayRestarts:
    """Cosine decay with warm restarts (SGDR, Loshchilov & Hutter 2017).

    Period `i` (from 0) lasts `first_decay_steps * t_mul ** i` steps and peaks
    at `m_mul ** i * learning_rate`. With `f = step / first_decay_steps` and
    `S(i) = (1 - t_mul ** i) / (1 - t_mul)` (`S(i) = i` if `t_mul == 1`):

        i = floor(log(1 - f * (1 - t_mul)) / log(t_mul))  # S(i) <= f < S(i+1)
        p = (f - S(i)) / t_mul ** i
        rate = learning_rate * ((1 - alpha) * 0.5 * m_mul ** i * (1 + cos(pi * p))
                                + alpha)

    Unlike TF, `i` is exact (`S(i) <= f < S(i + 1)`). At an exact restart
    step TF's `floor(log(...) / log(t_mul))` can round to `i - 1` (e.g. float64
    steps 7, 28, 280 for `first_decay_steps=7, t_mul=3`) and then gives
    `alpha * learning_rate`, the end of the previous period, instead of the
    restart peak. A restart within a relative 1e-12 of a step counts as
    reached, so with `first_decay_steps=10, t_mul=1.1` step 21 (= 10 + 11) is
    a restart although the float 1.1 is a bit more than 11/10. With
    `t_mul < 1` the restarts accumulate at step `first_decay_steps /
    (1 - t_mul)`; from there on TF returns NaN and calling the schedule
    raises ValueError.

    Args:
      learning_rate: The initial rate, a finite number >= 0.
      first_decay_steps: Length of period 0, an int or finite float > 0.
      t_mul: Period length factor per restart, a finite number > 0.
      m_mul: Peak rate factor per restart, a finite number >= 0.
      alpha: The minimum rate as a fraction of `learning_rate`, finite, >= 0.

    Returns:
      A `CosineDecayRestarts` schedule.

    Raises:
      TypeError: If an argument has the wrong type (a bool for a number, say).
      ValueError: If an argument is out of range (see Args).
    """
    return CosineDecayRestarts(learning_rate, first_decay_steps, t_mul, m_mul, alpha)


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

    Returns:
      A `LinearCosineDecay` schedule.

    Raises:
      TypeError: If an argument has the wrong type (a bool for a number, say).
      ValueError: If an argument is out of range (see Args).
    """
    return LinearCosineDecay(learning_rate, decay_steps, num_periods, alpha, beta)
