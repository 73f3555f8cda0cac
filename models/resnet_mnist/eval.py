"""Evaluates the trainer's checkpoints on the whole MNIST test set.

    python -m models.resnet_mnist.eval --train_dir=DIR --eval_once
    python -m models.resnet_mnist.eval --train_dir=DIR   # follow training

`--data_dir` and the model flags default to the run's, from `TRAIN_DIR/train_config.json`.
A step already evaluated in the eval dir (the trainer's final evaluation, an earlier
`--eval_once`) is not evaluated again: one line says so and nothing is written. Writes `accuracy` (top-1, what the classic ResNet code called precision), `loss` (mean
cross-entropy per test image) and `best_accuracy` summaries to `--eval_dir` (default
`TRAIN_DIR/eval`), the best in `best_accuracy.json`, and prints them. The model
configuration is read from the `train_config.json` the trainer left in `--train_dir`. Without
`--eval_once` it waits for new checkpoints (sleeping, never spinning) and stops
after evaluating the trainer's last step, or after `--eval_timeout_secs`
without a new checkpoint. The CLI only: the evaluation itself is `evaluation.py`; what it
prints and where: `console.py`.

The trainer's flagfile works too (`--flagfile=models/resnet_mnist/configs/quick.flags
--data_dir=DIR --eval_once`): its `--train_dir` applies, its model flags must match the
run's train_config.json (a mismatch is one line naming the flag), its other flags are ignored.
"""

from absl import app
from absl import flags

from lrhooks.cli import cli_flags
from lrhooks.cli import console as lrhooks_console
from models.resnet_mnist import config as config_lib
from models.resnet_mnist import console as console_lib
from models.resnet_mnist import flag_parsing

# TensorFlow is imported once the flags are parsed (`main`): `--help` never loads it.
FLAGS = flags.FLAGS
CONSOLE = console_lib.Console("eval")


def define_flags(flag_values: flags.FlagValues = FLAGS) -> None:
    fv = flag_values
    flags.DEFINE_string("data_dir", None, "Directory with the MNIST test files (default: the "
                        "run's, from TRAIN_DIR/train_config.json).", flag_values=fv)
    flags.DEFINE_string("train_dir", None, "The trainer's --train_dir.", flag_values=fv)
    flags.DEFINE_string("eval_dir", None, "Event files of the evaluation (default "
                        "TRAIN_DIR/eval).", flag_values=fv)
    flags.DEFINE_bool("eval_once", False, "Evaluate the latest checkpoint once and exit.",
                      flag_values=fv)
    flags.DEFINE_integer("eval_interval_secs", 30, "Minimum seconds between evaluations.",
                         lower_bound=1, flag_values=fv)
    flags.DEFINE_integer("eval_timeout_secs", 3600, "Stop after this long with no new "
                         "checkpoint.", lower_bound=1, flag_values=fv)
    flags.DEFINE_integer("eval_batch_size", 1000, "Evaluation batch size.", lower_bound=1,
                         flag_values=fv)
    # The trainer's other flags, so that its flagfile parses (not listed by --help), without
    # the trainer's validators: the evaluator checks the model flags against the run instead.
    trainer = flags.FlagValues()
    config_lib.define_flags(trainer)
    for name in trainer:
        if name not in fv:
            flag = trainer[name]  # `trainer` is discarded: its flags are ours to change
            flag.validators = []
            fv[name] = flag
    cli_flags.show_in_help(fv, ["data_dir", "train_dir", "eval_dir", "eval_once",
                                "eval_interval_secs", "eval_timeout_secs", "eval_batch_size",
                                "verbose"])  # --verbose is the trainer's flag


def main(argv):
    stray = cli_flags.stray_arguments(argv)
    if stray:
        CONSOLE.error(stray)
        return 1
    # Before anything imports TensorFlow: its C++ banner only with --verbose.
    lrhooks_console.import_tensorflow_quietly(FLAGS.verbose)
    from models.resnet_mnist import evaluation  # pylint: disable=import-outside-toplevel
    console_lib.setup_logging(CONSOLE, FLAGS.verbose)
    if not FLAGS.train_dir:
        CONSOLE.error("--train_dir is required (the trainer's --train_dir)")
        return 1
    try:
        data_dir = FLAGS.data_dir or config_lib.read_data_dir(FLAGS.train_dir)
        if not data_dir:
            CONSOLE.error(f"--data_dir is required: --train_dir {FLAGS.train_dir!r} has no "
                          f"{config_lib.CONFIG_FILE} that records one")
            return 1
        given = [name for name in config_lib.HPARAMS_FLAGS if FLAGS[name].present]
        config_lib.check_model_flags(FLAGS.flag_values_dict(), given, FLAGS.train_dir)
        evaluation.run(data_dir, FLAGS.train_dir, FLAGS.eval_dir, FLAGS.eval_once,
                       FLAGS.eval_batch_size, FLAGS.eval_interval_secs, FLAGS.eval_timeout_secs,
                       print_fn=CONSOLE.say)
    except ValueError as error:  # includes data_lib.DataError
        CONSOLE.error(str(error))
        return 1
    return 0


def run() -> None:
    """The program (`python -m models.resnet_mnist.eval`, the `lrhooks-eval` script)."""
    cli_flags.describe_program(__doc__)
    lrhooks_console.guard_standard_streams()  # a closed pipe (`| head`, `| tee`) stops nothing
    define_flags()
    app.run(main, flags_parser=flag_parsing.parser("eval"))


if __name__ == "__main__":
    run()
