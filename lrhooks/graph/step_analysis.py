"""Static analysis: by how much does a `session.run(fetches)` move the global step?

A hook that feeds a rate must know the step a run *starts* at before the run.
Fetching `global_step` in the same run does not tell it reliably: the read races
with the optimizer's increment. Instead, this module looks at the graph once per
distinct set of fetches and answers 0 (the run cannot write the step),
a positive count (the run executes that many `assign_add(global_step, 1)`), or
None (it may write the step in a way that cannot be counted statically:
a conditional write, an assignment, an increment by a non-constant), in which
case the hook reads the step after the run. The analyses follow the step and
the values into the functions of functional control flow (`tf.cond`,
`tf.while_loop`, `tf.function`: `function_bodies`) and through v1 control flow,
and are made once per graph until ops are added (`graph_state.cached_analysis`).
`StepTracker` turns the answers into the one answer to "which step does this run
start at" for every hook.
"""

import collections
from typing import Any, Callable, Dict, FrozenSet, Iterable, Optional, Tuple

import tensorflow as tf

from lrhooks.graph import function_bodies
from lrhooks.graph.graph_state import (cached_analysis, global_step_read,
                                       note_run_without_training, run_session_checks)


# Ops that forward a resource handle or ref unchanged.
_FORWARDING = frozenset({"Identity", "RefIdentity", "Enter", "RefEnter", "Switch", "RefSwitch",
                         "Merge", "RefMerge"})
_CONDITIONAL = frozenset({"Switch", "RefSwitch", "Merge", "RefMerge", "Enter", "RefEnter"})
_INCREMENTS = frozenset({"AssignAddVariableOp", "AssignAdd"})
_READ_ONLY = frozenset({"ReadVariableOp", "VarIsInitializedOp", "IsVariableInitialized",
                        "ResourceGather", "VariableShape", "DestroyResourceOp"})


def _constant_one(tensor: tf.Tensor) -> bool:
    if tensor.op.type != "Const":
        return False
    value = tf.make_ndarray(tensor.op.get_attr("value"))
    try:
        return value is not None and int(value) == 1 and float(value) == 1.0
    except (TypeError, ValueError):
        return False


def find_step_writers(global_step: tf.Variable) -> Tuple[FrozenSet[tf.Operation], FrozenSet[tf.Operation]]:
    """Returns `(unit_increments, other_writers)` of `global_step` in its graph.

    `unit_increments` are unconditional `assign_add(global_step, 1)` ops;
    `other_writers` are every other op that may write the step (assignments,
    conditional or non-unit increments). A write inside a function the graph
    calls (the branch of a `tf.cond`, the body of a `tf.while_loop`, a
    `tf.function`: control flow v2) is reported as the outermost call op: a unit
    increment when the call runs exactly one `assign_add(global_step, 1)` every
    time (a plain function call), else an other writer. A call that only reads
    the step writes nothing. Computed once per graph (until ops are added).
    """
    return cached_analysis(global_step.graph, ("writers", global_step.op.name),
                           lambda: _find_step_writers(global_step))


def _find_step_writers(global_step: tf.Variable):
    source = global_step.handle if hasattr(global_step, "handle") else global_step.op.outputs[0]
    unit, other = set(), set()
    calls: Dict[tf.Operation, int] = collections.Counter()  # outer call op -> unit increments inside
    # (tensor that refers to the variable, conditional, outermost call op or None)
    pending = collections.deque([(source, False, None)])
    seen = set()
    while pending:
        tensor, conditional, outer = pending.popleft()
        if id(tensor) in seen:
            continue
        seen.add(id(tensor))
        for consumer in tensor.consumers():
            kind = consumer.type
            if kind in _READ_ONLY:
                continue
            arguments = function_bodies.arguments(consumer, tensor)
            if arguments:  # follow the variable into the functions the op calls
                inside = conditional or kind in function_bodies.CONDITIONAL_CALLS
                pending.extend((arg, inside, outer or consumer) for arg in arguments)
                continue
            if kind in _FORWARDING:
                # Follow only outputs that still refer to the variable; an Identity of a
                # ref variable's value is a read.
                for out in consumer.outputs:
                    if out.dtype == tf.resource or out.dtype._is_ref_dtype:  # pylint: disable=protected-access
                        pending.append((out, conditional or kind in _CONDITIONAL, outer))
            elif kind in _INCREMENTS and not conditional and _constant_one(consumer.inputs[1]):
                if outer is None:
                    unit.add(consumer)
                else:
                    calls[outer] += 1
            else:
                other.add(consumer if outer is None else outer)
    for call, increments in calls.items():
        if call not in other:
            (unit if increments == 1 else other).add(call)
    return frozenset(unit), frozenset(other)


