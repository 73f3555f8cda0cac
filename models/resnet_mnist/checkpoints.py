"""The checkpoints of a run directory: which one to restore, and keeping them safe.

Before a run restores anything, `select(train_dir)` reads the `checkpoint` index file
and the `model.ckpt-N` files themselves, reads every tensor of the checkpoint it is
about to restore (the index, every data shard, every stored checksum: a few
milliseconds for the ResNet) and settles on one:

* the one the index names, when it is intact;
* else the newest intact one older than it, saying which and why (one line);
* with no readable index (deleted, empty, garbage) but checkpoint files present, the
  newest intact file: a run directory is never trained over from step 0;
* none intact: `faults.UserError`, before anything is written.

`write_index` then rewrites the index with paths relative to the directory (a moved or
copied run directory resumes from its own files) that list only checkpoints of this
directory no newer than the restored one: the Saver's retention (`max_to_keep`) deletes
only from that list and what it writes itself, so it never deletes a newer checkpoint nor
another directory's files. `saver()` writes relative paths from then on.

`way_back` names the way out when the newest checkpoint holds values too large to train
from (they overflow float32 at the first step whatever the rate).
"""

import dataclasses
import math
import os
import re
from typing import Dict, Optional, Tuple

import numpy as np
import tensorflow as tf
from google.protobuf import text_format
from tensorflow.python.training import checkpoint_state_pb2  # pylint: disable=no-name-in-module
from tensorflow.python.training import py_checkpoint_reader  # pylint: disable=no-name-in-module

from lrhooks.tools import safe_files
from models.resnet_mnist import faults

tf1 = tf.compat.v1

INDEX_FILE = "checkpoint"
BASENAME = "model.ckpt"
_FILE = re.compile(re.escape(BASENAME) + r"-(\d+)\.(index|meta|data-\d+-of-\d+)$")
# Values beyond this overflow float32 when squared (batch norm's variance does that).
UNUSABLE_MAGNITUDE = math.sqrt(float(np.finfo(np.float32).max))
_REASON_CHARS = 160


@dataclasses.dataclass(frozen=True)
class Restore:
    """What a run restores.

    Attributes:
      path: The checkpoint prefix to restore (in the run directory), None: start at step 0.
      step: Its step (0 without one).
      note: One line to say before training (a fallback or a recovery), or None.
      kept: Basenames the rewritten index lists, oldest first, `path`'s last: the only
        checkpoints the Saver's retention may delete.
    """

    path: Optional[str] = None
    step: int = 0
    note: Optional[str] = None
    kept: Tuple[str, ...] = ()


def _step_of(name: str) -> Optional[int]:
    match = re.fullmatch(re.escape(BASENAME) + r"-(\d+)", os.path.basename(name))
    return int(match.group(1)) if match else None


def on_disk(train_dir: str) -> Dict[int, str]:
    """{step: prefix} of every `model.ckpt-N` with at least one file in `train_dir`."""
    found = {}
    if os.path.isdir(train_dir):
        for name in os.listdir(train_dir):
            match = _FILE.match(name)
            if match:
                step = int(match.group(1))
                found[step] = os.path.join(train_dir, f"{BASENAME}-{step}")
    return found


def _short(error: BaseException) -> str:
    text = (str(error).strip().splitlines() or [type(error).__name__])[0]
    return text if len(text) <= _REASON_CHARS else text[:_REASON_CHARS - 3] + "..."


def problem(prefix: str) -> Optional[str]:
    """Why the checkpoint `prefix` cannot be restored (None: it is intact).

    Reads the index and every tensor, so every data shard is present, long enough and
    matches its checksum.
    """
    if not os.path.exists(prefix + ".index"):
        return "its .index file is missing"
    try:
        reader = py_checkpoint_reader.NewCheckpointReader(prefix)
        for name in reader.get_variable_to_shape_map():
            reader.get_tensor(name)
    except (tf.errors.OpError, IndexError, ValueError, RuntimeError, OSError) as error:
        return _short(error)
    return None


def _read_index(train_dir: str) -> Tuple[Optional[checkpoint_state_pb2.CheckpointState], str]:
    """(the index, '') or (None, why it cannot be used); (None, 'missing') without one."""
    path = os.path.join(train_dir, INDEX_FILE)
    if not os.path.exists(path):
        return None, "missing"
    try:
        with open(path, "rb") as f:
            text = f.read().decode("utf-8")
        state = text_format.Parse(text, checkpoint_state_pb2.CheckpointState())
    except (OSError, UnicodeDecodeError, text_format.ParseError) as error:
        return None, f"unreadable ({_short(error)})"
    if not state.model_checkpoint_path or _step_of(state.model_checkpoint_path) is None:
        return None, "empty" if not text.strip() else "unreadable (it names no model.ckpt-N)"
    return state, ""


