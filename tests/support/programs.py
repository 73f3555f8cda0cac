"""The repository root and running its programs from a test: one environment, one way.

Every test that starts a program (the trainer, the evaluator, `python -m lrhooks.preview`,
`python -c ...` import probes, TensorBoard) goes through `run` (to its end) or `start` (a
`Popen`): the repository root as the working directory and first on `PYTHONPATH`,
TensorFlow's C++ log quiet unless the test asks for a user's environment, text mode, and a
timeout. Standard library only: the extras stage runs these tests without TensorFlow.
"""

import os
import pathlib
import subprocess
import sys
import time
from typing import Dict, List, Optional, Sequence, Union

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
# Seconds a program may take before `run` fails the test (the tiny trainer takes ~10-30 s).
DEFAULT_TIMEOUT = 300

PathLike = Union[str, os.PathLike]


def python_module(module: str, *args: PathLike) -> List[str]:
    """`python -m module args...` with this interpreter."""
    return [sys.executable, "-m", module, *map(str, args)]


def python_code(code: str, *args: PathLike) -> List[str]:
    """`python -c code args...` with this interpreter."""
    return [sys.executable, "-c", code, *map(str, args)]


def environment(*, tf_log_level: Optional[str] = "2", path_first: Sequence[PathLike] = (),
                without: Sequence[str] = (), **extra: str) -> Dict[str, str]:
    """This process's environment with the repository root on `PYTHONPATH`.

    Args:
      tf_log_level: `TF_CPP_MIN_LOG_LEVEL` ("2": TensorFlow's C++ info lines and warnings
        hidden); None removes it, the environment a user has.
      path_first: Directories put on `PYTHONPATH` before the repository root (stand-in
        packages).
      without: Other variables to remove (e.g. "CI").
      **extra: Variables to set, last.

    Returns:
      The environment, a new dict.
    """
    env = {k: v for k, v in os.environ.items()
           if k not in without and k != "TF_CPP_MIN_LOG_LEVEL"}
    if tf_log_level is not None:
        env["TF_CPP_MIN_LOG_LEVEL"] = tf_log_level
    env["PYTHONPATH"] = os.pathsep.join([*map(str, path_first), str(REPO_ROOT)])
    env.update(extra)
    return env


def run(argv: Sequence[PathLike], *, env: Optional[Dict[str, str]] = None,
        cwd: PathLike = REPO_ROOT, timeout: float = DEFAULT_TIMEOUT,
        **popen) -> subprocess.CompletedProcess:
    """Runs `argv` to its end; stdout and stderr captured as text unless `popen` says.

    Args:
      argv: The command line (`python_module`, `python_code`, or any program).
      env: Its environment; `environment()` when None.
      cwd: Its working directory.
      timeout: Seconds before `subprocess.TimeoutExpired` fails the test.
      **popen: More `subprocess.run` arguments (`stdout=`, `stderr=` override the capture).

    Returns:
      The finished process. How long it took is printed (shown for a failed test), never
      asserted.
    """
    options = dict(stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    options.update(popen)
    started = time.monotonic()
    done = subprocess.run([str(a) for a in argv], cwd=cwd,
                          env=environment() if env is None else env, timeout=timeout,
                          **options)
    print(f"exit {done.returncode} after {time.monotonic() - started:.1f} s: {argv[:3]}")
    return done


def start(argv: Sequence[PathLike], *, env: Optional[Dict[str, str]] = None,
          cwd: PathLike = REPO_ROOT, **popen) -> subprocess.Popen:
    """Starts `argv`; stdout and stderr are pipes in text mode unless `popen` says.

    Args:
      argv: The command line.
      env: Its environment; `environment()` when None.
      cwd: Its working directory.
      **popen: More `subprocess.Popen` arguments (`stdout=`, `stderr=`, `stdin=`,
        `preexec_fn=`, ...).

    Returns:
      The running process; the test ends it (`kill()`, `wait()`).
    """
    options = dict(stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    options.update(popen)
    return subprocess.Popen([str(a) for a in argv], cwd=cwd,
                            env=environment() if env is None else env, **options)