_RESTORES = frozenset({"RestoreV2", "Restore", "RestoreSlice"})


_VARIABLE_WRITES = frozenset({"Assign", "AssignAdd", "AssignSub", "AssignVariableOp",
                              "AssignAddVariableOp", "AssignSubVariableOp"})


def _updates_a_trainable_variable(op: tf.Operation, trainable: FrozenSet[tf.Operation],
                                  walk: function_bodies.ForwardWalk) -> bool:
    kind = op.type
    if "Apply" in kind:  # every optimizer's kernels: ApplyMomentum, ResourceApplyAdam, ...
        return True
    if (kind in _VARIABLE_WRITES or kind.startswith(("Scatter", "ResourceScatter"))) and op.inputs:
        # Inside a function, the target is an argument standing for the outer variable;
        # inside a v1 `tf.cond` or `tf.while_loop`, it comes through a Switch or an Enter.
        pending, seen = [op.inputs[0]], set()
        while pending:
            target = pending.pop()
            if id(target) in seen:
                continue
            seen.add(id(target))
            if target.op in trainable:
                return True
            if target.op.type in _FORWARDING and target.op.inputs:
                pending.append(target.op.inputs[0])
            pending.extend(t for t in walk.origins(target) if t is not target)
    return False


def flows_into(start: Iterable[tf.Operation], predicate: Callable[[tf.Operation], bool],
               control_edges: bool = False,
               walk: Optional[function_bodies.ForwardWalk] = None) -> bool:
    """Whether an op for which `predicate` holds is reachable from `start` (inclusive)
    along data edges (and control edges, with `control_edges`), into the functions
    that call ops run (a `tf.cond`'s branches, a `tf.while_loop`'s body, ...).

    `walk` remembers which outer tensor each function argument reached stands for.
    """
    walk = walk or function_bodies.ForwardWalk()
    pending = collections.deque(start)
    seen = set()

    def reach(tensor: tf.Tensor) -> None:
        """Queues the ops that take `tensor`, and inside the functions they call, the ops
        that take the arguments it becomes (nested calls included)."""
        tensors = [tensor]
        while tensors:
            current = tensors.pop()
            for consumer in current.consumers():
                pending.append(consumer)
                tensors.extend(walk.arguments(consumer, current))

    while pending:
        op = pending.popleft()
        if op in seen:
            continue
        seen.add(op)
        if predicate(op):
            return True
        for out in op.outputs:
            reach(out)
        if control_edges:
            pending.extend(op._control_outputs)  # pylint: disable=protected-access
    return False


def feeds_a_variable_update(tensor: tf.Tensor) -> bool:
    """Whether `tensor` flows (by data) into an update of a trainable variable.

    True when an optimizer's apply op, or an assignment or scatter into a
    trainable variable (a hand-written optimizer), computes from it, also inside
    a `tf.cond` or `tf.while_loop`: the graph trains with it. False in an
    evaluation or serving graph, where a scheduled value is only read (logged,
    summarized) at the step restored from a checkpoint. Computed once per graph
    (until ops are added).
    """
    def analyse() -> bool:
        trainable = frozenset(v.op for v in tensor.graph.get_collection(
            tf.compat.v1.GraphKeys.TRAINABLE_VARIABLES))
        walk = function_bodies.ForwardWalk()
        return flows_into([tensor.op],
                          lambda op: _updates_a_trainable_variable(op, trainable, walk), walk=walk)

    return cached_analysis(tensor.graph, ("feeds an update", tensor.name), analyse)


def training_writers(global_step: tf.Variable,
                     writers: Iterable[tf.Operation]) -> FrozenSet[tf.Operation]:
    """The `writers` of `global_step` other than its initializer and checkpoint restores."""
    def restores(op: tf.Operation) -> bool:
        if op.type not in ("AssignVariableOp", "Assign") or len(op.inputs) < 2:
            return False
        value = op.inputs[1].op
        while value.type == "Identity" and value.inputs:
            value = value.inputs[0].op
        return value.type in _RESTORES

    return frozenset(op for op in writers
                     if op is not global_step.initializer and not restores(op))


