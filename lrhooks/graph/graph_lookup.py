"""Finding things in a tf.compat.v1 graph: the global step and the rate tensor.

Hooks call these from `begin()`, when the graph is complete but not yet
finalized, so that a hook can be built before its graph exists.
"""

import difflib
from typing import List, Optional, Union

import tensorflow as tf

from lrhooks.graph import graph_state
from lrhooks.graph import rate_tensor
from lrhooks.graph import step_analysis

tf1 = tf.compat.v1

_VARIABLE_OP_TYPES = frozenset({"VarHandleOp", "VariableV2", "Variable"})


def get_global_step_or_raise(
    graph: Optional[tf.Graph] = None, owner: str = "LearningRateSetterHook"
) -> tf.Variable:
    """Returns the step variable the graph's hooks track.

    The registered global step; else the step of the graph's scheduled values
    (made with `global_step=` an unregistered variable), when they share one.

    Args:
      graph: The graph to look in (default: the default graph).
      owner: Who needs it, for the error message.

    Raises:
      RuntimeError: The graph has no global step.
    """
    graph = graph or tf1.get_default_graph()
    try:
        global_step = graph_state.registered_global_step(graph)
    except ValueError as unregistered:
        global_step, hint = None, unregistered
    else:
        hint = None
    if global_step is not None:
        return global_step
    steps = {id(s.global_step): s.global_step for s in rate_tensor.sources(graph)}
    if len(steps) == 1:
        return next(iter(steps.values()))
    if hint is not None:
        raise RuntimeError(f"{owner}: {hint}")
    raise RuntimeError(
        f"{owner} needs a global step in the graph, but there is none: create it "
        "with `tf.compat.v1.train.get_or_create_global_step()` before building "
        "the train op, and pass it to `optimizer.apply_gradients(..., "
        "global_step=global_step)`."
    )


def read_global_step_tensor(global_step: tf.Variable) -> tf.Tensor:
    """Returns the graph's one cached tensor that reads `global_step`."""
    return graph_state.global_step_read(global_step)


def close_names(graph: tf.Graph, name: str, limit: int = 5) -> List[str]:
    """Names of float scalar tensors and variables in `graph` that look like `name`."""
    candidates = set()
    for op in graph.get_operations():
        if op.type in _VARIABLE_OP_TYPES:
            candidates.add(op.name)
            continue
        for out in op.outputs:
            if out.dtype.is_floating and out.shape.rank in (0, None):
                candidates.add(out.name)
    wanted = name[:-2] if name.endswith(":0") else name
    pool = {c[:-2] if c.endswith(":0") else c: c for c in candidates}
    return [pool[m] for m in difflib.get_close_matches(wanted, list(pool), n=limit, cutoff=0.5)]


def find_variable(graph: tf.Graph, op_name: str) -> Optional[tf.Variable]:
    """Returns the variable object whose op is called `op_name`, if any."""
    for key in (tf1.GraphKeys.GLOBAL_VARIABLES, tf1.GraphKeys.LOCAL_VARIABLES):
        for var in graph.get_collection(key):
            if var.op.name == op_name:
                return var
    return None


def resolve_rate(
    graph: tf.Graph, learning_rate: Union[str, tf.Tensor, tf.Variable],
    argument: str = "learning_rate",
) -> Union[tf.Tensor, tf.Variable]:
    """Turns the hook's `learning_rate` argument into a tensor or variable of `graph`.

    Args:
      graph: The graph the hook runs on.
      learning_rate: A tensor, a variable, or the name of either
        (`"lr"`, `"lr:0"` or `"scope/lr"`).
      argument: The argument's name, for error messages.

    Raises:
      ValueError: The name is not in the graph (the message lists close names),
        or the object belongs to another graph.
      TypeError: `learning_rate` is of an unsupported type.
    """
    if isinstance(learning_rate, str):
        name = learning_rate
        op_name = name.split(":")[0]
        var = find_variable(graph, op_name)
        if var is not None:
            return var
        tensor_name = name if ":" in name else name + ":0"
        try:
            element = graph.as_graph_element(tensor_name, allow_tensor=True, allow_operation=False)
        except (KeyError, ValueError):
            hints = close_names(graph, name)
            hint = f"; close names: {', '.join(hints)}" if hints else ""
            raise ValueError(
                f"`{argument}` {name!r} is not a tensor or variable in the graph{hint}"
            ) from None
        return element
    if isinstance(learning_rate, (tf.Variable, tf.Tensor)):
        if learning_rate.graph is not graph:
            kind, name = ((("variable", learning_rate.op.name)
                           if isinstance(learning_rate, tf.Variable)
                           else ("tensor", learning_rate.name)))
            raise ValueError(
                f"`{argument}` {kind} {name!r} belongs to another graph "
                "than the one the session runs"
            )
        return learning_rate
    raise TypeError(
        f"`{argument}` must be a tf.Tensor, a tf.Variable, a tensor/variable name or None, "
        f"got {type(learning_rate).__name__}: {learning_rate!r}"
    )


def check_float_scalar(target: Union[tf.Tensor, tf.Variable], name: str) -> None:
    """Raises ValueError unless `target` is a floating-point scalar."""
    dtype = target.dtype.base_dtype
    if not dtype.is_floating:
        raise ValueError(f"`learning_rate` {name!r} must be a float scalar, got dtype {dtype.name}")
    shape = target.shape
    if shape.rank is not None and shape.rank != 0:
        raise ValueError(f"`learning_rate` {name!r} must be a float scalar, got shape {shape}")


def value_label(name: str) -> str:
    """The log column of a scheduled value: "lr" for the learning rate, else its name."""
    return "lr" if name == "learning_rate" else name


def telemetry_tensors(graph: tf.Graph, learning_rate=None):
    """What a logging/summary hook fetches to report the values a run applied.

    Returns `(values, step, exact)`: `values` maps each value's name to the
    tensor (or variable) to fetch: `{"learning_rate": learning_rate}` when one
    is given, else every tensor made by `lrhooks.scheduled_value()` /
    `lrhooks.learning_rate()` in the graph, by name (empty when there is none).
    `step` is the graph's one step read: the very read those tensors are
    computed from (`exact` True), else a read that races with the optimizer's
    increment (`exact` False, for a rate given as a variable or a fed tensor).
    """
    global_step = get_global_step_or_raise(graph, owner="this hook")
    step = read_global_step_tensor(global_step)
    if learning_rate is not None:
        target = resolve_rate(graph, learning_rate)
        source = rate_tensor.source_of(target) if isinstance(target, tf.Tensor) else None
        exact = source is not None and source.step_tensor is step
        return {"learning_rate" if source is None else source.name: target}, step, exact
    values = {}
    for source in rate_tensor.sources(graph):
        if source.global_step is not global_step:
            continue
        name, n = source.name, 1
        while name in values:  # two values of one name: learning_rate, learning_rate_2
            n += 1
            name = f"{source.name}_{n}"
        values[name] = source.tensor
    return values, step, bool(values)


_ENQUEUE_OPS = frozenset({"QueueEnqueueV2", "QueueEnqueueManyV2", "QueueEnqueue",
                          "QueueEnqueueMany"})


def feeds_a_queue(target: Union[tf.Tensor, tf.Variable]) -> bool:
    """Whether `target` flows (by data or control edges) into a queue's enqueue op.

    Such consumers run in queue-runner threads (e.g. the apply ops of
    `SyncReplicasOptimizer` run in the chief's queue runner), which a hook can
    neither feed nor time.
    """
    return step_analysis.flows_into([target.op], lambda op: op.type in _ENQUEUE_OPS,
                                  control_edges=True)
