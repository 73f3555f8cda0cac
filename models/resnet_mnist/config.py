"""Trainer configuration: absl flags in, one frozen `TrainConfig` out.

`config_from_flags` is the only reader of the trainer's flag values and of the
environment (`TF_CONFIG`, `CI`); everything else (`loop.train`, the range test,
the ps) takes the `TrainConfig`, so tests and benchmarks call them directly with
a shrunken config.
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
from lrhooks.tools.precision import CHOICES as PRECISIONS
from models.resnet_mnist import cluster as cluster_lib
from models.resnet_mnist import model as model_lib

DEVICES = ("auto", "cpu", "gpu")
DATA_FORMATS = ("auto", "NHWC", "NCHW")
CONFIG_FILE = "train_config.json"
# Settings of the program, not of the run: left out of train_config.json.
_NOT_RECORDED = ("range_test", "ps_timeout_secs", "cluster_timeout_secs", "under_ci")
# The largest step TensorFlow's int64 global step holds: the bound of every step count.
MAX_STEP = 2**63 - 1


@dataclasses.dataclass(frozen=True)
class RangeTestSettings:
    """--lr_range_test and its --range_test_* flags."""

    enabled: bool = False
    min_lr: float = 1e-5
    max_lr: float = 10.0
    steps: int = 200
    output_dir: Optional[str] = None  # None: <train_dir>_range_test


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Everything one training run needs, as plain values."""

    data_dir: str
    train_dir: str
    hparams: model_lib.HParams
    schedule: schedules.Schedule
    batch_size: int = 128
    max_shift: int = 0  # augmentation: random shifts of up to this many pixels
    train_steps: int = 1000
    save_checkpoints_steps: Optional[int] = 500
    save_summaries_steps: int = 100
    log_every_n_steps: int = 100
    progress: str = "auto"  # live progress line on a terminal: auto|always|never
    device: str = "auto"
    data_format: str = "auto"
    precision: str = "fp32"  # fp32|bf16|fp16|auto: resolved against the hardware by devices
    log_device_placement: bool = False
    seed: int = 0
    eval_every_n_steps: int = 0  # > 0: evaluate on the test set while training, into eval/
    final_eval: bool = True  # evaluate the last checkpoint on the whole test set at the end
    eval_batch_size: int = 1000
    plots: bool = True  # at the end: learning_rate.png, loss.png, accuracy.png in train_dir
    intra_op_threads: int = 0
    inter_op_threads: int = 0
    cluster: cluster_lib.ClusterConfig = cluster_lib.ClusterConfig()  # local by default
    ps_timeout_secs: float = cluster_lib.PS_TIMEOUT_SECS
    cluster_timeout_secs: float = cluster_lib.CLUSTER_TIMEOUT_SECS
    range_test: RangeTestSettings = RangeTestSettings()
    under_ci: bool = False  # $CI is true or 1: no live progress line in "auto" mode
    # mom/nesterov with a one_cycle or cyclic schedule: the momentum it cycles (PyTorch's
    # cycle_momentum); None: the constant hparams.momentum.
    momentum_schedule: Optional[schedules.Schedule] = None

    def to_json(self) -> Dict[str, Any]:
        """The run's settings as recorded in train_config.json (program settings left out)."""
        values = dataclasses.asdict(self)
        for name in _NOT_RECORDED:
            del values[name]
        values["hparams"] = dataclasses.asdict(self.hparams)
        values["schedule"] = repr(self.schedule)
        values["momentum_schedule"] = (None if self.momentum_schedule is None
                                       else repr(self.momentum_schedule))
        return values


