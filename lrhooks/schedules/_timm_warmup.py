"""timm's warmup, and timm's schedulers behind it: step, multistep and WSD.

`TimmWarmup` is timm's warmup in front of a schedule of timm's `t`, with timm's
own step-0 rule; `timm_step`, `timm_multistep` and `timm_wsd` are timm's
`StepLRScheduler`, `MultiStepLRScheduler` and `WSDLRScheduler`. The arguments
are the scheduler class's (without the optimizer; `learning_rate` is the
optimizer's rate) and a step is timm's `t` (an update with `t_in_epochs=False`,
an epoch otherwise). Noise (`noise_range_t`) is not supported: it is a stateful
random draw. timm's cycles are in `_timm_cycles`, its plateau in `_plateau`.
This module never imports TensorFlow.
"""

import bisect
import math
from typing import Optional, Sequence, Tuple

from lrhooks import checks
from lrhooks.schedules._base import (Number, Schedule, documented, factory, field, optional,
                                     power_or_inf, with_fields)
from lrhooks.schedules._steps import non_decreasing_milestones

__all__ = ["TimmStep", "TimmMultistep", "TimmWsd", "timm_step", "timm_multistep", "timm_wsd",
           "TimmWarmup", "warmup_fields", "WARMUP_ARGS"]


def warmup_fields():
    """timm's warmup arguments (`warmup_t`, `warmup_lr_init`, `warmup_prefix`), fresh."""
    return dict(warmup_t=(int, field(checks.non_negative_count, 0)),
                warmup_lr_init=(float, field(checks.real, 0.0)),
                warmup_prefix=(bool, field(checks.flag, False)))


class TimmWarmup(Schedule):
    """timm's warmup in front of a schedule of `t` (`_after(t)`), as its `_get_lr`.

    At `t = 0` without a warmup: `learning_rate`, the rate timm's optimizer holds
    from its construction to the first `step(t)` (timm's `_get_lr(0)` can differ:
    `TanhLRScheduler`'s is below it, a `MultiStepLRScheduler` milestone <= 1
    decays it). For `t < warmup_t`: `warmup_lr_init + t * (target - warmup_lr_init) / warmup_t`,
    `target` being `learning_rate` (`_warmup_target`); then `_after(t - warmup_t)`
    with `warmup_prefix`, else `_after(t)`. Subclasses are dataclasses with the
    fields `learning_rate`, `warmup_t`, `warmup_lr_init` and `warmup_prefix`.
    """

    def _after(self, t: int) -> float:
        raise NotImplementedError

    def _after_breakpoints(self, total_steps: int):
        """The breakpoints of `_after`, in its own `t`."""
        return ()

    def _warmup_target(self) -> float:
        return self.learning_rate

    def _value(self, step):
        if step == 0 and not self.warmup_t:
            # timm's optimizer trains at its construction rate until the first `step(t)`
            # (with a warmup, at `warmup_lr_init`, which is `_get_lr(0)`).
            return self.learning_rate
        if step < self.warmup_t:
            warmup_step = (self._warmup_target() - self.warmup_lr_init) / self.warmup_t
            return self.warmup_lr_init + step * warmup_step
        return self._after(step - self.warmup_t if self.warmup_prefix else step)

    def _breakpoints(self, total_steps):
        shift = self.warmup_t if self.warmup_prefix else 0
        if self.warmup_t:
            yield self.warmup_t
        yield from (shift + b for b in self._after_breakpoints(total_steps - shift))


WARMUP_ARGS = """
      warmup_t: Warmup steps, an integer >= 0.
      warmup_lr_init: The rate at step 0 of the warmup, a finite number >= 0.
      warmup_prefix: False: the warmup ramps linearly from `warmup_lr_init`
        towards `learning_rate` (reaching
        `warmup_lr_init + (warmup_t - 1) / warmup_t * (learning_rate - warmup_lr_init)`)
        and then the rate jumps to the schedule at `t = warmup_t`, whose first
        `warmup_t` steps are replaced. True: the schedule starts after the warmup
        (`t = step - warmup_t`)."""


_PREFIX_DEFAULT = """
        True is the default of `StepLRScheduler` and `MultiStepLRScheduler`; timm's
        `create_scheduler_v2` and `train.py` pass `warmup_prefix=False` (their
        `--warmup-prefix` is off by default): give it here too."""


def _prefixed_warmup_fields():
    """timm's warmup arguments with `warmup_prefix=True`, the step schedulers' default."""
    fields = warmup_fields()
    fields["warmup_prefix"] = (bool, field(checks.flag, True))
    return fields


