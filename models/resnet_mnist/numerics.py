"""The finiteness check of a training step, and what it reports when it fails.

`checked_gradients` makes the weight update wait for a check that the loss and the
gradient norm are finite. Before the check runs, the step, learning rate, loss and
gradient norm of the run are written into local variables (never checkpointed, never
fetched): when the check fails the run aborts with an `InvalidArgumentError` before
any weight changes, and `FiniteCheck.read(session)` reads the offending values back
from the still-open session. No error message is parsed.

`FiniteStateCheck` checks what the update produced (weights, optimizer slots, batch-norm
moving statistics) before each checkpoint is written: a listener of the checkpoint saver,
so it runs only on save steps (and once at the end), in the graph, fetching one boolean
per variable. A failure raises `NonFiniteStateError` instead of saving.
"""

import contextlib
import dataclasses
from typing import List, Optional, Sequence, Union

import numpy as np
import tensorflow as tf

from models.resnet_mnist import early_signals

tf1 = tf.compat.v1

# The first datum of the failing Assert: how a failed check is told from other errors.
NON_FINITE_MESSAGE = "non-finite loss or gradients"
CHECK_NAME = "check_finite"
RECORD_SCOPE = "non_finite_record"
_FIELDS = ("step", "learning_rate", "loss", "gradient_norm")


def tf_number_text(value: Union[np.generic, int, float]) -> str:
    """`value` written as TensorFlow's Assert writes a tensor element.

    Integers in decimal; float32 with 6 significant digits, or 9 when 6 do not read
    back as the same float32 (float64: 15, else 17); NaN as `nan` or `-nan`.
    """
    value = np.asarray(value)[()]
    if np.issubdtype(value.dtype, np.integer):
        return str(int(value))
    if np.isnan(value):
        return "-nan" if np.signbit(value) else "nan"
    short, full = (6, 9) if value.dtype == np.float32 else (15, 17)
    text = f"{float(value):.{short}g}"
    if value.dtype.type(text) != value:
        text = f"{float(value):.{full}g}"
    return text


@dataclasses.dataclass(frozen=True)
class NonFiniteRecord:
    """The values of the run that failed the check (None: could not be read back)."""

    step: Optional[np.generic] = None
    learning_rate: Optional[np.generic] = None
    loss: Optional[np.generic] = None
    gradient_norm: Optional[np.generic] = None

    def describe(self, advice: str = "lower the learning rate and run again") -> str:
        """The one-line error the trainer prints (with `train: error: ` before it)."""
        text = {name: "?" if getattr(self, name) is None else tf_number_text(getattr(self, name))
                for name in _FIELDS}
        return (f"the loss or gradients became non-finite at step {text['step']} "
                f"(learning rate {text['learning_rate']}, loss {text['loss']}, "
                f"gradient norm {text['gradient_norm']}); nothing was saved after the last "
                f"checkpoint: {advice}")


def is_failure(error: tf.errors.OpError) -> bool:
    """Whether `error` is a failed finiteness check (its Assert's first datum)."""
    text = error.message if hasattr(error, "message") else str(error)
    return NON_FINITE_MESSAGE in text


class FiniteCheck:
    """The check's record variables, and reading them after a failure."""

    def __init__(self, record: Sequence[tf.Variable]):
        self._record = list(record)

    @property
    def record_variables(self) -> List[tf.Variable]:
        return list(self._record)

    def read(self, session) -> NonFiniteRecord:
        """The failing run's values, from a session that raised the check's error.

        Args:
          session: The `tf.compat.v1.Session` or `MonitoredSession` of the failed run
            (still open; a MonitoredSession is read through `run_step_fn`, without hooks).
        """
        def fetch(step_context):
            return step_context.session.run(self._record)

        try:
            if hasattr(session, "run_step_fn"):
                values = session.run_step_fn(fetch)
            else:
                values = session.run(self._record)
        except tf.errors.OpError:
            return NonFiniteRecord()
        return NonFiniteRecord(*values)


