"""Between-graph replicated training on TensorFlow's distributed runtime.

One process per task (`--job_name=ps|worker --task_index=N --ps_hosts=h:p,...
--worker_hosts=h:p,...`, or `TF_CONFIG`). Each worker builds its own graph under
`replica_scope()` (variables on the ps tasks, the rest on the worker) and trains
with a `MonitoredTrainingSession` on its server; worker 0 is the chief.

What the ps tasks and the workers tell each other (the cluster spec each was
started with, "done") is `cluster_ps.py`; the watchdog that ends a task the
cluster no longer answers is `cluster_health.py`. Plain values in, no flags.
"""

import contextlib
import json
import threading
from typing import Any, Callable, ContextManager, Mapping, Optional, Tuple

import tensorflow as tf
from absl import logging

# The cluster's flags and their parsing are TensorFlow-free (`cluster_config`): re-exported.
from models.resnet_mnist.cluster_config import (  # noqa: F401
    CLUSTER_TIMEOUT_SECS, JOBS, PS_TIMEOUT_SECS, ClusterConfig, from_values)

tf1 = tf.compat.v1


class ClusterError(Exception):
    """A cluster fault (a taken port, a lost ps or chief, differing cluster specs): one line."""


class DifferentSettings(ClusterError):
    """This worker's model or training settings differ from the chief's (one line)."""


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

    Raises:
      ClusterError: The port is taken (one line naming host:port and the likely cause).
    """
    if not cluster.is_distributed:
        raise ValueError("start_server needs --job_name=ps or --job_name=worker")
    try:
        return tf.distribute.Server(cluster.cluster_spec(), job_name=cluster.job_name,
                                    task_index=cluster.task_index, protocol="grpc",
                                    config=server_config(cluster, base), start=True)
    except tf.errors.UnknownError as error:
        if "Could not start gRPC server" not in error.message:
            raise
        port = cluster.address.rpartition(":")[2]
        raise ClusterError(
            f"{cluster.name} cannot listen on {cluster.address} (port {port} on every interface):"
            f" the port is taken; is a --job_name={cluster.job_name} --task_index="
            f"{cluster.task_index} already running, or another program using port {port}?"
        ) from None


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


def call_with_timeout(fn: Callable[[], Any], timeout_secs: float) -> Tuple[bool, Any]:
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


def _chief_settings() -> tf.Tensor:
    """The handle of the chief's published settings (a string variable on ps 0)."""
    with tf1.device("/job:ps/task:0"):
        return tf.raw_ops.VarHandleOp(dtype=tf.string, shape=[], container="",
                                      shared_name="lrhooks_chief_settings",
                                      name="chief_settings")


def differing_setting(cluster: ClusterConfig, mine: Mapping[str, str],
                       chief: Mapping[str, str]) -> Optional[str]:
    """The one-line message for the first setting of `mine` that differs from the chief's."""
    for name, value in mine.items():
        if name in chief and chief[name] != value:
            if name == "schedule":  # the chief planned it from its --train_dir (run_plan)
                return (f"{cluster.name} would train with {value} but the chief (worker 0, "
                        f"{cluster.worker_hosts[0]}) planned {chief[name]} for this run "
                        "(--extend, --branch_from, its train_config.json): start this worker "
                        f"with --lr_schedule='{chief[name]}'")
            return (f"{cluster.name} was started with {name}={value} but the chief (worker 0, "
                    f"{cluster.worker_hosts[0]}) with {name}={chief[name]}: start every worker "
                    "with the chief's model and training flags")
    return None


