"""What the trainer does when things go wrong: signals, diverged training, foreign checkpoints.

The finiteness check itself is `numerics.py`.

Exit codes of `python -m models.resnet_mnist.train`:

  0            trained to --train_steps
  1            bad input: flags, flagfile, data, --train_dir, a checkpoint of another model
  3            the loss or the gradients became NaN or infinite: nothing was saved after the
               last good checkpoint
  4            a cluster fault: a ps (or, at start, the chief) did not answer within
               --cluster_timeout_secs (a ps: and not when asked apart from training), this
               task's port is taken, the tasks were started with different
               --ps_hosts/--worker_hosts, or a worker with other model or training flags than
               the chief's (cluster.py, cluster_health.py)
  128 + N      stopped by signal N (130 for SIGINT, 143 for SIGTERM) after writing a
               checkpoint at the current step; run the same command again to continue (a
               worker whose step hangs on a lost ps stops without it: cluster_health.py)
"""

import signal
import threading
from typing import Dict, List, Optional

import tensorflow as tf

from models.resnet_mnist.user_errors import UserError  # noqa: F401  (faults.UserError)

tf1 = tf.compat.v1

EXIT_BAD_INPUT = 1
EXIT_NON_FINITE = 3
EXIT_CLUSTER = 4


class NonFiniteError(RuntimeError):
    """Training produced a NaN or infinite loss or gradient (exit 3).

    Its message is `numerics.NonFiniteRecord.describe()` of the failing run.
    """


class SecondSignal(KeyboardInterrupt):
    """A second SIGTERM/SIGINT while `SignalStop` waits for a clean stop: stop at once."""

    def __init__(self, signum: int):
        super().__init__(f"second signal {signum}")
        self.signum = int(signum)


class SignalStop:
    """Turns SIGTERM/SIGINT into a clean stop of a MonitoredSession loop.

    Use as a context manager around the training loop and pass `hook` in the
    session's hooks: the first signal requests a stop after the current run
    (MonitoredTrainingSession then writes its final checkpoint while closing);
    a second signal interrupts at once.
    """

    SIGNALS = (signal.SIGTERM, signal.SIGINT)

    def __init__(self):
        self.received: Optional[int] = None
        self._previous: Dict[int, object] = {}
        stop = self

        class _Hook(tf1.train.SessionRunHook):
            def after_run(self, run_context, run_values):
                if stop.received is not None:
                    run_context.request_stop()

        self.hook = _Hook()

    def _handle(self, signum, frame):
        if self.received is not None:
            raise SecondSignal(signum)
        self.received = signum

    def __enter__(self) -> "SignalStop":
        if threading.current_thread() is threading.main_thread():
            for signum in self.SIGNALS:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc_info) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()


def checkpoint_mismatches(checkpoint: str, variables: List[tf.Variable]) -> List[str]:
    """Differences between a checkpoint and the model's global variables, one line each."""
    saved = dict(tf.train.list_variables(checkpoint))
    problems = []
    for var in variables:
        name = var.op.name
        shape = var.shape.as_list()
        if name not in saved:
            problems.append(f"variable {name!r} of this model is not in the checkpoint")
        elif list(saved[name]) != shape:
            problems.append(f"variable {name!r} has shape {list(saved[name])} in the checkpoint "
                            f"and {shape} in this model")
    return problems
