"""Warm restarts (SGDR): a decay that starts again from a peak at the end of each period.

TF's `cosine_decay_restarts`, PyTorch's `CosineAnnealingWarmRestarts` and
optax's `sgdr_schedule` (warmup-cosine cycles one after another).
This module never imports TensorFlow.
"""

import math
from typing import Iterable, Sequence, Tuple

from lrhooks import checks
from lrhooks.schedules._base import (Built, Composite, Number, Schedule, documented, factory,
                                     field, first_step, power_or_inf)
from lrhooks.schedules._cyclic import cosine_between
from lrhooks.schedules._sequences import JoinSchedules
from lrhooks.schedules._warmup_cosine import WarmupCosineDecaySchedule

__all__ = ["CosineDecayRestarts", "CosineAnnealingWarmRestarts", "SgdrSchedule",
           "cosine_decay_restarts", "cosine_annealing_warm_restarts", "sgdr_schedule"]


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


@documented
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

    Examples:
      >>> s = cosine_decay_restarts(0.1, first_decay_steps=100, t_mul=2.0, m_mul=0.5)
      >>> s(0), s(100), s(200), s(300)
      (0.1, 0.05, 0.025, 0.025)
    """
    return CosineDecayRestarts(learning_rate, first_decay_steps, t_mul, m_mul, alpha)


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
        return cosine_between(self.learning_rate, self.eta_min, t_cur / t_i)

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

    Examples:
      >>> s = cosine_annealing_warm_restarts(0.1, t_0=10, t_mult=2)
      >>> s(0), s(5), s(10), s(20), s(30)
      (0.1, 0.05, 0.1, 0.05, 0.1)
    """
    return CosineAnnealingWarmRestarts(learning_rate, t_0, t_mult, eta_min)


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
class SgdrSchedule(Built, Composite):
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

    Examples:
      >>> cycle = warmup_cosine_decay_schedule(0.0, 1.0, warmup_steps=10, decay_steps=100)
      >>> s = sgdr_schedule([cycle, cycle])
      >>> s(10), s(100), s(110)
      (1.0, 0.0, 1.0)
    """
    return SgdrSchedule(cycles)
