"""Repairing event files torn by a killed writer; finding damaged ones.

A process killed while appending to an event file (kill -9, a preempted VM, a full
disk) can leave a half-written last record. TensorBoard stops reading the file there,
and `tf.compat.v1.train.summary_iterator` raises `DataLossError`. Call
`truncate_torn_records(logdir)` when a run starts again in `logdir`: every
complete record is kept, only the torn tail is cut off.

A damaged record with a readable record after it (a flipped bit on disk) is not a torn
tail: the file is left as it is, for its owner to look at, and `damaged_files(logdir)`
names it and the offset of the damage.

Event files are TFRecord files: each record is
`length (uint64 LE) | masked crc32c(length) (uint32) | data | masked crc32c(data)`.
"""

import os
import struct
from typing import List, Tuple

import numpy as np

from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c

_HEADER = 12
_FOOTER = 4


def valid_prefix(path: str) -> Tuple[int, int]:
    """Returns `(bytes, records)` of the longest prefix of complete, checksummed records."""
    with open(path, "rb") as f:
        data = f.read()
    offset, records, _ = _scan(data)
    return offset, records


def _record_at(data: bytes, offset: int) -> int:
    """The end of the complete, checksummed record at `offset`, or -1."""
    if offset + _HEADER > len(data):
        return -1
    (length,) = struct.unpack_from("<Q", data, offset)
    (length_crc,) = struct.unpack_from("<I", data, offset + 8)
    end = offset + _HEADER + length + _FOOTER
    if end > len(data) or masked_crc32c(data[offset:offset + 8]) != length_crc:
        return -1
    (payload_crc,) = struct.unpack_from("<I", data, end - _FOOTER)
    return end if masked_crc32c(data[offset + _HEADER:end - _FOOTER]) == payload_crc else -1


def _valid_record_after(data: bytes, start: int) -> bool:
    """Whether a complete, checksummed record begins anywhere after `start`."""
    tail = np.frombuffer(data, np.uint8)[start + 1:]
    if len(tail) < _HEADER + _FOOTER:
        return False
    # The little-endian uint64 at every offset: only lengths that fit are worth a checksum.
    count = len(tail) - 7
    lengths = np.zeros(count, np.uint64)
    for byte in range(8):
        lengths |= tail[byte:byte + count].astype(np.uint64) << np.uint64(8 * byte)
    room = (len(tail) - np.arange(count) - _HEADER - _FOOTER).astype(np.int64)
    fits = np.flatnonzero((room >= 0) & (lengths <= np.maximum(room, 0).astype(np.uint64)))
    return any(_record_at(data, start + 1 + int(i)) > 0 for i in fits)


def _scan(data: bytes) -> Tuple[int, int, bool]:
    """`(bytes, records, torn)`: the valid prefix, and whether what follows it is a torn
    tail (nothing readable after the first bad byte) rather than damage with records
    after it."""
    offset = records = 0
    while offset < len(data):
        end = _record_at(data, offset)
        if end < 0:
            return offset, records, not _valid_record_after(data, offset)
        offset, records = end, records + 1
    return offset, records, False


def _event_files(logdir: str) -> List[str]:
    if not os.path.isdir(logdir):
        return []
    return [os.path.join(logdir, name) for name in sorted(os.listdir(logdir))
            if "tfevents" in name and os.path.isfile(os.path.join(logdir, name))]


def truncate_torn_records(logdir: str) -> List[str]:
    """Cuts the torn tail off every event file directly in `logdir`.

    Only a torn last record is cut; a file damaged before its end is left alone (see
    `damaged_files`). Subdirectories are left alone: another live process (an evaluator
    writing `logdir/eval`) may be appending to them. Call this only while no process
    writes to `logdir` itself, i.e. before the run starts writing.

    Returns:
      The paths of the files that were shortened.
    """
    repaired = []
    for path in _event_files(logdir):
        with open(path, "rb") as f:
            data = f.read()
        keep, _, torn = _scan(data)
        if keep < len(data) and torn:
            try:  # a link planted at an event file's name is never written through
                fd = os.open(path, os.O_WRONLY | os.O_NOFOLLOW)
            except OSError:
                continue
            try:
                os.ftruncate(fd, keep)
                os.fsync(fd)
            finally:
                os.close(fd)
            repaired.append(path)
    return repaired


def damaged_files(logdir: str) -> List[Tuple[str, int]]:
    """`(path, offset of the first bad record)` of every event file directly in `logdir`
    damaged before its end (not a torn tail); such files are never modified here."""
    damaged = []
    for path in _event_files(logdir):
        with open(path, "rb") as f:
            data = f.read()
        keep, _, torn = _scan(data)
        if keep < len(data) and not torn:
            damaged.append((path, keep))
    return damaged
