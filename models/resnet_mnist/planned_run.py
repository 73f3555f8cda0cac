"""The run plan applied to a training run: its schedule, its lines, a branch's checkpoint.

`run_plan.plan_run` decides (a pure function); this module gives it what the run directories
hold and applies the decision (the chief only, after the checkpoint is selected and the
finished-run check, before anything is written):

* `plan(config, restore)`: reads `train_config.json` of `--train_dir` (and of the parent of a
  `--branch_from=DIR@STEP`, whose checkpoint at STEP must be kept and intact), calls
  `plan_run` and returns the `Planned` run: the config with the planned schedule, the
  momentum that follows it and the record for train_config.json; the checkpoint to restore
  (a branch: the parent's at STEP) and the lines to print. A `RunPlanError` is the program's
  one-line user error.
* `say(console, planned)`: warnings on stderr (`train: warning: ...`), re-plan notes on
  stdout.
* `copy_branch_checkpoint(config, planned)`: a branch's first write, its parent's checkpoint
  files copied into the new `--train_dir` (each atomically; removed again if a copy fails),
  so that the session restores them and the run starts at STEP.
"""

import dataclasses
import glob
import os
import shutil
from typing import Any, Mapping, Optional, Tuple

from absl import logging

from lrhooks import schedules
from lrhooks import spec as spec_lib
from lrhooks.tools import safe_files
from models.resnet_mnist import checkpoints
from models.resnet_mnist import config as config_lib
from models.resnet_mnist import console as console_lib
from models.resnet_mnist import faults
from models.resnet_mnist import run_plan


@dataclasses.dataclass(frozen=True)
class Planned:
    """A planned run.

    Attributes:
      config: The config with the planned schedule (`config.plan`: what train_config.json
        records).
      restore: The checkpoint the run starts from; for a branch, the parent's at STEP.
      lines: What to print before training (`run_plan.RunDecision.lines`).
      branch: `(DIR, STEP)` of `--branch_from`, else None.
    """

    config: config_lib.TrainConfig
    restore: checkpoints.Restore
    lines: Tuple[str, ...] = ()
    branch: Optional[Tuple[str, int]] = None


def _recorded(train_dir: str) -> Optional[Mapping[str, Any]]:
    """`train_dir`'s train_config.json; None without one, or for a link (never followed: the
    run is then planned as a new one, and the link is replaced when the file is written)."""
    path = os.path.join(train_dir, config_lib.CONFIG_FILE)
    if os.path.islink(path):
        logging.warning("%s is a symbolic link, which the trainer never follows: the schedule "
                        "is planned as for a new run", path)
        return None
    try:
        return config_lib.read_recorded(train_dir)
    except ValueError as error:
        raise faults.UserError(str(error)) from None


def _parent(text: str) -> Tuple[str, int, run_plan.RunDir, checkpoints.Restore]:
    """The parent run of `--branch_from=DIR@STEP` and its checkpoint at STEP (kept, intact)."""
    directory, step = run_plan.parse_branch(text)
    if not os.path.isdir(directory):
        raise faults.UserError(f"--branch_from={text}: {directory!r} is not a directory")
    kept = checkpoints.on_disk(directory)
    if step not in kept:
        listed = ", ".join(str(s) for s in sorted(kept)) or "none"
        raise faults.UserError(
            f"--branch_from={text}: {directory!r} keeps no checkpoint at step {step} (kept: "
            f"{listed}); branch from a kept step (--keep_checkpoints=0 keeps every one)")
    damaged = checkpoints.problem(kept[step])
    if damaged:
        raise faults.UserError(f"--branch_from={text}: the checkpoint at step {step} in "
                               f"{directory!r} is damaged ({damaged}); branch from another step")
    parent = run_plan.RunDir(_recorded(directory), step)
    return directory, step, parent, checkpoints.Restore(kept[step], step)


