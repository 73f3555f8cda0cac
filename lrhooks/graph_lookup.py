"""Finding things in a tf.compat.v1 graph: the global step and the rate tensor.

Hooks call these from `begin()`, when the graph is complete but not yet
finalized, so that a hook can be built before its graph exists.
"""

import difflib
from typing import List, Optional, Union

import tensorflow as tf

tf1 = tf.compat.v1

_VARIABLE_OP_TYPES = frozenset({"VarHandleOp", "VariableV2", "Variable"})


def get_global_step_or_raise(
    graph: Optional[tf.Graph] = None, owner: str = "LearningRateSetterHook"
) -> tf.Variable:
    """Returns the graph's global step variable.

    Args:
      graph: The graph to look in (default: the default graph).
      owner: Who needs it, for the error message.

    Raises:
      RuntimeError: The graph has no global step.
    """
    graph = graph or tf1.get_default_graph()
    global_step = tf1.train.get_global_step(graph)
    if global_step is None:
        raise RuntimeError(
            f"{owner} needs a global step in the graph, but there is none: create it "
            "with `tf.compat.v1.train.get_or_create_global_step()` before building "
            "the train op, and pass it to `optimizer.apply_gradients(..., "
            "global_step=global_step)`."
        )
    return global_step


def read_global_step_tensor(global_step: tf.Variable) -> tf.Tensor:
    """Returns a tensor that reads the current value of `global_step`."""
    return tf.identity(global_step.read_value(), name="lrhooks_global_step_read")


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
    if isinstance(learning_rate, tf.Variable):
        if learning_rate.graph is not graph:
            raise ValueError(
                f"`{argument}` variable {learning_rate.op.name!r} belongs to another graph "
                "than the one the session runs"
            )
        return learning_rate
    if isinstance(learning_rate, tf.Tensor):
        if learning_rate.graph is not graph:
            raise ValueError(
                f"`{argument}` tensor {learning_rate.name!r} belongs to another graph "
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


def telemetry_tensors(graph: tf.Graph, learning_rate=None):
    """What a logging/summary hook fetches to report the rate a run applied.

    Returns `(rate, step, exact)`: `rate` is the tensor (or variable) to fetch,
    or None when `learning_rate` is None and the graph has no
    `lrhooks.learning_rate()` tensor; `step` is the exact step read the rate was
    computed from for such a tensor (`exact` True), else a plain read of the
    global step, which races with the optimizer's increment (`exact` False).
    """
    from lrhooks import rate_tensor  # pylint: disable=import-outside-toplevel
    global_step = get_global_step_or_raise(graph, owner="this hook")
    step = read_global_step_tensor(global_step)
    if learning_rate is None:
        found = graph.get_collection(rate_tensor.LEARNING_RATE_COLLECTION)
        if len(found) != 1:
            return None, step, False
        learning_rate = found[0]
    target = resolve_rate(graph, learning_rate)
    source = rate_tensor.source_of(target) if isinstance(target, tf.Tensor) else None
    if source is not None:
        return target, source.step_tensor, True
    return target, step, False
