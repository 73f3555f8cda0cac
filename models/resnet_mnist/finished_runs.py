"""A finished run's record: the same command again answers without importing TensorFlow.

A training run that ends with its checkpoint at `--train_steps` (or a finished one verified
the slow way, `loop._finished_run`) writes `TRAIN_DIR/finished.json`: the step, the latest
checkpoint, the size and mtime_ns of every file its summary depends on (the `checkpoint`
index file, every checkpoint's index and data shards, `train_config.json`, the `*.png` plots,
the files of `eval/`), a digest of the settings the verification depends on, and the test
accuracy the summary prints. The same command on that directory (after its flags are parsed
and its run lock is taken) prints the same summary from the record, exits 0 and changes no
file (but the lock's holder record, as always).

The record is a cache, never a source of truth: anything that does not match (a file
changed, missing or added, other settings, a larger `--train_steps`, a damaged record, a
link at its name) leaves the answer to the TensorFlow path, which writes a new record.
"""

import dataclasses
import hashlib
import json
import os
import re
import stat
from typing import Any, Dict, List, Optional

from absl import logging

from lrhooks.tools import safe_files
from models.resnet_mnist import config as config_lib
from models.resnet_mnist import console as console_lib
from models.resnet_mnist import run_lock
from models.resnet_mnist import user_errors

RECORD_FILE = "finished.json"
_FORMAT = 1
_MAX_RECORD_BYTES = 1 << 20
# Checkpoint files (`checkpoint`, `NAME.index`, `NAME.data-00000-of-00001`) and plots.
_WATCHED_NAME = re.compile(r"(checkpoint|.+\.index|.+\.data-\d+-of-\d+|.+\.png)\Z")
# Settings that follow --train_steps (a template schedule); a finished run's answer reads none.
_UNCHECKED_SETTINGS = ("train_steps", "schedule", "momentum_schedule")


@dataclasses.dataclass(frozen=True)
class FinishedResult:
    """What `console_lib.summary` reads of a run that trained nothing (as `loop.TrainResult`)."""

    global_step: int
    final_accuracy: Optional[float]
    best_accuracy: Optional[float]
    eval_step: Optional[int]
    stopped_by_signal: Optional[int] = None

    @property
    def start_step(self) -> int:
        return self.global_step

    @property
    def trained_nothing(self) -> bool:
        return True


def settings_digest(config: config_lib.TrainConfig) -> str:
    """A digest of the run's recorded settings (train_config.json's), less those that follow
    `--train_steps`."""
    values = {name: value for name, value in config.to_json().items()
              if name not in _UNCHECKED_SETTINGS}
    text = json.dumps(values, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _watched_files(train_dir: str) -> Optional[Dict[str, List[int]]]:
    """Relative name -> [size, mtime_ns] of the files a finished run's summary depends on;
    None when one of them is not a regular file (a link, a directory)."""
    found: Dict[str, List[int]] = {}
    eval_dir = os.path.join(train_dir, "eval")
    candidates = [(name, name) for name in os.listdir(train_dir)
                  if _WATCHED_NAME.match(name) or name == config_lib.CONFIG_FILE]
    if os.path.lexists(eval_dir):
        if not os.path.isdir(eval_dir) or os.path.islink(eval_dir):
            return None
        candidates += [(os.path.join("eval", name), os.path.join("eval", name))
                       for name in os.listdir(eval_dir)]
    for key, relative in candidates:
        info = os.lstat(os.path.join(train_dir, relative))
        if not stat.S_ISREG(info.st_mode):
            return None
        found[key] = [info.st_size, info.st_mtime_ns]
    return found


def record(config: config_lib.TrainConfig, result) -> None:
    """Writes the record of a finished run (`result`: its `loop.TrainResult`, at its last
    step) into `config.train_dir`, under the run lock; nothing when the latest checkpoint is
    not at that step. A write that fails is logged and skipped: the record is a cache."""
    # TensorFlow is loaded by the run that calls this; a module-level import would load it
    # for the rerun, which must not.
    import tensorflow as tf  # pylint: disable=import-outside-toplevel
    train_dir = config.train_dir
    checkpoint = tf.train.latest_checkpoint(train_dir)
    if checkpoint is None or result.global_step < config.train_steps:
        return
    name = os.path.basename(checkpoint)
    if (checkpoint != os.path.join(train_dir, name)
            or not name.endswith(f"-{result.global_step}")):
        return  # an absolute path in the index, or not the last step: no record
    try:
        files = _watched_files(train_dir)
        if files is None:
            return
        text = json.dumps({
            "format": _FORMAT, "step": int(result.global_step), "checkpoint": name,
            "settings": settings_digest(config), "files": files,
            "final_accuracy": _number(result.final_accuracy, float),
            "best_accuracy": _number(result.best_accuracy, float),
            "eval_step": _number(result.eval_step, int)}, indent=1, sort_keys=True) + "\n"
        path = os.path.join(train_dir, RECORD_FILE)
        if _read_text(path) != text:  # a verified rerun rewrites nothing
            safe_files.write_file(path, text)
    except OSError as error:
        logging.debug("no record of the finished run in %r: %s", train_dir, error)


def _number(value: Any, kind: type) -> Any:
    return None if value is None else kind(value)


def _read_text(path: str) -> Optional[str]:
    """The text of the regular file `path` (never through a link), None if it cannot be read."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > _MAX_RECORD_BYTES:
            return None
        return os.read(fd, _MAX_RECORD_BYTES + 1).decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    finally:
        os.close(fd)


def _optional_number(value: Any, kind: type) -> bool:
    return value is None or (isinstance(value, kind) and not isinstance(value, bool))


def _matching_record(config: config_lib.TrainConfig) -> Optional[Dict[str, Any]]:
    """The record of `config.train_dir` when it answers this command exactly, else None."""
    text = _read_text(os.path.join(config.train_dir, RECORD_FILE))
    try:
        values = json.loads(text) if text is not None else None
    except ValueError:
        return None
    if not isinstance(values, dict) or values.get("format") != _FORMAT:
        return None
    step, name = values.get("step"), values.get("checkpoint")
    if not (isinstance(step, int) and isinstance(name, str)
            and _optional_number(values.get("eval_step"), int)
            and _optional_number(values.get("final_accuracy"), float)
            and _optional_number(values.get("best_accuracy"), float)):
        return None
    if config.train_steps > step or values.get("settings") != settings_digest(config):
        return None  # more steps to train, or other settings: the TensorFlow path decides
    try:
        files = _watched_files(config.train_dir)
    except OSError:
        return None
    return values if files is not None and files == values.get("files") else None


def answer(config: config_lib.TrainConfig, console: console_lib.Console) -> Optional[int]:
    """Prints the summary of a finished run from its record and returns 0; None (having
    printed and changed nothing) when the record does not answer this command: the caller
    then takes the TensorFlow path."""
    if (config.cluster.is_distributed or config.range_test.enabled
            or not os.path.isdir(config.train_dir)):
        return None
    lock = run_lock.RunLock(config.train_dir)
    try:
        lock.take()
    except user_errors.UserError:  # held, or a planted lock file: the usual path says so
        return None
    try:
        values = _matching_record(config)
        if values is None:
            return None
    finally:
        lock.release()
    result = FinishedResult(values["step"], values["final_accuracy"], values["best_accuracy"],
                            values["eval_step"])
    console_lib.summary(console, result, config,
                        checkpoint=os.path.join(config.train_dir, values["checkpoint"]))
    return 0
