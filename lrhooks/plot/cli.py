"""`python -m lrhooks.plot`: PNG plots of the scalars in any event files.

    python -m lrhooks.plot --logdir=runs/quick [--out=DIR]

Draws `learning_rate.png` (the rate and every other scheduled value), `loss.png` and
`accuracy.png` (training and evaluation runs together) from the event files under
`--logdir`, into `--out` (default: `--logdir`), and prints one line saying where they went.
A directory without event files is one line `plot: error: ...` and exit code 1. stderr holds
nothing else: TensorFlow (which TensorBoard's reader imports) is imported without its C++
banner unless `TF_CPP_MIN_LOG_LEVEL` is set, and TensorBoard's reader logs only errors.
"""

import logging
import os
import sys
from typing import List

from absl import app
from absl import flags

from lrhooks.cli import cli_flags
from lrhooks.cli import console
from lrhooks.plot._figures import NoEventsError, write_plots

FLAGS = flags.FLAGS


def define_flags(flag_values: flags.FlagValues = flags.FLAGS) -> None:
    """The plot's flags (the only ones `--help` shows)."""
    flags.DEFINE_string("logdir", None, "A run directory (with its eval/) or a parent of runs: "
                        "every event file under it is read.", flag_values=flag_values)
    flags.DEFINE_string("out", None, "Where the PNG files go (default: --logdir).",
                        flag_values=flag_values)
    flags.mark_flag_as_required("logdir", flag_values=flag_values)
    cli_flags.show_in_help(flag_values, ["logdir", "out"])


def main(argv: List[str]) -> int:
    """Writes the plots and prints where they went."""
    stray = cli_flags.stray_arguments(argv)
    if stray:
        print(f"plot: error: {stray}", file=sys.stderr)
        return 1
    console.import_tensorflow_quietly(verbose=False)  # TensorBoard's reader imports it
    logging.getLogger("tensorboard").setLevel(logging.ERROR)  # its directory-watcher lines
    try:
        paths = write_plots(FLAGS.logdir, FLAGS.out)
    except NoEventsError as error:
        print(f"plot: error: {error}", file=sys.stderr)
        return 1
    except OSError as error:  # --out (or --logdir) is a file, read-only, ...
        flag, out = ("--out", FLAGS.out) if FLAGS.out else ("--logdir", FLAGS.logdir)
        reason = ("it is a file, not a directory" if os.path.isfile(out)
                  else f"{error.strerror}: {error.filename!r}")
        print(f"plot: error: cannot write the plots into {flag} {out!r}: {reason}",
              file=sys.stderr)
        return 1
    names = ", ".join(os.path.basename(path) for path in paths)
    print(f"wrote {names} to {FLAGS.out or FLAGS.logdir}")
    return 0


def _parse_flags(argv: List[str]) -> List[str]:
    """absl's parser, with `--help` exiting 0."""
    with cli_flags.help_exits_zero(argv):
        return app.parse_flags_with_usage(argv)


def run() -> None:
    """Defines the flags and runs `main` (what `python -m lrhooks.plot` does)."""
    cli_flags.describe_program(__doc__)
    console.guard_standard_streams()  # `| head`: the rest of the output is dropped
    define_flags()
    app.run(main, flags_parser=_parse_flags)
