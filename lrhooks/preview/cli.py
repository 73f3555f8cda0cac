"""`python -m lrhooks.preview`: the command line of the schedule preview.

    python -m lrhooks.preview --lr_schedule=piecewise_constant --lr_boundaries=2000,3000 \\
        --lr_values=0.1,0.01,0.001 --steps=3500 [--logdir=previews/piecewise] [--log_scale]
    python -m lrhooks.preview --trainer_flagfile=models/resnet_mnist/configs/resnet.flags

The schedule flags are those of every program (`lrhooks.cli.schedule_flags`). `--trainer_flagfile=F`
reads any flagfile (a training program's, typically), keeps its schedule flags and, if present,
its `--train_steps` (as the default `--steps`), and ignores every other flag in it; flags on the
command line override it (a full `--lr_schedule` spec there replaces all its schedule flags).
The preview knows no program's other flags.

`--train_steps=N` is the run's length: it resolves a template `--lr_schedule` (one that
writes `train_steps`, `lrhooks.spec`), is the default `--steps`, and prints one warning line
when the schedule ends at another step (`lrhooks.horizons.horizon_warning`):

    python -m lrhooks.preview --lr_schedule='one_cycle(0.2, total_steps=train_steps)' \
        --train_steps=200

The chart, key points and event file come from the library functions of `lrhooks.preview`.
"""

import os
import sys
from typing import List, Optional, Sequence, Tuple

from absl import app
from absl import flags

from lrhooks import horizons
from lrhooks import spec as spec_lib
from lrhooks.cli import cli_flags
from lrhooks.cli import console
from lrhooks.cli import schedule_flags
from lrhooks.preview._views import (MIN_HEIGHT, MIN_WIDTH, TENSORBOARD_SAMPLES,
                                    format_key_points, key_points, render_chart, stateful_note,
                                    write_series_file)

FLAGS = flags.FLAGS


def define_flags(flag_values: flags.FlagValues = flags.FLAGS) -> None:
    """Defines the schedule flags (shared with the trainer) and the preview's own flags."""
    fv = flag_values
    schedule_flags.define_schedule_flags(fv)
    flags.DEFINE_integer("steps", None, "Steps to preview: [0, steps). Default: --train_steps.",
                         lower_bound=1, flag_values=fv)
    flags.DEFINE_integer(schedule_flags.RUN_LENGTH_FLAG, None, "The run's length: resolves "
                         "`train_steps` in a --lr_schedule spec, the default --steps, and a "
                         "warning when the schedule ends elsewhere.", lower_bound=1,
                         flag_values=fv)
    flags.DEFINE_string("logdir", None, "Also write the curve as the 'learning_rate' scalar to a "
                        "new event file here (for TensorBoard).", flag_values=fv)
    flags.DEFINE_integer("width", 72, "Chart columns.", lower_bound=MIN_WIDTH, flag_values=fv)
    flags.DEFINE_integer("height", 16, "Chart rows.", lower_bound=MIN_HEIGHT, flag_values=fv)
    flags.DEFINE_bool("log_scale", False, "Log-scale rate axis.", flag_values=fv)
    flags.DEFINE_bool("verbose", False, "With --logdir: also show TensorFlow's own log lines "
                      "(its C++ banner) when it is imported to write.", flag_values=fv)
    flags.DEFINE_string("trainer_flagfile", None, "Any flagfile (e.g. a training program's): "
                        "its schedule flags and its --train_steps (as --steps), if present, "
                        "apply; its other flags are ignored; command-line flags override it.",
                        flag_values=fv)
    cli_flags.show_in_help(fv, [*schedule_flags.FLAG_NAMES, "steps", "train_steps", "logdir",
                                "width",
                                "height", "log_scale", "verbose", "trainer_flagfile"])


def flagfile_schedule_args(lines: Sequence[str],
                           fv: flags.FlagValues) -> Tuple[List[str], Optional[str]]:
    """From the expanded lines of any flagfile: (its schedule flag args, its --train_steps value).

    Schedule flags are those of `lrhooks.cli.schedule_flags.FLAG_NAMES`; `--train_steps` is None
    when the file has none; every other flag is dropped (whether `fv` knows it or not).
    """
    kept, train_steps, i = [], None, 0
    while i < len(lines):
        arg, name = lines[i], schedule_flags.flag_name(lines[i])
        base = name[2:] if name.startswith("no") and name[2:] in fv else name
        takes_next = (arg.startswith("-") and "=" not in arg and i + 1 < len(lines)
                      and not lines[i + 1].startswith("-")
                      and not (base in fv and fv[base].boolean))
        value_args = lines[i:i + 2] if takes_next else lines[i:i + 1]
        if arg.startswith("-") and base in schedule_flags.FLAG_NAMES:
            kept.extend(value_args)
        elif arg.startswith("-") and name == "train_steps" and len(value_args) + ("=" in arg) > 1:
            train_steps = arg.split("=", 1)[1] if "=" in arg else value_args[-1]
        i += len(value_args)
    return kept, train_steps


