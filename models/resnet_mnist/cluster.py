"""Between-graph replicated training on TensorFlow's distributed runtime.

One process per task (`--job_name=ps|worker --task_index=N --ps_hosts=h:p,...
--worker_hosts=h:p,...`, or `TF_CONFIG`). Each worker builds its own graph under
`replica_scope()` (variables on the ps tasks, the rest on the worker) and trains
with a `MonitoredTrainingSession` on its server; worker 0 is the chief.

A ps serves until every worker has said it is done (`run_ps`): each ps holds a
shared FIFO queue, and a worker enqueues its task index into every ps queue
when its training session closes (`done_signal`). Plain values in, no flags.
"""

import contextlib
import dataclasses
import json
import threading
import time
from typing import Any, Callable, ContextManager, Iterator, Optional, Sequence, Tuple, Union

import tensorflow as tf
from absl import logging

tf1 = tf.compat.v1

JOBS = ("ps", "worker")
PS_TIMEOUT_SECS = 3600.0
_POLL_MS = 2000  # a ps waits in slices this long, so that Ctrl-C is handled between them


@dataclasses.dataclass(frozen=True)
class ClusterConfig:
    """Where this process sits in the cluster; `job_name == ''` is a local run."""

    job_name: str = ""
    task_index: int = 0
    ps_hosts: Tuple[str, ...] = ()
    worker_hosts: Tuple[str, ...] = ()

    @property
    def is_distributed(self) -> bool:
        return bool(self.job_name)

    @property
    def is_chief(self) -> bool:
        """Worker 0, or the only process of a local run."""
        return not self.is_distributed or (self.job_name == "worker" and self.task_index == 0)

    @property
    def num_workers(self) -> int:
        return len(self.worker_hosts)

    @property
    def num_ps(self) -> int:
        return len(self.ps_hosts)

    @property
    def worker_device(self) -> str:
        """This worker's device prefix ('' in a local run)."""
        return f"/job:worker/task:{self.task_index}" if self.is_distributed else ""

    def cluster_spec(self) -> tf.train.ClusterSpec:
        return tf.train.ClusterSpec({"ps": list(self.ps_hosts), "worker": list(self.worker_hosts)})

    def validate(self) -> "ClusterConfig":
        """Returns self if consistent; else ValueError, one line naming the flag at fault."""
        if self.job_name not in ("",) + JOBS:
            raise ValueError(f"--job_name must be ps or worker, got {self.job_name!r}")
        for flag in ("ps_hosts", "worker_hosts"):
            if getattr(self, flag) and not self.is_distributed:
                raise ValueError(f"--{flag} needs --job_name=ps or --job_name=worker")
        if not self.is_distributed:
            return self
        if isinstance(self.task_index, bool) or not isinstance(self.task_index, int):
            raise ValueError(f"--task_index must be an integer, got {self.task_index!r}")
        if self.task_index < 0:
            raise ValueError(f"--task_index must be >= 0, got {self.task_index}")
        seen = {}
        for flag in ("ps_hosts", "worker_hosts"):
            if not getattr(self, flag):
                raise ValueError(f"--{flag} is required with --job_name={self.job_name}")
            for value in getattr(self, flag):
                host, colon, port = value.rpartition(":")
                if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
                    raise ValueError(f"--{flag} entry {value!r} is not host:port (port 1-65535)")
                if value in seen:
                    where = "twice" if seen[value] == flag else f"and in --{seen[value]}"
                    raise ValueError(f"--{flag} lists {value} {where}")
                seen[value] = flag
        count = len(getattr(self, f"{self.job_name}_hosts"))
        if self.task_index >= count:
            raise ValueError(f"--task_index {self.task_index} is out of range for {count} "
                             f"--{self.job_name}_hosts")
        return self


def _hosts(value: Union[None, str, Sequence[str]]) -> Tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else value or ()
    return tuple(item.strip() for item in items if item.strip())


def from_values(job_name: Optional[str], task_index: int,
                ps_hosts: Union[None, str, Sequence[str]],
                worker_hosts: Union[None, str, Sequence[str]],
                tf_config_env: Optional[str] = None) -> ClusterConfig:
    """The validated cluster of this process, from flag values or `TF_CONFIG`.

    The flags win: `TF_CONFIG` is read only when none of `job_name`, `ps_hosts`
    and `worker_hosts` is set. No cluster anywhere is a local run.

    Args:
      job_name: --job_name ('' or None: not set).
      task_index: --task_index.
      ps_hosts: --ps_hosts / worker_hosts: --worker_hosts, as lists or
        comma-separated strings of host:port.
      tf_config_env: The `TF_CONFIG` environment variable, e.g.
        `{"cluster": {"ps": [...], "worker": [...]}, "task": {"type": "worker", "index": 1}}`.

    Raises:
      ValueError: One line: bad flags, or a bad `TF_CONFIG` (prefixed "TF_CONFIG: ").
    """
    ps, workers = _hosts(ps_hosts), _hosts(worker_hosts)
    if job_name or ps or workers or not (tf_config_env or "").strip():
        return ClusterConfig(job_name or "", task_index, ps, workers).validate()
    try:
        return _from_tf_config(tf_config_env).validate()
    except ValueError as error:
        raise ValueError(f"TF_CONFIG: {error}") from None