def _momentum(planned: schedules.Schedule, config: config_lib.TrainConfig
              ) -> Optional[schedules.Schedule]:
    """The cycled momentum of the planned rate: the same twin (base and max momentum) of each
    one_cycle / cyclic part, so a restart or a hold cycles the momentum with the rate; None
    (the constant --momentum) where the rate has nothing to cycle, as a reheated WSD."""
    twin = config.momentum_schedule
    if twin is None:
        return None
    if planned == config.schedule:
        return twin

    def follow(rate):
        if isinstance(rate, (schedules.OneCycle, schedules.Cyclic)):
            return rate.momentum(twin.base_momentum, twin.max_momentum)
        if isinstance(rate, schedules.Sequential):
            parts = [(steps, follow(part)) for steps, part in rate.parts]
            final = None if rate.final is None else follow(rate.final)
            if all(part is not None for _, part in parts) and (rate.final is None or final):
                return schedules.sequential(parts, final=final)
        return None

    momentum = follow(planned)
    if momentum is None:
        logging.info("momentum: the planned rate %r cycles nothing: the constant --momentum=%s",
                     planned, config.hparams.momentum)
    return momentum


def _branched_from(recorded: Mapping[str, Any]) -> Optional[Tuple[str, int]]:
    parent = recorded.get("parent")
    if isinstance(parent, dict):
        return parent.get("train_dir"), parent.get("step")
    return None


def plan(config: config_lib.TrainConfig, restore: checkpoints.Restore) -> Planned:
    """The chief's plan of the run (see the module docstring).

    Raises:
      faults.UserError: One line: the plan is not well defined (naming --extend), a bad or
        unkept --branch_from, a damaged train_config.json.
    """
    template = config.schedule_template or spec_lib.spec(config.schedule)  # a config made in code
    settings = run_plan.RunSettings(template, config.train_steps,
                                    config.extend, config.branch_from)
    here = (run_plan.RunDir(_recorded(config.train_dir), restore.step) if restore.path
            else run_plan.RunDir())  # what a run that has no checkpoint recorded is not used
    parent, branch = None, None
    try:
        if (config.branch_from is not None and here.recorded is not None
                and here.checkpoint_step is not None and _branched_from(here.recorded)
                == run_plan.parse_branch(config.branch_from)):  # the same command again
            settings = dataclasses.replace(settings, branch_from=None)  # resumes the branch
        if settings.branch_from is not None:
            if here.checkpoint_step is None:
                directory, step, parent, restore = _parent(config.branch_from)
                if step >= config.train_steps:
                    raise faults.UserError(
                        f"--branch_from={config.branch_from}: the new run starts at step "
                        f"{step}, so --train_steps must be > {step}, got {config.train_steps}")
                branch = (directory, step)
            else:
                parent = run_plan.RunDir()
        decision = run_plan.plan_run(settings, here, parent)
    except run_plan.RunPlanError as error:
        raise faults.UserError(str(error)) from None
    planned = dataclasses.replace(config, schedule=decision.schedule,
                                  momentum_schedule=_momentum(decision.schedule, config),
                                  plan=decision.record)
    return Planned(planned, restore, decision.lines, branch)


def say(console: Optional[console_lib.Console], planned: Planned) -> None:
    """The plan's lines: warnings on stderr, notes on stdout (absl logging without a
    console)."""
    for line in planned.lines:
        head, _, rest = line.partition(": ")
        if head == "warning":
            console.warn(rest) if console is not None else logging.warning("%s", rest)
        elif head != "schedule":  # the start line shows the template and its resolution
            console.say(line) if console is not None else logging.info("%s", line)


def copy_branch_checkpoint(config: config_lib.TrainConfig,
                           planned: Planned) -> checkpoints.Restore:
    """Copies the parent's checkpoint at STEP into `config.train_dir` (its first checkpoint);
    returns the `Restore` of the copy. A failed copy removes what it wrote."""
    source = planned.restore.path
    written = []
    try:
        # The .index last: until it is there, the copy is no checkpoint.
        for path in sorted(glob.glob(glob.escape(source) + ".*"),
                           key=lambda p: p.endswith(".index")):
            target = os.path.join(config.train_dir, os.path.basename(path))
            written.append(target)
            with open(path, "rb") as src, safe_files.replacing(target, "wb") as dst:
                shutil.copyfileobj(src, dst)
    except BaseException:
        for target in written:
            if os.path.exists(target):
                os.remove(target)
        raise
    prefix = os.path.join(config.train_dir, os.path.basename(source))
    return checkpoints.Restore(prefix, planned.restore.step,
                               kept=(os.path.basename(prefix),))
