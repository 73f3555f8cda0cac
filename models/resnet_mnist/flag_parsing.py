"""Parsing the command line of the trainer and the evaluator: one line for any bad input.

absl reports unknown flags and bad values itself; a `--flagfile` that is not text (binary
garbage) makes it raise `UnicodeDecodeError`. `parser(program)` is the `flags_parser` of
`absl.app.run` that turns that into one line and exit status 1.

The command line wins over a flagfile, as absl has it for every flag: a full `--lr_schedule`
spec (`name(...)`) given on the command line itself replaces the schedule flags of the
flagfiles it names (`--learning_rate`, `--lr_decay_steps`, ...), which would otherwise clash
with it. Schedule flags given beside the spec on the command line itself stay an error.
`--help` (and `--helpshort`, `--helpfull`) exits 0.
"""

import sys
from typing import Callable, List, Sequence

from absl import app
from absl import flags

from lrhooks.cli import cli_flags
from lrhooks.cli import schedule_flags

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


def _is_schedule_flag(arg: str) -> bool:
    name = schedule_flags.flag_name(arg)
    if name.startswith("no") and name[2:] in schedule_flags.FLAG_NAMES:
        name = name[2:]  # --nolr_staircase
    return arg.startswith("-") and name in schedule_flags.FLAG_NAMES


def command_line_schedule_wins(argv: List[str],
                               fv: flags.FlagValues = flags.FLAGS) -> List[str]:
    """`argv` with its flagfiles expanded, less their schedule flags, when the command line
    itself gives a full `--lr_schedule` spec; `argv` unchanged otherwise."""
    args = argv[1:]
    if not schedule_flags.full_spec_given(args):
        return argv
    kept, i = [], 0
    while i < len(args):
        arg = args[i]
        path = None
        if arg.startswith(FLAGFILE) or arg.startswith("-" + FLAGFILE):
            path = arg.split("=", 1)[1]
        elif arg in ("--flagfile", "-flagfile") and i + 1 < len(args):
            path, i = args[i + 1], i + 1
        if path is None:
            kept.append(arg)
        else:
            kept.extend(line for line in fv.read_flags_from_files([f"--flagfile={path}"])
                        if not _is_schedule_flag(line))
        i += 1
    return [argv[0]] + kept


def parser(program: str) -> Callable[[List[str]], List[str]]:
    """absl's `parse_flags_with_usage`, with a binary flagfile reported in one line, a full
    `--lr_schedule` on the command line over a flagfile's schedule, and `--help` exiting 0."""

    def parse(argv: List[str]) -> List[str]:
        try:
            with cli_flags.help_exits_zero(argv):
                return app.parse_flags_with_usage(command_line_schedule_wins(argv))
        except (UnicodeDecodeError, ValueError) as error:
            path = _first_unreadable(_flagfiles(argv))
            print(f"{program}: error: --flagfile {path!r} is not a text file of flags "
                  f"({error})", file=sys.stderr)
            sys.exit(1)
        except flags.Error as error:  # a missing --flagfile, as absl reports it
            sys.stderr.write(f"FATAL Flags parsing error: {error}\n")
            sys.exit(1)

    return parse
