"""For programs only: import TensorFlow without its C++ banner (unless asked for).

Used by the programs (`python -m lrhooks.preview`, the reference trainer and its evaluator)
before anything imports TensorFlow; no library module imports it. It imports neither
TensorFlow nor absl itself.

TensorFlow prints its C++ log lines (oneDNN, CUDA drivers, CPU features, a `cuInit` "error" on
a machine without a GPU, MLIR) while it is imported and when it first looks for devices. The
later ones obey `TF_CPP_MIN_LOG_LEVEL`; the ones printed during the import come before its C++
logging is initialised and ignore it. `import_tensorflow_quietly` therefore sets the variable
(only when the user has not) and captures file descriptor 2 while `import tensorflow` runs,
writing the captured text out if the import fails; a SIGINT or SIGTERM meanwhile gives the
real stderr back before the program's handler reports it.

`guard_standard_streams` makes a closed pipe on stdout or stderr (`| head`, a `| tee` that a
Ctrl-C ended first) harmless: what the program writes there afterwards is dropped, the program
goes on and exits as it would have, and Python's exit-time flush prints nothing. Any other
failed write to them (a full disk behind `> out.log`, `/dev/full`) raises `OSError` with the
stream's name ("stdout", "stderr") as its filename.

`python_command()` and `tensorboard_command(logdir)` are the commands a program prints for the
user to run next, spelled so that they run as printed from the current directory: the running
interpreter (`python` when that is what PATH finds, else its path, relative when it is under
the current directory: `.venv/bin/python` of a venv that is not activated), and its
environment's own `tensorboard`.
"""

import contextlib
import os
import shlex
import shutil
import signal
import sys
import tempfile
import threading
from typing import Iterable, List, MutableMapping, Optional, Set

LOG_LEVEL_VARIABLE = "TF_CPP_MIN_LOG_LEVEL"
# 3: C++ INFO, WARNING and ERROR lines hidden (an error that matters reaches the program as a
# Python exception); FATAL still shows.
QUIET_LOG_LEVEL = "3"
_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_TRUE = ("", "true", "1", "t", "yes", "y")
_FALSE = ("false", "0", "f", "no", "n")


def _flag_value(arg: str, name: str) -> Optional[bool]:
    """True/False when `arg` sets the boolean flag `name` (`--name`, `--noname`, `--name=v`)."""
    if not arg.startswith("-"):
        return None
    body = arg.lstrip("-")
    key, equals, value = body.partition("=")
    if key == "no" + name and not equals:
        return False
    if key != name:
        return None
    value = value.lower()
    if value in _TRUE:
        return True
    return False if value in _FALSE else None


def _flagfile_args(path: str, seen: Set[str]) -> List[str]:
    """The arguments of a flagfile, nested flagfiles expanded (unreadable files: none)."""
    real = os.path.realpath(path)
    if real in seen:
        return []
    seen.add(real)
    try:
        with open(path) as f:
            lines = [line.strip() for line in f]
    except (OSError, ValueError):  # unreadable, not text (UnicodeDecodeError is a ValueError)
        return []  # the flag parser reports it
    return _expand([line for line in lines if line and not line.startswith("#")], seen)


def _expand(args: Iterable[str], seen: Set[str]) -> List[str]:
    expanded = []
    for arg in args:
        if arg.startswith("--flagfile="):
            expanded.extend(_flagfile_args(arg.split("=", 1)[1], seen))
        else:
            expanded.append(arg)
    return expanded


def verbose_requested(argv: Iterable[str], flag: str = "verbose") -> bool:
    """Whether the command line (flagfiles included) turns the boolean `--verbose` on.

    Read before the flags are parsed, to decide how to import TensorFlow; the last setting
    wins, as in absl. A malformed command line is left to the flag parser.
    """
    verbose = False
    for arg in _expand(argv, set()):
        value = _flag_value(arg, flag)
        if value is not None:
            verbose = value
    return verbose


