"""Deprecated module path, kept for one release: import from `lrhooks.schedules`.

A thin re-export of the PyTorch-style schedules (step_decay, multistep_decay,
one_cycle, cyclic), which now live in `lrhooks.schedules` (`lrhooks/schedules/
_pytorch.py`). Importing this module warns (DeprecationWarning).
"""

import warnings

from lrhooks.schedules import (Cyclic, MultiStepDecay, OneCycle, StepDecay, cyclic,
                               multistep_decay, one_cycle, step_decay)

__all__ = ["StepDecay", "MultiStepDecay", "OneCycle", "Cyclic", "step_decay",
           "multistep_decay", "one_cycle", "cyclic"]

warnings.warn("lrhooks.cyclic is deprecated: import its names from lrhooks.schedules",
              DeprecationWarning, stacklevel=2)
