"""Damaged run directories and failed writes: nothing lost, nothing silently ignored.

Every test runs the real trainer as a subprocess on a copy of one small run directory
(checkpoints at steps 0, 5, 10 and 12). Times to exit are printed, never asserted.
"""

import errno
import os
import shutil
import subprocess

import pytest

from lrhooks.tools import event_files
from models.resnet_mnist import checkpoints
from tests.support import programs
from tests.support.trainer_runs import (checkpoint_step, command, copy_run, error_lines, files,
                                        run, trained_run)

pytestmark = pytest.mark.slow  # real trainer processes on a trained run

STEPS = ["--save_checkpoints_steps=5"]


@pytest.fixture(scope="module")
def trained(data_dir, tmp_path_factory):
    """A run directory trained to step 12 (checkpoints 0, 5, 10, 12)."""
    train_dir = trained_run(data_dir, tmp_path_factory.mktemp("trained") / "run", 12, 5)
    assert sorted(checkpoints.on_disk(str(train_dir))) == [0, 5, 10, 12]
    return train_dir


# The runs whose warnings and restores are read pass --verbose: absl's format, and TensorFlow's
# own "Restoring parameters from" line (hidden without it).
VERBOSE = "--verbose"


def warnings_of(stderr):
    return [line.split("] ", 1)[1] for line in stderr.splitlines()
            if line.startswith("W") and "loop.py" in line]