def checked_gradients(grads: Sequence[Optional[tf.Tensor]], loss: tf.Tensor,
                      global_step: tf.Variable, learning_rate, record_device: str = "",
                      skip_allowed: Optional[tf.Tensor] = None):
    """Returns (`grads` gated on the check, the `FiniteCheck`).

    Args:
      grads: The gradients (None entries stay None).
      loss: The scalar loss.
      global_step: The step variable (its value before the update is recorded).
      learning_rate: The scalar rate tensor (or a float).
      record_device: Where the record variables live: the local worker (e.g.
        '/job:worker/task:1/device:CPU:0'), never a ps; '' leaves it to the caller's scope.
      skip_allowed: A bool tensor: when true, non-finite gradients pass (a loss scale's
        overflow: the caller skips the step); the loss must still be finite.
    """
    present = [g for g in grads if g is not None]
    norm = tf.linalg.global_norm(present)
    rate = tf.convert_to_tensor(learning_rate)
    step = global_step.read_value()
    grads_ok = tf.math.is_finite(norm)
    if skip_allowed is not None:
        grads_ok = tf.logical_or(grads_ok, skip_allowed)
    finite = tf.logical_and(tf.math.is_finite(loss), grads_ok)
    values = (step, rate, loss, norm)
    with tf1.device(record_device) if record_device else contextlib.nullcontext():
        with tf1.variable_scope(RECORD_SCOPE, reuse=tf1.AUTO_REUSE):
            record = [tf1.get_variable(name, [], value.dtype, tf1.zeros_initializer(),
                                       trainable=False,
                                       collections=[tf1.GraphKeys.LOCAL_VARIABLES])
                      for name, value in zip(_FIELDS, values)]
        writes = [var.assign(value, read_value=False) for var, value in zip(record, values)]
    with tf.control_dependencies(writes):
        check = tf.debugging.Assert(
            finite, [NON_FINITE_MESSAGE, "step", step, "learning_rate", rate, "loss", loss,
                     "gradient_norm", norm], summarize=1, name=CHECK_NAME)
    with tf.control_dependencies([check]):
        gated = [None if g is None else tf.identity(g) for g in grads]
    return gated, FiniteCheck(record)



class NonFiniteStateError(RuntimeError):
    """The variables hold NaN or infinite values after step `step` (nothing was saved)."""

    def __init__(self, step: int, names: Sequence[str]):
        self.step, self.names = int(step), list(names)
        more = f" and {len(self.names) - 1} more" if len(self.names) > 1 else ""
        super().__init__(f"the model's state became non-finite by step {self.step} "
                         f"({self.names[0]!r}{more})")

    def describe(self, advice: str = "lower the learning rate and run again") -> str:
        """The one-line error the trainer prints (with `train: error: ` before it)."""
        return f"{self}; nothing was saved after the last checkpoint: {advice}"


class FiniteStateCheck(tf1.train.CheckpointSaverListener):
    """Refuses to save a checkpoint whose floating-point variables are not all finite.

    Pass it in a `CheckpointSaverHook`'s listeners; `check(session, step)` also runs it
    directly. `last_saved_step` is the step of the last checkpoint the hook wrote.
    """

    def __init__(self):
        self.last_saved_step: Optional[int] = None
        self._names: List[str] = []
        self._finite: Optional[tf.Tensor] = None

    def begin(self):
        """Builds the check (one `all finite` per variable, beside the variable)."""
        if self._finite is not None:
            return
        variables = [v for v in tf1.global_variables() if v.dtype.base_dtype.is_floating]
        flags = []
        for variable in variables:
            with tf.device(variable.device):  # only a boolean leaves a ps
                flags.append(tf.reduce_all(tf.math.is_finite(variable.read_value())))
        self._names = [v.op.name for v in variables]
        self._finite = tf.stack(flags, name="check_finite_state") if flags else None

    def check(self, session, step: int) -> None:
        """Raises `NonFiniteStateError` if a variable holds NaN or an infinity."""
        if self._finite is None:
            return
        finite = session.run(self._finite)
        if not np.all(finite):
            raise NonFiniteStateError(step, [n for n, ok in zip(self._names, finite) if not ok])

    def before_save(self, session, global_step_value):
        early_signals.pause("saving a checkpoint")
        self.check(session, global_step_value)

    def after_save(self, session, global_step_value):
        self.last_saved_step = int(global_step_value)
