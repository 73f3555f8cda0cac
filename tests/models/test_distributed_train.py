"""The real trainer as a cluster: 1 ps + 2 workers as separate processes on 127.0.0.1."""

import os
import pathlib
import subprocess
import sys

import pytest
import tensorflow as tf

from lrhooks import schedules
from models.resnet_mnist import cluster as cluster_lib
from tests.models.idx_files import make_split, write_mnist

REPO = pathlib.Path(__file__).resolve().parents[2]
SCHEDULE = schedules.piecewise_constant([10, 20], [0.05, 0.02, 0.01])


def test_ps_and_two_workers_train_and_exit_cleanly(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    write_mnist(data, "train", n=64)
    images, labels = make_split(10, seed=1)
    write_mnist(data, "test", images=images, labels=labels)
    train_dir = tmp_path / "run"
    ps_port, w0_port, w1_port = cluster_lib.free_ports(3)
    common = [sys.executable, "-m", "models.resnet_mnist.train", f"--data_dir={data}",
              f"--train_dir={train_dir}", "--model=resnet", "--num_residual_units=1",
              "--filters=4,4,8,8", "--batch_size=8", "--train_steps=40",
              "--lr_boundaries=10,20", "--lr_values=0.05,0.02,0.01", "--save_summaries_steps=1",
              "--save_checkpoints_steps=15", "--progress=never", "--nofinal_eval",
              f"--ps_hosts=127.0.0.1:{ps_port}",
              f"--worker_hosts=127.0.0.1:{w0_port},127.0.0.1:{w1_port}", "--ps_timeout_secs=120"]
    env = dict(os.environ, PYTHONPATH=str(REPO), TF_CPP_MIN_LOG_LEVEL="2")
    roles = {"ps": ["--job_name=ps", "--task_index=0"],
             "chief": ["--job_name=worker", "--task_index=0"],
             "worker1": ["--job_name=worker", "--task_index=1"]}
    processes = {name: subprocess.Popen(common + args, cwd=REPO, env=env, text=True,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                 for name, args in roles.items()}
    outputs = {}
    try:
        for name in ("chief", "worker1", "ps"):
            outputs[name] = processes[name].communicate(timeout=240)
    finally:
        for process in processes.values():
            process.kill()
    logs = "\n".join(f"--- {n}\n{o[1][-2000:]}" for n, o in outputs.items())
    assert {n: p.returncode for n, p in processes.items()} == {n: 0 for n in roles}, logs
    checkpoint = tf.train.latest_checkpoint(str(train_dir))
    assert int(tf.train.load_variable(checkpoint, "global_step")) >= 40
    series = {}
    for name in os.listdir(train_dir):
        if "tfevents" in name:
            for event in tf.compat.v1.train.summary_iterator(str(train_dir / name)):
                series.update({event.step: v.simple_value for v in event.summary.value
                               if v.tag == "learning_rate"})
    assert len(series) >= 10, logs  # the chief records its own runs
    for label, value in series.items():  # exact against the shared step other workers move
        assert value == pytest.approx(SCHEDULE(label - 1), rel=1e-6), (label, value)
    assert not any("tfevents" in p.name for p in (tmp_path / "data").iterdir())
