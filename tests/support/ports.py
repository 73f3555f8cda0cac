"""Free TCP ports for test clusters."""

import contextlib
import socket
from typing import List


def free_ports(n: int, host: str = "127.0.0.1") -> List[int]:
    """`n` distinct ports that were free on `host` a moment ago."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(n)]
        for sock in sockets:
            sock.bind((host, 0))
        return [sock.getsockname()[1] for sock in sockets]
