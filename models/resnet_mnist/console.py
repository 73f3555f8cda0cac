"""What the trainer's programs print: their own lines, tidy, on one stream.

Every line of a program (`train: ...`, `eval: ...`) goes to stdout: the start lines, the log
lines (on a terminal with the live progress line below them), the result and the summary, so
`> run.log` or `| tee` keeps the whole story in order. stderr carries only what needs
attention: errors (one line, `train: error: ...`), warnings (`train: warning: ...`) and, with
`--verbose`, TensorFlow's own log lines. Without `--verbose`, TensorFlow's C++ lines are hidden
(`lrhooks.cli.console`, before TensorFlow is imported) and so are its TF1 hook messages ("Create
CheckpointSaverHook", "Graph was finalized", "Saving checkpoints", ...): INFO from the
`tensorflow` logger.
"""

import dataclasses
import glob
import importlib.util
import logging as std_logging
import os
import shlex
import sys
from typing import TYPE_CHECKING, List, Optional, TextIO

from absl import logging

from lrhooks import plot as lrhooks_plot
from lrhooks.cli import console as lrhooks_console

if TYPE_CHECKING:  # TensorFlow is imported where it is used: `--help` never loads it
    from lrhooks.hooks import training_log as training_log_lib

# Without --verbose: TensorFlow's Python logger shows warnings and errors only (no TF1 hook
# messages); TensorBoard's (its event reader, used for the plots) errors only (its "Directory
# watcher advancing" and "more than one graph event per run" are nothing to act on).
_QUIET_LEVELS = {"tensorflow": std_logging.WARNING, "tensorboard": std_logging.ERROR}


def tensorboard_command(train_dir: str) -> str:
    """`tensorboard --logdir=PARENT`, as it runs from here (`lrhooks.cli.console`): the parent of
    the run directory, where runs sit side by side (the HParams dashboard finds each run's
    metric in `<run>/eval`)."""
    return lrhooks_console.tensorboard_command(
        os.path.dirname(os.path.normpath(train_dir)) or ".")


def eval_command(train_dir: str) -> str:
    """The evaluator's command for `train_dir`, once, as it runs from here."""
    return (f"{lrhooks_console.python_command()} -m models.resnet_mnist.eval "
            f"--train_dir={shlex.quote(train_dir)} --eval_once")


def _count(value: int) -> str:
    return f"{value:,}"


@dataclasses.dataclass(frozen=True)
class RunStart:
    """What a training run prints before its first step."""

    model: str
    parameters: int
    optimizer: str
    batch_size: int
    train_images: int
    test_images: Optional[int]
    data_dir: str
    schedule: str
    train_steps: int
    device: str
    data_format: str
    precision: str  # resolved: fp32, bf16 or fp16
    train_dir: str
    start_step: int


class Console:
    """A program's own lines: `PROGRAM: text` on stdout, warnings and errors on stderr.

    While a `TrainingLogHook` draws its live progress line on the same terminal
    (`attach`), lines go above it and it is redrawn below them.
    """

    def __init__(self, program: str, stream: Optional[TextIO] = None,
                 error_stream: Optional[TextIO] = None):
        self.program = program
        self._stream, self._error_stream = stream, error_stream
        self._hook: Optional["training_log_lib.TrainingLogHook"] = None

    @property
    def stream(self) -> TextIO:
        return self._stream or sys.stdout

    @property
    def error_stream(self) -> TextIO:
        return self._error_stream or sys.stderr

    def attach(self, hook: "training_log_lib.TrainingLogHook") -> None:
        """Lines printed while `hook` draws its live line go above that line."""
        self._hook = hook

    def _write(self, line: str, stream: TextIO) -> None:
        if self._hook is not None:
            self._hook.write_line(line, stream)
            return
        stream.write(line + "\n")
        stream.flush()

    def say(self, text: str) -> None:
        """One line of the program: `PROGRAM: text` on stdout."""
        self._write(f"{self.program}: {text}", self.stream)

    def lines(self, lines: List[str]) -> None:
        """Indented lines under the previous one (a summary block), on stdout."""
        for line in lines:
            self._write(f"  {line}", self.stream)

    def notice(self, text: str) -> None:
        """`PROGRAM: text` on stderr: the end of a run that stopped early (not an error)."""
        self._write(f"{self.program}: {text}", self.error_stream)

    def warn(self, text: str) -> None:
        self._write(f"{self.program}: warning: {text}", self.error_stream)

    def error(self, text: str) -> None:
        self._write(f"{self.program}: error: {text}", self.error_stream)

    def start(self, run: RunStart) -> None:
        """The lines before the first step: model, data, schedule, device, where it writes."""
        self.say(f"model {run.model}, {_count(run.parameters)} parameters, optimizer "
                 f"{run.optimizer}, batch {run.batch_size}")
        test = f" and {_count(run.test_images)} test" if run.test_images else ""
        self.say(f"data {_count(run.train_images)} train{test} images from {run.data_dir}")
        epochs = run.train_steps * run.batch_size / run.train_images
        self.say(f"schedule {run.schedule}, {run.train_steps} steps ({epochs:.3g} "
                 f"epoch{'' if epochs == 1 else 's'})")
        self.say(f"device {run.device.replace('/device:', '')} ({run.data_format}, "
                 f"{run.precision}), train_dir {run.train_dir}")
        if run.start_step:
            self.say(f"resuming at step {run.start_step} of {run.train_steps}")


