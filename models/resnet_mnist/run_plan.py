"""The run's schedule from its settings and its directory: fresh, resumed, extended, branched.

A pure function (no TensorFlow, no flags, no files): the program reads `train_config.json`
and the checkpoint step, calls `plan_run`, prints `RunDecision.lines` and records
`RunDecision.record` in `train_config.json`.

* A fresh run: the `--lr_schedule` spec resolved with `--train_steps` (a template may write
  `train_steps`, `lrhooks.spec`), and one warning line when the schedule ends at another
  step (`lrhooks.horizons.horizon_warning`).
* A resumed run whose settings are the recorded ones: the recorded schedule, unchanged.
* A resumed run with another `--train_steps` (or another `--lr_schedule`): the plan
  `--extend` chooses (`lrhooks.run_plan`: replan, reheat, restart, hold), or a one-line
  error naming the choices where the default `replan` is not well defined.
* A branch (`--branch_from=DIR@STEP`, a new `--train_dir`): the same, from the parent run's
  recorded schedule and its checkpoint at STEP; the parent and step are recorded.
"""

import dataclasses
from typing import Any, Dict, Mapping, Optional, Tuple

from lrhooks import horizons
from lrhooks import run_plan as run_plan_lib
from lrhooks import schedules
from lrhooks import spec as spec_lib

EXTEND_CHOICES = run_plan_lib.EXTEND_CHOICES
EXTEND_HELP = ("What a resumed run follows when its --train_steps (or --lr_schedule) changed: "
               "replan (default: the schedule for the new length, only if every step "
               "already trained keeps its rate), reheat (warmup_stable_decay whose cooldown "
               "started: back to the stable rate, cooldown at the new end), restart (the "
               "schedule again from its step 0 over the steps left), hold (the old schedule "
               "as it is: past its end, its end value).")
BRANCH_HELP = ("Start this new --train_dir from another run's checkpoint, DIR@STEP: its "
               "weights at STEP and its schedule for the steps before it; --extend chooses "
               "what follows.")


class RunPlanError(ValueError):
    """Settings that give the run no well-defined schedule; the message is one line."""


@dataclasses.dataclass(frozen=True)
class RunSettings:
    """What the command line asks for.

    Attributes:
      schedule: The schedule's spec: `--lr_schedule` when it is a full spec (a template may
        write `train_steps`), else `lrhooks.spec.spec()` of the schedule its flags build.
      train_steps: `--train_steps`.
      extend: `--extend` (None: not given, which is `replan`).
      branch_from: `--branch_from`, "DIR@STEP" (None: not given).
    """

    schedule: str
    train_steps: int
    extend: Optional[str] = None
    branch_from: Optional[str] = None


@dataclasses.dataclass(frozen=True)
class RunDir:
    """What a run directory holds.

    Attributes:
      recorded: Its `train_config.json` values (None: it has none).
      checkpoint_step: The step of the checkpoint a run restores from it (None: none); for
        the parent of a branch, its newest checkpoint's step.
    """

    recorded: Optional[Mapping[str, Any]] = None
    checkpoint_step: Optional[int] = None


@dataclasses.dataclass(frozen=True)
class RunDecision:
    """The run's schedule, what to print and what to record.

    Attributes:
      schedule: The schedule of the whole run (steps already trained included).
      lines: Lines to print before training (warnings, "re-planned: ...").
      record: Keys to write into `train_config.json`: `schedule` (the resolved spec),
        `schedule_template` (the spec as written: with `train_steps`, a template),
        `train_steps`, `parent` (`{"train_dir", "step"}` of a branch, else None) and
        `replans` (one `{"step", "train_steps", "extend"}` per change of plan so far).
    """

    schedule: schedules.Schedule
    lines: Tuple[str, ...]
    record: Dict[str, Any]


def parse_branch(text: str) -> Tuple[str, int]:
    """`(DIR, STEP)` of `--branch_from=DIR@STEP`; RunPlanError (one line) otherwise."""
    directory, at, step = str(text).rpartition("@")
    if not at or not directory or not step.isdigit():
        raise RunPlanError(f"--branch_from must be DIR@STEP (a run directory and the step of "
                           f"one of its checkpoints, e.g. runs/quick@1000), got {text!r}")
    return directory, int(step)


def _recorded(values: Mapping[str, Any], where: str) -> Tuple[schedules.Schedule, str, int]:
    """(schedule, template, train_steps) recorded in a train_config.json."""
    try:
        schedule = spec_lib.from_spec(values["schedule"])
        steps = values["train_steps"]
        if not isinstance(steps, int) or isinstance(steps, bool) or steps < 1:
            raise ValueError(f"train_steps {steps!r} is not an integer > 0")
    except (KeyError, TypeError, ValueError) as error:
        raise RunPlanError(f"{where}'s train_config.json has no usable schedule and "
                           f"train_steps ({error}); train into a new --train_dir") from None
    template = values.get("schedule_template") or values["schedule"]
    return schedule, template, steps


def _resolve(settings: RunSettings) -> schedules.Schedule:
    try:
        return spec_lib.resolve(settings.schedule, settings.train_steps)
    except spec_lib.SpecError as error:
        raise RunPlanError(f"--lr_schedule: {error}") from None


