"""Deprecated module path, kept for one release: import from `lrhooks.schedules`.

A thin re-export of the composition schedules (warmup, sequential, scaled,
linear_scaling), which now live in `lrhooks.schedules` (`lrhooks/schedules/
_composition.py`). Importing this module warns (DeprecationWarning).
"""

import warnings

from lrhooks.schedules import (LinearScaling, Scaled, Sequential, Warmup, linear_scaling,
                               scaled, sequential, warmup)

__all__ = ["Warmup", "Sequential", "Scaled", "LinearScaling", "warmup", "sequential",
           "scaled", "linear_scaling"]

warnings.warn("lrhooks.composite is deprecated: import its names from lrhooks.schedules",
              DeprecationWarning, stacklevel=2)
