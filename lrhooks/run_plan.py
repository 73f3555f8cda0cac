"""Re-planning a schedule when a run's length changes (`--train_steps` of a resumed run).

A run trained `trained_step` steps of `old` (its schedule for `old_steps` steps) and goes on
to `new_steps`. What it follows next is chosen by `extend` (the programs' `--extend`):

* `replan` (the default): the same template resolved for the new length. Only where it is
  *well defined*: the new plan gives every step already trained (`0 .. trained_step - 1`)
  the rate it had, compared exactly (`first_difference`). Warmup-stable-decay in its
  stable phase keeps its warmup and stable phase and moves its cooldown; a fixed schedule
  (no `train_steps` in it) is unchanged. Cosine, one-cycle, polynomial, ... tied to the
  run's length cannot be re-planned once trained: stretching them changes every rate
  after their first steps. A fixed schedule that would end before the new length is not a
  plan for it either (steps past its horizon would train at its end value).
* `reheat` (warmup-stable-decay only, its cooldown started): the steps trained keep their
  rates; from `trained_step` on, the new plan: back to the stable rate, the cooldown
  moved to the new end.
* `restart`: the steps trained keep their rates; from `trained_step` on, the template
  resolved for the steps left (`new_steps - trained_step`) from its own step 0 (a fixed
  schedule: the same schedule again), e.g. a second one-cycle.
* `hold`: the old schedule as it is: past its end, its end value (said in one line).

Anything else is a `PlanError`: one line saying where the schedule ended (or which trained
step would change) and naming the `--extend` choices. Pure Python: no TensorFlow, no absl.
"""

import dataclasses
from typing import Callable, Optional, Tuple

from lrhooks import checks
from lrhooks import horizons
from lrhooks import schedules
from lrhooks import spec as spec_lib

__all__ = ["EXTEND_CHOICES", "Plan", "PlanError", "first_difference", "replan", "extend_plan"]

EXTEND_CHOICES = ("replan", "reheat", "restart", "hold")
# Steps compared one by one; past it, every breakpoint of both schedules (and its neighbours)
# and EXACT_STEPS evenly spaced steps (the closed forms agree or differ at those).
EXACT_STEPS = 1_000_000


class PlanError(ValueError):
    """A length change that has no well-defined plan; the message is one line."""


@dataclasses.dataclass(frozen=True)
class Plan:
    """What a run follows after a change of length.

    Attributes:
      schedule: The schedule for the whole run (steps already trained included).
      lines: What to print: "re-planned: ...", "restarted: ...", a warning.
      extend: The choice that made it (one of EXTEND_CHOICES).
    """

    schedule: schedules.Schedule
    lines: Tuple[str, ...]
    extend: str


