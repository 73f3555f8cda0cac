"""SIGTERM and SIGINT from the program's first line to its last: one line, 128 + N.

`install(program)` runs before the heavy imports (TensorFlow); until training starts a
signal ends the process at once with one line saying what it was doing and what to do
next (nothing to save yet). While training runs, `faults.SignalStop` takes over (a
checkpoint at the current step, then exit); after it, during the final evaluation, the
line says that the checkpoints are kept.

Importing this module is cheap: the standard library only, no TensorFlow.

For tests only: with `RESNET_MNIST_PAUSE_AT=<moment>` in the environment, `pause(moment)`
prints `paused at <moment>` to stderr and sleeps `RESNET_MNIST_PAUSE_SECS` (default 5)
seconds, so that a test can send a signal at that moment without racing the program.
"""

import os
import signal
import sys
import time
from typing import Optional

SIGNALS = (signal.SIGTERM, signal.SIGINT)
PAUSE_AT = "RESNET_MNIST_PAUSE_AT"
PAUSE_SECS = "RESNET_MNIST_PAUSE_SECS"

_state = {"program": "train", "doing": "starting",
          "advice": "nothing was trained: run the same command again"}


def install(program: str) -> None:
    """Ends the process with one line on SIGTERM/SIGINT from now on (main thread only)."""
    _state["program"] = program
    for signum in SIGNALS:
        signal.signal(signum, _handle)


def phase(doing: str, advice: Optional[str] = None) -> None:
    """Says what the program does now (`doing`) and what to do after a signal (`advice`)."""
    _state["doing"] = doing
    if advice is not None:
        _state["advice"] = advice
    pause(doing)


def stopped_line(signum: int, program: Optional[str] = None) -> str:
    """The line printed when signal `signum` ends the current phase."""
    return (f"{program or _state['program']}: stopped by signal {int(signum)} while "
            f"{_state['doing']}; {_state['advice']}")


def _handle(signum, frame):  # pylint: disable=unused-argument
    try:
        sys.stdout.flush()
    except (OSError, ValueError, RuntimeError):
        pass
    os.write(2, (stopped_line(signum) + "\n").encode())
    os._exit(128 + signum)  # pylint: disable=protected-access


def pause(moment: str) -> None:
    """The test hook described in the module docstring (a no-op otherwise)."""
    if os.environ.get(PAUSE_AT) != moment:
        return
    os.write(2, f"paused at {moment}\n".encode())
    time.sleep(float(os.environ.get(PAUSE_SECS, "5")))
