"""A worker's watchdog: a lost ps ends the task in one line, and so does a signal.

In a cluster, TensorFlow waits without limit for a task that is gone: creating a
session and `Session.run` block in C++, where no Python signal handler runs. A
`Watchdog` thread bounds those waits for a worker:

- **No progress**: while the training session is created, trains and closes,
  `timeout_secs` (--cluster_timeout_secs) without a session run starting or
  returning make the thread ask the ps tasks themselves, apart from training
  (`ask_ps`, e.g. `cluster_ps.unanswered_ps`), retrying for up to
  `max(timeout_secs, MIN_ASK_SECS)`. If every ps answers, the wait is a slow step,
  a loaded machine or a restarting peer (the chief restoring after a ps restart):
  one log line, and the wait goes on. Only a ps that gives no answer in that time
  ends the process, with one line naming it and `faults.EXIT_CLUSTER`.
- **Signals** reach the thread through `signal.set_wakeup_fd`, even while the
  main thread is blocked. While training, the trainer's own stop (a checkpoint at
  the current step, exit 128 + N) gets `SIGNAL_GRACE_SECS`; at any other moment
  (waiting for the ps or the chief, creating the session, after training) nothing
  of this process's training is unsaved and the process ends within a second.
  A second signal ends it at once.

The thread ends the process with `os._exit` after printing its line: a main
thread blocked in TensorFlow's C++ code cannot be interrupted otherwise.

For tests only: `RESNET_MNIST_MIN_ASK_SECS=<seconds>` in the environment replaces
`MIN_ASK_SECS` (a test of a dead ps need not wait a minute for its verdict).
"""

import contextlib
import os
import select
import signal
import sys
import threading
import time
from typing import Callable, Iterator, List, Optional, TextIO, Tuple

import tensorflow as tf
from absl import logging

from lrhooks import checks
from models.resnet_mnist import cluster as cluster_lib
from models.resnet_mnist import faults

tf1 = tf.compat.v1

SIGNAL_GRACE_SECS = 10.0  # for the trainer's own stop (checkpoint) when training
QUICK_GRACE_SECS = 1.0  # for the main thread to end by itself at other moments
_POLL_SECS = 0.2
MIN_ASK_SECS = 60.0  # the least time the ps tasks get to answer before one is called down
MIN_ASK_SECS_ENV = "RESNET_MNIST_MIN_ASK_SECS"  # tests only: replaces MIN_ASK_SECS
ASK = "ask"  # check()'s verdict: no progress, ask the ps tasks
_SIGNALS = (signal.SIGTERM, signal.SIGINT)

# Phases of a worker. Only the middle three are timed (TensorFlow waits for the ps in them).
STARTING, CONNECTING, TRAINING, CLOSING, FINISHED = (
    "starting", "creating its session", "training", "closing its session", "finished")
_TIMED = (CONNECTING, TRAINING, CLOSING)
_WHEN = {STARTING: "before training", FINISHED: "after training"}  # else "while <phase>"


def min_ask_secs() -> float:
    """MIN_ASK_SECS, or the seconds `$RESNET_MNIST_MIN_ASK_SECS` gives (tests only).

    Raises:
      ValueError: The variable is set to something other than a number > 0.
    """
    text = os.environ.get(MIN_ASK_SECS_ENV)
    if text is None:
        return MIN_ASK_SECS
    try:
        secs = float(text)
    except ValueError:
        raise ValueError(
            f"`{MIN_ASK_SECS_ENV}` must be a finite number > 0, got {text!r}") from None
    return checks.positive(MIN_ASK_SECS_ENV, secs)


