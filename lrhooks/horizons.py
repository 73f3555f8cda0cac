"""Where a schedule ends: its horizon, and the one-line warning when it is not the run's.

A schedule's *horizon* is the step at which it finishes: the end of the decay it was
planned for (cosine, polynomial and linear-cosine decays, one-cycle,
warmup-stable-decay, the `*_with_warmup` decays, timm's cycles after `cycle_limit`,
...). It is the number to compare with a run's `--train_steps`. From there on the
schedule holds its end value, except the periodic formulas of `RISES_AFTER_HORIZON`,
which rise again:

    >>> from lrhooks import horizons, schedules
    >>> horizons.horizon(schedules.cosine_decay(0.1, decay_steps=1000))
    1000
    >>> horizons.horizon(schedules.warmup(schedules.cosine_decay(0.1, 1000), 100))
    1100
    >>> horizons.horizon(schedules.exponential_decay(0.1, 1000, 0.5)) is None
    True

`None` for schedules that do not finish:

* those that go on changing for ever: exponential, inverse-time and natural-exp
  decays (their `decay_steps` is a period, not an end), cyclic and restarting
  schedules, the power decays (`inverse_sqrt`, `noam`, ...), plateaus;
* step schedules (`piecewise_constant`, `step_decay`, `multistep_decay`, ...): their
  boundaries are milestones, and training past the last one at the last value is
  what they say, not a run that outlived its plan;
* ramps that end at the rate they then keep (`constant`, `constant_lr`,
  `linear_lr`, `swalr`, `constant_schedule_with_warmup`).

Compositions derive it: a warmup moves its schedule's horizon by `warmup_steps`,
`sequential` and `join_schedules` by where their last part starts, `with_offset` by
its offset; a product or scaling finishes where its last finishing part does (None
if a part never settles). PyTorch's `cosine_annealing` (`t_max`) and transformers'
cosine `*_with_warmup` (`num_training_steps`) have a horizon although their formulas
rise again after it: a run that outlives them is exactly the one to warn about.

This module imports neither TensorFlow nor absl.
"""

import math
from typing import Callable, Dict, Optional, Tuple

from lrhooks import schedules as S

__all__ = ["horizon", "horizon_warning", "tie_hint", "known_factories", "RISES_AFTER_HORIZON"]

# Factories whose formula goes on (periodically) after their horizon instead of holding.
RISES_AFTER_HORIZON = ("cosine_annealing", "cosine_schedule_with_warmup",
                       "cosine_with_min_lr_schedule_with_warmup",
                       "cosine_with_min_lr_schedule_with_warmup_lr_rate")

# (the step from which the value never changes, or None; whether that is a planned end).
_End = Tuple[Optional[int], bool]
_GOES_ON: _End = (None, False)
_CONSTANT: _End = (0, False)


def _finishes(steps) -> _End:
    return (int(steps), True)


def _ramp(steps) -> _End:
    return (int(steps), False)


def _shift(inner: _End, by: int, at_least: int = 0) -> _End:
    settle, finishes = inner
    if settle is None:
        return _GOES_ON
    return (max(at_least, by + settle), finishes)


def _combined(parts) -> _End:
    """A product of parts: settled once every part is; finishes if any part does."""
    ends = [_end(part) for part in parts]
    if any(settle is None for settle, _ in ends):
        return _GOES_ON
    return (max(settle for settle, _ in ends), any(finishes for _, finishes in ends))


def _with_warmup(schedule):
    """transformers' `*_with_warmup` decays: they end at `num_training_steps`."""
    return _finishes(max(schedule.num_warmup_steps, schedule.num_training_steps))


def _polynomial(s) -> _End:
    return _GOES_ON if s.cycle else _finishes(math.ceil(s.decay_steps))


def _sequential(s) -> _End:
    if s.final is not None:
        return _shift(_end(s.final), s._end)  # pylint: disable=protected-access
    start = s._end - s.parts[-1][0]  # pylint: disable=protected-access
    return _shift(_end(s.parts[-1][1]), start)


def _join(s) -> _End:
    start = s.boundaries[-1] if s.boundaries else 0
    return _shift(_end(s.schedules[-1]), start)


def _warmup(s) -> _End:
    w = s.warmup_steps
    return _shift(_end(s.schedule), w if s.offset else 0, at_least=w)