class _DropTensorFlowInternalDeprecations(std_logging.Filter):
    """Drops TensorFlow's deprecation notices about calls inside TensorFlow itself (e.g. its
    Saver calling `get_checkpoint_mtimes`): nothing a user of the program can act on. A
    deprecated call from this repository's code still shows."""

    def __init__(self):
        super().__init__()
        spec = importlib.util.find_spec("tensorflow")  # where it is, without importing it
        self._prefix = "From " + os.path.dirname(spec.origin if spec and spec.origin else "")

    def filter(self, record: std_logging.LogRecord) -> bool:
        return not (record.pathname.endswith("deprecation.py")
                    and record.getMessage().startswith(self._prefix))


class _ConsoleHandler(std_logging.Handler):
    """absl and TensorFlow log records as a program's lines: INFO on stdout, the rest on stderr."""

    def __init__(self, console: Console):
        super().__init__()
        self._console = console

    def emit(self, record: std_logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:  # pylint: disable=broad-except
            self.handleError(record)
            return
        if record.levelno >= std_logging.ERROR:
            self._console.error(text)
        elif record.levelno >= std_logging.WARNING:
            self._console.warn(text)
        else:
            self._console.say(text)


def setup_logging(console: Console, verbose: bool) -> None:
    """Python logging for a program: tidy by default, everything with `verbose`.

    Default: the program's absl INFO lines (e.g. an evaluation during training, a ps's
    progress) go out through `console`; TensorFlow's Python logger shows only warnings and
    errors (no TF1 hook messages), TensorBoard's only errors. `verbose`: absl's own format,
    INFO from TensorFlow too.
    """
    logging.set_verbosity(logging.INFO)
    tensorflow = sys.modules.get("tensorflow")  # not imported yet: called again once it is
    tf_logger = (tensorflow.get_logger() if tensorflow is not None
                 else std_logging.getLogger("tensorflow"))
    for handler in list(tf_logger.handlers):  # TensorFlow's messages through absl only, once
        if not isinstance(handler, logging.ABSLHandler):
            tf_logger.removeHandler(handler)
    root = std_logging.getLogger()
    if verbose:
        tf_logger.setLevel(std_logging.INFO)
        return
    for name, level in _QUIET_LEVELS.items():
        std_logging.getLogger(name).setLevel(level)
    for handler in list(root.handlers):
        if isinstance(handler, (logging.ABSLHandler, _ConsoleHandler)):
            root.removeHandler(handler)
    handler = _ConsoleHandler(console)
    handler.addFilter(_DropTensorFlowInternalDeprecations())
    root.addHandler(handler)


def summary(console: Console, result, config, checkpoint: Optional[str] = None) -> None:
    """The block after a run (`result`: `loop.TrainResult` of `config`): what happened, the
    test accuracy, where the checkpoints and events are, and how to look at them.

    `checkpoint`: the latest checkpoint when the caller knows it (a finished run's record,
    `finished_runs`), else TensorFlow finds it; a finished run's summary imports no TensorFlow
    with it."""
    step, train_dir = result.global_step, config.train_dir
    if result.trained_nothing and step > config.train_steps:
        console.say(f"{train_dir} is already past --train_steps={config.train_steps}: its "
                    f"checkpoint is at step {step}; nothing to train (what follows is of step "
                    f"{step})")
    elif result.trained_nothing:
        console.say(f"{train_dir} is finished (step {step} of {config.train_steps}); nothing "
                    "to train")
    else:
        from lrhooks.hooks import training_log as training_log_lib  # pylint: disable=import-outside-toplevel
        trained = step - result.start_step
        speed = (f", {trained / result.train_seconds:.3g} steps/s"
                 if result.train_seconds else "")
        console.say(f"done: step {step} of {config.train_steps} in "
                    f"{training_log_lib.format_duration(result.wall_seconds)}{speed}")
    lines = []
    if result.final_accuracy is not None:
        lines.append(f"test accuracy  {result.final_accuracy:.4f} at step {result.eval_step} "
                     f"(best {result.best_accuracy:.4f})")
    elif config.cluster.is_chief:
        lines.append(f"test accuracy  not evaluated: {eval_command(train_dir)}")
    if checkpoint is None and config.cluster.is_chief:
        import tensorflow as tf  # pylint: disable=import-outside-toplevel  # not for a record's
        checkpoint = tf.train.latest_checkpoint(train_dir)
    if checkpoint is not None:
        lines.append(f"checkpoints    {checkpoint}")
    eval_dir = os.path.join(train_dir, "eval")
    lines.append(f"events         {train_dir} (training)"
                 + (f", {eval_dir} (test)" if os.path.isdir(eval_dir) else ""))
    plots = sorted(p for p in glob.glob(os.path.join(glob.escape(train_dir), "*.png"))
                   if lrhooks_plot.is_complete_png(p))  # a damaged one was redrawn or is not listed
    if plots:
        lines.append(f"plots          {', '.join(plots)}")
    lines.append(f"TensorBoard    {tensorboard_command(train_dir)}")
    console.lines(lines)