@factory("timm_step")
@with_fields(_prefixed_warmup_fields, after="decay_rate")
class TimmStep(TimmWarmup):
    """`learning_rate * decay_rate ** (t // decay_t)` after timm's warmup."""

    learning_rate: float = field(checks.real)
    decay_t: Number = field(checks.positive_steps)
    decay_rate: float = field(checks.real, 1.0)

    def _after(self, t):
        return self.learning_rate * power_or_inf(self.decay_rate, t // self.decay_t)

    def _after_breakpoints(self, total_steps):
        count = int(total_steps // self.decay_t) + 1
        return (math.ceil(k * self.decay_t) for k in range(1, count + 1))


@documented(args=WARMUP_ARGS + _PREFIX_DEFAULT)
def timm_step(learning_rate: float, decay_t: Number, decay_rate: float = 1.0,
              warmup_t: int = 0, warmup_lr_init: float = 0.0,
              warmup_prefix: bool = True) -> TimmStep:
    """timm's `StepLRScheduler` (`--sched step`):
    the rate its optimizer trains at, `_get_lr(t)` (at `t = 0` without a warmup,
    `learning_rate`: timm sets the rate only from `step(1)` on).

        t < warmup_t:  rate = warmup_lr_init + t * (learning_rate - warmup_lr_init) / warmup_t
        otherwise (t -= warmup_t if warmup_prefix):
          rate = learning_rate * decay_rate ** (t // decay_t)

    Args:
      learning_rate: The optimizer's rate, a finite number >= 0.
      decay_t: Steps per decay, an integer or finite float > 0.
      decay_rate: The factor per decay, a finite number >= 0.

    Examples:
      >>> s = timm_step(1.0, decay_t=10, decay_rate=0.5, warmup_t=2, warmup_lr_init=0.5)
      >>> s(0), s(1), s(2), s(12)
      (0.5, 0.75, 1.0, 0.5)
    """
    return TimmStep(learning_rate, decay_t, decay_rate, warmup_t, warmup_lr_init, warmup_prefix)


@factory("timm_multistep")
@with_fields(_prefixed_warmup_fields, after="decay_rate")
class TimmMultistep(TimmWarmup):
    """`learning_rate * decay_rate ** bisect_right(decay_t, t + 1)` after timm's warmup."""

    learning_rate: float = field(checks.real)
    decay_t: Tuple[int, ...] = field(non_decreasing_milestones)
    decay_rate: float = field(checks.real, 1.0)

    def _after(self, t):
        return self.learning_rate * power_or_inf(
            self.decay_rate, bisect.bisect_right(self.decay_t, t + 1))

    def _after_breakpoints(self, total_steps):
        return (m - 1 for m in self.decay_t if m > 0)


@documented(args=WARMUP_ARGS + _PREFIX_DEFAULT)
def timm_multistep(learning_rate: float, decay_t: Sequence[int], decay_rate: float = 1.0,
                   warmup_t: int = 0, warmup_lr_init: float = 0.0,
                   warmup_prefix: bool = True) -> TimmMultistep:
    """timm's `MultiStepLRScheduler` (`--sched multistep`):
    the rate its optimizer trains at, `_get_lr(t)` (at `t = 0` without a warmup,
    `learning_rate`: timm sets the rate only from `step(1)` on).

        t < warmup_t:  rate = warmup_lr_init + t * (learning_rate - warmup_lr_init) / warmup_t
        otherwise (t -= warmup_t if warmup_prefix):
          rate = learning_rate * decay_rate ** bisect_right(decay_t, t + 1)

    So a milestone `m` takes effect at `t = m - 1`, one step before PyTorch's
    `MultiStepLR` (timm keeps this convention on purpose; `multistep_decay` is
    PyTorch's).

    Args:
      learning_rate: The optimizer's rate, a finite number >= 0.
      decay_t: The milestones, integers >= 0, non-decreasing (as in timm, one
        listed twice decays twice).
      decay_rate: The factor per milestone, a finite number >= 0.

    Examples:
      >>> s = timm_multistep(1.0, decay_t=[10, 20], decay_rate=0.5)
      >>> s(8), s(9), s(19)
      (1.0, 0.5, 0.25)
    """
    return TimmMultistep(learning_rate, decay_t, decay_rate, warmup_t, warmup_lr_init,
                         warmup_prefix)


_STABLE_FNS = ("constant", "rsqrt", "power")


_DECAY_FNS = ("linear", "1-sqrt", "cosine", "power", "exp")


@factory("timm_wsd")
@with_fields(lambda: {k: v for k, v in warmup_fields().items() if k != "warmup_prefix"},
             after="decay_ratio")
class TimmWsd(TimmWarmup):
    """`lr_min + (max(lr * stable(t_s), lr_min) - lr_min) * decay(frac)` after a warmup."""

    warmup_prefix = True  # WSD's warmup is always a prefix (not an argument)

    learning_rate: float = field(checks.real)
    t_initial: int = field(checks.positive_count)
    decay_t: int = field(checks.positive_count)
    lr_min: float = field(checks.real, 0.0)
    stable_fn: str = field(checks.choice, "constant", options=_STABLE_FNS)
    stable_timescale: Optional[Number] = field(optional(checks.positive_steps), None)
    stable_power: float = field(checks.positive, 0.5)
    decay_fn: str = field(checks.choice, "1-sqrt", options=_DECAY_FNS)
    decay_power: float = field(checks.positive, 0.5)
    decay_ratio: float = field(checks.interval, 0.1, low=0.0, high=1.0, low_open=True,
                               high_open=True)

    def __post_init__(self):
        super().__post_init__()
        if self.decay_t > self.t_initial:
            raise ValueError(f"`decay_t` must be <= `t_initial` ({self.t_initial}), "
                             f"got {self.decay_t}")
        if self.stable_fn != "constant" and self.timescale is None:
            raise ValueError(f"`stable_timescale` must be given for stable_fn="
                             f"{self.stable_fn!r} when `warmup_t` is 0 (it defaults to "
                             f"`warmup_t`), got None")

    @property
    def timescale(self) -> Optional[Number]:
        """`stable_timescale`, or timm's default `warmup_t` (None where that is 0)."""
        if self.stable_timescale is not None:
            return self.stable_timescale
        return self.warmup_t or None

    def _stable(self, t_s: int) -> float:
        if self.stable_fn == "constant":
            return 1.
        power = 0.5 if self.stable_fn == "rsqrt" else self.stable_power
        return (1. + t_s / self.timescale) ** -power

    def _decay(self, frac: float) -> float:
        if self.decay_fn == "linear":
            return 1. - frac
        if self.decay_fn == "1-sqrt":
            return 1. - math.sqrt(frac)
        if self.decay_fn == "cosine":
            return 0.5 * (1. + math.cos(math.pi * frac))
        if self.decay_fn == "power":
            return 1. - frac ** self.decay_power
        r = self.decay_ratio
        return (r ** frac - r) / (1. - r)

    def _after(self, t):
        stable = max(self.learning_rate * self._stable(t), self.lr_min)
        t_decay = t - (self.t_initial - self.decay_t)
        if t_decay <= 0:
            return stable
        decay = self._decay(min(t_decay / self.decay_t, 1.))
        return self.lr_min + (stable - self.lr_min) * decay

    def _after_breakpoints(self, total_steps):
        return (self.t_initial - self.decay_t, self.t_initial)


@documented
def timm_wsd(learning_rate: float, t_initial: int, decay_t: int, lr_min: float = 0.0,
             stable_fn: str = "constant", stable_timescale: Optional[Number] = None,
             stable_power: float = 0.5, decay_fn: str = "1-sqrt", decay_power: float = 0.5,
             decay_ratio: float = 0.1, warmup_t: int = 0,
             warmup_lr_init: float = 0.0) -> TimmWsd:
    """timm's `WSDLRScheduler` (`--sched wsd` / `rsqrt`):
    the rate its optimizer trains at, `_get_lr(t)` (at `t = 0` without a warmup,
    `learning_rate`: timm sets the rate only from `step(1)` on).

        t < warmup_t:  rate = warmup_lr_init + t * (learning_rate - warmup_lr_init) / warmup_t
        t_s = t - warmup_t;  stable = max(learning_rate * stable_fn(t_s), lr_min)
        frac = min((t_s - (t_initial - decay_t)) / decay_t, 1)
        rate = stable                                        # frac <= 0
        rate = lr_min + (stable - lr_min) * decay_fn(frac)   # otherwise

    with `stable_fn`: 'constant' 1, 'rsqrt' `(1 + t_s / tau) ** -0.5`, 'power'
    `(1 + t_s / tau) ** -stable_power` (`tau = stable_timescale`, default
    `warmup_t`), and `decay_fn`: 'linear' `1 - frac`, '1-sqrt' `1 - sqrt(frac)`,
    'cosine' `0.5 * (1 + cos(pi * frac))`, 'power' `1 - frac ** decay_power`,
    'exp' `(r ** frac - r) / (1 - r)` with `r = decay_ratio`. The warmup is
    always a prefix: `lr_min` is held from `t = warmup_t + t_initial` on. A
    callable `decay_fn` is a Python callable schedule, not a flag.

    Args:
      learning_rate: The stable rate, a finite number >= 0.
      t_initial: The stable and decay phases' length, an integer > 0.
      decay_t: The decay phase's length, an integer in [1, t_initial].
      lr_min: The rate at the end of the decay, a finite number >= 0.
      stable_fn: 'constant', 'rsqrt' or 'power'.
      stable_timescale: `tau`, an integer or finite float > 0, or None for
        `warmup_t` (then required > 0 unless stable_fn='constant').
      stable_power: The 'power' stable exponent, a finite number > 0.
      decay_fn: 'linear', '1-sqrt', 'cosine', 'power' or 'exp'.
      decay_power: The 'power' decay exponent, a finite number > 0.
      decay_ratio: The 'exp' decay's `r`, in (0, 1).
      warmup_t: Warmup steps, an integer >= 0.
      warmup_lr_init: The rate at step 0 of the warmup, a finite number >= 0.

    Examples:
      >>> s = timm_wsd(1.0, t_initial=100, decay_t=20, decay_fn='linear')
      >>> s(0), s(80), s(90), s(100)
      (1.0, 1.0, 0.5, 0.0)
    """
    return TimmWsd(learning_rate, t_initial, decay_t, lr_min, stable_fn, stable_timescale,
                   stable_power, decay_fn, decay_power, decay_ratio, warmup_t, warmup_lr_init)
