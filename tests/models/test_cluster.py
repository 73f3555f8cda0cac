"""Between-graph replicated training: cluster flags/TF_CONFIG, placement, and real clusters.

The cluster tests run one ps and two workers as separate processes on free
127.0.0.1 ports (TensorFlow itself binds them on all interfaces); each worker
trains a one-weight model with an lrhooks schedule through `cluster.py` only.
"""

import io
import os
import pathlib
import signal
import subprocess
import sys
import textwrap
import time

import pytest
import tensorflow as tf

import lrhooks
from lrhooks import schedules
from models.resnet_mnist import cluster as cluster_lib
from models.resnet_mnist import cluster_health
from models.resnet_mnist import faults
from tests.support.ports import free_ports
from tests.support.processes import Processes
from tests.support.events import scalar_points

tf1 = tf.compat.v1
RATES = (0.1, 0.01, 0.001)
SCHEDULE = schedules.piecewise_constant([5, 10], list(RATES))
PS, WORKERS = ("127.0.0.1:2222",), ("127.0.0.1:2223", "127.0.0.1:2224")


# ------------------------------------------------------------------ config
def test_flags_make_a_worker_config():
    config = cluster_lib.from_values("worker", 1, ["127.0.0.1:2222"],
                                     "127.0.0.1:2223, 127.0.0.1:2224", tf_config_env=None)
    assert config == cluster_lib.ClusterConfig("worker", 1, PS, WORKERS)
    assert config.is_distributed and not config.is_chief
    assert (config.num_workers, config.num_ps) == (2, 1)
    assert config.worker_device == "/job:worker/task:1"
    assert config.cluster_spec().as_dict() == {"ps": list(PS), "worker": list(WORKERS)}
    assert cluster_lib.from_values("worker", 0, PS, WORKERS).is_chief
    assert not cluster_lib.from_values("ps", 0, PS, WORKERS).is_chief


def test_no_flags_and_no_tf_config_is_a_local_run():
    for env in (None, "", "  ", '{"cluster": {}}', "{}"):
        config = cluster_lib.from_values("", 0, [], "", env)
        assert config == cluster_lib.ClusterConfig()
        assert not config.is_distributed and config.is_chief and config.worker_device == ""


def test_tf_config_is_read_when_no_flag_is_set():
    env = ('{"cluster": {"ps": ["127.0.0.1:2222"], "worker": ["127.0.0.1:2223", '
           '"127.0.0.1:2224"]}, "task": {"type": "worker", "index": 1}}')
    assert (cluster_lib.from_values(None, 0, None, None, env) ==
            cluster_lib.ClusterConfig("worker", 1, PS, WORKERS))
    # The flags win over TF_CONFIG.
    assert cluster_lib.from_values("ps", 0, PS, WORKERS, env).job_name == "ps"


@pytest.mark.parametrize("job, index, ps, workers, message", [
    ("chief", 0, PS, WORKERS, "--job_name must be ps or worker, got 'chief'"),
    ("", 0, PS, (), "--ps_hosts needs --job_name=ps or --job_name=worker"),
    ("", 0, (), WORKERS, "--worker_hosts needs --job_name=ps or --job_name=worker"),
    ("worker", -1, PS, WORKERS, "--task_index must be >= 0, got -1"),
    ("ps", 0, (), WORKERS, "--ps_hosts is required with --job_name=ps"),
    ("worker", 0, PS, (), "--worker_hosts is required with --job_name=worker"),
    ("worker", 3, PS, WORKERS, "--task_index 3 is out of range for 2 --worker_hosts"),
    ("ps", 1, PS, WORKERS, "--task_index 1 is out of range for 1 --ps_hosts"),
    ("worker", 0, ("localhost",), WORKERS, "--ps_hosts entry 'localhost' is not host:port"),
    ("worker", 0, PS, ("h:0",), "--worker_hosts entry 'h:0' is not host:port"),
    ("worker", 0, PS, (":2223",), "--worker_hosts entry ':2223' is not host:port"),
    ("worker", 0, PS, ("h:99999",), "--worker_hosts entry 'h:99999' is not host:port"),
    ("worker", 0, PS, ("h:1", "h:1"), "--worker_hosts lists h:1 twice"),
    ("worker", 0, PS, PS, "--worker_hosts lists 127.0.0.1:2222 and in --ps_hosts"),
])
def test_flag_errors_are_one_line_naming_the_flag(job, index, ps, workers, message):
    with pytest.raises(ValueError) as raised:
        cluster_lib.from_values(job, index, ps, workers)
    assert str(raised.value).startswith(message) and "\n" not in str(raised.value)


