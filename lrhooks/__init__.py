"""lrhooks: exact learning-rate schedules and training hooks for tf.compat.v1 loops.

`lrhooks.schedules` is pure Python and never imports TensorFlow. Everything that
touches a graph (`LearningRateSetterHook`, `learning_rate`, ...) is loaded
lazily on first use, so `import lrhooks.schedules` stays TensorFlow-free.
"""

import importlib
from typing import Any

__version__ = "0.1.0"

# Public name -> module that defines it (imported on first access).
_LAZY = {
    "schedules": None,
    "spec": None,
    "plateau": None,
    "range_test": None,
    "preview": None,
    "hparams": None,
    "event_files": None,
    "from_spec": "lrhooks.spec",
    "ReduceLROnPlateau": "lrhooks.plateau",
    "PlateauHook": "lrhooks.plateau",
    "LRRangeTestHook": "lrhooks.range_test",
        "LearningRateSetterHook": "lrhooks.setter_hook",
        "learning_rate": "lrhooks.rate_tensor",
        "LEARNING_RATE_COLLECTION": "lrhooks.rate_tensor",
        "get_global_step_or_raise": "lrhooks.graph_lookup",
    "rate_summary": "lrhooks.summaries",
    "TrainingLogHook": "lrhooks.log_hook",
    "LearningRateSummaryHook": "lrhooks.rate_summary_hook",
    "scalar_summary": "lrhooks.summaries",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'lrhooks' has no attribute {name!r}")
    module_name = _LAZY[name]
    if module_name is None:  # A submodule.
        value = importlib.import_module(f"lrhooks.{name}")
    else:
        value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(__all__)