def flip_middle_byte(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


DATA = "model.ckpt-12.data-00000-of-00001"


@pytest.mark.parametrize("damage, reason", [
    (lambda d: flip_middle_byte(d / DATA), "Checksum does not match"),
    (lambda d: os.truncate(d / DATA, 100), "Read less bytes"),
    (lambda d: (d / "model.ckpt-12.index").unlink(), ".index file is missing"),
    (lambda d: (d / DATA).unlink(), "No such file"),
])
def test_damaged_latest_checkpoint_falls_back_to_the_newest_intact_one(trained, data_dir,
                                                                      tmp_path, damage, reason):
    train_dir = copy_run(trained, tmp_path)
    damage(train_dir)
    damaged = {n: b for n, b in files(train_dir).items() if n.startswith("model.ckpt-12.")}
    done = run(command(data_dir, train_dir, "--train_steps=14", *STEPS, VERBOSE))
    assert done.returncode == 0, done.stderr[-3000:]
    (line,) = [w for w in warnings_of(done.stderr) if "damaged" in w]
    assert line.startswith("checkpoint model.ckpt-12 in ") and reason in line
    assert line.endswith("resuming from model.ckpt-10, the newest intact checkpoint")
    assert "Restoring parameters from " + str(train_dir / "model.ckpt-10") in done.stderr
    assert checkpoint_step(train_dir) == 14
    after = files(train_dir)
    assert {n: after[n] for n in damaged} == damaged  # left for the user, untouched
    assert all(os.path.exists(str(train_dir / f"model.ckpt-{s}.index")) for s in (0, 5, 10))


@pytest.mark.parametrize("index, said", [
    (None, "is missing"),
    (b"", "is empty"),
    (bytes(range(256)) * 2, "is unreadable"),
    (b"model_checkpoint_path: 3\n", "is unreadable"),
])
def test_a_lost_checkpoint_index_is_recovered_from_the_files(trained, data_dir, tmp_path,
                                                             index, said):
    train_dir = copy_run(trained, tmp_path)
    if index is None:
        (train_dir / "checkpoint").unlink()
    else:
        (train_dir / "checkpoint").write_bytes(index)
    done = run(command(data_dir, train_dir, "--train_steps=14", *STEPS, VERBOSE))
    assert done.returncode == 0, done.stderr[-3000:]
    (line,) = [w for w in warnings_of(done.stderr) if "checkpoint index" in w]
    assert said in line and line.endswith("resuming from model.ckpt-12")
    assert checkpoint_step(train_dir) == 14  # resumed at 12: never trained over from step 0
    assert sorted(checkpoints.on_disk(str(train_dir))) == [0, 5, 10, 12, 14]  # none deleted


def test_none_intact_fails_in_one_line_and_writes_nothing(trained, data_dir, tmp_path):
    train_dir = copy_run(trained, tmp_path)
    for step in (0, 5, 10, 12):
        os.truncate(train_dir / f"model.ckpt-{step}.data-00000-of-00001", 10)
    before = files(train_dir)
    done = run(command(data_dir, train_dir, "--train_steps=14", *STEPS))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    (line,) = error_lines(done.stderr)
    assert "holds no intact checkpoint: checkpoint model.ckpt-12" in line
    assert "and so are 3 older ones" in line and "fresh --train_dir" in line
    assert files(train_dir) == before


@pytest.mark.parametrize("how", ["copied", "moved"])
def test_copied_and_moved_run_directories_resume_and_keep_the_original(trained, data_dir,
                                                                       tmp_path, how):
    original = copy_run(trained, tmp_path)
    (original / "checkpoint").write_text(  # an index as older trainers wrote it: absolute paths
        f'model_checkpoint_path: "{original}/model.ckpt-12"\n' +
        "".join(f'all_model_checkpoint_paths: "{original}/model.ckpt-{step}"\n'
                for step in (0, 5, 10, 12)))
    target = tmp_path / "elsewhere"
    (shutil.copytree if how == "copied" else shutil.move)(str(original), str(target))
    before = files(original) if how == "copied" else {}
    done = run(command(data_dir, target, "--train_steps=40", *STEPS, VERBOSE))  # retention deletes 5
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Restoring parameters from " + str(target / "model.ckpt-12") in done.stderr
    assert checkpoint_step(target) == 40
    assert (files(original) if how == "copied" else {}) == before
    index = (target / "checkpoint").read_text()
    assert str(tmp_path) not in index and 'model_checkpoint_path: "model.ckpt-40"' in index
    assert sorted(checkpoints.on_disk(str(target))) == [22, 27, 32, 37, 40]  # its own retention


def test_event_file_damaged_in_the_middle_is_left_and_a_torn_tail_is_cut(trained, data_dir,
                                                                        tmp_path):
    train_dir = copy_run(trained, tmp_path)
    (main,) = [p for p in train_dir.iterdir()
               if "tfevents" in p.name and "lrhooks-hparams" not in p.name]
    flip_middle_byte(main)
    damaged = main.read_bytes()
    small = [p for p in sorted(train_dir.iterdir()) if "lrhooks-hparams" in p.name][0]
    intact = small.read_bytes()
    small.write_bytes(intact + intact[-30:][:20])  # a torn last record
    done = run(command(data_dir, train_dir, "--train_steps=13", *STEPS, VERBOSE))
    assert done.returncode == 0, done.stderr[-3000:]
    (line,) = [w for w in warnings_of(done.stderr) if "is damaged at byte" in w]
    assert line.startswith(f"event file {main} is damaged at byte ")
    assert main.read_bytes() == damaged and small.read_bytes() == intact
    assert any(f"cut a torn record off the end of {small}" in w for w in warnings_of(done.stderr))


INJECT = """
import errno, os, runpy, sys
import tensorflow as tf
code, after, where = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
if where == "saver":  # the Saver's data file write fails after `after` saves
    original = tf.compat.v1.train.Saver.save
    calls = [0]
    def save(self, sess, save_path, global_step=None, **kwargs):
        calls[0] += 1
        if calls[0] > after:
            path = f"{save_path}-{global_step}_temp/part-00000-of-00001.data-00000-of-00001"
            raise tf.errors.ResourceExhaustedError(None, None, f"{path}; {os.strerror(code)}")
        return original(self, sess, save_path, global_step=global_step, **kwargs)
    tf.compat.v1.train.Saver.save = save
else:  # Python's own write of train_config.json fails
    from models.resnet_mnist import config
    def write_config(config_value, hparams):
        path = os.path.join(config_value.train_dir, config.CONFIG_FILE)
        raise OSError(code, os.strerror(code), path + ".tmp")
    config.write_config = write_config
sys.argv = ["train"] + sys.argv[4:]
runpy.run_module("models.resnet_mnist.train", run_name="__main__", alter_sys=True)
"""


@pytest.mark.parametrize("code, where, path", [
    (errno.ENOSPC, "saver", "model.ckpt-16_temp/part-00000-of-00001.data-00000-of-00001"),
    (errno.EDQUOT, "saver", "model.ckpt-16_temp/part-00000-of-00001.data-00000-of-00001"),
    (errno.EROFS, "config", "train_config.json.tmp"),
])
def test_write_errors_end_in_one_line_and_the_run_resumes(trained, data_dir, tmp_path, code,
                                                          where, path):
    train_dir = copy_run(trained, tmp_path)
    cmd = command(data_dir, train_dir, "--train_steps=20", "--save_checkpoints_steps=4")
    done = run(programs.python_code(INJECT, code, "1", where, *cmd[3:]))
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr[-3000:]
    (line,) = error_lines(done.stderr)
    assert line.startswith(f"train: error: cannot write '{train_dir / path}': "
                           f"{os.strerror(code)}; ")
    assert checkpoint_step(train_dir) == 12  # the last good checkpoint, intact
    assert checkpoints.problem(str(train_dir / "model.ckpt-12")) is None
    for name in os.listdir(train_dir):  # every event file reads to its end
        if "tfevents" in name:
            path = str(train_dir / name)
            assert event_files.valid_prefix(path)[0] == os.path.getsize(path), name
    resumed = run(cmd)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert checkpoint_step(train_dir) == 20


def _mount_tmpfs(path, size):
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    path.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                          capture_output=True)
    return done.returncode == 0


def test_a_full_disk_ends_in_one_line_and_the_run_resumes_once_space_is_freed(data_dir,
                                                                              tmp_path):
    disk = tmp_path / "disk"
    if not _mount_tmpfs(disk, "4m"):
        pytest.skip("cannot mount a tmpfs here (needs root); the injected errors cover this")
    try:
        train_dir = disk / "run"
        cmd = command(data_dir, train_dir, "--train_steps=30", "--save_checkpoints_steps=1")
        done = run(cmd)
        assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr[-3000:]
        (line,) = error_lines(done.stderr)
        assert line.startswith(f"train: error: cannot write '{train_dir}/")
        assert "No space left on device" in line
        step = checkpoint_step(train_dir)
        assert checkpoints.problem(str(train_dir / f"model.ckpt-{step}")) is None
        for name in os.listdir(train_dir):
            if "tfevents" in name:
                path = str(train_dir / name)
                assert event_files.valid_prefix(path)[0] == os.path.getsize(path), name
        subprocess.run(["mount", "-o", "remount,size=64m", str(disk)], check=True)
        resumed = run(cmd)
        assert resumed.returncode == 0, resumed.stderr[-3000:]
        assert checkpoint_step(train_dir) == 30
    finally:
        subprocess.run(["umount", str(disk)], capture_output=True)