@pytest.mark.parametrize("env, message", [
    ("{not json", "TF_CONFIG: not valid JSON: "),
    ("[1]", "TF_CONFIG: must be a JSON object, got list"),
    ('{"cluster": ["a"]}', "TF_CONFIG: 'cluster' must be an object"),
    ('{"cluster": {"chief": ["h:1"], "worker": ["h:2"]}, "task": {"type": "chief"}}',
     "TF_CONFIG: cluster job 'chief' is not supported"),
    ('{"cluster": {"ps": "h:1", "worker": ["h:2"]}, "task": {"type": "ps"}}',
     "TF_CONFIG: cluster.ps must be a list of host:port strings"),
    ('{"cluster": {"ps": ["h:1"], "worker": ["h:2"]}}', "TF_CONFIG: has a 'cluster' but no 'task'"),
    ('{"cluster": {"ps": ["h:1"], "worker": ["h:2"]}, "task": {"type": "worker", "index": "0"}}',
     "TF_CONFIG: task.index must be an integer, got '0'"),
    ('{"cluster": {"ps": ["h:1"], "worker": ["h:2"]}, "task": {"type": "worker", "index": 2}}',
     "TF_CONFIG: --task_index 2 is out of range for 1 --worker_hosts"),
    ('{"cluster": {"worker": ["h:2"]}, "task": {"type": "worker", "index": 0}}',
     "TF_CONFIG: --ps_hosts is required with --job_name=worker"),
])
def test_tf_config_errors_are_one_line(env, message):
    with pytest.raises(ValueError) as raised:
        cluster_lib.from_values("", 0, None, None, env)
    assert str(raised.value).startswith(message) and "\n" not in str(raised.value)


def test_server_configs_filter_devices():
    worker = cluster_lib.server_config(
        cluster_lib.ClusterConfig("worker", 1, PS, WORKERS),
        tf1.ConfigProto(intra_op_parallelism_threads=2, device_filters=["/job:ps"]))
    assert list(worker.device_filters) == ["/job:ps", "/job:worker/task:1"]
    assert worker.allow_soft_placement and worker.intra_op_parallelism_threads == 2
    ps = cluster_lib.server_config(cluster_lib.ClusterConfig("ps", 0, PS, WORKERS))
    assert list(ps.device_filters) == ["/job:ps/task:0"] and ps.device_count["GPU"] == 0


