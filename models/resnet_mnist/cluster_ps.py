"""What the ps tasks and the workers tell each other, through TensorFlow's own runtime.

Each ps task holds two shared resources (found by their `shared_name` from any
session on the cluster):

- a string variable with the cluster spec the ps was started with
  (`ClusterConfig.hosts_flags()`), which a worker reads at start
  (`check_same_cluster`): a worker started with other `--ps_hosts` or
  `--worker_hosts` stops in one line instead of training in a cluster the ps
  does not know;
- a mailbox (a FIFO queue of (worker index, kind, cluster spec)) where a worker
  says "hello" at start, "done" when the job's steps are done (`signal_done`),
  and "left" when it will not train this job because its settings differ from
  the chief's (`signal_left`). A worker stopped by a signal or a fault says
  nothing: it is not done, and runs again with the same command.

`run_ps` serves until every worker is done (or left); once one is done the job's
steps are done, and it waits `--ps_timeout_secs` for the others, then exits 0
all the same. It stops in one line on a hello with a different cluster spec.

Apart from training, a worker can ask the ps tasks whether they are up
(`unanswered_ps`: the watchdog's question before it calls a ps down) and read
the shared global step (`read_global_step`: a restarted chief that finds the job
finished saves it instead of training it again).
"""

import threading
import time
from typing import Callable, List, Optional

import tensorflow as tf
from absl import logging

from models.resnet_mnist import cluster as cluster_lib
from models.resnet_mnist import faults

tf1 = tf.compat.v1

HELLO, DONE, LEFT = "hello", "done", "left"
_MAILBOX_CAPACITY = 64  # the same on every task, whatever its cluster spec (a shared queue's
# capacity must match between the sessions that use it)
_POLL_MS = 2000  # a ps waits in slices this long, so that signals are handled between them
_RETRY_SECS = 0.2


def _spec_variable(ps_task: int) -> tf.Tensor:
    with tf1.device(f"/job:ps/task:{ps_task}"):
        return tf.raw_ops.VarHandleOp(dtype=tf.string, shape=[], container="",
                                      shared_name=f"lrhooks_cluster_spec_{ps_task}",
                                      name=f"cluster_spec_{ps_task}")


def _mailbox(ps_task: int) -> tf1.FIFOQueue:
    with tf1.device(f"/job:ps/task:{ps_task}"):
        return tf1.FIFOQueue(_MAILBOX_CAPACITY, [tf.int32, tf.string, tf.string],
                             shapes=[[], [], []], shared_name=f"lrhooks_mailbox_{ps_task}",
                             name=f"mailbox_{ps_task}")


def tell_op(cluster: cluster_lib.ClusterConfig, kind: str) -> tf.Operation:
    """Builds, in the default graph, the op that posts `kind` from this worker to every ps."""
    message = [tf.constant(cluster.task_index, tf.int32), tf.constant(kind),
               tf.constant(cluster.hosts_flags())]
    return tf.group(*[_mailbox(k).enqueue(message) for k in range(cluster.num_ps)],
                    name=f"tell_{kind}")


def _run_bounded(server: tf.distribute.Server, cluster: cluster_lib.ClusterConfig,
                 graph: tf.Graph, step: Callable[[tf1.Session], Optional[object]],
                 timeout_secs: float) -> Optional[object]:
    """Repeats `step(session)` until it returns non-None, over at most `timeout_secs`.

    A session on a ps that is down blocks in C++: a daemon thread bounds the wait.
    Returns None on timeout; OpErrors of a ps (re)starting are retried.
    """
    stop = threading.Event()

    def attempt():
        with tf1.Session(server.target, graph=graph,
                         config=cluster_lib.server_config(cluster)) as session:
            while not stop.is_set():
                try:
                    result = step(session)
                except (tf.errors.UnavailableError, tf.errors.DeadlineExceededError,
                        tf.errors.NotFoundError, tf.errors.FailedPreconditionError):
                    result = None  # a ps not up yet, or not yet published its spec
                if result is not None:
                    return result
                stop.wait(_RETRY_SECS)
        return None

    try:
        _, result = cluster_lib.call_with_timeout(attempt, timeout_secs)
    finally:
        stop.set()
    return result


