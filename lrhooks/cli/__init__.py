"""Helpers for command-line programs (the only part of lrhooks, with `plot/cli.py` and
`preview/cli.py`, that uses absl).

  console         `import_tensorflow_quietly`, `verbose_requested`, `guard_standard_streams`:
                  import it first, before anything imports TensorFlow; imports neither
                  TensorFlow nor absl
  schedule_flags  the absl schedule flags shared by every program
  cli_flags       `show_in_help`, `help_exits_zero`, `stray_arguments`: a program's help and
                  its one complaint about words that are not flags (not `flags`: that name
                  is absl's, which the programs import beside it)

The modules load on first use (`lrhooks.cli.console` must not load absl).
"""

import importlib
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lrhooks.cli import cli_flags, console, schedule_flags

__all__ = ["console", "schedule_flags", "cli_flags"]


def __getattr__(name: str) -> ModuleType:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return importlib.import_module(f"{__name__}.{name}")


def __dir__():
    return sorted(__all__)