# --------------------------------------------------------------- placement
def test_device_setter_puts_variables_on_ps_and_ops_on_the_worker():
    cluster = cluster_lib.ClusterConfig("worker", 1, ("127.0.0.1:1", "127.0.0.1:2"), WORKERS)
    with tf.Graph().as_default() as graph:
        with cluster_lib.replica_scope(cluster):
            with tf.device("/device:CPU:0"):
                global_step = tf1.train.get_or_create_global_step()
                rate = lrhooks.learning_rate()
                batch = tf1.data.make_one_shot_iterator(
                    tf.data.Dataset.from_tensors(tf.ones([2, 3])).repeat()).get_next()
            with tf.device("/device:GPU:0"):  # a model on the worker's GPU: variables on ps CPU
                weights = tf1.get_variable("w", [3, 1])
                loss = tf.reduce_sum(tf.matmul(batch, weights))
            train_op = tf1.train.MomentumOptimizer(rate, 0.9).minimize(loss, global_step)
    handles = {op.name: op.device for op in graph.get_operations() if op.type == "VarHandleOp"}
    assert handles["global_step"] == "/job:ps/task:0/device:CPU:0"
    # The rate's window (a hash table) stays on the worker, beside the Python fallback that
    # fills it: each worker keeps its own window of the same absolute steps (on a ps, every run
    # would wait for one more round trip).
    assert graph.get_operation_by_name("learning_rate_window/table").device.startswith(
        "/job:worker/task:1")
    assert handles["w"] in ("/job:ps/task:0/device:CPU:0", "/job:ps/task:1/device:CPU:0")
    assert handles["w/Momentum"].startswith("/job:ps/task:")
    assert {device[:len("/job:ps/task:0")] for device in handles.values()} == {
        "/job:ps/task:0", "/job:ps/task:1"}  # round-robin over the ps tasks
    assert global_step.device == "/job:ps/task:0/device:CPU:0"
    assert batch.device == "/job:worker/task:1/device:CPU:0"
    assert loss.op.inputs[0].op.device == "/job:worker/task:1/device:GPU:0"
    assert rate.device.startswith("/job:worker/task:1")
    assert train_op.device == global_step.device  # the step increment, colocated
    with tf.Graph().as_default(), cluster_lib.replica_scope(cluster_lib.ClusterConfig()):
        assert tf1.train.get_or_create_global_step().device == ""  # local: no placement


def test_free_ports_are_distinct_and_bindable_on_localhost():
    ports = free_ports(4)
    assert len(set(ports)) == 4 and all(0 < port < 65536 for port in ports)


# ---------------------------------------------------------------- watchdog
class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def watchdog(timeout_secs=30.0):
    """(clock, the watchdog of worker 1 on that fake clock); its thread is not started."""
    clock = FakeClock()
    cluster = cluster_lib.ClusterConfig("worker", 1, PS, WORKERS)
    return clock, cluster_health.Watchdog(cluster, timeout_secs, clock=clock)


@pytest.mark.parametrize("phase, timed", [
    (cluster_health.STARTING, False),  # waiting for the ps or the chief: bounded by itself
    (cluster_health.CONNECTING, True),
    (cluster_health.TRAINING, True),
    (cluster_health.CLOSING, True),
    (cluster_health.FINISHED, False),  # the final evaluation, the done signal
])
def test_watchdog_times_out_only_while_the_session_waits_on_the_cluster(phase, timed):
    clock, dog = watchdog(timeout_secs=30)
    dog.enter(phase)
    clock.now += 29.9
    assert dog.check(clock.now) is None
    clock.now += 0.1
    if not timed:
        assert dog.check(clock.now + 1000) is None
        return
    status, line = dog.check(clock.now)
    assert status == faults.EXIT_CLUSTER == 4
    assert line == (f"train: error: worker 1 got no answer from the cluster for 30 s while "
                    f"{phase}: a ps task (127.0.0.1:2222) is down or unreachable; restart it, "
                    "then this task (--cluster_timeout_secs=30)")


def test_watchdog_counts_from_the_last_run():
    clock, dog = watchdog(timeout_secs=30)
    hook = dog.hook
    with dog.training():
        hook.begin()
        assert dog.phase == cluster_health.CONNECTING
        clock.now += 20
        hook.after_create_session(None, None)
        assert dog.phase == cluster_health.TRAINING
        for _ in range(5):  # runs of 20 s each: never 30 s without one starting or returning
            clock.now += 20
            hook.before_run(None)
            assert dog.check(clock.now) is None
            clock.now += 20
            hook.after_run(None, None)
            assert dog.check(clock.now) is None
        clock.now += 20
        hook.end(None)
        assert dog.phase == cluster_health.CLOSING and dog.check(clock.now + 29) is None
        assert dog.check(clock.now + 30)[0] == faults.EXIT_CLUSTER
    assert dog.phase == cluster_health.FINISHED and dog.check(clock.now + 1000) is None


