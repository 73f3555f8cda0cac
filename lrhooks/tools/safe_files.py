"""Writing files into directories others can write to (a team share, `/tmp/runs`).

Every file is written as a temporary file created exclusively in the target's directory
(`tempfile.mkstemp`: `O_CREAT | O_EXCL`, so a link planted at any name is never opened) and
then renamed over the target (`os.replace`: a link planted at the target's name is replaced,
never followed). A reader sees the old file or the new one, never a part; a process killed
while writing leaves a `.<name>.*.tmp` file beside it (`remove_leftovers` clears them).

No TensorFlow, absl or matplotlib import: the trainer and the plot writer share it.
"""

import contextlib
import os
import re
import secrets
import tempfile
import threading
from typing import IO, Iterator, List, Optional, Union

_TEMP_SUFFIX = ".tmp"
_LEFTOVER = re.compile(r"^\..+\.[A-Za-z0-9_]{8}\.tmp$")  # mkstemp's 8 random characters
_umask_lock = threading.Lock()
_umask: Optional[int] = None


def _file_mode() -> int:
    """0o666 less the process's umask: the mode `open(path, "w")` would have given."""
    global _umask
    with _umask_lock:
        if _umask is None:
            _umask = os.umask(0o022)
            os.umask(_umask)
        return 0o666 & ~_umask


@contextlib.contextmanager
def replacing(path: Union[str, os.PathLike], mode: str = "w",
              encoding: Optional[str] = "utf-8") -> Iterator[IO]:
    """Yields a new temporary file beside `path`; on success renames it over `path`.

    Args:
      path: The file to write. A link at `path` is replaced by the file, not followed.
      mode: "w" (text, `encoding`) or "wb".
      encoding: The text encoding (mode "w" only).

    Raises:
      OSError: The directory cannot be written (nothing is left behind), or the write failed
        (the temporary file is removed; `path` is unchanged).
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"`mode` must be 'w' or 'wb', got {mode!r}")
    path = os.fspath(path)
    directory, name = os.path.split(path)
    fd, temp = tempfile.mkstemp(prefix=f".{name}.", suffix=_TEMP_SUFFIX, dir=directory or ".")
    try:
        os.fchmod(fd, _file_mode())
        with os.fdopen(fd, mode, encoding=encoding if mode == "w" else None) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temp)
        raise


def write_file(path: Union[str, os.PathLike], data: Union[str, bytes]) -> None:
    """Writes `data` (text as UTF-8) to `path` atomically, never through a link (`replacing`)."""
    with replacing(path, "wb") as f:
        f.write(data.encode("utf-8") if isinstance(data, str) else data)


def probe_directory(directory: Union[str, os.PathLike]) -> None:
    """Raises `OSError` when no file can be created in `directory` (creates none that stays)."""
    fd, temp = tempfile.mkstemp(prefix=".write_probe.", suffix=_TEMP_SUFFIX,
                                dir=os.fspath(directory))
    os.close(fd)
    os.remove(temp)


def remove_leftovers(directory: Union[str, os.PathLike]) -> List[str]:
    """Removes the temporary files a killed writer left directly in `directory`; their paths.

    Call only while no other process writes to `directory` (e.g. under its run lock).
    """
    directory = os.fspath(directory)
    removed = []
    try:
        names = os.listdir(directory)
    except OSError:
        return removed
    for name in names:
        path = os.path.join(directory, name)
        if _LEFTOVER.match(name) and not os.path.isdir(path):
            with contextlib.suppress(OSError):
                os.remove(path)
                removed.append(path)
    return removed


def unique_suffix() -> str:
    """An event file name suffix no other process (or writer) uses, and no one can guess:
    `.<pid>.<8 random hex digits>` (TensorFlow names event files by second and host only)."""
    return f".{os.getpid()}.{secrets.token_hex(4)}"
