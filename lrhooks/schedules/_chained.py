"""`chained_scheduler`: PyTorch's `ChainedScheduler`, by PyTorch's own recursion.

PyTorch steps every chained scheduler in turn on the optimizer's running rate,
each with its *chainable* form (`get_lr`: a function of the rate the previous
schedulers left), so a chain is a product of the schedulers only when each is
multiplicative; a `CosineAnnealingLR` with `eta_min` or past `T_max` is not.
`ChainedScheduler` replays that recursion exactly, memoized (O(1) amortized per
step when steps come in order, as windows ask for them). This module never
imports TensorFlow.
"""

import math
from typing import Callable, Dict, Sequence, Tuple

from lrhooks.schedules._base import Composite, Schedule, documented, factory, field, schedules_arg
from lrhooks.schedules._cyclic import CosineAnnealing
from lrhooks.schedules._decays import ExponentialDecay, PolynomialDecay
from lrhooks.schedules._steps import MultiStepDecay, StepDecay
from lrhooks.schedules._warmup import ConstantLR, LinearLR

__all__ = ["ChainedScheduler", "chained_scheduler", "CHAINABLE"]

CHAINABLE = ("constant_lr", "linear_lr", "exponential_decay(lr, 1, gamma)", "step_decay",
             "multistep_decay", "polynomial_decay(lr, total_iters, 0.0, power)",
             "cosine_annealing")
"""The schedules a chain may hold: the twins of PyTorch's chainable schedulers."""

_CHECKPOINT = 256  # steps between the remembered rates a step before the last one restarts from

Step = Callable[[int, float], float]  # (epoch, running rate) -> the rate this scheduler leaves


def _constant_lr(s: ConstantLR, base: float) -> Step:
    factor, total = s.factor, s.total_iters

    def step(epoch, rate):
        if epoch == 0:
            return rate * factor
        if epoch != total:
            return rate
        return rate * (1.0 / factor)
    return step


def _linear_lr(s: LinearLR, base: float) -> Step:
    start, end, total = s.start_factor, s.end_factor, s.total_iters

    def step(epoch, rate):
        if epoch == 0:
            return rate * start
        if epoch > total:
            return rate
        return rate * (1.0 + (end - start) / (total * start + (epoch - 1) * (end - start)))
    return step


def _exponential(s: ExponentialDecay, base: float) -> Step:
    gamma = s.decay_rate
    return lambda epoch, rate: rate if epoch == 0 else rate * gamma


def _step_decay(s: StepDecay, base: float) -> Step:
    size, gamma = s.step_size, s.gamma
    return lambda epoch, rate: rate if epoch == 0 or epoch % size != 0 else rate * gamma


def _multistep(s: MultiStepDecay, base: float) -> Step:
    counts: Dict[int, int] = {}
    for milestone in s.milestones:
        counts[milestone] = counts.get(milestone, 0) + 1
    gamma = s.gamma
    return lambda epoch, rate: rate * gamma ** counts[epoch] if epoch in counts else rate


def _polynomial(s: PolynomialDecay, base: float) -> Step:
    total, power = s.decay_steps, s.power

    def step(epoch, rate):
        if epoch == 0 or epoch > total:
            return rate
        return rate * ((1.0 - epoch / total) / (1.0 - (epoch - 1) / total)) ** power
    return step


def _cosine(s: CosineAnnealing, base: float) -> Step:
    t_max, eta_min = s.t_max, s.eta_min

    def step(epoch, rate):
        if epoch == 0:
            return rate
        if (epoch - 1 - t_max) % (2 * t_max) == 0:
            return rate + (base - eta_min) * (1 - math.cos(math.pi / t_max)) / 2
        return ((1 + math.cos(math.pi * epoch / t_max))
                / (1 + math.cos(math.pi * (epoch - 1) / t_max)) * (rate - eta_min) + eta_min)
    return step


def _chainable(name: str, value) -> Tuple[Schedule, ...]:
    items = schedules_arg(name, value)
    for i, item in enumerate(items):
        ok = (isinstance(item, (LinearLR, StepDecay, MultiStepDecay, CosineAnnealing))
              or isinstance(item, ConstantLR) and item.factor > 0
              or isinstance(item, ExponentialDecay) and item.decay_steps == 1
              or isinstance(item, PolynomialDecay) and not item.cycle
              and item.end_learning_rate == 0 and float(item.decay_steps).is_integer())
        if not ok:
            raise TypeError(f"`{name}` element {i} must be a twin of a chainable PyTorch "
                            f"scheduler ({', '.join(CHAINABLE)}; constant_lr with factor > 0), "
                            f"got {item!r}")
    rates = {item.learning_rate for item in items}
    if len(rates) != 1:
        raise ValueError(f"`{name}` must all have the optimizer's rate as `learning_rate` "
                         f"(PyTorch chains schedulers of one optimizer), got "
                         f"{sorted(rates)}")
    return items