@pytest.mark.parametrize("phase, grace, when", [
    (cluster_health.STARTING, 1.0, "before training"),
    (cluster_health.CONNECTING, 1.0, "while creating its session"),
    (cluster_health.TRAINING, 10.0, "while training"),
    (cluster_health.CLOSING, 10.0, "while closing its session"),
    (cluster_health.FINISHED, 1.0, "after training"),
])
def test_a_signal_ends_the_task_within_its_grace(phase, grace, when):
    clock, dog = watchdog(timeout_secs=1000)
    dog.enter(phase)
    dog.received(15)
    clock.now += grace - 0.05
    assert dog.check(clock.now) is None
    clock.now += 0.05
    status, line = dog.check(clock.now)
    assert status == 143
    if grace == 1.0:  # nothing of this process's training is unsaved
        assert line == (f"train: worker 1 stopped by signal 15 {when}; run the same command "
                        "to continue")
    else:  # the trainer's own stop did not get through: the cluster hangs
        assert line == (f"train: worker 1 stopped by signal 15 {when}; the cluster did not answer"
                        " within 10 s: no checkpoint at the current step (the last one is kept);"
                        " run the same command to continue")


def test_a_signal_the_trainer_handled_is_left_to_it_and_a_second_one_ends_at_once():
    clock, dog = watchdog()
    dog.enter(cluster_health.TRAINING)
    dog.received(2)
    clock.now += 3
    dog.enter(cluster_health.FINISHED)  # the session closed, with its checkpoint
    assert dog.check(clock.now + 100) is None
    dog.received(2)
    status, line = dog.check(clock.now)
    assert status == 130 and "a second signal: no checkpoint at the current step" in line


def asking_watchdog(timeout_secs=30.0):
    """(clock, the watchdog of worker 1 that asks the ps before calling it down, the asks)."""
    clock, asked = FakeClock(), []
    cluster = cluster_lib.ClusterConfig("worker", 1, PS, WORKERS)
    return clock, cluster_health.Watchdog(cluster, timeout_secs, clock=clock,
                                          ask_ps=asked.append), asked


def test_no_progress_with_a_ps_that_answers_is_a_slow_step_not_a_dead_ps():
    clock, dog, _ = asking_watchdog(timeout_secs=30)
    dog.enter(cluster_health.TRAINING)
    clock.now += 30
    assert dog.check(clock.now) == cluster_health.ASK  # not an exit: ask the ps first
    since = clock.now
    clock.now += 4  # the ps answered after 4 s
    assert dog.answered([], since, clock.now) is None
    assert dog.check(clock.now + 29.9) is None  # the wait goes on, counted afresh
    assert dog.check(clock.now + 30) == cluster_health.ASK


def test_a_ps_that_does_not_answer_when_asked_is_down():
    clock, dog, _ = asking_watchdog(timeout_secs=3)
    assert dog.ask_secs == cluster_health.MIN_ASK_SECS  # patient even with a short timeout
    dog.enter(cluster_health.CONNECTING)
    clock.now += 3
    assert dog.check(clock.now) == cluster_health.ASK
    since = clock.now
    clock.now += dog.ask_secs
    status, line = dog.answered([0], since, clock.now)
    assert status == faults.EXIT_CLUSTER
    assert line == ("train: error: worker 1 got no answer from the cluster for 3 s while "
                    "creating its session, and ps 0 (127.0.0.1:2222) did not answer when asked "
                    "for 60 s more: it is down or unreachable; restart it, then this task "
                    "(--cluster_timeout_secs=3)")
    # A run that returned while the ps was asked: progress, whatever the answer.
    dog.enter(cluster_health.TRAINING)
    clock.now += 3
    since = clock.now
    dog.beat()
    assert dog.answered([0], since - 1, clock.now) is None