def _publish_settings(server: tf.distribute.Server, cluster: ClusterConfig,
                      settings: Mapping[str, str], timeout_secs: float) -> None:
    with tf.Graph().as_default() as graph:
        assign = tf.raw_ops.AssignVariableOp(resource=_chief_settings(),
                                             value=tf.constant(json.dumps(dict(settings))))
    options = tf1.RunOptions(timeout_in_ms=int(max(timeout_secs, 1.0) * 1000))

    def publish():
        with tf1.Session(server.target, graph=graph, config=server_config(cluster)) as session:
            session.run(assign, options=options)
        return True

    finished, _ = call_with_timeout(publish, timeout_secs)
    if not finished:
        raise ClusterError(
            f"{cluster.name} got no answer from ps 0 ({cluster.ps_hosts[0]}) within "
            f"{timeout_secs:g} s: is every ps task running and reachable? (--cluster_timeout_secs)")


def wait_for_chief(server: tf.distribute.Server, cluster: ClusterConfig,
                   timeout_secs: float = CLUSTER_TIMEOUT_SECS, poll_secs: float = 0.5,
                   settings: Optional[Mapping[str, str]] = None) -> None:
    """Blocks a non-chief worker until the chief has initialised the global variables.

    Call it in the training graph, before `MonitoredTrainingSession`: the
    session's own wait re-checks only every 30 s. Returns at once on a worker
    that joins a running job (the variables live on the ps).

    `settings` ({"--flag": value}, e.g. the model flags and --batch_size): the
    chief publishes its own on ps 0; another worker compares its own with them
    while it waits, and stops at the first that differs (a different model would
    wait for variables the chief never creates, or fail on their shapes).

    Raises:
      DifferentSettings: A setting differs from the chief's (one line naming it).
      ClusterError: The ps tasks were not reachable, or the variables not
        initialised, within `timeout_secs`.
    """
    if cluster.is_chief:
        if settings is not None and cluster.is_distributed:
            _publish_settings(server, cluster, settings, timeout_secs)
        return
    graph = tf1.get_default_graph()
    uninitialized = tf1.report_uninitialized_variables(tf1.global_variables())
    with tf.Graph().as_default() as settings_graph:
        read_settings = tf.raw_ops.ReadVariableOp(resource=_chief_settings(), dtype=tf.string)
    options = tf1.RunOptions(timeout_in_ms=int(max(poll_secs, 5.0) * 1000))
    stop = threading.Event()
    answered = threading.Event()  # the ps answered at least once

    def chief_settings(session) -> Optional[Mapping[str, str]]:
        try:
            return json.loads(session.run(read_settings, options=options).decode())
        except (tf.errors.NotFoundError, tf.errors.FailedPreconditionError):
            return None  # not published (yet, or not since a ps restart)

    def poll() -> Optional[str]:
        config = server_config(cluster)
        with tf1.Session(server.target, graph=graph, config=config) as session, \
                tf1.Session(server.target, graph=settings_graph, config=config) as other:
            while not stop.is_set():
                try:
                    ready = session.run(uninitialized, options=options).size == 0
                    answered.set()
                    chief = chief_settings(other) if settings is not None else None
                    differs = chief and differing_setting(cluster, settings, chief)
                    if differs:
                        return differs
                    if ready:
                        return ""
                except (tf.errors.UnavailableError, tf.errors.DeadlineExceededError):
                    pass  # a ps restarts
                stop.wait(poll_secs)
        return None

    logging.info("%s: waiting up to %g s for the chief to initialise the variables",
                 cluster.name, timeout_secs)
    finished, outcome = call_with_timeout(poll, timeout_secs)
    stop.set()
    if finished and outcome:
        raise DifferentSettings(outcome)
    if not (finished and outcome == ""):
        if answered.is_set():
            raise ClusterError(
                f"{cluster.name} waited {timeout_secs:g} s for the chief to initialise the "
                f"variables: the ps answers, but the chief (worker 0, {cluster.worker_hosts[0]}) "
                "is not running, or still starting (--cluster_timeout_secs)")
        raise ClusterError(
            f"{cluster.name} waited {timeout_secs:g} s for the chief to initialise the variables:"
            f" the chief (worker 0, {cluster.worker_hosts[0]}) is not running, or a ps task "
            f"({','.join(cluster.ps_hosts)}) is unreachable (--cluster_timeout_secs)")
