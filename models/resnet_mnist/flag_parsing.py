"""Parsing the command line of the trainer and the evaluator: one line for any bad input.

absl reports unknown flags and bad values itself; a `--flagfile` that is not text (binary
garbage) makes it raise `UnicodeDecodeError`. `parser(program)` is the `flags_parser` of
`absl.app.run` that turns that into one line and exit status 1.
"""

import sys
from typing import Callable, List, Sequence

from absl import app

FLAGFILE = "--flagfile="


def _flagfiles(argv: Sequence[str]) -> List[str]:
    return [arg[len(FLAGFILE):] for arg in argv if arg.startswith(FLAGFILE)]


def _first_unreadable(paths: Sequence[str]) -> str:
    for path in paths:
        try:
            with open(path, encoding="utf-8") as f:
                f.read()
        except (OSError, UnicodeDecodeError, ValueError):
            return path
    return paths[0] if paths else "?"


def parser(program: str) -> Callable[[List[str]], List[str]]:
    """absl's `parse_flags_with_usage`, with a binary flagfile reported in one line."""

    def parse(argv: List[str]) -> List[str]:
        try:
            return app.parse_flags_with_usage(argv)
        except (UnicodeDecodeError, ValueError) as error:
            path = _first_unreadable(_flagfiles(argv))
            print(f"{program}: error: --flagfile {path!r} is not a text file of flags "
                  f"({error})", file=sys.stderr)
            sys.exit(1)

    return parse