def is_incremented(global_step: tf.Variable) -> bool:
    """Whether anything in the graph writes `global_step` besides its initializer and
    checkpoint restores (a training graph moves its step; an evaluation graph does not)."""
    unit, other = find_step_writers(global_step)
    return bool(unit) or bool(training_writers(global_step, other))


def _flatten_fetches(fetches: Any) -> list:
    return tf.nest.flatten(fetches)


class StepWriteCounter:
    """Answers, per distinct set of fetches, how far a run moves the global step."""

    def __init__(self, graph: tf.Graph, global_step: tf.Variable):
        self._graph = graph
        self._unit, self._other = find_step_writers(global_step)
        self._cache: Dict[Tuple[int, ...], Tuple[list, Optional[int]]] = {}
        self._last_fetches: Any = object()
        self._last_answer: Optional[int] = 0

    @property
    def writers(self) -> FrozenSet[tf.Operation]:
        return self._unit | self._other

    def increment(self, fetches: Any) -> Optional[int]:
        """How many unit increments running `fetches` executes, or None if unknowable."""
        if fetches is self._last_fetches:
            return self._last_answer
        flat = _flatten_fetches(fetches)
        key = tuple(id(x) for x in flat)
        cached = self._cache.get(key)
        if cached is not None and all(a is b for a, b in zip(cached[0], flat)):
            answer = cached[1]
        else:
            answer = self._analyse(flat)
            if len(self._cache) > 256:
                self._cache.clear()
            self._cache[key] = (flat, answer)
        self._last_fetches, self._last_answer = fetches, answer
        return answer

    def _analyse(self, flat: Iterable[Any]) -> Optional[int]:
        roots = []
        for element in flat:
            if element is None:
                continue
            try:
                graph_element = self._graph.as_graph_element(element, allow_tensor=True,
                                                             allow_operation=True)
            except (TypeError, ValueError, KeyError):
                return None  # Something we cannot see into; read the step after the run.
            roots.append(graph_element if isinstance(graph_element, tf.Operation)
                         else graph_element.op)
        reached = set()
        stack = list(roots)
        while stack:
            op = stack.pop()
            if op in reached:
                continue
            reached.add(op)
            stack.extend(t.op for t in op.inputs)
            stack.extend(op.control_inputs)
        if reached & self._other:
            return None
        return len(reached & self._unit)


class StepTracker:
    """Knows the step each run starts at, without fetching it in the run.

    The one answer to "which step does this run start at" for every hook of
    lrhooks (setter, periodic log/summary hooks, plateau, range test) and for
    programs' own hooks (e.g. an in-process evaluation hook).

    Reads the step once per session (`reset`), then adds what each run's fetches
    increment (`StepWriteCounter`), reading the step after a run whose writes it
    cannot count. Exact when the hooked runs are the only writers of the step.
    """

    def __init__(self, global_step: tf.Variable):
        self._counter = StepWriteCounter(global_step.graph, global_step)
        self._read = global_step_read(global_step)
        self.step: Optional[int] = None  # the step the next run starts at
        self.pending: Optional[int] = 0  # how far the coming run moves it (None: unknown)

    @property
    def read(self) -> tf.Tensor:
        """The graph's cached step read (fetch it to read the step)."""
        return self._read

    def reset(self, session) -> int:
        """Runs the graph's session checks and reads the step (a new session); returns it."""
        run_session_checks(self._read.graph)
        self.step = int(session.run(self._read))
        return self.step

    def before_run(self, fetches: Any) -> int:
        """Analyses the coming run's fetches; returns the step it starts at."""
        self.pending = self._counter.increment(fetches)
        if self.pending == 0:
            note_run_without_training(self._read.graph, self.step)
        return self.step

    def after_run(self, session, started_at: Optional[int] = None,
                  seen: Optional[int] = None) -> int:
        """Advances past the run; returns the step the next run starts at.

        Args:
          session: Read when the run's writes could not be counted.
          started_at: The exact step the run started at, when the caller knows it
            (e.g. the step read behind a `lrhooks.learning_rate()` tensor).
          seen: A step fetched with the run; a value that neither the start nor
            the counted end explains means another writer moved the step.
        """
        start = self.step if started_at is None else started_at
        if self.pending is None:
            self.step = int(session.run(self._read))
            return self.step
        expected = start + self.pending
        if seen is not None and seen not in (start, expected):
            expected = seen
        self.step = expected
        return self.step