def define_flags(flag_values: flags.FlagValues = flags.FLAGS) -> None:
    """Defines the trainer's flags (the schedule flags come from lrhooks); `--help` lists them."""
    fv = flag_values
    before = set(fv)
    defaults = model_lib.HParams()
    flags.DEFINE_string("data_dir", None, "Directory with MNIST IDX files or mnist.npz.",
                        flag_values=fv)
    flags.DEFINE_string("train_dir", None, "Checkpoints and event files (resumed if present).",
                        flag_values=fv)
    flags.DEFINE_enum("model", defaults.model, model_lib.MODELS, "Model.", flag_values=fv)
    flags.DEFINE_integer("num_residual_units", defaults.num_residual_units,
                         "ResNet: residual units per stage.", lower_bound=1, flag_values=fv)
    flags.DEFINE_bool("use_bottleneck", defaults.use_bottleneck, "ResNet: bottleneck units.",
                      flag_values=fv)
    flags.DEFINE_list("filters", [str(f) for f in defaults.filters],
                      "ResNet: channels of the first conv and of the 3 stages.", flag_values=fv)
    flags.DEFINE_float("weight_decay_rate", defaults.weight_decay_rate,
                       "L2 weight decay on conv/fc weights.", lower_bound=0.0, flag_values=fv)
    flags.DEFINE_float("relu_leakiness", defaults.relu_leakiness, "ResNet: leaky-ReLU slope.",
                       flag_values=fv)
    flags.DEFINE_float("dropout_rate", defaults.dropout_rate, "CNN: dropout rate.",
                       flag_values=fv)
    flags.DEFINE_float("batch_norm_decay", defaults.batch_norm_decay,
                       "Batch-norm moving-average decay.", flag_values=fv)
    flags.DEFINE_enum("optimizer", defaults.optimizer, model_lib.OPTIMIZERS, "Optimizer.",
                      flag_values=fv)
    flags.DEFINE_float("momentum", defaults.momentum, "mom/nesterov momentum (not used while "
                       "--cycle_momentum cycles it).", flag_values=fv)
    flags.DEFINE_bool("cycle_momentum", True, "mom/nesterov with a one_cycle or cyclic "
                      "--lr_schedule: cycle the momentum inversely to the rate, as PyTorch's "
                      "OneCycleLR/CyclicLR(cycle_momentum=True) do.", flag_values=fv)
    flags.DEFINE_float("base_momentum", None, "Cycled momentum at the peak rate (default: "
                       "PyTorch's, 0.85 for one_cycle, 0.8 for cyclic).", flag_values=fv)
    flags.DEFINE_float("max_momentum", None, "Cycled momentum where the rate is lowest "
                       "(default: PyTorch's, 0.95 for one_cycle, 0.9 for cyclic).",
                       flag_values=fv)
    flags.DEFINE_float("label_smoothing", defaults.label_smoothing, "Cross-entropy against "
                       "(1 - s) * one_hot + s / num_classes (0: none).", lower_bound=0.0,
                       upper_bound=0.999, flag_values=fv)
    flags.DEFINE_float("ema_decay", defaults.ema_decay, "> 0: evaluate (in-process, the final "
                       "evaluation, eval.py) an exponential moving average of the weights with "
                       "this decay; 0: the weights themselves.", lower_bound=0.0,
                       upper_bound=0.99999, flag_values=fv)
    flags.DEFINE_integer("batch_size", 128, "Training batch size.", lower_bound=1,
                         flag_values=fv)
    flags.DEFINE_integer("max_shift", 0, "Augmentation: shift training images by up to this "
                         "many pixels (0: none).", lower_bound=0, upper_bound=8, flag_values=fv)
    flags.DEFINE_integer("train_steps", 1000, "Train until global_step reaches this.",
                         lower_bound=1, upper_bound=MAX_STEP, flag_values=fv)
    flags.DEFINE_integer("save_checkpoints_steps", 500, "Checkpoint every N steps.",
                         lower_bound=1, upper_bound=MAX_STEP, flag_values=fv)
    flags.DEFINE_integer("save_summaries_steps", 100, "Write summaries every N steps.",
                         lower_bound=1, upper_bound=MAX_STEP, flag_values=fv)
    flags.DEFINE_integer("log_every_n_steps", 100, "Log a line every N steps.", lower_bound=1,
                         upper_bound=MAX_STEP, flag_values=fv)
    flags.DEFINE_enum("progress", "auto", ("auto", "always", "never"),
                      "A live progress line instead of log lines: auto = on an interactive "
                      "terminal, not under CI.", flag_values=fv)
    flags.DEFINE_enum("device", "auto", DEVICES,
                      "Where the model runs (soft placement falls back to CPU).",
                      flag_values=fv)
    flags.DEFINE_enum("data_format", "auto", DATA_FORMATS,
                      "Conv layout; auto: NCHW on GPU, NHWC on CPU.", flag_values=fv)
    flags.DEFINE_enum("precision", "fp32", PRECISIONS,
                      "Arithmetic: fp32; bf16 (the oneDNN bfloat16 rewrite, CPUs with "
                      "AVX512-BF16 or AMX); fp16 (float16 with dynamic loss scaling, GPUs of "
                      "compute capability >= 7.0); auto: what the model's device supports. "
                      "The rate, the loss and the finiteness check stay float32.",
                      flag_values=fv)
    flags.DEFINE_bool("final_eval", True, "After training, evaluate the last checkpoint on the "
                      "whole test set (written to TRAIN_DIR/eval, as eval.py does).",
                      flag_values=fv)
    flags.DEFINE_integer("eval_every_n_steps", 0, "Also evaluate on the whole test set every N "
                         "steps while training (and at the last step), into TRAIN_DIR/eval; 0: "
                         "only --final_eval.", lower_bound=0, flag_values=fv)
    flags.DEFINE_bool("plots", True, "At the end of training, write learning_rate.png, "
                      "loss.png and accuracy.png into TRAIN_DIR (python -m lrhooks.plot draws "
                      "them from any event files).", flag_values=fv)
    flags.DEFINE_bool("log_device_placement", False, "Log where each op runs.", flag_values=fv)
    flags.DEFINE_bool("verbose", False, "Also show TensorFlow's own log lines (its C++ banner, "
                      "TF1 hook messages), in absl's format.", flag_values=fv)
    flags.DEFINE_integer("seed", 0, "Random seed (shuffling, initialisation).", flag_values=fv)
    flags.DEFINE_string("job_name", "", "Distributed: ps or worker; empty: local (or TF_CONFIG).",
                        flag_values=fv)
    flags.DEFINE_integer("task_index", 0, "Distributed: index within --job_name; worker 0 is "
                         "the chief.", lower_bound=0, flag_values=fv)
    flags.DEFINE_list("ps_hosts", [], "Distributed: host:port of the ps tasks.", flag_values=fv)
    flags.DEFINE_list("worker_hosts", [], "Distributed: host:port of the workers.",
                      flag_values=fv)
    flags.DEFINE_float("ps_timeout_secs", 3600, "How long a ps waits for the other workers "
                       "after the first finished (the job's steps are done); then it exits 0.",
                       lower_bound=0, flag_values=fv)
    flags.DEFINE_float("cluster_timeout_secs", cluster_lib.CLUSTER_TIMEOUT_SECS,
                       "Distributed: after this long without progress a worker asks the ps "
                       "tasks, and exits (status 4) if one does not answer within max(this, "
                       "60 s) more; at start, the wait for the ps and the chief.",
                       lower_bound=0.1, flag_values=fv)
    flags.DEFINE_integer("intra_op_threads", 0, "0: TensorFlow's default.", lower_bound=0,
                         flag_values=fv)
    flags.DEFINE_integer("inter_op_threads", 0, "0: TensorFlow's default.", lower_bound=0,
                         flag_values=fv)
    schedule_flags.define_schedule_flags(fv)
    flags.DEFINE_bool("lr_range_test", False, "Instead of training, run a learning-rate range "
                      "test from fresh weights (never touches --train_dir), print the curve and "
                      "the suggested rate.", flag_values=fv)
    flags.DEFINE_float("range_test_min_lr", 1e-5, "Range test: first rate of the ramp.",
                       flag_values=fv)
    flags.DEFINE_float("range_test_max_lr", 10.0, "Range test: last rate of the ramp.",
                       flag_values=fv)
    flags.DEFINE_integer("range_test_steps", 200, "Range test: steps of the ramp (stops earlier "
                         "on divergence).", lower_bound=2, upper_bound=MAX_STEP, flag_values=fv)
    flags.DEFINE_string("range_test_dir", None, "Range test: where the curve goes (default: "
                        "<train_dir>_range_test).", flag_values=fv)
    flags.register_validator(
        "filters", lambda value: _filters(value) is not None,
        message="--filters must be 4 comma-separated positive integers", flag_values=fv)
    cli_flags.show_in_help(fv, sorted(set(fv) - before))