_STEPS = ((ConstantLR, _constant_lr), (LinearLR, _linear_lr), (ExponentialDecay, _exponential),
          (StepDecay, _step_decay), (MultiStepDecay, _multistep),
          (PolynomialDecay, _polynomial), (CosineAnnealing, _cosine))


@factory("chained_scheduler")
class ChainedScheduler(Composite):
    """PyTorch's `ChainedScheduler(schedulers)`: each scheduler's chainable step, in turn,
    on the running rate (see `chained_scheduler`)."""

    schedulers: Tuple[Schedule, ...] = field(_chainable)

    def __post_init__(self):
        super().__post_init__()
        base = self.schedulers[0].learning_rate
        steps = tuple(next(make for kind, make in _STEPS if isinstance(s, kind))(s, base)
                      for s in self.schedulers)
        rate = base
        for step in steps:  # each scheduler's construction steps it once (epoch 0)
            rate = step(0, rate)
        # Remembered rates, steps -> rate: every _CHECKPOINT steps, and the furthest and the
        # last step computed. Assignments only (no read-modify-write), so threads that fill
        # windows at once at worst compute a stretch twice.
        self.__dict__.update(_steps=steps, _checkpoints={0: rate}, _last=(0, rate),
                             _furthest=(0, rate))

    def _value(self, step):
        checkpoints = self._checkpoints
        start = (0, checkpoints[0])
        for known in (self._last, self._furthest):  # the nearest known rate at or before step
            if start[0] < known[0] <= step:
                start = known
        nearest = step // _CHECKPOINT * _CHECKPOINT
        if start[0] < nearest and nearest in checkpoints:
            start = (nearest, checkpoints[nearest])
        epoch, rate = start
        steps = self._steps
        while epoch < step:
            epoch += 1
            for scheduler_step in steps:
                rate = scheduler_step(epoch, rate)
            if epoch % _CHECKPOINT == 0:
                checkpoints[epoch] = rate
        self.__dict__["_last"] = (epoch, rate)
        if epoch > self._furthest[0]:
            self.__dict__["_furthest"] = (epoch, rate)
        return rate

    def _breakpoints(self, total_steps):
        return (b for s in self.schedulers for b in s.breakpoints(total_steps))


@documented
def chained_scheduler(schedulers: Sequence[Schedule]) -> ChainedScheduler:
    """PyTorch's `ChainedScheduler(schedulers)` (or the schedulers stepped one after another).

        rate(step) = f_n(step, ... f_2(step, f_1(step, rate(step - 1))))   # step > 0
        rate(0) = f_n(0, ... f_2(0, f_1(0, lr)))     # each scheduler's construction

    where `f_i(s, r)` is scheduler `i`'s chainable `get_lr` at `last_epoch = s`
    given the running rate `r`, exactly as PyTorch computes it (Python floats),
    the schedulers built on the optimizer in the order listed. E.g. `ConstantLR`:
    `r * factor` at 0, `r / factor` at `total_iters`, else `r`; `CosineAnnealingLR`:
    `(1 + cos(pi s / T)) / (1 + cos(pi (s - 1) / T)) * (r - eta_min) + eta_min`
    (with its restart rule). Each scheduler's `learning_rate` is the optimizer's
    rate (PyTorch's `initial_lr`). Unlike `product`, this is PyTorch's rate also
    for schedulers that are not multiplicative (a `cosine_annealing` with
    `eta_min`, or past `t_max`): `product` multiplies closed forms.

    Args:
      schedulers: The twins of the chained PyTorch schedulers, all with the same
        `learning_rate`: `constant_lr` (ConstantLR, factor > 0), `linear_lr`
        (LinearLR), `exponential_decay(lr, 1, gamma)` (ExponentialLR),
        `step_decay` (StepLR), `multistep_decay` (MultiStepLR),
        `polynomial_decay(lr, total_iters, 0.0, power)` (PolynomialLR),
        `cosine_annealing` (CosineAnnealingLR).

    Returns:
      A `ChainedScheduler` schedule (memoized: O(1) per step in order).

    Examples:
      >>> s = chained_scheduler([constant_lr(1.0, 0.5, 2), cosine_annealing(1.0, 4, 0.1)])
      >>> s(0), s(2), s(4)
      (0.5, 0.5585786437626905, 0.1)
    """
    return ChainedScheduler(schedulers)
