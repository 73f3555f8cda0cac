"""Trainer configuration as data: the table of settings in, one frozen `TrainConfig` out.

Every flag of the trainer is declared once, as a field made with `settings.setting` (name,
type, default, help, choices or bounds, whether train_config.json records it) of one of
`setting_types()`: `TrainConfig` itself, `model_hparams.HParams`,
`cluster_config.ClusterConfig`, `MomentumSettings`, `RangeTestSettings`, `ProgramSettings`;
the schedule flags come from `lrhooks.cli.schedule_flags`. From those fields `define_flags`
defines the absl flags, `config_from_flags` fills and checks the `TrainConfig` and `to_json`
gives what train_config.json records. Adding a setting: one field, and its use.

`config_from_flags` is the only reader of the trainer's flag values and of the environment
(`TF_CONFIG`, `CI`); everything else (`loop.train`, the range test, the ps) takes the
`TrainConfig`, so tests and benchmarks call them directly with a shrunken config.
TensorFlow-free: `--help` never loads TensorFlow.
"""

import dataclasses
import json
import os
from typing import Any, Dict, Mapping, Optional, Sequence, Tuple

from absl import flags
from absl import logging

from lrhooks import schedules
from lrhooks import spec as spec_lib
from lrhooks.cli import cli_flags
from lrhooks.cli import schedule_flags
from lrhooks.tools import safe_files
from models.resnet_mnist import cluster_config as cluster_lib
from models.resnet_mnist import model_hparams
from models.resnet_mnist import run_plan
from models.resnet_mnist import settings
from models.resnet_mnist.settings import setting, unrecorded

DEVICES = ("auto", "cpu", "gpu")
DATA_FORMATS = ("auto", "NHWC", "NCHW")
# `lrhooks.precision.CHOICES`, whose module imports TensorFlow (a test compares the two).
PRECISIONS = ("fp32", "bf16", "fp16", "auto")
CONFIG_FILE = "train_config.json"
# The largest step TensorFlow's int64 global step holds: the bound of every step count.
MAX_STEP = 2**63 - 1


@dataclasses.dataclass(frozen=True)
class RangeTestSettings:
    """--lr_range_test and its --range_test_* flags."""

    enabled: bool = setting(False, "Instead of training, run a learning-rate range test from "
                            "fresh weights (never touches --train_dir), print the curve and "
                            "the suggested rate.", flag="lr_range_test")
    min_lr: float = setting(1e-5, "Range test: first rate of the ramp.",
                            flag="range_test_min_lr")
    max_lr: float = setting(10.0, "Range test: last rate of the ramp.", flag="range_test_max_lr")
    steps: int = setting(200, "Range test: steps of the ramp (stops earlier on divergence).",
                         flag="range_test_steps", lower=2, upper=MAX_STEP)
    output_dir: Optional[str] = setting(None, "Range test: where the curve goes (default: "
                                        "<train_dir>_range_test).", flag="range_test_dir")


@dataclasses.dataclass(frozen=True)
class MomentumSettings:
    """The flags of the cycled momentum (`momentum_schedule_from_flags`)."""

    cycle_momentum: bool = setting(True, "mom/nesterov with a one_cycle or cyclic "
                                   "--lr_schedule: cycle the momentum inversely to the rate, as "
                                   "PyTorch's OneCycleLR/CyclicLR(cycle_momentum=True) do.")
    base_momentum: Optional[float] = setting(None, "Cycled momentum at the peak rate (default: "
                                             "PyTorch's, 0.85 for one_cycle, 0.8 for cyclic).",
                                             kind="float")
    max_momentum: Optional[float] = setting(None, "Cycled momentum where the rate is lowest "
                                            "(default: PyTorch's, 0.95 for one_cycle, 0.9 for "
                                            "cyclic).", kind="float")


