"""Torn event files are cut back to their last complete record."""

import os
import struct

import pytest
import tensorflow as tf

from lrhooks.tools import event_files
from tests.support import events

tf1 = tf.compat.v1


def write_events(logdir, n):
    with tf.Graph().as_default():
        writer = tf1.summary.FileWriter(str(logdir))
        for step in range(n):
            writer.add_summary(tf1.Summary(value=[tf1.Summary.Value(tag="x", simple_value=step)]),
                               step)
        writer.close()
    (name,) = [n for n in os.listdir(logdir) if "tfevents" in n]
    return os.path.join(logdir, name)


read_steps = events.record_steps


@pytest.mark.parametrize("cut", [1, 5, 13, 20])
def test_torn_tail_is_cut_and_complete_records_kept(tmp_path, cut):
    path = write_events(tmp_path, 6)
    size = os.path.getsize(path)
    good, records = event_files.valid_prefix(path)
    assert (good, records) == (size, 7)  # the file version record + 6 summaries
    with open(path, "ab") as f:  # a writer killed in the middle of a record
        f.write(open(path, "rb").read()[-30:][:cut])
    if cut >= 12:  # a torn header reads as a clean end; a torn body is an error
        with pytest.raises(tf.errors.DataLossError):
            read_steps(path)
    assert event_files.truncate_torn_records(str(tmp_path)) == [path]
    assert os.path.getsize(path) == size
    assert read_steps(path) == list(range(6))
    assert event_files.truncate_torn_records(str(tmp_path)) == []  # nothing left to do


def test_corrupt_payload_is_cut(tmp_path):
    path = write_events(tmp_path, 3)
    data = bytearray(open(path, "rb").read())
    data[-6] ^= 0xFF  # flip a byte of the last record's payload
    open(path, "wb").write(bytes(data))
    event_files.truncate_torn_records(str(tmp_path))
    assert read_steps(path) == [0, 1]


def test_subdirectories_and_missing_dirs_are_left_alone(tmp_path):
    (tmp_path / "eval").mkdir()
    path = write_events(tmp_path / "eval", 2)
    with open(path, "ab") as f:
        f.write(b"\x01\x02")
    assert event_files.truncate_torn_records(str(tmp_path)) == []
    assert event_files.truncate_torn_records(str(tmp_path / "missing")) == []


@pytest.mark.parametrize("where", ["length", "payload", "footer"])
def test_damage_before_the_end_is_reported_and_left_alone(tmp_path, where):
    path = write_events(tmp_path, 6)
    data = bytearray(open(path, "rb").read())
    first, _ = event_files.valid_prefix(path)
    start = len(data) // 2  # a record boundary at or after the middle
    offset = 0
    while offset < start:
        (length,) = struct.unpack_from("<Q", data, offset)
        offset += 12 + length + 4
    assert offset < len(data) - 12  # records follow the damaged one
    (length,) = struct.unpack_from("<Q", data, offset)
    byte = {"length": offset + 2, "payload": offset + 12 + length // 2,
            "footer": offset + 12 + length + 1}[where]
    data[byte] ^= 0x01
    open(path, "wb").write(bytes(data))
    assert first == len(data)
    assert event_files.truncate_torn_records(str(tmp_path)) == []
    assert open(path, "rb").read() == bytes(data)  # untouched
    assert event_files.damaged_files(str(tmp_path)) == [(path, offset)]
    assert event_files.valid_prefix(path)[0] == offset


def test_zeros_after_the_last_record_are_a_torn_tail(tmp_path):
    path = write_events(tmp_path, 2)
    size = os.path.getsize(path)
    with open(path, "ab") as f:  # a crash that extended the file without its data
        f.write(bytes(40))
    assert event_files.damaged_files(str(tmp_path)) == []
    assert event_files.truncate_torn_records(str(tmp_path)) == [path]
    assert os.path.getsize(path) == size and read_steps(path) == [0, 1]


def test_a_torn_tail_is_not_reported_as_damage(tmp_path):
    path = write_events(tmp_path, 3)
    with open(path, "ab") as f:
        f.write(open(path, "rb").read()[-30:][:20])
    assert event_files.damaged_files(str(tmp_path)) == []


def test_a_link_at_an_event_file_name_is_never_cut(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    path = write_events(outside, 3)
    with open(path, "ab") as f:  # a torn tail in a file outside the run directory
        f.write(b"\x10\x00\x00\x00\x00\x00\x00\x00\x01\x02")
    before = open(path, "rb").read()
    run = tmp_path / "run"
    run.mkdir()
    os.symlink(path, run / os.path.basename(path))
    assert event_files.truncate_torn_records(str(run)) == []
    assert open(path, "rb").read() == before