def _filters(values) -> Optional[Tuple[int, ...]]:
    try:
        filters = tuple(int(v) for v in values)
    except ValueError:
        return None
    return filters if len(filters) == 4 and all(f > 0 for f in filters) else None


# The flags that set `model_lib.HParams` fields (same names): recorded in train_config.json.
HPARAMS_FLAGS = ("model", "num_residual_units", "use_bottleneck", "filters", "weight_decay_rate",
                 "relu_leakiness", "dropout_rate", "batch_norm_decay", "optimizer", "momentum",
                 "label_smoothing", "ema_decay")


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
    for name in HPARAMS_FLAGS:
        if name not in given:
            continue
        value = values[name]
        if name == "filters":
            value = _filters(value) or tuple(value)
        if value != getattr(recorded, name):
            raise ValueError(
                f"--{name}={_flag_text(value)}, but --train_dir {train_dir!r} was trained with "
                f"--{name}={_flag_text(getattr(recorded, name))} ({CONFIG_FILE}): pass the "
                f"flagfile of that run, or leave --{name} out (the model is read from "
                f"{CONFIG_FILE})")


def cluster_settings(config: TrainConfig) -> Dict[str, str]:
    """What every worker of a cluster must share with the chief, as {"--flag": text}: the
    model flags, --batch_size, --train_steps and the schedule (`cluster.wait_for_chief`)."""
    values = {f"--{name}": _flag_text(getattr(config.hparams, name)) for name in HPARAMS_FLAGS}
    values["--batch_size"] = str(config.batch_size)
    values["--train_steps"] = str(config.train_steps)
    values["schedule"] = repr(config.schedule)
    return values