def _from_tf_config(text: str) -> ClusterConfig:
    try:
        values = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"not valid JSON: {error}") from None
    if not isinstance(values, dict):
        raise ValueError(f"must be a JSON object, got {type(values).__name__}")
    cluster = values.get("cluster") or {}
    if not isinstance(cluster, dict):
        raise ValueError("'cluster' must be an object of job name -> list of host:port")
    if not cluster:
        return ClusterConfig()
    for job, hosts in sorted(cluster.items()):
        if job not in JOBS:
            raise ValueError(f"cluster job {job!r} is not supported: use 'ps' and 'worker' "
                             "(worker 0 is the chief)")
        if not isinstance(hosts, list) or not all(isinstance(h, str) for h in hosts):
            raise ValueError(f"cluster.{job} must be a list of host:port strings")
    task = values.get("task")
    if not isinstance(task, dict) or "type" not in task:
        raise ValueError("has a 'cluster' but no 'task': {\"type\": \"worker\", \"index\": 0}")
    index = task.get("index", 0)
    if isinstance(index, bool) or not isinstance(index, int):
        raise ValueError(f"task.index must be an integer, got {index!r}")
    return ClusterConfig(str(task["type"]), index, tuple(cluster.get("ps", ())),
                         tuple(cluster.get("worker", ())))


def server_config(cluster: ClusterConfig,
                  base: Optional[tf1.ConfigProto] = None) -> tf1.ConfigProto:
    """A copy of `base` with soft placement and this task's device filters.

    A worker talks only to the ps tasks and itself (so it starts without
    waiting for the other workers, and survives their restarts); a ps only to
    itself, and it creates no GPU devices.
    """
    config = tf1.ConfigProto()
    if base is not None:
        config.CopyFrom(base)
    config.allow_soft_placement = True
    if not cluster.is_distributed:
        return config
    if cluster.job_name == "ps":
        filters = [f"/job:ps/task:{cluster.task_index}"]
        config.device_count["GPU"] = 0
    else:
        filters = ["/job:ps", cluster.worker_device]
    config.device_filters.extend(f for f in filters if f not in config.device_filters)
    return config


def start_server(cluster: ClusterConfig,
                 base: Optional[tf1.ConfigProto] = None) -> tf.distribute.Server:
    """Starts this task's gRPC server; it ends with the process (it cannot be stopped).

    The server creates its devices from `server_config(cluster, base)` (e.g.
    `gpu_options.allow_growth` for workers sharing a GPU), and merges that
    config into every session on it. TensorFlow binds the port on all
    interfaces, whatever host the cluster names.
    """
    if not cluster.is_distributed:
        raise ValueError("start_server needs --job_name=ps or --job_name=worker")
    return tf.distribute.Server(cluster.cluster_spec(), job_name=cluster.job_name,
                                task_index=cluster.task_index, protocol="grpc",
                                config=server_config(cluster, base), start=True)


def device_setter(cluster: ClusterConfig) -> Callable[[tf.Operation], str]:
    """This worker's device function: variables round-robin on the ps CPUs, the rest here.

    Wraps `tf.compat.v1.train.replica_device_setter`; a device type requested
    for a variable (a model under `tf.device('/device:GPU:0')`) becomes the ps
    CPU. Use with `tf.compat.v1.device(...)` (TF2's `tf.device` rejects
    functions), or through `replica_scope()`.
    """
    if cluster.job_name != "worker":
        raise ValueError("device_setter needs --job_name=worker")
    chooser = tf1.train.replica_device_setter(cluster=cluster.cluster_spec(),
                                              worker_device=cluster.worker_device)

    def choose(op) -> str:
        device = tf.DeviceSpec.from_string(chooser(op))
        if device.job == "ps":
            device = device.replace(device_type="CPU", device_index=0)
        return device.to_string()

    return choose


def replica_scope(cluster: ClusterConfig) -> ContextManager:
    """`tf.compat.v1.device(device_setter(cluster))` for a worker; a no-op locally."""
    if not cluster.is_distributed:
        return contextlib.nullcontext()
    return tf1.device(device_setter(cluster))


def _call_with_timeout(fn: Callable[[], Any], timeout_secs: float) -> Tuple[bool, Any]:
    """(True, fn()) or, if `fn` still runs after `timeout_secs`, (False, None); re-raises.

    A session waits without limit for unreachable tasks, whatever RunOptions
    say: only a (daemon) thread bounds that wait.
    """
    outcome = {}

    def target():
        try:
            outcome["value"] = fn()
        except BaseException as error:  # pylint: disable=broad-except
            outcome["error"] = error

    thread = threading.Thread(target=target, name="cluster-wait", daemon=True)
    thread.start()
    thread.join(timeout_secs)
    if "error" in outcome:
        raise outcome["error"]
    return ("value" in outcome), outcome.get("value")