trainer_args = flagfile_schedule_args  # Its former name, kept for one release.


def parse_flags(argv: List[str]) -> List[str]:
    """absl flags parser: the command line, after the schedule flags of a --trainer_flagfile."""
    try:
        args = FLAGS.read_flags_from_files(argv[1:], force_gnu=True)
        path = None
        for i, arg in enumerate(args):
            if schedule_flags.flag_name(arg) == "trainer_flagfile" and arg.startswith("-"):
                path = arg.split("=", 1)[1] if "=" in arg else (args[i + 1:i + 2] or [None])[0]
        if path:
            kept, train_steps = flagfile_schedule_args(
                FLAGS.read_flags_from_files([f"--flagfile={path}"]), FLAGS)
            if schedule_flags.full_spec_given(args):  # it replaces the flagfile's whole schedule
                kept = []
            if train_steps is not None:
                kept.append(f"--train_steps={train_steps}")
            args = kept + args
        given = [a.split("=", 1)[1] for a in args if a.startswith("-") and "=" in a
                 and schedule_flags.flag_name(a) == schedule_flags.RUN_LENGTH_FLAG]
        if given and not any(schedule_flags.flag_name(a) == "steps" for a in args):
            args = [f"--steps={given[-1]}"] + args  # the run's length, unless --steps says
    except flags.Error as error:
        sys.stderr.write(f"FATAL Flags parsing error: {error}\n")
        sys.exit(1)
    with cli_flags.help_exits_zero(argv):
        return app.parse_flags_with_usage([argv[0]] + args)


def main(argv: List[str]) -> int:
    """Prints the chart and the key points; with --logdir, writes the event file."""
    stray = cli_flags.stray_arguments(argv)
    if stray:
        print(f"preview: error: {stray}", file=sys.stderr)
        return 1
    steps = FLAGS.steps
    if steps is None:  # checked here: a bad --lr_schedule is then the only error line
        print("preview: error: --steps is required (or --train_steps, the run's length)",
              file=sys.stderr)
        return 1
    schedule = schedule_flags.schedule_from_flags(FLAGS.flag_values_dict())
    try:
        if spec_lib.is_template(FLAGS.lr_schedule):
            print(f"{FLAGS.lr_schedule} with train_steps={FLAGS.train_steps}:")
        print(f"{schedule!r} over steps 0..{steps - 1}\n"
              "(the rate at step s is schedule(s), used by the run from step s to s + 1)\n")
        warning = (horizons.horizon_warning(schedule, FLAGS.train_steps)
                   if FLAGS.train_steps is not None else None)
        if warning:
            print(f"warning: {warning}\n")
        note = stateful_note(schedule)
        if note:
            print(note + "\n")
        print(render_chart(schedule, steps, FLAGS.width, FLAGS.height, FLAGS.log_scale))
        print("'*': the rates in a column (lowest to highest); '|': a jump or steep change\n")
        print(format_key_points(key_points(schedule, steps)))
        if FLAGS.logdir:
            console.import_tensorflow_quietly(FLAGS.verbose)  # before the writer imports it
            existing = os.path.isdir(FLAGS.logdir) and any(
                "tfevents" in name for name in os.listdir(FLAGS.logdir))
            count, path = write_series_file(schedule, steps, FLAGS.logdir, "learning_rate",
                                            10_000)
            print(f"\nwrote {count} points of 'learning_rate' to {path}: "
                  "the value at step s is schedule(s) (training records it at step s + 1)")
            if existing:
                print(f"note: {FLAGS.logdir} already had event files; TensorBoard merges them")
            if count > TENSORBOARD_SAMPLES:
                print(f"{console.tensorboard_command(FLAGS.logdir)} "
                      f"--samples_per_plugin=scalars={count} shows every point")
    except (ValueError, OSError) as error:
        print(f"preview: error: {error}", file=sys.stderr)
        return 1
    return 0


def run() -> None:
    """Defines the flags and runs `main` (what `python -m lrhooks.preview` does)."""
    cli_flags.describe_program(__doc__)
    console.guard_standard_streams()  # `| head`: the rest of the output is dropped
    define_flags()
    app.run(main, flags_parser=parse_flags)