def _fresh(settings: RunSettings) -> Tuple[schedules.Schedule, Tuple[str, ...]]:
    schedule = _resolve(settings)
    lines = []
    if spec_lib.is_template(settings.schedule):
        lines.append(f"schedule: {settings.schedule} with train_steps={settings.train_steps}: "
                     f"{spec_lib.spec(schedule)}")
    warning = horizons.horizon_warning(schedule, settings.train_steps)
    if warning:
        lines.append(f"warning: {warning}")
    return schedule, tuple(lines)


def plan_run(settings: RunSettings, here: RunDir = RunDir(),
             parent: Optional[RunDir] = None) -> RunDecision:
    """The run's schedule from its settings and what its directory (or its parent's) holds.

    Args:
      settings: The command line's schedule, --train_steps, --extend, --branch_from.
      here: What `--train_dir` holds.
      parent: What the `--branch_from` directory holds (required with `branch_from`).

    Returns:
      The `RunDecision`.

    Raises:
      RunPlanError: One line: a bad spec or --branch_from, a branch into a directory that
        has a checkpoint, a change of plan that is not well defined (naming --extend).
    """
    _resolve(settings)  # a bad spec is what was just typed: reported first
    parent_record = None
    if settings.branch_from is not None:
        directory, step = parse_branch(settings.branch_from)
        if here.checkpoint_step is not None:
            raise RunPlanError(f"--branch_from starts a new run, but --train_dir has a "
                               f"checkpoint at step {here.checkpoint_step}: give a new "
                               "--train_dir")
        if parent is None or parent.recorded is None:
            raise RunPlanError(f"--branch_from={settings.branch_from}: {directory} has no "
                               "train_config.json (not a run of this trainer)")
        if parent.checkpoint_step is None or step > parent.checkpoint_step:
            newest = ("none" if parent.checkpoint_step is None
                      else f"the newest is at step {parent.checkpoint_step}")
            raise RunPlanError(f"--branch_from={settings.branch_from}: {directory} has no "
                               f"checkpoint at step {step} ({newest})")
        history, trained, where = parent.recorded, step, directory
        parent_record = {"train_dir": directory, "step": step}
    elif here.recorded is not None and here.checkpoint_step is not None:
        history, trained, where = here.recorded, here.checkpoint_step, "--train_dir"
        parent_record = here.recorded.get("parent")
    else:
        schedule, lines = _fresh(settings)
        return RunDecision(schedule, lines, _record(settings, schedule, None, []))

    old, old_template, old_steps = _recorded(history, where)
    # A branch keeps the changes of plan of the steps it trained: not its parent's later ones.
    replans = [entry for entry in history.get("replans") or []
               if settings.branch_from is None or entry.get("step", 0) < trained]
    same_spec = _same_spec(settings.schedule, old_template, old_steps)
    if settings.branch_from is None and same_spec and settings.train_steps == old_steps:
        return RunDecision(old, (), _record(settings, old, parent_record, replans))
    if not same_spec and settings.extend in (None, "replan"):
        # A schedule changed on the command line is the user's choice: it applies from the
        # step the run resumes at (the steps before it trained as they did), said in one line.
        try:
            chosen = spec_lib.resolve(settings.schedule, settings.train_steps)
        except spec_lib.SpecError as error:
            raise RunPlanError(str(error)) from None
        if chosen != old:
            replans.append({"step": trained, "train_steps": settings.train_steps,
                            "extend": "changed"})
        return RunDecision(chosen, (f"--lr_schedule changed at step {trained}: was "
                                    f"{old_template}; from step {trained} on: "
                                    f"{spec_lib.spec(chosen)}",),
                           _record(settings, chosen, parent_record, replans))
    try:
        plan = run_plan_lib.extend_plan(old, settings.schedule, old_steps,
                                        settings.train_steps, trained, settings.extend)
    except (run_plan_lib.PlanError, spec_lib.SpecError) as error:
        raise RunPlanError(str(error)) from None
    except ValueError as error:  # a bad --extend
        raise RunPlanError(f"--extend: {error}") from None
    lines = list(plan.lines)
    if not same_spec:
        lines.insert(0, f"--lr_schedule changed at step {trained}: was {old_template}")
    if plan.schedule != old:
        replans.append({"step": trained, "train_steps": settings.train_steps,
                        "extend": plan.extend})
    return RunDecision(plan.schedule, tuple(lines),
                       _record(settings, plan.schedule, parent_record, replans))


def _same_spec(text: str, recorded: str, steps: int) -> bool:
    """Whether two specs (templates or not) build the same schedule for `steps` steps."""
    if text == recorded:
        return True
    try:
        return spec_lib.resolve(text, steps) == spec_lib.resolve(recorded, steps)
    except spec_lib.SpecError:
        return False


def _record(settings: RunSettings, schedule: schedules.Schedule,
            parent: Optional[Mapping[str, Any]], replans) -> Dict[str, Any]:
    return {"schedule": spec_lib.spec(schedule),
            "schedule_template": settings.schedule,
            "train_steps": settings.train_steps,
            "parent": None if parent is None else dict(parent),
            "replans": list(replans)}