@dataclasses.dataclass(frozen=True)
class ProgramSettings:
    """Flags of the program, not of the run (`--verbose` is also read before the others)."""

    verbose: bool = setting(False, "Also show TensorFlow's own log lines (its C++ banner, TF1 "
                            "hook messages), in absl's format.")


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Everything one training run needs, as plain values (a `setting` field is a flag)."""

    data_dir: str = setting(None, "Directory with MNIST IDX files or mnist.npz.", required=True)
    train_dir: str = setting(None, "Checkpoints and event files (resumed if present).",
                             required=True)
    hparams: model_hparams.HParams
    schedule: schedules.Schedule
    batch_size: int = setting(128, "Training batch size.", lower=1)
    max_shift: int = setting(0, "Augmentation: shift training images by up to this many pixels "
                             "(0: none).", lower=0, upper=8)
    train_steps: int = setting(1000, "Train until global_step reaches this.", lower=1,
                               upper=MAX_STEP)
    save_checkpoints_steps: Optional[int] = setting(500, "Checkpoint every N steps.", lower=1,
                                                    upper=MAX_STEP)
    keep_checkpoints: int = setting(5, "Keep the newest N checkpoints (0: every one; a "
                                    "--branch_from=DIR@STEP needs the checkpoint at STEP kept, "
                                    "e.g. a warmup_stable_decay's stable phase).", lower=0)
    save_summaries_steps: int = setting(100, "Write summaries every N steps.", lower=1,
                                        upper=MAX_STEP)
    log_every_n_steps: int = setting(100, "Log a line every N steps.", lower=1, upper=MAX_STEP)
    progress: str = setting("auto", "A live progress line instead of log lines: auto = on an "
                            "interactive terminal, not under CI.",
                            choices=("auto", "always", "never"))
    device: str = setting("auto", "Where the model runs (soft placement falls back to CPU).",
                          choices=DEVICES)
    data_format: str = setting("auto", "Conv layout; auto: NCHW on GPU, NHWC on CPU.",
                               choices=DATA_FORMATS)
    # Resolved against the hardware by `devices`.
    precision: str = setting("fp32", "Arithmetic: fp32; bf16 (the oneDNN bfloat16 rewrite, CPUs "
                             "with AVX512-BF16 or AMX); fp16 (float16 with dynamic loss scaling, "
                             "GPUs of compute capability >= 7.0); auto: what the model's device "
                             "supports. The rate, the loss and the finiteness check stay "
                             "float32.", choices=PRECISIONS)
    log_device_placement: bool = setting(False, "Log where each op runs.")
    seed: int = setting(0, "Random seed (shuffling, initialisation).")
    eval_every_n_steps: int = setting(0, "Also evaluate on the whole test set every N steps "
                                      "while training (and at the last step), into "
                                      "TRAIN_DIR/eval; 0: only --final_eval.", lower=0)
    final_eval: bool = setting(True, "After training, evaluate the last checkpoint on the whole "
                               "test set (written to TRAIN_DIR/eval, as eval.py does).")
    eval_batch_size: int = 1000
    plots: bool = setting(True, "At the end of training, write learning_rate.png, loss.png and "
                          "accuracy.png into TRAIN_DIR (python -m lrhooks.plot draws them from "
                          "any event files).")
    intra_op_threads: int = setting(0, "0: TensorFlow's default.", lower=0)
    inter_op_threads: int = setting(0, "0: TensorFlow's default.", lower=0)
    cluster: cluster_lib.ClusterConfig = cluster_lib.ClusterConfig()  # local by default
    # Settings of the program, not of the run: left out of train_config.json.
    ps_timeout_secs: float = setting(cluster_lib.PS_TIMEOUT_SECS, "How long a ps waits for the "
                                     "other workers after the first finished (the job's steps "
                                     "are done); then it exits 0.", lower=0, recorded=False)
    cluster_timeout_secs: float = setting(
        cluster_lib.CLUSTER_TIMEOUT_SECS, "Distributed: after this long without progress a "
        "worker asks the ps tasks, and exits (status 4) if one does not answer within max(this, "
        "60 s) more; at start, the wait for the ps and the chief.", lower=0.1, recorded=False)
    extend: str = setting("replan", run_plan.EXTEND_HELP, choices=run_plan.EXTEND_CHOICES,
                          recorded=False)
    branch_from: Optional[str] = setting(None, run_plan.BRANCH_HELP, kind="string",
                                         recorded=False)
    range_test: RangeTestSettings = unrecorded(RangeTestSettings())
    under_ci: bool = unrecorded(False)  # $CI is true or 1: no live progress line in "auto" mode
    # mom/nesterov with a one_cycle or cyclic schedule: the momentum it cycles (PyTorch's
    # cycle_momentum); None: the constant hparams.momentum.
    momentum_schedule: Optional[schedules.Schedule] = None
    # --lr_schedule as written (a template keeps `train_steps`), else the spec of the schedule
    # its flags build: what `run_plan.plan_run` plans from ("": `schedule`'s spec).
    schedule_template: str = unrecorded("")
    # `run_plan.RunDecision.record` once the run is planned (`planned_run`): the resolved spec,
    # its template, the parent of a branch and each change of plan, for train_config.json.
    plan: Optional[Mapping[str, Any]] = unrecorded(None)

    def to_json(self) -> Dict[str, Any]:
        """The run's settings as recorded in train_config.json (program settings left out)."""
        values = settings.recorded(self)
        values["schedule"] = repr(self.schedule)
        values["momentum_schedule"] = (None if self.momentum_schedule is None
                                       else repr(self.momentum_schedule))
        if self.plan is not None:
            values.update(self.plan)
        return values


