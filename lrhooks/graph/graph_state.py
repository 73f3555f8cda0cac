"""What lrhooks keeps about a graph, kept on the graph so that it dies with it.

`graph_state(graph)` holds the rate sources, the one cached read of each step
variable (`global_step_read`: every scheduled value and hook of the graph reads
the step through the same tensor), the checks run when a hook's session starts,
and the answers of the static analyses (`cached_analysis`, valid until ops are
added). Also here: the registered global step with TensorFlow's trap turned into
one line, and the one warning for runs that do not train beside summaries of
scheduled values (logger `lrhooks`).
"""

import logging
import threading
from typing import Any, Callable, Dict, List, Optional, Tuple

import tensorflow as tf

_LOG = logging.getLogger("lrhooks")

SCHEDULED_VALUE_COLLECTION = "lrhooks_scheduled_values"
"""Graph collection of every tensor made by `scheduled_value()` / `learning_rate()`."""


class GraphState:
    """What lrhooks keeps about one graph, kept on the graph itself.

    It refers to the graph's tensors, so it must die with the graph: a
    module-level dictionary keyed weakly by the graph would hold its values, and
    through them the graph, forever. On the graph, the two form a cycle that the
    garbage collector frees once nothing else holds the graph. Never put into a
    collection, so meta-graph export never sees these Python objects.
    """

    def __init__(self):
        self.sources: list = []  # rate_tensor.RateSource objects, in creation order
        self.step_reads: Dict[str, tf.Tensor] = {}  # step op name -> its one read
        self.session_checks: List[Callable[[tf.Graph], None]] = []
        self.summaries_exact = False  # an lrhooks SummarySaverHook saves the summaries
        self.warned_no_training = False
        self.analyses: Dict[Any, Tuple[int, Any]] = {}  # key -> (graph version, answer)


_STATE_ATTRIBUTE = "_lrhooks_state"
_STATE_LOCK = threading.Lock()


def graph_state(graph: tf.Graph) -> GraphState:
    """The lrhooks state of `graph`, made on first use."""
    state = getattr(graph, _STATE_ATTRIBUTE, None)
    if state is None:
        with _STATE_LOCK:
            state = getattr(graph, _STATE_ATTRIBUTE, None)
            if state is None:
                state = GraphState()
                setattr(graph, _STATE_ATTRIBUTE, state)
    return state


def cached_analysis(graph: tf.Graph, key: Any, analyse: Callable[[], Any]) -> Any:
    """`analyse()`, computed once per `key` until ops are added to `graph`."""
    analyses = graph_state(graph).analyses
    version = graph.version
    cached = analyses.get(key)
    if cached is not None and cached[0] == version:
        return cached[1]
    answer = analyse()
    analyses[key] = (version, answer)
    return answer


UNREGISTERED_STEP = (
    "the graph has a variable named 'global_step' that is not registered as its global step "
    "(e.g. `tf.Variable(0, name='global_step')`): pass it as `global_step=` or register it with "
    "`tf.compat.v1.add_to_collection(tf.compat.v1.GraphKeys.GLOBAL_STEP, step)`")


def registered_global_step(graph: tf.Graph) -> Optional[tf.Variable]:
    """`tf.compat.v1.train.get_global_step(graph)`, with TF's trap turned into one line,
    and a registered floating step accepted as TF's decays accept it.

    TF finds an unregistered variable named `global_step` by name and, for a resource
    variable, rejects its handle with `TypeError: Existing "global_step" does not have
    integer type: <dtype: 'resource'>`, which names no fix.

    Raises:
      ValueError: The graph has such an unregistered `global_step` variable.
    """
    try:
        return tf.compat.v1.train.get_global_step(graph)
    except TypeError:
        # TF also refuses a registered floating step (cifar10's float32 `global_step`),
        # which its own decays accept, and so does lrhooks.
        registered = graph.get_collection(tf.compat.v1.GraphKeys.GLOBAL_STEP)
        if (len(registered) == 1 and isinstance(registered[0], tf.Variable)
                and registered[0].dtype.base_dtype.is_floating):
            return registered[0]
        raise ValueError(UNREGISTERED_STEP) from None


def global_step_read(global_step: tf.Variable) -> tf.Tensor:
    """The one cached tensor that reads `global_step` in its graph.

    Every scheduled value and every hook of the graph uses this same read, so a
    run that fetches it gets the very step its scheduled values were computed
    from. Built outside any control-flow, dependency or name scope.
    """
    graph = global_step.graph
    reads = graph_state(graph).step_reads
    read = reads.get(global_step.op.name)
    if read is None:
        # On the CPU of the enclosing job and task: a step is a host-side integer, and a
        # read built inside a model's `tf.device("/gpu:0")` must not need soft placement.
        with graph.as_default(), graph.name_scope(None), tf.control_dependencies(None), \
                tf.device("/device:CPU:0"):
            read = tf.identity(global_step.read_value(), name="lrhooks_global_step_read")
        reads[global_step.op.name] = read
    return read


def add_session_check(graph: tf.Graph, check: Callable[[tf.Graph], None]) -> None:
    """Registers `check(graph)` to run when an lrhooks hook's session of `graph` starts.

    It raises, before the first run, what would otherwise fail inside it (where
    TensorFlow wraps the message in its own error and traceback).
    """
    checks = graph_state(graph).session_checks
    if check not in checks:
        checks.append(check)


def run_session_checks(graph: tf.Graph) -> None:
    """Runs the checks registered for `graph` (every lrhooks hook, on each new session)."""
    for check in list(graph_state(graph).session_checks):
        check(graph)


def mark_summaries_exact(graph: tf.Graph) -> None:
    """Records that an lrhooks `SummarySaverHook` saves the summaries of `graph`."""
    graph_state(graph).summaries_exact = True


def summarized_values(graph: tf.Graph) -> List[str]:
    """Names of the scheduled values of `graph` that a scalar summary op reads."""
    # A scheduled value's op is `<name>_window/<name>`.
    values = {tensor.name: tensor.op.name.rsplit("/", 1)[-1]
              for tensor in graph.get_collection(SCHEDULED_VALUE_COLLECTION)}
    names = []
    for op in graph.get_operations():
        if op.type == "ScalarSummary":
            value = op.inputs[1]
            while value.name not in values and value.op.type == "Identity":
                value = value.op.inputs[0]
            if value.name in values and values[value.name] not in names:
                names.append(values[value.name])
    return names


def note_run_without_training(graph: tf.Graph, step: Optional[int]) -> None:
    """Warns (once per graph) that a summary hook labelling by the step read would be wrong.

    Called by `StepTracker` for a run that cannot move the step (only lrhooks'
    hooks see runs; a program without one is not warned): if the graph
    summarizes a scheduled value and no lrhooks `SummarySaverHook` saves its
    summaries, TensorFlow's hook would label a summary saved in such a run at
    the step the run started at, holding that step's value (one step early).
    """
    state = graph_state(graph)
    if state.summaries_exact or state.warned_no_training:
        return
    state.warned_no_training = True
    names = summarized_values(graph)
    if names:
        _LOG.warning(
            "lrhooks: a run that does not train (at step %s) ran on a graph with summaries of %s; "
            "TensorFlow's SummarySaverHook labels summaries it saves in such a run one step "
            "early: save them with lrhooks.SummarySaverHook (MonitoredTrainingSession: "
            "save_summaries_steps=None, hooks=[lrhooks.SummarySaverHook(save_steps=N, "
            "output_dir=checkpoint_dir)])", step, ", ".join(repr(n) for n in names))
