"""`lrhooks.cli.console.guard_standard_streams`: a closed pipe drops output, other errors name the
stream."""

import errno
import io
import os
import sys

import pytest

from lrhooks.cli import console


@pytest.fixture
def guarded(monkeypatch):
    """Installs the guard on a pipe standing in for stdout; yields (stream, read end)."""
    read_end, write_end = os.pipe()
    stream = io.TextIOWrapper(io.BufferedWriter(io.FileIO(write_end, "w")), line_buffering=True)
    monkeypatch.setattr(sys, "stdout", stream)
    console.guard_standard_streams()
    yield sys.stdout, read_end
    stream.close()


def test_a_closed_pipe_drops_what_follows_without_raising(guarded):
    stream, read_end = guarded
    stream.write("before\n")
    assert os.read(read_end, 100) == b"before\n"
    os.close(read_end)  # the reader (`head`) has gone
    for _ in range(3):
        assert stream.write("after\n") == len("after\n")
        stream.flush()
    assert os.path.samefile(f"/proc/self/fd/{stream.fileno()}", os.devnull)


def test_a_full_stdout_raises_naming_it():
    full = open("/dev/full", "w")  # pylint: disable=consider-using-with
    stream = console._GuardedStream(full, "stdout")  # pylint: disable=protected-access
    with pytest.raises(OSError) as info:
        stream.write("x\n")
        stream.flush()
    with pytest.raises(OSError):
        full.close()  # its buffer still cannot be written
    assert info.value.errno == errno.ENOSPC and info.value.filename == "stdout"