def check_same_cluster(server: tf.distribute.Server, cluster: cluster_lib.ClusterConfig,
                       timeout_secs: float = cluster_lib.CLUSTER_TIMEOUT_SECS) -> None:
    """A worker's first words: compares its cluster spec with every ps's, then says hello.

    On a difference the hello is still sent (so that the ps stops too), then this
    worker stops.

    Raises:
      ClusterError: No ps answered within `timeout_secs`, or a ps was started with
        another cluster spec (one line naming both).
    """
    with tf.Graph().as_default() as graph:
        reads = [tf.raw_ops.ReadVariableOp(resource=_spec_variable(k), dtype=tf.string)
                 for k in range(cluster.num_ps)]
        hello = tell_op(cluster, HELLO)
    logging.info("%s: asking the ps tasks (%s) for their cluster spec", cluster.name,
                 ",".join(cluster.ps_hosts))
    specs = _run_bounded(server, cluster, graph, lambda session: session.run(reads),
                         timeout_secs)
    if specs is None:
        raise cluster_lib.ClusterError(
            f"{cluster.name} got no answer from the ps tasks ({','.join(cluster.ps_hosts)}) "
            f"within {timeout_secs:g} s: is every ps task running and reachable? "
            "(--cluster_timeout_secs)")
    said = _run_bounded(server, cluster, graph, lambda session: session.run(hello) or True,
                        timeout_secs)
    mine = cluster.hosts_flags()
    for k, spec in enumerate(value.decode() for value in specs):
        if spec != mine:
            raise cluster_lib.ClusterError(
                f"{cluster.name} was started with {mine} but ps {k} with {spec}: start every "
                "task with the same --ps_hosts and --worker_hosts")
    if said is None:
        raise cluster_lib.ClusterError(
            f"{cluster.name} could not say hello to the ps tasks ({','.join(cluster.ps_hosts)}) "
            f"within {timeout_secs:g} s (--cluster_timeout_secs)")


def _answered(session: tf1.Session, read: tf.Tensor) -> bool:
    """True once the ps of `read` answered anything: a value, or an error of its own (its
    spec not yet published after a restart); False while it cannot be reached."""
    try:
        session.run(read, options=tf1.RunOptions(timeout_in_ms=_POLL_MS))
    except (tf.errors.UnavailableError, tf.errors.DeadlineExceededError,
            tf.errors.AbortedError, tf.errors.CancelledError):
        return False
    except tf.errors.OpError:
        pass  # an answer
    return True


def unanswered_ps(server: tf.distribute.Server, cluster: cluster_lib.ClusterConfig,
                  timeout_secs: float) -> List[int]:
    """Asks every ps task, apart from training, whether it is up: the ones that gave no
    answer within `timeout_secs` (retried until then: a ps restarting or slow under load
    answers late). An empty list: every ps is up."""
    answers: dict = {}
    threads = []
    for k in range(cluster.num_ps):
        with tf.Graph().as_default() as graph:
            read = tf.raw_ops.ReadVariableOp(resource=_spec_variable(k), dtype=tf.string)

        def ask(k=k, graph=graph, read=read):
            answers[k] = _run_bounded(server, cluster, graph,
                                      lambda session: _answered(session, read) or None,
                                      timeout_secs)
        threads.append(threading.Thread(target=ask, name=f"ask-ps-{k}", daemon=True))
        threads[-1].start()
    deadline = time.monotonic() + timeout_secs + 1.0
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return [k for k in range(cluster.num_ps) if not answers.get(k)]


def read_global_step(server: tf.distribute.Server, cluster: cluster_lib.ClusterConfig,
                     timeout_secs: float) -> Optional[int]:
    """The shared global step on ps 0 (where the device setter puts it); None if it does not
    exist or is not initialised (a fresh or restarted ps) or no answer came in time."""
    with tf.Graph().as_default() as graph:
        with tf1.device("/job:ps/task:0"):
            handle = tf.raw_ops.VarHandleOp(dtype=tf.int64, shape=[], container="",
                                            shared_name="global_step", name="global_step")
            read = tf.raw_ops.ReadVariableOp(resource=handle, dtype=tf.int64)
    outcome = {}

    def step(session):
        try:
            outcome["step"] = int(session.run(read))
        except (tf.errors.NotFoundError, tf.errors.FailedPreconditionError,
                tf.errors.InvalidArgumentError):
            outcome["step"] = None  # not created, not initialised
        return True

    _run_bounded(server, cluster, graph, step, timeout_secs)
    return outcome.get("step")