def test_watchdog_thread_asks_the_ps_and_waits_while_it_answers():
    """The real thread with a ps that answers, then one that does not."""
    cluster = cluster_lib.ClusterConfig("worker", 1, PS, WORKERS)
    for unanswered in ([], [0]):
        exits, out, asked = [], io.StringIO(), []

        def ask(secs, unanswered=unanswered):
            asked.append(secs)
            return unanswered

        with cluster_health.Watchdog(cluster, 0.3, exit_fn=exits.append, out=out,
                                     ask_ps=ask) as dog:
            dog.enter(cluster_health.TRAINING)
            deadline = time.monotonic() + (3 if not unanswered else 30)
            while not exits and time.monotonic() < deadline:
                time.sleep(0.05)
        if unanswered:
            assert exits == [faults.EXIT_CLUSTER] and "ps 0 (127.0.0.1:2222)" in out.getvalue()
        else:  # 3 s of no progress, asked every 0.3 s or so: never called down
            assert exits == [] and out.getvalue() == "" and len(asked) >= 3
        assert asked[0] == cluster_health.MIN_ASK_SECS


def test_settings_that_differ_from_the_chief_are_named():
    cluster = cluster_lib.ClusterConfig("worker", 1, PS, WORKERS)
    chief = {"--model": "resnet", "--num_residual_units": "1", "--batch_size": "8"}
    assert cluster_lib.differing_setting(cluster, dict(chief), chief) is None
    line = cluster_lib.differing_setting(cluster, dict(chief, **{"--batch_size": "16"}), chief)
    assert line == ("worker 1 was started with --batch_size=16 but the chief (worker 0, "
                    "127.0.0.1:2223) with --batch_size=8: start every worker with the chief's "
                    "model and training flags")


def test_a_schedule_the_chief_planned_is_named_with_the_flag_that_gives_it():
    """An extended or branched run: the chief's schedule is planned from its train_dir, which
    the other workers do not read; the line names the --lr_schedule that matches it."""
    cluster = cluster_lib.ClusterConfig("worker", 1, PS, WORKERS)
    chief = {"--batch_size": "8", "schedule": repr(schedules.cosine_decay(0.1, 20))}
    line = cluster_lib.differing_setting(
        cluster, dict(chief, schedule=repr(schedules.cosine_decay(0.1, 30))), chief)
    assert line == (f"worker 1 would train with {schedules.cosine_decay(0.1, 30)!r} but the "
                    f"chief (worker 0, 127.0.0.1:2223) planned {chief['schedule']} for this run "
                    "(--extend, --branch_from, its train_config.json): start this worker with "
                    f"--lr_schedule='{chief['schedule']}'")


def test_watchdog_thread_ends_the_process_on_a_signal_and_on_a_timeout():
    """The real thread: a signal to this process reaches it through the wakeup fd."""
    cluster = cluster_lib.ClusterConfig("worker", 1, PS, WORKERS)
    for case in ("signal", "timeout"):
        exits, out = [], io.StringIO()
        handler = signal.getsignal(signal.SIGTERM)
        with cluster_health.Watchdog(cluster, 0.5, exit_fn=exits.append, out=out) as dog:
            if case == "signal":
                os.kill(os.getpid(), signal.SIGTERM)  # ignored by Python: the thread acts
            else:
                dog.enter(cluster_health.TRAINING)
            deadline = time.monotonic() + 30
            while not exits and time.monotonic() < deadline:
                time.sleep(0.05)
        assert exits == ([143] if case == "signal" else [faults.EXIT_CLUSTER]), out.getvalue()
        assert len(out.getvalue().splitlines()) == 1
        assert signal.getsignal(signal.SIGTERM) is handler  # restored
    assert signal.set_wakeup_fd(-1) == -1  # and the wakeup fd


