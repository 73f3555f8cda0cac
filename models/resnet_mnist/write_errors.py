"""A full disk and other write errors: one line, exit 1, the run directory left usable.

TensorFlow reports a failed write as `tf.errors.OpError` (the Saver) or `RuntimeError`
(the event writer) with a message ending "PATH; No space left on device"; Python code
raises `OSError`. `describe(error)` turns any of these, for ENOSPC, EDQUOT, EROFS, EACCES
and EPERM (permission denied, e.g. on a checkpoint's temporary file), into one line naming
the path (or "stdout"/"stderr", `lrhooks.cli.console.guard_standard_streams`) and the error,
else None. `tidy(train_dir)` runs before
that line is printed: it closes the event writers, cuts a torn last event record and
removes a half-written checkpoint's temporary files, so that every event file reads to
its end and the last good checkpoint (the Saver names a checkpoint in its index only
after its data and index files are complete) is what the same command resumes from
once space is freed. `unwritable(path)` checks a directory before anything is written.
"""

import errno
import os
import re
import shutil
from typing import Optional

import tensorflow as tf

from lrhooks.tools import event_files

tf1 = tf.compat.v1

EXIT_WRITE_ERROR = 1
ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM)
STREAMS = ("stdout", "stderr")
_STRERRORS = {os.strerror(code): code for code in ERRNOS}
_PATH = re.compile(r"(\S+); (" + "|".join(re.escape(text) for text in _STRERRORS) + ")")
_PARTIAL = re.compile(r"^model\.ckpt-\d+(\.meta\.tmp[0-9a-f]+|_temp(_[0-9a-f]+)?(/.*)?)$")


def describe(error: BaseException) -> Optional[str]:
    """One line for a failed write (ENOSPC, EDQUOT, EROFS), else None."""
    if isinstance(error, OSError) and error.errno in ERRNOS:
        path = error.filename if error.filename is not None else "?"
        return _line(str(path), os.strerror(error.errno))
    if isinstance(error, (tf.errors.OpError, RuntimeError)):
        text = error.message if isinstance(error, tf.errors.OpError) else str(error)
        match = _PATH.search(text)
        if match:
            return _line(match.group(1), match.group(2))
    return None


def _line(path: str, strerror: str) -> str:
    if path in STREAMS:
        return (f"cannot write {path}: {strerror}; the checkpoints written so far are intact: "
                f"send {path} where it can be written (a file with space, /dev/null) and run "
                "the same command to continue")
    fix = ("free space" if strerror in (os.strerror(errno.ENOSPC), os.strerror(errno.EDQUOT))
           else "make it writable")
    return (f"cannot write {path!r}: {strerror}; the checkpoints written so far are intact: "
            f"{fix} and run the same command to continue")


def tidy(train_dir: str) -> None:
    """Leaves `train_dir` resumable after a failed write (see the module docstring)."""
    try:
        tf1.summary.FileWriterCache.clear()  # closes (and flushes what it can)
    except (tf.errors.OpError, RuntimeError, OSError):
        pass
    try:
        event_files.truncate_torn_records(train_dir)
    except OSError:
        pass
    if not os.path.isdir(train_dir):
        return
    for name in os.listdir(train_dir):
        if _PARTIAL.match(name):
            path = os.path.join(train_dir, name)
            try:
                if os.path.isdir(path):
                    shutil.rmtree(path)
                else:
                    os.remove(path)
            except OSError:
                pass


def unwritable(directory: str) -> Optional[str]:
    """Why `directory` (made if missing) could not be written, or None; writes nothing."""
    path = os.path.abspath(directory)
    while not os.path.exists(path):
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    if not os.path.isdir(path):
        return f"{path!r} is not a directory"
    if not os.access(path, os.W_OK | os.X_OK):
        readonly = os.statvfs(path).f_flag & os.ST_RDONLY
        return f"{path!r}: {os.strerror(errno.EROFS if readonly else errno.EACCES)}"
    return None
