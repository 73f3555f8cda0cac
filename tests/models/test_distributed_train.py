"""The real trainer as a cluster: 1 ps + 2 workers as separate processes on 127.0.0.1.

Besides a clean run: preemption (SIGTERM) and restart of a worker or of the chief, a ps
that dies for good, signals while a worker waits for the ps or the chief, a taken port
and differing cluster specs. Each fault test prints how long the processes took to exit
("FAULT ..." lines, for BENCHMARKS.md's fault table; not asserted).
"""

import pathlib
import signal
import socket
import subprocess
import time
from typing import List

import pytest
import tensorflow as tf

from lrhooks import schedules
from models.resnet_mnist import cluster_health
from models.resnet_mnist import faults
from tests.support import programs
from tests.support.events import scalar_series
from tests.support.idx_files import make_split, write_mnist
from tests.support.ports import free_ports
from tests.support.processes import Processes

pytestmark = pytest.mark.slow  # a real cluster of trainer processes

SCHEDULE = schedules.piecewise_constant([10, 20], [0.05, 0.02, 0.01])
ROLES = {"ps": ["--job_name=ps", "--task_index=0"],
         "chief": ["--job_name=worker", "--task_index=0"],
         "worker1": ["--job_name=worker", "--task_index=1"]}
VICTIM_INDEX = {"chief": 0, "worker1": 1}


