"""Trainer-side tools, one module each (function collections, used as modules).

  precision    `session_config`, `resolve`: reduced precision (bf16 / fp16) for any TF1
               program, and what the machine supports (also `lrhooks.precision`)
  hparams      recording runs for TensorBoard's HParams dashboard (also `lrhooks.hparams`)
  event_files  cutting torn records off event files after a kill (also `lrhooks.event_files`)
  safe_files   writing into directories others can write to: exclusive temporary file,
               atomic rename; imports neither TensorFlow nor absl

The modules load on first use: `safe_files` (used by `lrhooks.plot`) must not load
TensorFlow, which `precision` and `hparams` import.
"""

import importlib
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lrhooks.tools import event_files, hparams, precision, safe_files

__all__ = ["precision", "hparams", "event_files", "safe_files"]


def __getattr__(name: str) -> ModuleType:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return importlib.import_module(f"{__name__}.{name}")


def __dir__():
    return sorted(__all__)
