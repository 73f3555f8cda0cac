"""A real TensorBoard server on 127.0.0.1, for tests of what TensorBoard shows.

    with tensorboard_server.serve(logdir) as server:
        runs = server.get_json("/data/runs")
        groups = server.post_json("/data/plugin/hparams/session_groups", {...})

The server runs in a child process (`python -m tensorboard.main`) with the
Python event loader (`--load_fast=false`: no Rust data server), reloading every
second. `serve` waits (bounded) until it answers, and always stops it: SIGTERM,
then SIGKILL after a timeout. If it cannot start, `ServerError` carries its
output.
"""

import contextlib
import json
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Iterator, Optional, Sequence

from tests.support import programs

HOST = "127.0.0.1"


class ServerError(RuntimeError):
    """TensorBoard did not start or did not answer; the message has its output."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Server:
    """A running TensorBoard: its base URL and JSON helpers for its HTTP API."""

    def __init__(self, process: subprocess.Popen, url: str, output):
        self.process = process
        self.url = url
        self._output = output

    def output(self) -> str:
        """Everything the server printed so far (stdout and stderr)."""
        self._output.flush()
        self._output.seek(0)
        return self._output.read().decode("utf-8", "replace")

    def request(self, path: str, params: Optional[dict] = None, data: Optional[bytes] = None,
                content_type: str = "application/json", timeout: float = 30) -> bytes:
        """GETs (or POSTs `data` to) `path` with query `params`; returns the body."""
        url = self.url + path + ("?" + urllib.parse.urlencode(params) if params else "")
        headers = {"Content-Type": content_type} if data is not None else {}
        request = urllib.request.Request(url, data=data, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.read()
        except urllib.error.HTTPError as e:
            body = e.read().decode("utf-8", "replace")
            raise ServerError(f"{e.code} from {url}: {body}\n--- server output ---\n"
                              f"{self.output()[-4000:]}") from None

    def get_json(self, path: str, **params):
        return json.loads(self.request(path, params or None))

    def post_json(self, path: str, body: dict):
        return json.loads(self.request(path, data=json.dumps(body).encode("utf-8")))


def _stop(process: subprocess.Popen, timeout: float = 10) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout)


@contextlib.contextmanager
def serve(logdir, startup_timeout: float = 60, reload_interval: int = 1,
          extra_args: Sequence[str] = ()) -> Iterator[Server]:
    """Runs TensorBoard on `logdir` at a free 127.0.0.1 port until the block ends.

    Args:
      logdir: The directory TensorBoard reads (usually the parent of the runs).
      startup_timeout: Seconds to wait for the server to answer.
      reload_interval: Seconds between the server's reloads of the logdir.
      extra_args: More command-line flags for `tensorboard.main`.

    Raises:
      ServerError: It exited or did not answer `/data/runs` within `startup_timeout`.
    """
    port = free_port()
    command = programs.python_module("tensorboard.main", "--logdir", logdir, "--host", HOST,
                                     "--port", port, "--load_fast=false",
                                     f"--reload_interval={reload_interval}", *extra_args)
    with tempfile.TemporaryFile() as output:
        process = programs.start(command, stdout=output, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL)
        try:
            server = Server(process, f"http://{HOST}:{port}", output)
            deadline = time.monotonic() + startup_timeout
            while True:
                if process.poll() is not None:
                    raise ServerError(f"tensorboard exited with code {process.returncode}:\n"
                                      f"{server.output()[-4000:]}")
                try:
                    with urllib.request.urlopen(server.url + "/data/runs", timeout=5):
                        break
                except (urllib.error.URLError, OSError):
                    pass
                if time.monotonic() > deadline:
                    raise ServerError(f"tensorboard did not answer within {startup_timeout} s:"
                                      f"\n{server.output()[-4000:]}")
                time.sleep(0.2)
            yield server
        finally:
            _stop(process)


def wait_for(probe, timeout: float = 30, interval: float = 0.5, what: str = "condition"):
    """Calls `probe()` until it returns a truthy value (returned) or `timeout` passes.

    Raises:
      AssertionError: Timed out; the message has the last value or error.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            last = probe()
            if last:
                return last
        except ServerError as e:  # e.g. 404 until the data is loaded
            last = e
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}; last: {last}")
        time.sleep(interval)
