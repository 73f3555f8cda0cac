"""absl help for the programs: `--help` lists the program's own flags and nothing else.

absl's `--help` shows the "key flags" of the main module (`sys.argv[0]`): the flags the
program's file itself defines. A program whose flags are defined elsewhere (its `cli.py`,
`config.py`, `lrhooks.cli.schedule_flags`) shows none, and `--helpfull` lists every flag of
absl and TensorFlow too. `show_in_help` declares a program's flags as key flags of the main
module, so `--help` lists exactly them (`--helpfull` is unchanged). `stray_arguments` is
the one complaint every program makes about words on its command line that are not flags.
`help_exits_zero` makes absl's `--help` (which exits 1) exit 0, as a help request succeeds.
"""

import contextlib
import sys
from typing import Iterable, Iterator, Optional, Sequence

from absl import flags


def describe_program(doc: Optional[str]) -> None:
    """Gives absl's `--help` the program's description when it runs as an installed script.

    absl prints the `__main__` module's docstring above the flags; a console script's
    generated `__main__` has none, so `lrhooks-train --help` would show the flags alone.
    `python -m` runs keep their own docstring.
    """
    main = sys.modules.get("__main__")
    if main is not None and not getattr(main, "__doc__", None) and doc:
        main.__doc__ = doc


def show_in_help(flag_values: flags.FlagValues, names: Iterable[str]) -> None:
    """Makes `--help` list the flags `names` of `flag_values` (defined already).

    Raises:
      KeyError: A name that is not a defined flag.
    """
    for name in names:
        if name not in flag_values:
            raise KeyError(f"`names` has {name!r}, which is not a defined flag")
        flag_values.register_key_flag_for_module(sys.argv[0], flag_values[name])


def stray_arguments(argv: Sequence[str]) -> Optional[str]:
    """The one-line error for the non-flag arguments absl leaves in `argv` (after the
    program's name), e.g. `true` of `--plots true`; None when there are none."""
    if len(argv) <= 1:
        return None
    return (f"unexpected arguments: {' '.join(argv[1:])} (every argument is a flag, "
            "--name=value; --help lists them)")


HELP_FLAGS = ("help", "helpshort", "helpfull", "helpxml", "h", "?")


def help_requested(args: Sequence[str]) -> bool:
    """Whether `args` (a command line, before any `--`) ask for help (`--help`, `-h`, ...)."""
    for arg in args:
        if arg == "--":
            return False
        if arg.startswith("-") and arg.lstrip("-").split("=", 1)[0] in HELP_FLAGS:
            return True
    return False


@contextlib.contextmanager
def help_exits_zero(argv: Sequence[str]) -> Iterator[None]:
    """Around absl's flag parsing: its exit after printing the help becomes exit status 0."""
    try:
        yield
    except SystemExit as stop:
        if stop.code == 1 and help_requested(argv[1:]):
            sys.stdout.flush()
            raise SystemExit(0) from None
        raise
