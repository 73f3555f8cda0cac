"""The real trainer as a cluster: 1 ps + 2 workers as separate processes on 127.0.0.1."""

import os
import pathlib
import subprocess
import sys
import time

import pytest
import tensorflow as tf

from lrhooks import schedules
from tests.support.events import scalar_series
from tests.support.idx_files import make_split, write_mnist
from tests.support.ports import free_ports

REPO = pathlib.Path(__file__).resolve().parents[2]
SCHEDULE = schedules.piecewise_constant([10, 20], [0.05, 0.02, 0.01])


ROLES = {"ps": ["--job_name=ps", "--task_index=0"],
         "chief": ["--job_name=worker", "--task_index=0"],
         "worker1": ["--job_name=worker", "--task_index=1"]}


def cluster_command(tmp_path, train_steps):
    data = tmp_path / "data"
    if not data.exists():
        data.mkdir()
        write_mnist(data, "train", n=64)
        images, labels = make_split(10, seed=1)
        write_mnist(data, "test", images=images, labels=labels)
    ps_port, w0_port, w1_port = free_ports(3)
    return [sys.executable, "-m", "models.resnet_mnist.train", f"--data_dir={data}",
            f"--train_dir={tmp_path / 'run'}", "--model=resnet", "--num_residual_units=1",
            "--filters=4,4,8,8", "--batch_size=8", f"--train_steps={train_steps}",
            "--lr_boundaries=10,20", "--lr_values=0.05,0.02,0.01", "--save_summaries_steps=1",
            "--save_checkpoints_steps=15", "--progress=never", "--nofinal_eval",
            f"--ps_hosts=127.0.0.1:{ps_port}",
            f"--worker_hosts=127.0.0.1:{w0_port},127.0.0.1:{w1_port}", "--ps_timeout_secs=120"]


def start(command):
    env = dict(os.environ, PYTHONPATH=str(REPO), TF_CPP_MIN_LOG_LEVEL="2")
    return subprocess.Popen(command, cwd=REPO, env=env, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


def finish(processes):
    """Waits for every process (bounded); returns their stderr tails for messages."""
    outputs = {}
    try:
        for name in ("chief", "worker1", "ps"):
            outputs[name] = processes[name].communicate(timeout=240)
    finally:
        for process in processes.values():
            process.kill()
    return "\n".join(f"--- {n}\n{o[1][-2000:]}" for n, o in outputs.items())


def test_a_killed_worker_restarted_rejoins(tmp_path):
    common = cluster_command(tmp_path, train_steps=400)
    processes = {name: start(common + args) for name, args in ROLES.items()}
    try:
        deadline = time.monotonic() + 120
        while tf.train.latest_checkpoint(str(tmp_path / "run")) is None:
            assert time.monotonic() < deadline and processes["chief"].poll() is None
            time.sleep(0.2)
        time.sleep(1.0)
        processes["worker1"].kill()  # SIGKILL mid-run: it never signals the ps
        processes["worker1"].communicate(timeout=60)
        processes["worker1"] = start(common + ROLES["worker1"])
    except BaseException:
        for process in processes.values():
            process.kill()
        raise
    logs = finish(processes)
    assert {n: p.returncode for n, p in processes.items()} == {n: 0 for n in ROLES}, logs
    checkpoint = tf.train.latest_checkpoint(str(tmp_path / "run"))
    assert int(tf.train.load_variable(checkpoint, "global_step")) >= 400


def test_ps_and_two_workers_train_and_exit_cleanly(tmp_path):
    common = cluster_command(tmp_path, train_steps=40)
    train_dir = tmp_path / "run"
    processes = {name: start(common + args) for name, args in ROLES.items()}
    logs = finish(processes)
    assert {n: p.returncode for n, p in processes.items()} == {n: 0 for n in ROLES}, logs
    checkpoint = tf.train.latest_checkpoint(str(train_dir))
    assert int(tf.train.load_variable(checkpoint, "global_step")) >= 40
    series = scalar_series(train_dir, "learning_rate")
    assert len(series) >= 10, logs  # the chief records its own runs
    for label, value in series.items():  # exact against the shared step other workers move
        assert value == pytest.approx(SCHEDULE(label - 1), rel=1e-6), (label, value)
    assert not any("tfevents" in p.name for p in (tmp_path / "data").iterdir())
