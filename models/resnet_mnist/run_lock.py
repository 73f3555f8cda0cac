"""One writer per run directory: the trainer's lock on its `--train_dir`.

The lock is `fcntl.flock` on `<train_dir>/.train.lock`, taken before the trainer reads or
writes anything in the directory and held until the process ends. The kernel releases it on
any exit (a signal, `kill -9`, a crash): a lock file left by a dead process holds no lock and
is taken over. The file records who holds it (host, pid, start time), so that a second trainer
on the same directory exits 1 in one line naming the running one. It is opened without
following a link and must be a regular file with one name; it is never deleted (deleting a
flock'd file lets two processes lock two different files of one name).

Only the trainer (a local run or a cluster's chief) takes it: the evaluator and the plot reader
only read the trainer's files (the evaluator writes into `eval/`: see `evaluation.py`).
flock works on local file systems and on NFS (Linux emulates it with byte-range locks); where
the file system refuses locks the run goes on with one warning.
"""

import datetime
import errno
import fcntl
import os
import socket
import stat
from typing import Optional

from absl import logging

from models.resnet_mnist.user_errors import UserError  # faults.UserError, without TensorFlow

LOCK_FILE = ".train.lock"


class RunLock:
    """The lock of one run directory: `take()` once the directory exists, `release()` (or
    the end of the process) frees it."""

    def __init__(self, train_dir: str):
        self.train_dir = train_dir
        self._fd: Optional[int] = None
        self.taken = False  # True once `take()` succeeded (also without a lock: see acquire)

    def take(self) -> None:
        """Takes the lock unless this object already did (see `_acquire`)."""
        if not self.taken:
            self._fd = _acquire(self.train_dir)
            self.taken = True

    def release(self) -> None:
        """Empties the record (a clean end) and frees the lock."""
        self.taken = False
        if self._fd is None:
            return
        try:
            os.ftruncate(self._fd, 0)
        except OSError:
            pass
        os.close(self._fd)  # closing the last descriptor releases the flock
        self._fd = None

    def __enter__(self) -> "RunLock":
        return self

    def __exit__(self, *exc_info) -> None:
        self.release()


def _holder(fd: int) -> str:
    """Who holds the lock, as its file records it."""
    try:
        text = os.pread(fd, 4096, 0).decode("utf-8", "replace").strip()
    except OSError:
        text = ""
    fields = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    if not {"host", "pid", "since"} <= fields.keys():
        return "another process (it has not recorded its host and pid yet)"
    return f"pid {fields['pid']} on host {fields['host']} (since {fields['since']})"


def _acquire(train_dir: str) -> Optional[int]:
    """Takes the run lock of `train_dir` (which must exist); the descriptor that holds it
    (None on a file system without locks).

    Raises:
      UserError: Another process holds it (naming it), or the lock file is a link or
        not a regular file.
    """
    path = os.path.join(train_dir, LOCK_FILE)
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags, 0o644)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise UserError(f"--train_dir {train_dir!r}: its lock file {LOCK_FILE} is a "
                            "symbolic link, which the trainer never follows; remove it "
                            "and run the same command again") from None
        raise UserError(f"--train_dir {train_dir!r}: cannot open its lock file "
                        f"{LOCK_FILE}: {error.strerror}") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:
        os.close(fd)
        raise UserError(f"--train_dir {train_dir!r}: its lock file {LOCK_FILE} is not a "
                        "regular file of its own (a device, a pipe or a hard link); "
                        "remove it and run the same command again")
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as error:
        if error.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            holder = _holder(fd)
            os.close(fd)
            raise UserError(
                f"--train_dir {train_dir!r} is in use by another trainer: {holder}; wait for "
                "it to end (or stop it), or use another --train_dir") from None
        os.close(fd)  # ENOLCK, EOPNOTSUPP: a file system without locks
        logging.warning("cannot lock --train_dir %r (%s): make sure no other trainer uses it",
                        train_dir, error.strerror)
        return None
    previous = os.pread(fd, 4096, 0)
    if previous.strip():  # a holder that ended without releasing: killed, or its host died
        # Not a fault (the program's output stays that of a resumed run): absl's debug level.
        logging.debug("taking over the lock of --train_dir %r from a trainer that ended "
                      "without releasing it: %s", train_dir, _holder(fd))
    since = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    record = f"host={socket.gethostname()}\npid={os.getpid()}\nsince={since}\n".encode("utf-8")
    os.ftruncate(fd, 0)
    os.pwrite(fd, record, 0)
    return fd