# ----------------------------------------------------------- real clusters
TASK_SCRIPT = textwrap.dedent('''
    """One task of a test cluster (see tests/models/test_cluster.py)."""
    import argparse, os, sys, time
    import tensorflow as tf
    import lrhooks
    from models.resnet_mnist import cluster as cluster_lib
    from models.resnet_mnist import cluster_ps

    tf1 = tf.compat.v1
    SCHEDULE = lrhooks.schedules.piecewise_constant([5, 10], [0.1, 0.01, 0.001])

    parser = argparse.ArgumentParser()
    for name in ("job", "ps_hosts", "worker_hosts", "train_dir", "mode"):
        parser.add_argument("--" + name, default="")
    parser.add_argument("--index", type=int, default=0)
    parser.add_argument("--last_step", type=int, default=20)
    parser.add_argument("--step_sleep", type=float, default=0.0)
    parser.add_argument("--ps_timeout", type=float, default=60)
    parser.add_argument("--signal_timeout", type=float, default=60)
    args = parser.parse_args()
    cluster = cluster_lib.from_values(args.job, args.index, args.ps_hosts, args.worker_hosts)
    server = cluster_lib.start_server(cluster)
    if args.job == "ps":
        sys.exit(cluster_ps.run_ps(server, cluster, timeout_secs=args.ps_timeout))
    if args.mode == "signal_twice":
        sys.exit(0 if cluster_ps.signal_done(server, cluster, args.signal_timeout) and
                 cluster_ps.signal_done(server, cluster, args.signal_timeout) else 1)
    with tf.Graph().as_default():
        with cluster_lib.replica_scope(cluster):
            global_step = tf1.train.get_or_create_global_step()
            rate = lrhooks.learning_rate()
            weight = tf1.get_variable("w", initializer=1.0)
            train_op = tf1.train.GradientDescentOptimizer(rate).minimize(
                tf.square(weight - 3.0), global_step=global_step)
        # SummarySaverHook labels a run with a read of the step taken after it, when other
        # workers may have moved it: this series is written, but not exact.
        lrhooks.rate_summary(rate, tag="saver_learning_rate")
        exact = lrhooks.LearningRateSummaryHook(args.train_dir, every_n_steps=1)
        cluster_lib.wait_for_chief(server, cluster, timeout_secs=60)
        runs = 0
        with tf1.train.MonitoredTrainingSession(
                master=server.target, is_chief=cluster.is_chief,
                checkpoint_dir=args.train_dir if cluster.is_chief else None,
                save_summaries_steps=1, save_checkpoint_steps=5, log_step_count_steps=None,
                hooks=[tf1.train.StopAtStepHook(last_step=args.last_step),
                       lrhooks.LearningRateSetterHook(SCHEDULE)],
                chief_only_hooks=[exact], config=cluster_lib.server_config(cluster)) as session:
            print("JOINED", session.run_step_fn(
                lambda step_context: step_context.session.run(global_step)), flush=True)
            while not session.should_stop():
                session.run(train_op)
                runs += 1
                time.sleep(args.step_sleep)
    cluster_ps.signal_done(server, cluster, args.signal_timeout)
    print("RUNS", runs, flush=True)
''')


class Cluster(Processes):
    """One ps and `num_workers` workers of TASK_SCRIPT, with logs; kill() ends them all."""

    def __init__(self, tmp_path: pathlib.Path, num_workers: int = 2, **args):
        super().__init__(tmp_path, dict(TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES=""))
        self.script = tmp_path / "task.py"
        self.script.write_text(TASK_SCRIPT)
        ports = free_ports(1 + num_workers)
        self.args = dict(ps_hosts=f"127.0.0.1:{ports[0]}",
                         worker_hosts=",".join(f"127.0.0.1:{p}" for p in ports[1:]),
                         train_dir=str(tmp_path / "train"), **args)

    def start_task(self, job: str, index: int, name: str = "", **args) -> subprocess.Popen:
        values = dict(self.args, job=job, index=index, **args)
        return self.start(name or f"{job}{index}", [
            sys.executable, str(self.script), *(f"--{k}={v}" for k, v in values.items())])

    def wait_for_line(self, name: str, prefix: str, timeout: float) -> str:
        """The last line of `name`'s log that starts with `prefix`, once there is one."""
        self.wait_for_text(name, prefix, timeout)
        return [line for line in self.log(name).splitlines() if line.startswith(prefix)][-1]


@pytest.fixture
def make_cluster(tmp_path):
    clusters = []

    def make(**args):
        clusters.append(Cluster(tmp_path, **args))
        return clusters[-1]

    yield make
    for cluster in clusters:
        cluster.kill()


def checkpoint_step(train_dir) -> int:
    checkpoint = tf.train.latest_checkpoint(str(train_dir))
    return -1 if checkpoint is None else int(tf.train.load_variable(checkpoint, "global_step"))


