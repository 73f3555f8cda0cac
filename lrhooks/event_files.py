"""Repairing event files torn by a killed writer.

A process killed while appending to an event file (kill -9, a preempted VM)
can leave a half-written last record. TensorBoard stops reading the file there,
and `tf.compat.v1.train.summary_iterator` raises `DataLossError`. Call
`truncate_torn_records(logdir)` when a run starts again in `logdir`: every
complete record is kept, only the torn tail is cut off.

Event files are TFRecord files: each record is
`length (uint64 LE) | masked crc32c(length) (uint32) | data | masked crc32c(data)`.
"""

import os
import struct
from typing import List, Tuple

from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c

_HEADER = 12
_FOOTER = 4


def valid_prefix(path: str) -> Tuple[int, int]:
    """Returns `(bytes, records)` of the longest prefix of complete, checksummed records."""
    offset = records = 0
    with open(path, "rb") as f:
        data = f.read()
    while offset + _HEADER <= len(data):
        (length,) = struct.unpack_from("<Q", data, offset)
        (length_crc,) = struct.unpack_from("<I", data, offset + 8)
        end = offset + _HEADER + length + _FOOTER
        if masked_crc32c(data[offset:offset + 8]) != length_crc or end > len(data):
            break
        payload = data[offset + _HEADER:end - _FOOTER]
        (payload_crc,) = struct.unpack_from("<I", data, end - _FOOTER)
        if masked_crc32c(payload) != payload_crc:
            break
        offset, records = end, records + 1
    return offset, records


def truncate_torn_records(logdir: str) -> List[str]:
    """Cuts the torn tail off every event file directly in `logdir`.

    Subdirectories are left alone: another live process (an evaluator writing
    `logdir/eval`) may be appending to them. Call this only while no process
    writes to `logdir` itself, i.e. before the run starts writing.

    Returns:
      The paths of the files that were shortened.
    """
    repaired = []
    if not os.path.isdir(logdir):
        return repaired
    for name in sorted(os.listdir(logdir)):
        path = os.path.join(logdir, name)
        if "tfevents" not in name or not os.path.isfile(path):
            continue
        keep, _ = valid_prefix(path)
        if keep < os.path.getsize(path):
            with open(path, "r+b") as f:
                f.truncate(keep)
                f.flush()
                os.fsync(f.fileno())
            repaired.append(path)
    return repaired