class Watchdog:
    """Bounds a worker's waits on the cluster; use as a context manager around the worker.

    `hook` goes into the training session's hooks (it sees the session created, each
    run, the end); `training()` wraps the session's whole life (inside the trainer's
    signal handling). `check(now)` is the decision, for tests; the thread calls it.
    """

    def __init__(self, cluster: cluster_lib.ClusterConfig, timeout_secs: float, *,
                 signal_grace_secs: float = SIGNAL_GRACE_SECS,
                 clock: Callable[[], float] = time.monotonic,
                 exit_fn: Callable[[int], None] = os._exit, out: Optional[TextIO] = None,
                 ask_ps: Optional[Callable[[float], List[int]]] = None):
        """`ask_ps(secs)`: the indexes of the ps tasks that gave no answer within `secs`
        (called in a thread of its own); None: no progress alone calls the ps down."""
        self.cluster = cluster
        self.timeout_secs = float(timeout_secs)
        self.signal_grace_secs = signal_grace_secs
        self._clock = clock
        self._exit = exit_fn
        self._out = out
        self._lock = threading.Lock()
        self.phase = STARTING
        self._last_beat = clock()
        self._signals: List[Tuple[int, float, str]] = []  # (signum, when, phase then)
        self._stopped = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._pipe: Optional[Tuple[int, int]] = None
        self._previous_fd: Optional[int] = None
        self._previous_handlers: dict = {}
        self._ask_ps = ask_ps
        self.ask_secs = max(self.timeout_secs, min_ask_secs())
        self._asking: Optional[Tuple[float, dict]] = None  # (since, {"unanswered": [...]})
        watchdog = self

        class _Hook(tf1.train.SessionRunHook):
            def begin(self):
                watchdog.enter(CONNECTING)

            def after_create_session(self, session, coord):
                watchdog.enter(TRAINING)

            def before_run(self, run_context):
                watchdog.beat()

            def after_run(self, run_context, run_values):
                watchdog.beat()

            def end(self, session):
                watchdog.enter(CLOSING)

        self.hook = _Hook()

    # ------------------------------------------------------------ the main thread
    def beat(self) -> None:
        """Progress: a session run started or returned."""
        with self._lock:
            self._last_beat = self._clock()

    def enter(self, phase: str) -> None:
        with self._lock:
            self.phase = phase
            self._last_beat = self._clock()

    @contextlib.contextmanager
    def training(self) -> Iterator[None]:
        """The training session's life: the phases the hook marks, then FINISHED."""
        try:
            yield
        finally:
            self.enter(FINISHED)

    def received(self, signum: int) -> None:
        """A signal arrived (the thread learns it from the wakeup fd)."""
        with self._lock:
            self._signals.append((signum, self._clock(), self.phase))

    # ------------------------------------------------------------- the decision
    def check(self, now: float):
        """(exit status, line) when the process must end now, `ASK` when the ps tasks must
        be asked whether they are up (then `answered`), else None."""
        with self._lock:
            phase, last_beat, signals = self.phase, self._last_beat, list(self._signals)
        if signals:
            signum, when, then = signals[0]
            saving = then in (TRAINING, CLOSING)  # the trainer's own stop saves a checkpoint
            grace = self.signal_grace_secs if saving else QUICK_GRACE_SECS
            # Out of training by itself: the main thread is ending the process.
            handled = saving and phase == FINISHED
            if len(signals) > 1 or (now - when >= grace and not handled):
                return 128 + signum, self._signal_line(signum, then, grace, len(signals))
        if phase in _TIMED and now - last_beat >= self.timeout_secs:
            if self._ask_ps is None:
                return faults.EXIT_CLUSTER, self._timeout_line(phase)
            return ASK
        return None

    def answered(self, unanswered: List[int], since: float,
                 now: float) -> Optional[Tuple[int, str]]:
        """The verdict once the ps tasks were asked (from `since`): (exit status, line) when
        one gave no answer and still no run moved on, else None (the wait goes on)."""
        with self._lock:
            phase, last_beat = self.phase, self._last_beat
            if last_beat > since or phase not in _TIMED:
                return None  # progress meanwhile
            if not unanswered:
                self._last_beat = now  # a slow step or a restarting peer: wait again
        if unanswered:
            return faults.EXIT_CLUSTER, self._down_line(phase, unanswered)
        logging.info("%s: no run returned for %g s while %s, but every ps task answers: "
                     "waiting (a slow step, a loaded machine or a restarting task)",
                     self.cluster.name, now - last_beat, phase)
        return None

    def _down_line(self, phase: str, unanswered: List[int]) -> str:
        tasks = ", ".join(f"ps {k} ({self.cluster.ps_hosts[k]})" for k in unanswered)
        return (f"train: error: {self.cluster.name} got no answer from the cluster for "
                f"{self.timeout_secs:g} s while {phase}, and {tasks} did not answer when asked "
                f"for {self.ask_secs:g} s more: it is down or unreachable; restart it, then "
                f"this task (--cluster_timeout_secs={self.timeout_secs:g})")

    def _signal_line(self, signum: int, phase: str, grace: float, count: int) -> str:
        when = _WHEN.get(phase, f"while {phase}")
        prefix = f"train: {self.cluster.name} stopped by signal {signum} {when}"
        if phase not in (TRAINING, CLOSING):
            return f"{prefix}; run the same command to continue"
        why = ("a second signal" if count > 1 else
               f"the cluster did not answer within {grace:g} s")
        return (f"{prefix}; {why}: no checkpoint at the current step (the last one is kept); "
                "run the same command to continue")

    def _timeout_line(self, phase: str) -> str:
        return (f"train: error: {self.cluster.name} got no answer from the cluster for "
                f"{self.timeout_secs:g} s while {phase}: a ps task "
                f"({','.join(self.cluster.ps_hosts)}) is down or unreachable; restart it, then "
                f"this task (--cluster_timeout_secs={self.timeout_secs:g})")

    # --------------------------------------------------------------- the thread
    def __enter__(self) -> "Watchdog":
        if threading.current_thread() is threading.main_thread():
            read_fd, write_fd = os.pipe()
            os.set_blocking(read_fd, False)
            os.set_blocking(write_fd, False)
            self._pipe = (read_fd, write_fd)
            self._previous_fd = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
            for signum in _SIGNALS:  # a Python handler, so that the wakeup fd hears it
                if signal.getsignal(signum) in (signal.SIG_DFL, signal.default_int_handler):
                    self._previous_handlers[signum] = signal.signal(
                        signum, lambda signum, frame: None)
        self._thread = threading.Thread(target=self._watch, name="cluster-watchdog",
                                        daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stopped.set()
        if self._thread is not None:
            self._thread.join()
        if self._pipe is not None:
            signal.set_wakeup_fd(self._previous_fd if self._previous_fd is not None else -1)
            for signum, handler in self._previous_handlers.items():
                signal.signal(signum, handler)
            for fd in self._pipe:
                os.close(fd)
            self._pipe = None

    def _watch(self) -> None:
        while not self._stopped.is_set():
            if self._pipe is not None:
                ready, _, _ = select.select([self._pipe[0]], [], [], _POLL_SECS)
                if ready:
                    for signum in os.read(self._pipe[0], 64):
                        if signum in _SIGNALS:
                            self.received(signum)
            else:
                self._stopped.wait(_POLL_SECS)
            now = self._clock()
            verdict = self.check(now)
            if verdict == ASK:
                verdict = self._ask(now)
            if verdict is not None and not self._stopped.is_set():
                status, line = verdict
                out = self._out or sys.stderr
                print(line, file=out, flush=True)
                self._exit(status)
                return

    def _ask(self, now: float) -> Optional[Tuple[int, str]]:
        """Starts asking the ps tasks (a thread: signals are still heard meanwhile), or
        returns the verdict once they answered or the time to answer is over."""
        if self._asking is None:
            result: dict = {}

            def ask():
                result["unanswered"] = self._ask_ps(self.ask_secs)

            self._asking = (now, result)
            threading.Thread(target=ask, name="cluster-ask-ps", daemon=True).start()
            return None
        since, result = self._asking
        if "unanswered" not in result and now - since < self.ask_secs + 5.0:
            return None
        self._asking = None
        unanswered = result.get("unanswered", list(range(self.cluster.num_ps)))
        return self.answered(unanswered, since, now)
