"""tensor2tensor's `learning_rate_schedule` factor strings (`t2t_schedule`).

A product of t2t's named factors with t2t's own arithmetic (its hparams,
`min(1, s / W)` warmups, cycling cosines). tensor2tensor evaluates in float32
(`tf.to_float(global_step)`); lrhooks computes the same formulas in float64.
Its single factors `noam` and `rsqrt_decay` are power decays (`_power_decays`).
This module never imports TensorFlow.
"""

import math
from typing import Tuple

from lrhooks import checks
from lrhooks.schedules._base import Schedule, documented, factory, field

__all__ = ["T2TSchedule", "t2t_schedule", "T2T_FACTORS"]


T2T_FACTORS = ("constant", "linear_warmup", "linear_decay", "cosdecay",
               "single_cycle_cos_decay", "multi_cycle_cos_decay", "rsqrt_decay",
               "rsqrt_normalized_decay", "exp_decay", "rsqrt_hidden_size")


def _factor_string(name: str, value) -> str:
    if not isinstance(value, str):
        raise TypeError(f"`{name}` must be a string of factors joined by '*', got {value!r}")
    factors = [f.strip() for f in value.split("*") if f.strip()]
    for factor_name in factors:
        if factor_name not in T2T_FACTORS:
            raise ValueError(f"`{name}` has an unknown factor {factor_name!r} (known: "
                             f"{', '.join(T2T_FACTORS)}), got {value!r}")
    if not factors:
        raise ValueError(f"`{name}` must name at least one factor, got {value!r}")
    return "*".join(factors)


@factory("t2t_schedule")
class T2TSchedule(Schedule):
    """The product of tensor2tensor's `learning_rate_factor`s named in `schedule`."""

    schedule: str = field(_factor_string)
    constant: float = field(checks.real, 0.1)
    warmup_steps: int = field(checks.positive_count, 100)
    decay_steps: int = field(checks.positive_count, 5000)
    train_steps: int = field(checks.positive_count, 250000)
    hidden_size: int = field(checks.positive_count, 512)
    decay_rate: float = field(checks.real, 1.0)
    decay_staircase: bool = field(checks.flag, False)

    def __post_init__(self):
        super().__post_init__()
        if "single_cycle_cos_decay" in self.factors and self.train_steps <= self.warmup_steps:
            raise ValueError(f"`train_steps` must be > `warmup_steps` ({self.warmup_steps}) "
                             f"for single_cycle_cos_decay, got {self.train_steps}")

    FACTOR_NAMES = T2T_FACTORS

    @property
    def factors(self) -> Tuple[str, ...]:
        """The factor names, in order."""
        return tuple(self.schedule.split("*"))

    def factor(self, name: str, step: int) -> float:
        """tensor2tensor's `learning_rate_factor(name, step, hparams)`."""
        s, w = float(step), float(self.warmup_steps)
        if name == "constant":
            return self.constant
        if name == "linear_warmup":
            return min(1.0, s / w)
        if name == "linear_decay":
            return min(1.0, max(0.0, (self.train_steps - s) / self.decay_steps))
        if name == "cosdecay":
            return 1.0 if s <= w else 0.5 * (1 + math.cos(math.pi * s / self.decay_steps))
        if name == "single_cycle_cos_decay":
            x = max(s, w) - w
            return math.cos(x * math.pi / (self.train_steps - w)) / 2.0 + 0.5
        if name == "multi_cycle_cos_decay":
            x = max(s, w) - w
            return math.cos(x * math.pi / self.decay_steps) / 2.0 + 0.5
        if name == "rsqrt_decay":
            return 1.0 / math.sqrt(max(s, w))
        if name == "rsqrt_normalized_decay":
            return math.sqrt(w) / math.sqrt(max(s, w))
        if name == "exp_decay":
            p = max((s - w) / self.decay_steps, 0.0)
            if self.decay_staircase:
                p = math.floor(p)
            return self.decay_rate ** p
        return self.hidden_size ** -0.5  # rsqrt_hidden_size

    def _value(self, step):
        rate = 1.0
        for name in self.factors:
            rate *= self.factor(name, step)
        return rate

    def _breakpoints(self, total_steps):
        return (self.warmup_steps, self.warmup_steps + 1)


@documented
def t2t_schedule(schedule: str, constant: float = 0.1, warmup_steps: int = 100,
                 decay_steps: int = 5000, train_steps: int = 250000, hidden_size: int = 512,
                 decay_rate: float = 1.0, decay_staircase: bool = False) -> T2TSchedule:
    """tensor2tensor's `learning_rate_schedule` hparam: a product of named factors.

    `schedule` is t2t's string, e.g. "constant*linear_warmup*rsqrt_decay*rsqrt_hidden_size"
    (`transformer_base`); the arguments are its hparams without the
    `learning_rate_` prefix. With `s` the step and `W = warmup_steps`,
    `rate = prod(factor(name, s))`:

        constant                 constant
        linear_warmup            min(1, s / W)
        linear_decay             min(1, max(0, (train_steps - s) / decay_steps))
        cosdecay                 1 if s <= W else 0.5 * (1 + cos(pi * s / decay_steps))
        single_cycle_cos_decay   cos(pi * (max(s, W) - W) / (train_steps - W)) / 2 + 0.5
        multi_cycle_cos_decay    cos(pi * (max(s, W) - W) / decay_steps) / 2 + 0.5  (keeps cycling)
        rsqrt_decay              1 / sqrt(max(s, W))
        rsqrt_normalized_decay   sqrt(W) / sqrt(max(s, W))
        exp_decay                decay_rate ** max((s - W) / decay_steps, 0)  (floored if staircase)
        rsqrt_hidden_size        hidden_size ** -0.5

    Deviations: t2t computes in float32; `legacy` and
    `optimizer_multistep_accumulate_steps` are not supported.

    Args:
      schedule: Factor names joined by '*' (spaces allowed), from the table above.
      constant: `learning_rate_constant`, a finite number >= 0.
      warmup_steps: `learning_rate_warmup_steps`, an integer > 0.
      decay_steps: `learning_rate_decay_steps`, an integer > 0.
      train_steps: `train_steps`, an integer > 0 (> W for single_cycle_cos_decay).
      hidden_size: `hidden_size`, an integer > 0.
      decay_rate: `learning_rate_decay_rate`, a finite number >= 0.
      decay_staircase: `learning_rate_decay_staircase`, a bool.

    Returns:
      A `T2TSchedule` schedule (`schedule` normalized: no spaces).

    Examples:
      >>> s = t2t_schedule('constant*linear_warmup*rsqrt_decay', constant=2.0, warmup_steps=100)
      >>> s(50), s(100), s(400)
      (0.1, 0.2, 0.1)
    """
    return T2TSchedule(schedule, constant, warmup_steps, decay_steps, train_steps, hidden_size,
                       decay_rate, decay_staircase)