def setting_types() -> Tuple[type, ...]:
    """The dataclasses whose `setting` fields are the trainer's flags (one field per flag)."""
    return (TrainConfig, model_hparams.HParams, cluster_lib.ClusterConfig, MomentumSettings,
            RangeTestSettings, ProgramSettings)


def define_flags(flag_values: flags.FlagValues = flags.FLAGS) -> None:
    """Defines the trainer's flags (the schedule flags come from lrhooks); `--help` lists them."""
    before = set(flag_values)
    for cls in setting_types():
        settings.define_flags(cls, flag_values)
    schedule_flags.define_schedule_flags(flag_values)
    cli_flags.show_in_help(flag_values, sorted(set(flag_values) - before))


def hparams_flags() -> Tuple[str, ...]:
    """The flags that set `HParams` fields (same names): recorded in train_config.json."""
    return settings.flag_names(model_hparams.HParams)


HPARAMS_FLAGS = hparams_flags()


def _flag_text(value) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (tuple, list)):
        return ",".join(str(v) for v in value)
    return str(value)


def check_model_flags(values: Mapping[str, Any], given: Sequence[str], train_dir: str) -> None:
    """Checks the model flags `given` (e.g. from the trainer's flagfile) against the run.

    Args:
      values: Flag values by name (`FLAGS.flag_values_dict()`).
      given: The names set on the command line or in a flagfile; only those of
        `HPARAMS_FLAGS` are checked.
      train_dir: The run's directory, with its train_config.json (nothing is checked
        without one: the evaluator then reports the missing file).

    Raises:
      ValueError: One line naming the first flag that differs, both values and the fix.
    """
    recorded = read_hparams(train_dir)
    if recorded is None:
        return
    for name, field, row in settings.rows(model_hparams.HParams):
        if name not in given:
            continue
        value = values[name]
        if row.parse is not None:
            value = row.parse(value) or tuple(value)
        elif row.kind == "list":
            value = tuple(value)
        if value != getattr(recorded, field.name):
            raise ValueError(
                f"--{name}={_flag_text(value)}, but --train_dir {train_dir!r} was trained with "
                f"--{name}={_flag_text(getattr(recorded, name))} ({CONFIG_FILE}): pass the "
                f"flagfile of that run, or leave --{name} out (the model is read from "
                f"{CONFIG_FILE})")