def series(train_dir, tag):
    """(label, value) of every `tag` record; a killed chief may leave a torn last record."""
    return scalar_points(train_dir, tag, torn_end_ok=True)


def check_finished(cluster, last_step, chief="worker0"):
    train_dir = cluster.args["train_dir"]
    assert checkpoint_step(train_dir) >= last_step, cluster.logs()
    exact = series(train_dir, "learning_rate")
    assert len(exact) >= int(cluster.stdout(chief).split("RUNS")[-1]), cluster.logs()
    for label, value in exact:  # the run that left the shared step at `label` used this rate
        assert value == pytest.approx(SCHEDULE(label - 1), rel=1e-6), (label, value)
    saver = series(train_dir, "saver_learning_rate")
    assert saver and all(any(value == pytest.approx(rate, rel=1e-6) for rate in RATES)
                         for _, value in saver)


def test_one_ps_two_workers_train_and_all_exit(make_cluster):
    cluster = make_cluster(last_step=20, step_sleep=0.2)
    cluster.start_task("ps", 0)
    cluster.start_task("worker", 0)
    cluster.start_task("worker", 1)
    for name in ("worker0", "worker1", "ps0"):  # the ps exits once both workers are done
        assert cluster.wait(name, timeout=240) == 0, cluster.logs()
    runs = [int(cluster.wait_for_line(f"worker{i}", "RUNS", 1).split()[1]) for i in (0, 1)]
    assert all(r > 0 for r in runs) and sum(runs) >= 20, (runs, cluster.logs())
    check_finished(cluster, 20)


@pytest.mark.parametrize("victim", [1, 0], ids=["worker", "chief"])
def test_killed_worker_restarts_rejoins_and_the_ps_still_exits(make_cluster, victim):
    cluster = make_cluster(last_step=150, step_sleep=0.1)
    cluster.start_task("ps", 0)
    processes = [cluster.start_task("worker", 0), cluster.start_task("worker", 1)]
    cluster.wait_for_line(f"worker{victim}", "JOINED", timeout=180)
    time.sleep(1.5)  # mid-run, after the chief's first checkpoints
    processes[victim].send_signal(signal.SIGKILL)
    processes[victim].wait(timeout=30)
    restarted = f"worker{victim}-restarted"
    cluster.start_task("worker", victim, name=restarted)
    joined = int(cluster.wait_for_line(restarted, "JOINED", timeout=180).split()[1])
    for name in (f"worker{1 - victim}", restarted, "ps0"):
        assert cluster.wait(name, timeout=240) == 0, cluster.logs()
    # It rejoined a running job (a restarted chief restores the last checkpoint: the shared
    # step goes back to it, and the job goes on from there).
    assert 0 < joined < 150, cluster.logs()
    check_finished(cluster, 150, chief="worker0-restarted" if victim == 0 else "worker0")


def test_ps_gives_up_on_a_worker_that_never_signals(make_cluster):
    cluster = make_cluster(ps_timeout=2, signal_timeout=3)
    cluster.start_task("ps", 0)
    # Worker 0 signals twice (as a restarted worker might); worker 1 does not, in time. A
    # worker says done only when the shared step reached its target: the job's steps are
    # done, whoever did them, and the ps exits 0 all the same.
    cluster.start_task("worker", 0, mode="signal_twice")
    assert cluster.wait("worker0", timeout=180) == 0, cluster.logs()
    done = time.monotonic()
    assert cluster.wait("ps0", timeout=180) == 0, cluster.logs()
    assert time.monotonic() - done < 20
    assert ("the job's steps are done (worker 0 said so); workers [1] did not say done within "
            "2 s") in cluster.log("ps0")
    # A worker whose ps is gone is not held up by it: the signal gives up after its timeout.
    cluster.start_task("worker", 1, mode="signal_twice")
    assert cluster.wait("worker1", timeout=180) == 1, cluster.logs()
    assert "could not tell the ps tasks it is done: no answer within 3 s" in cluster.log("worker1")