def _timm_cycles(s) -> _End:
    m, t = s.cycle_mul, s.t_initial
    start = s._start(s.cycle_limit)  # pylint: disable=protected-access
    if m < 1:
        start = min(start, t / (1 - m))
    shift = s.warmup_t if s.warmup_prefix else 0
    return (max(s.warmup_t, shift + math.ceil(start)), True)


def _timm_wsd(s) -> _End:
    shift = s.warmup_t if getattr(s, "warmup_prefix", False) else 0
    return (max(s.warmup_t, shift + s.t_initial), True)


_ENDS: Dict[str, Callable[..., _End]] = {
    # Decays that finish at a length they are given.
    "cosine_decay": lambda s: _finishes(math.ceil(s.decay_steps)),
    "linear_cosine_decay": lambda s: _finishes(math.ceil(s.decay_steps)),
    "noisy_linear_cosine_decay": lambda s: _finishes(math.ceil(s.decay_steps)),
    "cosine_decay_schedule": lambda s: _finishes(s.decay_steps),
    "polynomial_decay": _polynomial,
    "cosine_annealing": lambda s: _finishes(math.ceil(s.t_max)),
    "one_cycle": lambda s: _finishes(s.total_steps),
    "one_cycle_momentum": lambda s: _finishes(s.schedule.total_steps),
    "warmup_stable_decay": lambda s: _finishes(
        s.num_warmup_steps + s.num_stable_steps + s.num_decay_steps),
    "linear_schedule_with_warmup": _with_warmup,
    "polynomial_decay_schedule_with_warmup": _with_warmup,
    "cosine_schedule_with_warmup": _with_warmup,
    "cosine_with_hard_restarts_schedule_with_warmup": _with_warmup,
    "cosine_with_min_lr_schedule_with_warmup": _with_warmup,
    "cosine_with_min_lr_schedule_with_warmup_lr_rate": _with_warmup,
    "power_and_linear_decay": lambda s: (  # without its linear part: a power decay
        _finishes(s.offset + s.total_decay_steps) if s.linear_decay_fraction > 0
        else _GOES_ON),
    "timm_cosine": _timm_cycles,
    "timm_tanh": _timm_cycles,
    "timm_poly": _timm_cycles,
    "timm_wsd": _timm_wsd,
    # Ramps to the rate they keep.
    "constant": lambda s: _CONSTANT,
    "constant_lr": lambda s: _ramp(s.total_iters),
    "linear_lr": lambda s: _ramp(s.total_iters),
    "swalr": lambda s: _ramp(s.anneal_epochs),
    "constant_schedule_with_warmup": lambda s: _ramp(s.num_warmup_steps),
    # Compositions.
    "warmup": _warmup,
    "polynomial_warmup": lambda s: _shift(_end(s.schedule), 0, at_least=s.warmup_steps),
    "sequential": _sequential,
    "join_schedules": _join,
    "with_offset": lambda s: _shift(_end(s.schedule), s.offset),
    "scaled": lambda s: _end(s.schedule),
    "linear_scaling": lambda s: _end(s.schedule),
    "product": lambda s: _combined(s.schedules),
    "chained_scheduler": lambda s: _combined(s.schedulers),
    # Never finished: periods, cycles, restarts, power decays, step schedules, plateaus.
    **{name: (lambda s: _GOES_ON) for name in (
        "exponential_decay", "inverse_time_decay", "natural_exp_decay",
        "optax_exponential_decay", "cosine_decay_restarts", "cosine_annealing_warm_restarts",
        "cyclic", "cyclic_momentum", "inverse_sqrt", "noam", "rsqrt_decay",
        "direct_power_decay", "power_decay_with_offset", "t2t_schedule",
        "piecewise_constant", "piecewise_constant_schedule", "piecewise_interpolate_schedule",
        "step_cosine_decay_with_offset", "step_decay", "multistep_decay", "timm_step",
        "timm_multistep", "reduce_lr_on_plateau", "timm_plateau")},
}


def known_factories() -> Tuple[str, ...]:
    """The factory names whose horizon this module knows (every spec factory)."""
    return tuple(sorted(set(_ENDS) | {"cosine_onecycle_schedule", "linear_onecycle_schedule",
                                      "warmup_cosine_decay_schedule", "sgdr_schedule"}))