def differing_model_flag(train_dir: str, hparams: model_lib.HParams) -> Optional[str]:
    """The first model flag of `hparams` that differs from `train_dir`'s train_config.json,
    as "it was trained with --NAME=RECORDED, not --NAME=VALUE (train_config.json)" (None
    without the file or without a difference).

    Raises:
      ValueError: One line: the file is damaged (see `read_hparams`).
    """
    recorded = read_hparams(train_dir)
    if recorded is None:
        return None
    for name in HPARAMS_FLAGS:
        value, was = getattr(hparams, name), getattr(recorded, name)
        if value != was:
            return (f"it was trained with --{name}={_flag_text(was)}, not "
                    f"--{name}={_flag_text(value)} ({CONFIG_FILE})")
    return None


def hparams_from_flags(values: Mapping[str, Any]) -> model_lib.HParams:
    """HParams from flag values (validated; ValueError names the field)."""
    return model_lib.HParams(
        model=values["model"], num_residual_units=values["num_residual_units"],
        use_bottleneck=values["use_bottleneck"], filters=_filters(values["filters"]),
        weight_decay_rate=values["weight_decay_rate"], relu_leakiness=values["relu_leakiness"],
        dropout_rate=values["dropout_rate"], batch_norm_decay=values["batch_norm_decay"],
        optimizer=values["optimizer"], momentum=values["momentum"],
        label_smoothing=values["label_smoothing"], ema_decay=values["ema_decay"]).validate()


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
    cluster = cluster_lib.from_values(values["job_name"], values["task_index"],
                                      values["ps_hosts"], values["worker_hosts"],
                                      environ.get("TF_CONFIG"))
    for name in ("data_dir", "train_dir"):
        if not values[name] and cluster.job_name != "ps":
            raise ValueError(f"--{name} is required")
    schedule = schedule_flags.schedule_from_flags(values)
    if schedules.stateful_parts(schedule):
        raise ValueError(f"--lr_schedule={spec_lib.spec(schedule)} needs a reported metric, "
                         "which this trainer does not report; use lrhooks.PlateauHook in "
                         "your own training loop, or a pure schedule here")
    return TrainConfig(
        data_dir=values["data_dir"], train_dir=values["train_dir"],
        hparams=hparams_from_flags(values),
        schedule=schedule, precision=values["precision"],
        momentum_schedule=momentum_schedule_from_flags(values, schedule),
        batch_size=values["batch_size"], max_shift=values["max_shift"],
        train_steps=values["train_steps"],
        save_checkpoints_steps=values["save_checkpoints_steps"],
        save_summaries_steps=values["save_summaries_steps"],
        log_every_n_steps=values["log_every_n_steps"], progress=values["progress"],
        device=values["device"],
        data_format=values["data_format"], log_device_placement=values["log_device_placement"],
        seed=values["seed"], final_eval=values["final_eval"],
        eval_every_n_steps=values["eval_every_n_steps"], plots=values["plots"],
        intra_op_threads=values["intra_op_threads"],
        inter_op_threads=values["inter_op_threads"], cluster=cluster,
        ps_timeout_secs=values["ps_timeout_secs"],
        cluster_timeout_secs=values["cluster_timeout_secs"],
        range_test=RangeTestSettings(
            enabled=values["lr_range_test"], min_lr=values["range_test_min_lr"],
            max_lr=values["range_test_max_lr"], steps=values["range_test_steps"],
            output_dir=values["range_test_dir"]),
        under_ci=environ.get("CI", "").lower() in ("true", "1"))


def write_config(config: TrainConfig, hparams: model_lib.HParams) -> None:
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


def read_hparams(train_dir: str) -> Optional[model_lib.HParams]:
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
    fields = {field.name for field in dataclasses.fields(model_lib.HParams)}
    missing, unknown = sorted(fields - set(recorded)), sorted(set(recorded) - fields)
    if missing or unknown:
        what = "; ".join(text for text in (
            f"lacks hparams keys {', '.join(missing)}" if missing else "",
            f"holds unknown hparams keys {', '.join(unknown)}" if unknown else "") if text)
        raise ValueError(f"{path} {what}: it was not written by this trainer (or was edited); "
                         "rewrite it from the flags of that run, or train into a new --train_dir")
    try:
        for key in ("filters", "cnn_filters"):
            recorded[key] = tuple(recorded[key])
        return model_lib.HParams(**recorded).validate()
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
    "ema_decay": float,
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


def tensorboard_hparams(config: TrainConfig, hparams: model_lib.HParams) -> Dict[str, Any]:
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
    for name in _MODEL_HPARAMS[hparams.model] + _OPTIMIZER_HPARAMS[hparams.optimizer]:
        value = getattr(hparams, name)
        values[name] = ",".join(str(v) for v in value) if isinstance(value, tuple) else value
    return values