def first_difference(a: Callable[[int], float], b: Callable[[int], float],
                     end: int) -> Optional[int]:
    """The first step in `[0, end)` where `a` and `b` differ, or None.

    Every step up to `EXACT_STEPS`; past it, the breakpoints of both schedules with their
    neighbours and `EXACT_STEPS` evenly spaced steps.
    """
    end = checks.step(end, "end")
    if end <= EXACT_STEPS:
        steps = range(end)
    else:
        found = set(range(0, end, max(1, end // EXACT_STEPS)))
        for schedule in (a, b):
            if isinstance(schedule, schedules.Schedule):
                for point in schedule.breakpoints(end):
                    found.update(s for s in (point - 1, point, point + 1) if 0 <= s < end)
        steps = sorted(found)
    for step in steps:
        if a(step) != b(step):
            return step
    return None


def _choices(but: str = "", wsd: bool = False) -> str:
    names = [c for c in EXTEND_CHOICES if c != but and (wsd or c != "reheat")]
    return "--extend=" + "|".join(names)


def _rates(before: float, after: float) -> str:
    """'a -> b', with as many digits as it takes to tell them apart."""
    short = (f"{before:.6g}", f"{after:.6g}")
    return " -> ".join(short if short[0] != short[1] else (repr(before), repr(after)))


def _rate(value: float) -> str:
    return f"{value:.6g}"


def _is_wsd(schedule) -> bool:
    return isinstance(schedule, schedules.WarmupStableDecay)


def _reheated(old: schedules.Schedule, new: schedules.Schedule,
              trained_step: int) -> schedules.Schedule:
    """WSD: `old` on the steps trained, then `new` (its stable rate, its cooldown at its end)."""
    if not (_is_wsd(old) and _is_wsd(new)):
        raise PlanError(f"--extend=reheat is for warmup_stable_decay only, not "
                        f"{old.factory_name}; choose {_choices('reheat')}")
    stable_end = new.num_warmup_steps + new.num_stable_steps
    if trained_step < new.num_warmup_steps or trained_step > stable_end:
        raise PlanError(f"--extend=reheat needs the checkpoint step {trained_step} between the "
                        f"new plan's warmup end {new.num_warmup_steps} and its cooldown start "
                        f"{stable_end}; choose {_choices('reheat')}")
    tail = dataclasses.replace(new, num_warmup_steps=0,
                               num_stable_steps=stable_end - trained_step)
    return schedules.sequential([(trained_step, old)], final=tail) if trained_step else tail


def extend_plan(old: schedules.Schedule, template: str, old_steps: int, new_steps: int,
                trained_step: int, extend: Optional[str] = None) -> Plan:
    """The plan of a run that trained `trained_step` steps of `old` and now runs `new_steps`.

    Args:
      old: The schedule the run trained with (its recorded, resolved spec).
      template: The schedule's spec now (a template with `train_steps`, or a fixed spec).
      old_steps: The run's recorded --train_steps.
      new_steps: The run's --train_steps now.
      trained_step: The checkpoint's step (steps `0 .. trained_step - 1` are trained).
      extend: One of EXTEND_CHOICES; None means `replan`.

    Returns:
      The `Plan`.

    Raises:
      PlanError: One line: `replan` not well defined, a choice that does not apply, or
        nothing left to train (`restart`).
      spec_lib.SpecError: The template does not resolve for the new length.
    """
    extend = "replan" if extend is None else checks.choice("extend", extend, EXTEND_CHOICES)
    new_steps = checks.positive_count("new_steps", new_steps)
    trained_step = checks.step(trained_step, "trained_step")
    new = spec_lib.resolve(template, new_steps)
    end = horizons.horizon(old)
    if extend == "hold":
        line = f"--extend=hold: the schedule stays {spec_lib.spec(old)}"
        if end is not None and end < new_steps:
            line += (f"; it ended at step {end}: steps {max(end, trained_step)}..{new_steps - 1}"
                     f" train at its end value {_rate(old(end))}")
        return Plan(old, (line,), extend)
    if extend == "restart":
        left = new_steps - trained_step
        if left <= 0:
            raise PlanError(f"--extend=restart: nothing left to train (the checkpoint is at step "
                            f"{trained_step}, --train_steps={new_steps})")
        try:
            fresh = spec_lib.resolve(template, left)
        except spec_lib.SpecError as error:
            raise PlanError(f"--extend=restart: the schedule for the {left} steps left (from "
                            f"step {trained_step}) does not build: {error}") from None
        schedule = schedules.sequential([(trained_step, old)], final=fresh) if trained_step \
            else fresh
        return Plan(schedule, (f"restarted at step {trained_step}: steps {trained_step}.."
                               f"{new_steps - 1} follow {spec_lib.spec(fresh)} from its step "
                               "0",), extend)
    if extend == "reheat":
        schedule = _reheated(old, new, trained_step)
        return Plan(schedule, (f"reheated at step {trained_step}: rate "
                               f"{_rates(old(trained_step), schedule(trained_step))}, then "
                               f"{spec_lib.spec(new)} (cooldown from step "
                               f"{new.num_warmup_steps + new.num_stable_steps})",), extend)
    changed = first_difference(old, new, trained_step)
    if changed is not None:
        cooldown = old.num_warmup_steps + old.num_stable_steps if _is_wsd(old) else None
        why = (f"its cooldown started at step {cooldown}" if cooldown is not None
               and changed >= cooldown else "a schedule tied to the run's length cannot be "
               "stretched once trained")
        raise PlanError(
            f"re-planning {old.factory_name} for --train_steps={new_steps} changes step "
            f"{changed}, already trained (rate {_rates(old(changed), new(changed))}): {why}; "
            f"choose {_choices('replan', _is_wsd(old))}")
    new_end = horizons.horizon(new)
    if new_steps > old_steps and new_end is not None and new_end < new_steps:
        raise PlanError(
            f"the schedule ends at step {new_end} but --train_steps={new_steps}: steps "
            f"{max(new_end, trained_step)}..{new_steps - 1} would train at its end value "
            f"{_rate(new(new_end))}; choose {_choices('replan', _is_wsd(old))}, or write "
            f"{horizons.tie_hint(new) or 'its length as `train_steps`'} in --lr_schedule")
    lines = () if new == old else (
        f"re-planned for --train_steps={new_steps}: {spec_lib.spec(new)} (the same rates on "
        f"the {trained_step} steps trained)",)
    return Plan(new, lines, extend)


def replan(template: str, old_steps: int, new_steps: int, trained_step: int,
           extend: Optional[str] = None) -> Plan:
    """`extend_plan` for a run whose schedule was `template` resolved for `old_steps`.

    Example: a WSD run of 1000 steps in its stable phase at step 600, extended to 2000:

        >>> plan = replan("warmup_stable_decay(0.1, 100, train_steps-300, 200)",
        ...               1000, 2000, 600)
        >>> plan.schedule.num_stable_steps, plan.lines[0][:35]
        (1700, 're-planned for --train_steps=2000: ')
    """
    old = spec_lib.resolve(template, checks.positive_count("old_steps", old_steps))
    return extend_plan(old, template, old_steps, new_steps, trained_step, extend)
