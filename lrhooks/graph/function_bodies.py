"""Walking a graph into the functions its ops call: functional control flow.

With control flow v2 (TensorFlow 2's default, also in `tf.compat.v1` graphs),
`tf.cond` is an `If` (or `StatelessIf`) op and `tf.while_loop` a `While` (or
`StatelessWhile`) op whose branches and body are functions of the graph's
library, and a `tf.function` called in a graph is a `(Stateful)PartitionedCall`.
What such a function reads or writes is invisible in the outer graph: a
variable it captures is just one input of the call op. This module maps a call
op's inputs to its functions' arguments, so that an analysis follows a tensor
into every function the op runs (and into their calls in turn).
"""

from typing import Dict, List, Optional, Tuple

import tensorflow as tf
from tensorflow.python.framework import function_def_to_graph

# Call ops whose first input is not an argument (the predicate, the branch index).
_FIRST_INPUT_SELECTS = frozenset({"If", "StatelessIf", "_If", "Case", "StatelessCase"})
# Call ops that may run their functions zero times, or several: what they write is conditional.
CONDITIONAL_CALLS = frozenset({"If", "StatelessIf", "_If", "Case", "StatelessCase",
                               "While", "StatelessWhile", "_While"})
CALLS = CONDITIONAL_CALLS | {"PartitionedCall", "StatefulPartitionedCall", "TPUPartitionedCall"}
"""The op types that call functions of the library (besides ops typed as a function's name)."""


def _library_function(graph: tf.Graph, name: str):
    """The function `name` of `graph`'s library or of an enclosing graph's; None if absent."""
    while graph is not None:
        function = graph._get_function(name)  # pylint: disable=protected-access
        if function is not None:
            return function
        graph = getattr(graph, "outer_graph", None)
    return None


def _function_graph(graph: tf.Graph, name: str) -> Optional[tf.Graph]:
    function = _library_function(graph, name)
    if function is None:
        return None
    body = getattr(function, "graph", None)
    if body is None:  # an old-style function: build its graph from its definition
        definition = getattr(function, "definition", None)
        if definition is None:
            return None
        body = function_def_to_graph.function_def_to_graph(definition)
    return body


def _function_names(op: tf.Operation) -> List[str]:
    names = []
    for attr in op.node_def.attr.values():
        if attr.HasField("func"):
            names.append(attr.func.name)
        elif attr.HasField("list"):
            names.extend(func.name for func in attr.list.func)
    if not names and op.graph._is_function(op.type):  # pylint: disable=protected-access
        names.append(op.type)  # a library function called as an op of its own type
    return names


_BODIES_ATTRIBUTE = "_lrhooks_function_bodies"


def bodies(op: tf.Operation) -> List[Tuple[tf.Graph, int]]:
    """The function graphs `op` runs, each with the index of the input its first argument is.

    Empty for an op that calls no function. Found once per op: kept on the op's graph
    (so they die with it), since a function of an imported graph gets a new graph each
    time it is asked for one.
    """
    if op.type not in CALLS and not op.graph._is_function(op.type):  # pylint: disable=protected-access
        return []
    known = getattr(op.graph, _BODIES_ATTRIBUTE, None)
    if known is None:
        known = {}
        setattr(op.graph, _BODIES_ATTRIBUTE, known)
    found = known.get(op.name)
    if found is None:
        offset = 1 if op.type in _FIRST_INPUT_SELECTS else 0
        found = []
        for name in _function_names(op):
            body = _function_graph(op.graph, name)
            if body is not None and getattr(body, "inputs", None) is not None:
                found.append((body, offset))
        known[op.name] = found
    return found


def input_indices(op: tf.Operation, tensor: tf.Tensor) -> List[int]:
    """The positions at which `op` takes `tensor` as an input."""
    return [index for index, value in enumerate(op.inputs) if value is tensor]


def arguments(op: tf.Operation, tensor: tf.Tensor) -> List[tf.Tensor]:
    """The arguments (placeholders in the function graphs) that `tensor`, an input of
    `op`, becomes in the functions `op` calls."""
    args = []
    for body, offset in bodies(op):
        for index in input_indices(op, tensor):
            position = index - offset
            if 0 <= position < len(body.inputs):
                args.append(body.inputs[position])
    return args


class ForwardWalk:
    """Remembers, while walking into functions, which outer tensor each argument stands for."""

    def __init__(self):
        self._origins: Dict[int, List[tf.Tensor]] = {}
        self._entered = set()  # ids of the function graphs whose arguments are known

    def arguments(self, op: tf.Operation, tensor: tf.Tensor) -> List[tf.Tensor]:
        """`arguments(op, tensor)`, remembering what every argument of `op`'s functions is."""
        called = bodies(op)
        for body, offset in called:
            if id(body) not in self._entered:
                self._entered.add(id(body))
                for position, arg in enumerate(body.inputs):
                    if position + offset < len(op.inputs):
                        self._origins.setdefault(id(arg), []).append(op.inputs[position + offset])
        return arguments(op, tensor) if called else []

    def origins(self, tensor: tf.Tensor) -> List[tf.Tensor]:
        """The outermost tensors `tensor` stands for (itself when it is no argument)."""
        found, pending, seen = [], [tensor], set()
        while pending:
            current = pending.pop()
            if id(current) in seen:
                continue
            seen.add(id(current))
            outer = self._origins.get(id(current))
            if outer:
                pending.extend(outer)
            else:
                found.append(current)
        return found