def cluster_settings(config: TrainConfig) -> Dict[str, str]:
    """What every worker of a cluster must share with the chief, as {"--flag": text}: the
    model flags, --batch_size, --train_steps and the schedule (`cluster.wait_for_chief`)."""
    values = {f"--{name}": _flag_text(getattr(config.hparams, name))
              for name in hparams_flags()}
    values["--batch_size"] = str(config.batch_size)
    values["--train_steps"] = str(config.train_steps)
    values["schedule"] = repr(config.schedule)
    return values


def differing_model_flag(train_dir: str, hparams: model_hparams.HParams) -> Optional[str]:
    """The first model flag of `hparams` that differs from `train_dir`'s train_config.json,
    as "it was trained with --NAME=RECORDED, not --NAME=VALUE (train_config.json)" (None
    without the file or without a difference).

    Raises:
      ValueError: One line: the file is damaged (see `read_hparams`).
    """
    recorded = read_hparams(train_dir)
    if recorded is None:
        return None
    for name in hparams_flags():
        value, was = getattr(hparams, name), getattr(recorded, name)
        if value != was:
            return (f"it was trained with --{name}={_flag_text(was)}, not "
                    f"--{name}={_flag_text(value)} ({CONFIG_FILE})")
    return None


def hparams_from_flags(values: Mapping[str, Any]) -> model_hparams.HParams:
    """HParams from flag values (validated; ValueError names the field)."""
    return model_hparams.HParams(
        **settings.from_flags(model_hparams.HParams, values)).validate()


def momentum_schedule_from_flags(values: Mapping[str, Any],
                                 schedule: schedules.Schedule) -> Optional[schedules.Schedule]:
    """The momentum the trainer cycles, or None for the constant `--momentum`.

    With `--optimizer=mom|nesterov`, `--cycle_momentum` (the default) and a `one_cycle` or
    `cyclic` `--lr_schedule`, the momentum is `schedule.momentum(...)` with PyTorch's
    defaults unless `--base_momentum` / `--max_momentum` say otherwise; `--momentum` is then
    not used (one INFO line says so).

    Raises:
      ValueError: One line: `--base_momentum`/`--max_momentum` where nothing cycles, or
        out of range.
    """
    chosen = {name: values[name] for name in ("base_momentum", "max_momentum")
              if values.get(name) is not None}
    if (values["optimizer"] in ("mom", "nesterov") and values.get("cycle_momentum", True)
            and isinstance(schedule, (schedules.OneCycle, schedules.Cyclic))):
        momentum = schedule.momentum(**chosen)
        logging.info("momentum: %r, cycled with the rate (PyTorch's cycle_momentum); "
                     "--momentum=%s is not used", momentum, values["momentum"])
        return momentum
    if chosen:
        raise ValueError(f"--{next(iter(chosen))} applies only to the momentum cycled with "
                         "--optimizer=mom|nesterov, --cycle_momentum and a one_cycle or cyclic "
                         "--lr_schedule")
    return None