def select(train_dir: str) -> Restore:
    """The checkpoint `train_dir`'s run restores (reads only; see the module docstring).

    Raises:
      faults.UserError: Checkpoints are there but none is intact, or the index names
        checkpoints that are all gone.
    """
    files = on_disk(train_dir)
    state, why = _read_index(train_dir)
    if state is None and not files:
        return Restore()
    index_path = os.path.join(train_dir, INDEX_FILE)
    notes = []
    if state is not None:
        named = _step_of(state.model_checkpoint_path)
        candidates = [named] + sorted((s for s in files if s < named), reverse=True)
        listed = [_step_of(p) for p in state.all_model_checkpoint_paths]
    else:
        candidates = sorted(files, reverse=True)
        listed = []
        notes.append(f"the checkpoint index {index_path!r} is {why}: recovered from the "
                     "checkpoint files")
    damaged = []
    for step in candidates:
        prefix = os.path.join(train_dir, f"{BASENAME}-{step}")
        reason = problem(prefix) if step in files else "its files are missing"
        if reason is None:
            if damaged:
                notes.append(f"{_damaged_text(train_dir, damaged)}: resuming from "
                             f"{BASENAME}-{step}, the newest intact checkpoint")
            elif state is None:
                notes[-1] += f": resuming from {BASENAME}-{step}"
            kept = [f"{BASENAME}-{s}" for s in listed if s is not None and s < step and s in files]
            return Restore(prefix, step, "; ".join(notes) or None,
                           tuple(dict.fromkeys(kept + [f"{BASENAME}-{step}"])))
        damaged.append((step, reason))
    raise faults.UserError(
        f"--train_dir {train_dir!r} holds no intact checkpoint: {_damaged_text(train_dir, damaged)}; "
        "move the damaged files away to start again from step 0, or use a fresh --train_dir")


def _damaged_text(train_dir: str, damaged) -> str:
    (step, reason), more = damaged[0], len(damaged) - 1
    also = (f", and so {'are' if more > 1 else 'is'} {more} older "
            f"one{'s' if more > 1 else ''}") if more else ""
    return f"checkpoint {BASENAME}-{step} in {train_dir!r} is damaged ({reason}){also}"


def write_index(train_dir: str, restore: Restore) -> None:
    """Rewrites the `checkpoint` index for `restore` (relative paths; atomically)."""
    if restore.path is None:
        return
    state = checkpoint_state_pb2.CheckpointState(
        model_checkpoint_path=os.path.basename(restore.path),
        all_model_checkpoint_paths=list(restore.kept))
    safe_files.write_file(os.path.join(train_dir, INDEX_FILE),
                          text_format.MessageToString(state))


def saver(keep: int = 5) -> tf1.train.Saver:
    """MonitoredTrainingSession's default Saver, writing paths relative to the run directory
    (call inside the graph, before it is finalized); it keeps the newest `keep` checkpoints
    (0: every one, `--keep_checkpoints`)."""
    result = tf1.train.Saver(sharded=True, allow_empty=True, save_relative_paths=True,
                             max_to_keep=keep or None)
    tf1.add_to_collection(tf1.GraphKeys.SAVERS, result)
    return result


def largest_magnitude(prefix: str) -> float:
    """The largest |value| of the floating-point tensors of the checkpoint `prefix`."""
    reader = py_checkpoint_reader.NewCheckpointReader(prefix)
    largest = 0.0
    for name in reader.get_variable_to_shape_map():
        value = np.asarray(reader.get_tensor(name))
        if np.issubdtype(value.dtype, np.floating) and value.size:
            largest = max(largest, float(np.max(np.abs(value))))
    return largest


def way_back(train_dir: str) -> Optional[str]:
    """Advice when the newest checkpoint is too large to train from, else None.

    Names the newest older checkpoint that is usable (resumed once the newer ones are
    moved away), or a fresh `--train_dir`.
    """
    files = on_disk(train_dir)
    state, _ = _read_index(train_dir)
    newest = _step_of(state.model_checkpoint_path) if state is not None else max(files, default=None)
    if newest is None or problem(files.get(newest, "")) is not None:
        return None
    largest = largest_magnitude(files[newest])
    if largest <= UNUSABLE_MAGNITUDE:
        return None
    advice = (f"the last checkpoint {BASENAME}-{newest} is itself unusable (values up to "
              f"{largest:.3g} overflow float32 again whatever the rate): ")
    for step in sorted((s for s in files if s < newest), reverse=True):
        if problem(files[step]) is None and largest_magnitude(files[step]) <= UNUSABLE_MAGNITUDE:
            newer = ", ".join(f"{BASENAME}-{s}.*" for s in sorted(files) if s > step)
            return advice + (f"move {newer} out of {train_dir!r} to resume from {BASENAME}-{step} "
                             "with a lower rate, or use a fresh --train_dir")
    return advice + "no usable checkpoint is left: use a fresh --train_dir"