class _GuardedStream:
    """A text stream (`sys.stdout`, `sys.stderr`) that survives its reader going away.

    On a broken pipe the stream's file descriptor is pointed at the null device, so that
    nothing written afterwards (by Python, by TensorFlow's C++ code, by the exit-time flush)
    fails; everything else is the wrapped stream's.
    """

    def __init__(self, stream, name: str):
        self._stream, self._name = stream, name

    def __getattr__(self, attribute):
        return getattr(self._stream, attribute)

    def _call(self, method, *args):
        try:
            return method(*args)
        except BrokenPipeError:
            self._to_null_device()
            return len(args[0]) if args else None
        except OSError as error:
            if error.filename is None and error.errno is not None:
                raise OSError(error.errno, os.strerror(error.errno), self._name) from None
            raise

    def _to_null_device(self) -> None:
        try:
            null = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(null, self._stream.fileno())
            finally:
                os.close(null)
            self._stream.flush()  # what was buffered goes to the null device
        except (OSError, ValueError):
            pass

    def write(self, text: str) -> int:
        return self._call(self._stream.write, text)

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        self._call(self._stream.flush)


def guard_standard_streams() -> None:
    """Makes a closed pipe on stdout or stderr harmless for the rest of the program (see the
    module docstring); call once, first thing in a program's main module."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is not None and not isinstance(stream, _GuardedStream):
            setattr(sys, name, _GuardedStream(stream, name))


def import_tensorflow_quietly(verbose: bool,
                              environ: Optional[MutableMapping[str, str]] = None) -> bool:
    """Imports TensorFlow; unless `verbose` or the user set `TF_CPP_MIN_LOG_LEVEL`, quietly.

    Quietly: sets `TF_CPP_MIN_LOG_LEVEL=3` in `environ` (default `os.environ`) and captures
    file descriptor 2 during the import; the captured lines are dropped, or written to
    stderr if the import raises. A `TF_CPP_MIN_LOG_LEVEL` the user set is never overridden:
    then TensorFlow prints what that level lets through. Returns whether it was quiet.
    """
    environ = os.environ if environ is None else environ
    quiet = not verbose and LOG_LEVEL_VARIABLE not in environ
    if "tensorflow" in sys.modules or not quiet:
        import tensorflow  # noqa: F401  pylint: disable=import-outside-toplevel,unused-import
        return False
    environ[LOG_LEVEL_VARIABLE] = QUIET_LOG_LEVEL
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with tempfile.TemporaryFile() as captured, _stderr_back_on_signal(saved):
            os.dup2(captured.fileno(), 2)
            try:
                import tensorflow  # noqa: F401  pylint: disable=import-outside-toplevel,unused-import
            except BaseException:
                os.dup2(saved, 2)
                captured.seek(0)
                sys.stderr.write(captured.read().decode(errors="replace"))
                raise
            finally:
                os.dup2(saved, 2)
    finally:
        os.close(saved)
    return True


@contextlib.contextmanager
def _stderr_back_on_signal(saved_fd: int):
    """While TensorFlow is imported with fd 2 captured: SIGINT or SIGTERM first gives the real
    stderr back, then runs the handler the program had (which may report the signal on it)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: handler for signum in _SIGNALS  # None: not set from Python, left alone
                if (handler := signal.getsignal(signum)) is not None}

    def handle(signum, frame):
        os.dup2(saved_fd, 2)
        handler = previous[signum]
        signal.signal(signum, handler)
        if callable(handler):
            handler(signum, frame)
        elif handler == signal.SIG_DFL:
            os.kill(os.getpid(), signum)

    for signum in previous:
        signal.signal(signum, handle)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)



def _as_typed(path: str, name: str) -> str:
    """`name` when PATH finds `path` under it, else `path` (relative to the current directory
    when under it), quoted for a shell."""
    found = shutil.which(name)
    if found and os.path.abspath(found) == os.path.abspath(path):
        return name
    relative = os.path.relpath(path)
    if not relative.startswith(os.pardir):
        return shlex.quote(relative if os.sep in relative else os.path.join(os.curdir, relative))
    return shlex.quote(os.path.abspath(path))


def python_command() -> str:
    """The running interpreter as a command that runs it from the current directory."""
    for name in ("python", "python3"):
        found = shutil.which(name)
        if found and os.path.abspath(found) == os.path.abspath(sys.executable):
            return name
    return _as_typed(sys.executable, "python")


def tensorboard_command(logdir: str) -> str:
    """`tensorboard --logdir=LOGDIR` with the running environment's TensorBoard: its
    `tensorboard` script (by name when PATH finds that one), else `python -m tensorboard.main`
    with the running interpreter."""
    script = os.path.join(os.path.dirname(sys.executable), "tensorboard")
    program = (_as_typed(script, "tensorboard") if os.path.isfile(script)
               else f"{python_command()} -m tensorboard.main")
    return f"{program} --logdir={shlex.quote(logdir)}"