def config_from_flags(values: Mapping[str, Any],
                      environ: Optional[Mapping[str, str]] = None) -> TrainConfig:
    """The TrainConfig the flag values and the environment describe.

    Args:
      values: `FLAGS.flag_values_dict()` of `define_flags`.
      environ: The environment (default `os.environ`): `TF_CONFIG` (the cluster when no
        cluster flag is set) and `CI`.

    Raises:
      ValueError: One line: a missing directory, bad hparams, schedule or cluster.
    """
    environ = os.environ if environ is None else environ
    cluster = cluster_lib.from_values(**settings.from_flags(cluster_lib.ClusterConfig, values),
                                      tf_config_env=environ.get("TF_CONFIG"))
    for name in ("data_dir", "train_dir"):
        if not values[name] and cluster.job_name != "ps":
            raise ValueError(f"--{name} is required")
    schedule = schedule_flags.schedule_from_flags(values)
    if schedules.stateful_parts(schedule):
        raise ValueError(f"--lr_schedule={spec_lib.spec(schedule)} needs a reported metric, "
                         "which this trainer does not report; use lrhooks.PlateauHook in "
                         "your own training loop, or a pure schedule here")
    text = values["lr_schedule"]
    return TrainConfig(
        **settings.from_flags(TrainConfig, values),
        hparams=hparams_from_flags(values), schedule=schedule,
        schedule_template=text if "(" in text else spec_lib.spec(schedule),
        momentum_schedule=momentum_schedule_from_flags(values, schedule), cluster=cluster,
        range_test=RangeTestSettings(**settings.from_flags(RangeTestSettings, values)),
        under_ci=environ.get("CI", "").lower() in ("true", "1"))


def write_config(config: TrainConfig, hparams: model_hparams.HParams) -> None:
    """Writes the run's config beside its checkpoints (atomically), for eval and review."""
    values = config.to_json()
    values["hparams"] = dataclasses.asdict(hparams)  # the resolved data_format
    path = os.path.join(config.train_dir, CONFIG_FILE)
    with safe_files.replacing(path) as f:  # never through a link planted at either name
        json.dump(values, f, indent=2, sort_keys=True)


def _read_recorded(train_dir: str) -> Optional[Dict[str, Any]]:
    """The train_config.json of `train_dir` (None without one).

    Raises:
      ValueError: One line: the file is not a JSON object the trainer wrote.
    """
    path = os.path.join(train_dir, CONFIG_FILE)
    if not os.path.exists(path):
        return None
    try:
        with open(path, encoding="utf-8") as f:
            values = json.load(f)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path} is not a {CONFIG_FILE} the trainer wrote: {error}") from None
    if not isinstance(values, dict) or not isinstance(values.get("hparams"), dict):
        raise ValueError(f"{path} is not a {CONFIG_FILE} the trainer wrote: it has no "
                         "'hparams' object")
    return values


def read_recorded(train_dir: str) -> Optional[Dict[str, Any]]:
    """Every value of `train_dir`'s train_config.json (None without one).

    Raises:
      ValueError: One line: the file is not a JSON object the trainer wrote.
    """
    return _read_recorded(train_dir)


def read_hparams(train_dir: str) -> Optional[model_hparams.HParams]:
    """The HParams a trainer recorded in `train_dir`, or None.

    Raises:
      ValueError: One line: the file is damaged, lacks hparams keys or holds unknown ones,
        or holds an invalid value.
    """
    values = _read_recorded(train_dir)
    if values is None:
        return None
    recorded = dict(values["hparams"])
    path = os.path.join(train_dir, CONFIG_FILE)
    fields = {field.name for field in dataclasses.fields(model_hparams.HParams)}
    missing, unknown = sorted(fields - set(recorded)), sorted(set(recorded) - fields)
    if missing or unknown:
        what = "; ".join(text for text in (
            f"lacks hparams keys {', '.join(missing)}" if missing else "",
            f"holds unknown hparams keys {', '.join(unknown)}" if unknown else "") if text)
        raise ValueError(f"{path} {what}: it was not written by this trainer (or was edited); "
                         "rewrite it from the flags of that run, or train into a new --train_dir")
    try:
        for field in dataclasses.fields(model_hparams.HParams):
            if isinstance(field.default, tuple):  # a list in JSON
                recorded[field.name] = tuple(recorded[field.name])
        return model_hparams.HParams(**recorded).validate()
    except (TypeError, ValueError) as error:
        raise ValueError(f"{path}: {error}") from None