class Trainers(Processes):
    """The trainer's processes of one test cluster, each logging to a file; kill() ends all."""

    def __init__(self, tmp_path: pathlib.Path, train_steps: int, *extra: str):
        super().__init__(tmp_path, dict(TF_CPP_MIN_LOG_LEVEL="2"))
        self.train_dir = tmp_path / "run"
        data = tmp_path / "data"
        data.mkdir()
        write_mnist(data, "train", n=64)
        images, labels = make_split(10, seed=1)
        write_mnist(data, "test", images=images, labels=labels)
        self.ports = free_ports(3)
        self.ps_hosts = f"127.0.0.1:{self.ports[0]}"
        self.worker_hosts = f"127.0.0.1:{self.ports[1]},127.0.0.1:{self.ports[2]}"
        self.command = programs.python_module(
            "models.resnet_mnist.train", f"--data_dir={data}",
            f"--train_dir={self.train_dir}", "--model=resnet", "--num_residual_units=1",
            "--filters=4,4,8,8", "--batch_size=8", f"--train_steps={train_steps}",
            "--lr_boundaries=10,20", "--lr_values=0.05,0.02,0.01", "--save_summaries_steps=1",
            "--save_checkpoints_steps=15", "--progress=never", "--nofinal_eval",
            "--ps_timeout_secs=120", f"--ps_hosts={self.ps_hosts}",
            f"--worker_hosts={self.worker_hosts}", *extra)

    def start_role(self, role: str, name: str = "", *extra: str) -> subprocess.Popen:
        """Starts `role` (a key of ROLES) as `name`; in `extra` the last flag wins."""
        return self.start(name or role, self.command + ROLES[role] + list(extra))

    def wait_for_checkpoint(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while tf.train.latest_checkpoint(str(self.train_dir)) is None:
            assert time.monotonic() < deadline, self.logs()
            time.sleep(0.2)

    def stop(self, name: str, signum: int) -> float:
        """Sends `signum`; the seconds until `name` exited (its exit status is checked apart)."""
        sent = time.monotonic()
        self.process(name).send_signal(signum)
        self.wait(name, timeout=60)
        return time.monotonic() - sent

    def error_lines(self, name: str) -> List[str]:
        """The program's own lines on stderr (its progress lines go to stdout)."""
        return [line for line in self.stderr(name).splitlines() if line.startswith("train: ")]


@pytest.fixture
def make_trainers(tmp_path):
    made = []

    def make(train_steps: int, *extra: str) -> Trainers:
        made.append(Trainers(tmp_path, train_steps, *extra))
        return made[-1]

    yield make
    for trainers in made:
        trainers.kill()


def assert_one_line(trainers: Trainers, name: str, expected: str) -> None:
    """`name` ended with exactly one `train: ...` line, containing `expected`, no traceback."""
    lines = trainers.error_lines(name)
    assert len(lines) == 1 and expected in lines[0], trainers.logs()
    assert "Traceback" not in trainers.log(name), trainers.logs()


def checkpoint_step(train_dir) -> int:
    checkpoint = tf.train.latest_checkpoint(str(train_dir))
    return -1 if checkpoint is None else int(tf.train.load_variable(checkpoint, "global_step"))


def test_ps_and_two_workers_train_and_exit_cleanly(make_trainers, tmp_path):
    # 80 steps: the chief starts last (it initialises the variables) and its share of the
    # steps is a race (9 of 80 on a loaded machine): it must record some, each one exact.
    trainers = make_trainers(80)
    for role in ROLES:
        trainers.start_role(role)
    for name in ("chief", "worker1", "ps"):
        assert trainers.wait(name) == 0, trainers.logs()
    assert checkpoint_step(trainers.train_dir) >= 80
    series = scalar_series(trainers.train_dir, "learning_rate")
    assert len(series) >= 3, trainers.logs()  # the chief records its own runs
    for label, value in series.items():  # exact against the shared step other workers move
        assert value == pytest.approx(SCHEDULE(label - 1), rel=1e-6), (label, value)
    assert not any("tfevents" in p.name for p in (tmp_path / "data").iterdir())
    assert ", 2 of 2 workers done" in trainers.log("ps")


@pytest.mark.parametrize("victim", ["worker1", "chief"])
def test_a_preempted_task_is_not_done_and_rejoins(make_trainers, victim):
    """SIGTERM mid-run is not completion: the ps keeps serving, the restarted task finishes."""
    trainers = make_trainers(400)
    for role in ROLES:
        trainers.start_role(role)
    trainers.wait_for_checkpoint()
    time.sleep(1.0)
    seconds = trainers.stop(victim, signal.SIGTERM)
    assert trainers.wait(victim) == 128 + signal.SIGTERM, trainers.logs()
    print(f"FAULT SIGTERM {victim} mid-run: exit 143 after {seconds:.1f} s")
    time.sleep(2.0)  # a done signal, had one been sent, would have reached the ps by now
    assert trainers.process("ps").poll() is None, trainers.logs()
    # The other task may finish the 400 steps alone meanwhile (it says so); the victim must not.
    assert f"worker {VICTIM_INDEX[victim]} done" not in trainers.log("ps"), trainers.logs()
    trainers.start_role(victim, f"{victim}-restarted")
    for name in (f"{victim}-restarted", "chief" if victim == "worker1" else "worker1", "ps"):
        assert trainers.wait(name) == 0, trainers.logs()
    assert checkpoint_step(trainers.train_dir) >= 400
    assert ", 2 of 2 workers done" in trainers.log("ps")


def test_a_dead_ps_ends_every_worker_in_one_line(make_trainers):
    """Worker 1 gives up after --cluster_timeout_secs; the chief (a long timeout) on SIGTERM."""
    trainers = make_trainers(100000, "--cluster_timeout_secs=3")
    # Asked for 5 s, not the trainer's 60: a killed ps never answers, and the 60 s minimum
    # is checked without waiting by tests/models/test_cluster.py.
    trainers.env[cluster_health.MIN_ASK_SECS_ENV] = "5"
    trainers.start_role("ps")
    trainers.start_role("chief", "chief", "--cluster_timeout_secs=120")  # the last flag wins
    trainers.wait_for_checkpoint()
    trainers.start_role("worker1")  # once the chief has initialised: it does not wait for it
    trainers.wait_for_text("worker1", "  loss ")  # its first log line: training
    time.sleep(1.0)
    killed = time.monotonic()
    trainers.process("ps").kill()
    assert trainers.wait("worker1", timeout=180) == faults.EXIT_CLUSTER, trainers.logs()
    print(f"FAULT ps killed: worker exit 4 after {time.monotonic() - killed:.1f} s "
          "(--cluster_timeout_secs=3, then 5 s asking the ps)")
    assert_one_line(trainers, "worker1", "worker 1 got no answer from the cluster for 3 s while "
                    f"training, and ps 0 ({trainers.ps_hosts}) did not answer when asked for 5 s "
                    "more: it is down or unreachable")
    assert trainers.process("chief").poll() is None, trainers.logs()
    seconds = trainers.stop("chief", signal.SIGTERM)
    assert trainers.wait("chief") == 143, trainers.logs()
    print(f"FAULT ps killed, then SIGTERM to a waiting worker: exit 143 after {seconds:.1f} s")
    assert_one_line(trainers, "chief", "worker 0 stopped by signal 15 while training; the "
                    "cluster did not answer within 10 s: no checkpoint at the current step")


@pytest.mark.parametrize("role, waits_for, signum", [
    ("chief", "asking the ps tasks", signal.SIGTERM),  # no ps: the chief waits for it
    ("worker1", "waiting up to 120 s for the chief", signal.SIGINT),  # a ps but no chief
])
def test_a_signal_ends_a_worker_waiting_for_the_ps_or_the_chief(make_trainers, role, waits_for,
                                                                 signum):
    trainers = make_trainers(100, "--cluster_timeout_secs=120")
    if role == "worker1":
        trainers.start_role("ps")
    trainers.start_role(role)
    trainers.wait_for_text(role, waits_for)
    time.sleep(1.0)
    seconds = trainers.stop(role, signum)
    assert trainers.wait(role) == 128 + signum, trainers.logs()
    assert_one_line(trainers, role, f"stopped by signal {signum} ")
    print(f"FAULT signal {signum} to a worker {waits_for!r}: exit {128 + signum} after "
          f"{seconds:.1f} s")
    if role == "worker1":  # and the ps
        seconds = trainers.stop("ps", signal.SIGTERM)
        assert trainers.wait("ps") == 143, trainers.logs()
        assert "ps 0: stopped by signal 15" in trainers.log("ps")
        print(f"FAULT SIGTERM to a ps: exit 143 after {seconds:.1f} s")


def test_a_chief_that_never_comes_ends_a_waiting_worker(make_trainers):
    trainers = make_trainers(100, "--cluster_timeout_secs=3")
    trainers.start_role("ps")
    started = time.monotonic()
    trainers.start_role("worker1")
    assert trainers.wait("worker1", timeout=120) == faults.EXIT_CLUSTER, trainers.logs()
    print(f"FAULT no chief: worker exit 4 after {time.monotonic() - started:.1f} s "
          "(from its start)")
    chief = trainers.worker_hosts.split(",")[0]
    assert_one_line(trainers, "worker1", "worker 1 waited 3 s for the chief to initialise the "
                    f"variables: the ps answers, but the chief (worker 0, {chief}) is not running")


def test_a_taken_port_is_one_line_naming_it(make_trainers):
    trainers = make_trainers(100)
    with socket.socket() as taken:  # as a second worker 1 would find it
        taken.bind(("0.0.0.0", trainers.ports[2]))
        taken.listen()
        started = time.monotonic()
        trainers.start_role("worker1")
        assert trainers.wait("worker1", timeout=120) == faults.EXIT_CLUSTER, trainers.logs()
    print(f"FAULT taken port: exit 4 after {time.monotonic() - started:.1f} s (from its start)")
    address = f"127.0.0.1:{trainers.ports[2]}"
    assert_one_line(trainers, "worker1", f"worker 1 cannot listen on {address} (port "
                    f"{trainers.ports[2]} on every interface): the port is taken; is a "
                    "--job_name=worker --task_index=1 already running")


def test_differing_cluster_specs_stop_the_worker_and_the_ps(make_trainers):
    trainers = make_trainers(100)
    trainers.start_role("ps")
    extra_worker = f"127.0.0.1:{free_ports(1)[0]}"
    theirs = f"{trainers.worker_hosts},{extra_worker}"
    started = time.monotonic()
    trainers.start_role("worker1", "worker1", f"--worker_hosts={theirs}")  # the last flag wins
    for name in ("worker1", "ps"):
        assert trainers.wait(name, timeout=120) == faults.EXIT_CLUSTER, trainers.logs()
        print(f"FAULT differing specs: {name} exit 4 after {time.monotonic() - started:.1f} s "
              "(from the worker's start)")
    ours = f"--ps_hosts={trainers.ps_hosts} --worker_hosts={trainers.worker_hosts}"
    other = f"--ps_hosts={trainers.ps_hosts} --worker_hosts={theirs}"
    assert_one_line(trainers, "worker1", f"worker 1 was started with {other} but ps 0 with "
                    f"{ours}: start every task with the same --ps_hosts and --worker_hosts")
    assert_one_line(trainers, "ps", f"ps 0 was started with {ours} but worker 1 with {other}")


# ------------------------------------------------------- liveness under load
BUSY_LOOP = ("import time\nend = time.monotonic() + 600\n"
             "while time.monotonic() < end:\n    pass\n")


@pytest.fixture
def loaded_machine():
    """Two CPU-bound busy loops beside the cluster for the test (each ends by itself after
    600 s; killed at the end of the test)."""
    loops = [programs.start(programs.python_code(BUSY_LOOP), stdout=None, stderr=None)
             for _ in range(2)]
    try:
        yield
    finally:
        for loop in loops:
            loop.kill()
            loop.wait(timeout=30)


def test_a_restarted_chief_finds_the_job_finished_and_everyone_exits_0(make_trainers,
                                                                        loaded_machine):
    """Preempted chief; worker 1 trains the job's last steps alone; the chief, started again,
    saves their result instead of training them again: chief, worker and ps exit 0."""
    trainers = make_trainers(200)
    for role in ROLES:
        trainers.start_role(role)
    trainers.wait_for_checkpoint(timeout=400)
    assert trainers.stop("chief", signal.SIGTERM) < 60
    assert trainers.wait("chief") == 143, trainers.logs()
    stopped_at = checkpoint_step(trainers.train_dir)
    assert trainers.wait("worker1", timeout=400) == 0, trainers.logs()  # alone to step 200
    assert trainers.process("ps").poll() is None, trainers.logs()  # waits for the chief
    started = time.monotonic()
    trainers.start_role("chief", "chief-restarted")
    for name in ("chief-restarted", "ps"):
        assert trainers.wait(name, timeout=400) == 0, trainers.logs()
    print(f"FAULT chief restarted after worker 1 finished the job: exit 0 after "
          f"{time.monotonic() - started:.1f} s (from its start)")
    assert stopped_at < 200 and checkpoint_step(trainers.train_dir) >= 200, trainers.logs()
    assert ("the job's steps are already done: the shared step is 200 of 200 (other workers "
            "trained them); saved it as model.ckpt-200") in trainers.log("chief-restarted")
    assert ", 2 of 2 workers done" in trainers.log("ps")
    assert not any("error" in line for name in ("chief-restarted", "ps", "worker1")
                   for line in trainers.error_lines(name)), trainers.logs()


def test_a_ps_killed_and_restarted_under_load_ends_every_task_with_0(make_trainers,
                                                                     loaded_machine):
    """The restarted ps answers when asked (after its slow import): no worker calls it down,
    the chief restores the variables, the job finishes with exact rates, all exit 0."""
    trainers = make_trainers(150)
    for role in ROLES:
        trainers.start_role(role)
    trainers.wait_for_checkpoint(timeout=400)
    trainers.wait_for_text("worker1", "  loss ", timeout=400)  # training
    killed = time.monotonic()
    trainers.process("ps").kill()
    trainers.wait("ps")
    trainers.start_role("ps", "ps-restarted")
    for name in ("chief", "worker1", "ps-restarted"):
        assert trainers.wait(name, timeout=400) == 0, trainers.logs()
    print(f"FAULT ps killed and restarted (load): every task exit 0, "
          f"{time.monotonic() - killed:.1f} s after the kill")
    assert checkpoint_step(trainers.train_dir) >= 150
    series = scalar_series(trainers.train_dir, "learning_rate")
    for label, value in series.items():
        assert value == pytest.approx(SCHEDULE(label - 1), rel=1e-6), (label, value)
    for name in ("chief", "worker1", "ps-restarted"):
        assert not trainers.error_lines(name), trainers.logs()


@pytest.mark.parametrize("flag, chief_value", [("--num_residual_units=2", "1"),
                                               ("--batch_size=16", "8")])
def test_a_worker_with_other_settings_than_the_chief_stops_in_one_line(make_trainers, flag,
                                                                       chief_value):
    trainers = make_trainers(30)
    for role in ROLES:
        trainers.start_role(role, role, *([flag] if role == "worker1" else []))
    assert trainers.wait("worker1") == faults.EXIT_CLUSTER, trainers.logs()
    chief = trainers.worker_hosts.split(",")[0]
    name = flag.split("=")[0]
    assert_one_line(trainers, "worker1", f"worker 1 was started with {flag} but the chief "
                    f"(worker 0, {chief}) with {name}={chief_value}: start every worker with "
                    "the chief's model and training flags")
    started = time.monotonic()
    for role in ("chief", "ps"):  # the ps does not wait for a worker that left
        assert trainers.wait(role) == 0, trainers.logs()
    print(f"FAULT worker with {flag}: worker exit 4, chief and ps exit 0 "
          f"{time.monotonic() - started:.1f} s after the worker")
    assert "worker 1 left: its settings differ from the chief's" in trainers.log("ps")
    assert checkpoint_step(trainers.train_dir) >= 30