def signal_left(server: tf.distribute.Server, cluster: cluster_lib.ClusterConfig,
                timeout_secs: float) -> bool:
    """Tells every ps that this worker will not train this job (its settings differ from the
    chief's): the ps does not wait for it."""
    with tf.Graph().as_default() as graph:
        left = tell_op(cluster, LEFT)
    return _run_bounded(server, cluster, graph, lambda session: session.run(left) or True,
                        timeout_secs) is not None


def signal_done(server: tf.distribute.Server, cluster: cluster_lib.ClusterConfig,
                timeout_secs: float = 60.0) -> bool:
    """Tells every ps that this worker trained all its steps; False (logged) if not taken in time.

    Call it only after the last step: a preempted worker is not done.
    """
    with tf.Graph().as_default() as graph:
        done = tell_op(cluster, DONE)
    told = _run_bounded(server, cluster, graph, lambda session: session.run(done) or True,
                        timeout_secs)
    if told is None:
        logging.warning("%s could not tell the ps tasks it is done: no answer within %g s",
                        cluster.name, timeout_secs)
    return told is not None


def run_ps(server: tf.distribute.Server, cluster: cluster_lib.ClusterConfig,
           timeout_secs: float = cluster_lib.PS_TIMEOUT_SECS) -> int:
    """Serves until every worker has signalled done (or left); returns the exit status.

    The ps waits as long as training runs, until a first worker is done: a worker
    says done only when the shared step reached its target, so the job's steps are
    done, whoever did them. Then it gives the others `timeout_secs` to say done
    too (they stop at their next step; a restarted task that says hello gets
    `timeout_secs` again, e.g. a chief that saves the finished job), and exits 0
    all the same, naming those that did not. A worker counts once, however often
    it signals; one that left (settings differing from the chief's) is not waited
    for. SIGTERM or SIGINT ends the ps within seconds (128 + the signal).

    Returns:
      0 when the job's steps are done, 128 + N on signal N.

    Raises:
      ClusterError: A worker said hello with another cluster spec.
    """
    mine = cluster.hosts_flags()
    with tf.Graph().as_default():
        publish = tf.raw_ops.AssignVariableOp(resource=_spec_variable(cluster.task_index),
                                              value=tf.constant(mine))
        receive = _mailbox(cluster.task_index).dequeue()
        with tf1.Session(server.target, config=cluster_lib.server_config(cluster)) as session, \
                faults.SignalStop() as signals:
            session.run(publish)
            done: set = set()
            left: set = set()
            deadline = None
            while not done or len(done | left) < cluster.num_workers:
                if signals.received is not None:
                    logging.warning("%s: stopped by signal %d", cluster.name, signals.received)
                    return 128 + signals.received
                left_ms = _POLL_MS
                if deadline is not None:
                    left_ms = min(left_ms, int((deadline - time.monotonic()) * 1000))
                    if left_ms <= 0:
                        logging.warning(
                            "%s: the job's steps are done (worker %s said so); workers %s did "
                            "not say done within %g s (--ps_timeout_secs): exiting",
                            cluster.name, ",".join(map(str, sorted(done))),
                            _missing(cluster, done | left), timeout_secs)
                        return 0
                try:
                    index, kind, spec = session.run(
                        receive, options=tf1.RunOptions(timeout_in_ms=left_ms))
                except tf.errors.DeadlineExceededError:
                    continue
                index, kind, spec = int(index), kind.decode(), spec.decode()
                if kind == HELLO and spec != mine:
                    raise cluster_lib.ClusterError(
                        f"{cluster.name} was started with {mine} but worker {index} with "
                        f"{spec}: start every task with the same --ps_hosts and --worker_hosts")
                if kind == HELLO:
                    logging.info("%s: worker %d joined", cluster.name, index)
                    left.discard(index)
                    if deadline is not None:  # a restarted task: it may still say done
                        deadline = time.monotonic() + timeout_secs
                    continue
                if kind == LEFT:
                    logging.warning("%s: worker %d left: its settings differ from the chief's",
                                    cluster.name, index)
                    left.add(index)
                    continue
                done.add(index)
                logging.info("%s: worker %d done, %d of %d workers done", cluster.name, index,
                             len(done), cluster.num_workers)
                deadline = deadline or time.monotonic() + timeout_secs
    return 0


def _missing(cluster: cluster_lib.ClusterConfig, done: set) -> List[int]:
    return sorted(set(range(cluster.num_workers)) - done)