def read_data_dir(train_dir: str) -> Optional[str]:
    """The --data_dir a trainer recorded in `train_dir`, or None."""
    values = _read_recorded(train_dir)
    data_dir = None if values is None else values.get("data_dir")
    return data_dir if isinstance(data_dir, str) and data_dir else None


def read_train_steps(train_dir: str) -> Optional[int]:
    """The --train_steps a trainer recorded in `train_dir`, or None."""
    values = _read_recorded(train_dir)
    steps = None if values is None else values.get("train_steps")
    return steps if isinstance(steps, int) and not isinstance(steps, bool) else None


# The HParams dashboard's columns: every setting either model or optimizer may have (one
# experiment config for all runs, whichever TensorBoard finds first); each run records those
# that apply to it. The first are shown by default.
TENSORBOARD_SHOWN = ("model", "optimizer", "schedule", "train_steps", "batch_size")
TENSORBOARD_HPARAM_TYPES: Dict[str, type] = {
    "model": str, "optimizer": str, "schedule": str, "train_steps": int, "batch_size": int,
    "lr_schedule": str, "initial_learning_rate": float, "weight_decay_rate": float,
    "max_shift": int, "data_format": str, "precision": str, "label_smoothing": float,
    "ema_decay": float, "schedule_template": str, "parent": str,
    # resnet
    "num_residual_units": int, "use_bottleneck": bool, "filters": str,
    "relu_leakiness": float, "batch_norm_decay": float,
    # cnn
    "cnn_filters": str, "cnn_fc_units": int, "dropout_rate": float,
    # mom, nesterov / adam
    "momentum": float, "adam_beta1": float, "adam_beta2": float, "adam_epsilon": float,
}
_MODEL_HPARAMS = {
    "resnet": ("num_residual_units", "use_bottleneck", "filters", "relu_leakiness",
               "batch_norm_decay"),
    "cnn": ("cnn_filters", "cnn_fc_units", "dropout_rate"),
}
_OPTIMIZER_HPARAMS = {"sgd": (), "mom": ("momentum",), "nesterov": ("momentum",),
                      "adam": ("adam_beta1", "adam_beta2", "adam_epsilon")}


def _parent_text(plan: Optional[Mapping[str, Any]]) -> str:
    """The parent of a branch as DIR@STEP ("" for a run that is no branch)."""
    parent = (plan or {}).get("parent")
    return f"{parent['train_dir']}@{parent['step']}" if parent else ""


def tensorboard_hparams(config: TrainConfig, hparams: model_hparams.HParams) -> Dict[str, Any]:
    """The run's schedule and the settings that apply to its model and optimizer, as recorded
    for TensorBoard's HParams dashboard (names of `TENSORBOARD_HPARAM_TYPES`)."""
    schedule = config.schedule
    values: Dict[str, Any] = {
        "model": hparams.model,
        "optimizer": hparams.optimizer,
        "schedule": repr(schedule),  # the full spec (`lrhooks.spec`)
        "train_steps": config.train_steps,
        "batch_size": config.batch_size,
        "lr_schedule": getattr(schedule, "factory_name", "") or type(schedule).__name__,
        "initial_learning_rate": float(schedule(0)),
        "weight_decay_rate": hparams.weight_decay_rate,
        "max_shift": config.max_shift,
        "data_format": hparams.data_format,
        "precision": config.precision,
        "label_smoothing": hparams.label_smoothing,
        "ema_decay": hparams.ema_decay,
    }
    # A template's text and a branch's parent: recorded by the runs that have one.
    if config.schedule_template and spec_lib.is_template(config.schedule_template):
        values["schedule_template"] = config.schedule_template
    if _parent_text(config.plan):
        values["parent"] = _parent_text(config.plan)
    for name in _MODEL_HPARAMS[hparams.model] + _OPTIMIZER_HPARAMS[hparams.optimizer]:
        value = getattr(hparams, name)
        values[name] = ",".join(str(v) for v in value) if isinstance(value, tuple) else value
    return values