def wait_for_chief(server: tf.distribute.Server, cluster: ClusterConfig,
                   timeout_secs: float = 7200.0, poll_secs: float = 0.5) -> None:
    """Blocks a non-chief worker until the chief has initialised the global variables.

    Call it in the training graph, before `MonitoredTrainingSession`: the
    session's own wait re-checks only every 30 s. Returns at once on the chief.

    Raises:
      TimeoutError: The ps tasks were not reachable, or the variables not
        initialised, within `timeout_secs`.
    """
    if cluster.is_chief:
        return
    graph = tf1.get_default_graph()
    uninitialized = tf1.report_uninitialized_variables(tf1.global_variables())
    options = tf1.RunOptions(timeout_in_ms=int(max(poll_secs, 5.0) * 1000))
    stop = threading.Event()

    def poll() -> bool:
        with tf1.Session(server.target, graph=graph, config=server_config(cluster)) as session:
            while not stop.is_set():
                try:
                    if session.run(uninitialized, options=options).size == 0:
                        return True
                except (tf.errors.UnavailableError, tf.errors.DeadlineExceededError):
                    pass  # a ps restarts
                stop.wait(poll_secs)
        return False

    finished, ready = _call_with_timeout(poll, timeout_secs)
    stop.set()
    if not (finished and ready):
        raise TimeoutError(f"worker {cluster.task_index}: the chief did not initialise the "
                           f"variables within {timeout_secs:g} s")


def _done_queue(cluster: ClusterConfig, ps_task: int) -> tf1.FIFOQueue:
    with tf1.device(f"/job:ps/task:{ps_task}"):
        return tf1.FIFOQueue(cluster.num_workers, [tf.int32], shapes=[[]],
                             shared_name=f"done_queue_{ps_task}", name=f"done_queue_{ps_task}")


def signal_done_op(cluster: ClusterConfig) -> tf.Operation:
    """Builds, in the default graph, the op that tells every ps this worker is done."""
    index = tf.constant(cluster.task_index, tf.int32)
    return tf.group(*[_done_queue(cluster, k).enqueue([index]) for k in range(cluster.num_ps)],
                    name="signal_done")


def signal_done(server: tf.distribute.Server, cluster: ClusterConfig,
                timeout_secs: float = 60.0) -> bool:
    """Runs `signal_done_op` in a graph of its own; False (logged) if no ps took it in time."""
    with tf.Graph().as_default() as graph:
        op = signal_done_op(cluster)

    def run() -> None:
        with tf1.Session(server.target, graph=graph, config=server_config(cluster)) as session:
            session.run(op, options=tf1.RunOptions(timeout_in_ms=int(timeout_secs * 1000)))

    try:
        finished, _ = _call_with_timeout(run, timeout_secs)
        problem = None if finished else f"no answer within {timeout_secs:g} s"
    except tf.errors.OpError as error:
        problem = error.message.splitlines()[0]
    if problem:
        logging.warning("worker %d could not tell the ps tasks it is done: %s",
                        cluster.task_index, problem)
    return problem is None


@contextlib.contextmanager
def done_signal(server: Optional[tf.distribute.Server],
                cluster: ClusterConfig) -> Iterator[None]:
    """Signals the ps tasks when the block ends, normally or by an exception (locally: no-op)."""
    try:
        yield
    finally:
        if cluster.job_name == "worker":
            signal_done(server, cluster)


def run_ps(server: tf.distribute.Server, cluster: ClusterConfig,
           timeout_secs: float = PS_TIMEOUT_SECS) -> int:
    """Serves until every worker has signalled done; returns the exit status.

    The ps waits as long as training runs, until a first worker is done; then
    it gives the others `timeout_secs` (a worker that died without signalling
    would otherwise keep the ps up forever). A worker counts once, however
    often it signals (a restarted worker may signal twice).

    Returns:
      0 when all workers are done, 1 after the timeout.
    """
    with tf.Graph().as_default():
        dequeue = _done_queue(cluster, cluster.task_index).dequeue()
        with tf1.Session(server.target, config=server_config(cluster)) as session:
            done, deadline = set(), None
            while len(done) < cluster.num_workers:
                left_ms = _POLL_MS
                if deadline is not None:
                    left_ms = min(left_ms, int((deadline - time.monotonic()) * 1000))
                    if left_ms <= 0:
                        logging.error("ps %d: workers %s did not finish within %g s of the first",
                                      cluster.task_index,
                                      sorted(set(range(cluster.num_workers)) - done), timeout_secs)
                        return 1
                options = tf1.RunOptions(timeout_in_ms=left_ms)
                try:
                    done.add(int(session.run(dequeue, options=options)))
                except tf.errors.DeadlineExceededError:
                    continue
                logging.info("ps %d: %d of %d workers done", cluster.task_index, len(done),
                             cluster.num_workers)
                deadline = deadline or time.monotonic() + timeout_secs
    return 0