def _end(schedule: S.Schedule) -> _End:
    rule = _ENDS.get(schedule.factory_name)
    if rule is not None:
        return rule(schedule)
    if isinstance(schedule, S._base.Built):  # pylint: disable=protected-access
        return _end(schedule.built)  # optax's one-cycles, warmup-cosine, SGDR: their parts
    return _GOES_ON  # a schedule this module does not know: no claim


# Factory -> the argument that is its length, for the fix a warning names.
_LENGTH_ARGUMENT = {
    **dict.fromkeys(("cosine_decay", "linear_cosine_decay", "noisy_linear_cosine_decay",
                     "cosine_decay_schedule", "polynomial_decay", "warmup_cosine_decay_schedule"),
                    "decay_steps"),
    "one_cycle": "total_steps", "cosine_onecycle_schedule": "transition_steps",
    "linear_onecycle_schedule": "transition_steps", "cosine_annealing": "t_max",
    **dict.fromkeys(("linear_schedule_with_warmup", "polynomial_decay_schedule_with_warmup",
                     "cosine_schedule_with_warmup",
                     "cosine_with_hard_restarts_schedule_with_warmup",
                     "cosine_with_min_lr_schedule_with_warmup",
                     "cosine_with_min_lr_schedule_with_warmup_lr_rate"), "num_training_steps"),
}


def tie_hint(schedule: S.Schedule, before: int = 0) -> Optional[str]:
    """'decay_steps=train_steps-100': how to write `schedule`'s length as the run's, if known.

    `before` is how many steps of the run come before the schedule's step 0.
    """
    def length(argument: str, taken: int) -> str:
        return f"{argument}=train_steps" + (f"-{taken}" if taken > 0 else "")

    name = schedule.factory_name
    if name in _LENGTH_ARGUMENT:
        return length(_LENGTH_ARGUMENT[name], before)
    if name == "warmup_stable_decay":
        return length("num_stable_steps",
                      before + schedule.num_warmup_steps + schedule.num_decay_steps)
    if name == "power_and_linear_decay":
        return length("total_decay_steps", before + schedule.offset)
    if name == "warmup":
        shift = schedule.warmup_steps if schedule.offset else 0
        return tie_hint(schedule.schedule, before + shift)
    if name in ("scaled", "linear_scaling", "polynomial_warmup"):
        return tie_hint(schedule.schedule, before)
    if name == "with_offset":
        return tie_hint(schedule.schedule, before + schedule.offset)
    if name == "sequential" and schedule.final is not None:
        return tie_hint(schedule.final, before + schedule._end)  # pylint: disable=protected-access
    return None


def horizon(schedule: S.Schedule) -> Optional[int]:
    """The step at which `schedule` finishes (the end of its planned decay), or None.

    Args:
      schedule: Any schedule of `lrhooks.schedules`.

    Returns:
      The horizon (an int >= 0), or None for a schedule that does not finish (see the
      module docstring: periods, cycles, step schedules, ramps, plateaus).

    Raises:
      TypeError: `schedule` is not a `Schedule`.
    """
    if not isinstance(schedule, S.Schedule):
        raise TypeError(f"`schedule` must be a lrhooks.schedules.Schedule, got {schedule!r}")
    settle, finishes = _end(schedule)
    return settle if finishes else None


def horizon_warning(schedule: S.Schedule, train_steps: int) -> Optional[str]:
    """One line when `schedule` finishes at a step other than the run's end, else None.

    Args:
      schedule: The run's schedule (resolved: no `train_steps` left in it).
      train_steps: The run's `--train_steps`.

    Returns:
      E.g. "the schedule ends at step 3500 but --train_steps=200: only its first 200 steps
      run (...); write total_steps=train_steps in --lr_schedule to tie it to the run".
    """
    end = horizon(schedule)
    if end is None or end == train_steps:
        return None
    if end > train_steps:
        what = (f"only its first {train_steps} steps run (it is planned for {end}; the rate "
                f"at the last step is {schedule(max(0, train_steps - 1)):.6g}, not its end "
                f"value {schedule(end):.6g})")
    else:
        what = (f"steps {end}..{train_steps - 1} train at its end value {schedule(end):.6g}")
    tie = tie_hint(schedule)
    fix = (f"write {tie} in --lr_schedule" if tie
           else "write its length as `train_steps` in --lr_schedule")
    return (f"the schedule ends at step {end} but --train_steps={train_steps}: {what}; "
            f"{fix} to tie it to the run")
