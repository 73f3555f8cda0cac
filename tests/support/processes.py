"""Named subprocesses of a test, each logging stdout and stderr to files of its own."""

import pathlib
import subprocess
import time
from typing import Dict, List, Mapping, Tuple

from tests.support import programs


class Processes:
    """Processes started in the repository root with it on PYTHONPATH; kill() ends them all."""

    def __init__(self, log_dir: pathlib.Path, env: Mapping[str, str]):
        self.log_dir = log_dir
        self.env = programs.environment(**env)
        self.processes: Dict[str, Tuple[subprocess.Popen, pathlib.Path]] = {}

    def start(self, name: str, argv: List[str]) -> subprocess.Popen:
        log = self.log_dir / f"{name}.log"
        with open(log, "w") as out, open(self._stderr_path(name), "w") as err:
            process = programs.start(argv, env=self.env, stdout=out, stderr=err)
        self.processes[name] = (process, log)
        return process

    def _stderr_path(self, name: str) -> pathlib.Path:
        return self.log_dir / f"{name}.stderr.log"

    def process(self, name: str) -> subprocess.Popen:
        return self.processes[name][0]

    def stdout(self, name: str) -> str:
        """What `name` wrote to stdout."""
        return self.processes[name][1].read_text()

    def stderr(self, name: str) -> str:
        """What `name` wrote to stderr."""
        return self._stderr_path(name).read_text()

    def log(self, name: str) -> str:
        """What `name` wrote to stdout, then what it wrote to stderr."""
        return self.stdout(name) + self.stderr(name)

    def logs(self) -> str:
        """The tail of every log, with each process's exit status (for assertion messages)."""
        return "\n".join(f"--- {name} (exit {p.poll()}):\n{self.log(name)[-2500:]}"
                         for name, (p, _) in self.processes.items())

    def wait(self, name: str, timeout: float = 240) -> int:
        try:
            return self.processes[name][0].wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"{name} still running after {timeout} s\n{self.logs()}")

    def wait_for_text(self, name: str, text: str, timeout: float = 120) -> None:
        """Until `name` has logged `text`; fails if it exits or the time is up first."""
        deadline = time.monotonic() + timeout
        while text not in self.log(name):
            if time.monotonic() > deadline or self.process(name).poll() is not None:
                raise AssertionError(f"{name} never logged {text!r}\n{self.logs()}")
            time.sleep(0.05)

    def kill(self) -> None:
        for process, _ in self.processes.values():
            if process.poll() is None:
                process.kill()
                process.wait(timeout=30)
