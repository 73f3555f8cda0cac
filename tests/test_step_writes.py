"""StepWriteCounter: how far does a run move the global step, known before the run."""

import pytest
import tensorflow as tf

from lrhooks.graph.step_analysis import (StepWriteCounter, feeds_a_variable_update,
                                         find_step_writers, is_incremented)

tf1 = tf.compat.v1


def _graph(use_resource=True):
    graph = tf.Graph()
    with graph.as_default():
        step = tf1.get_variable("global_step", shape=[], dtype=tf.int64, trainable=False,
                                initializer=tf1.zeros_initializer(), use_resource=use_resource,
                                collections=[tf1.GraphKeys.GLOBAL_VARIABLES,
                                             tf1.GraphKeys.GLOBAL_STEP])
        weight = tf1.get_variable("w", initializer=1.0, use_resource=use_resource)
        loss = tf.square(weight)
        train = tf1.train.MomentumOptimizer(0.1, 0.9).minimize(loss, global_step=step)
    return graph, step, weight, loss, train


@pytest.mark.parametrize("use_resource", [True, False])
def test_counts_unit_increments_of_the_train_op(use_resource):
    graph, step, weight, loss, train = _graph(use_resource)
    with graph.as_default():
        grouped = tf.group(train, tf.identity(loss))
        plus_five = step.assign_add(5) if use_resource else tf1.assign_add(step, 5)
        reset = step.assign(0) if use_resource else tf1.assign(step, 0)
        counter = StepWriteCounter(graph, step)  # as in begin(): the graph is complete
    assert counter.increment(train) == 1
    assert counter.increment([train, loss]) == 1
    assert counter.increment({"t": grouped, "l": loss}) == 1
    assert counter.increment(loss) == 0
    assert counter.increment([loss, weight]) == 0
    assert counter.increment(step) == 0
    assert counter.increment(None) == 0
    assert counter.increment(train.name) == 1  # fetched by name
    assert counter.increment(plus_five) is None  # not a unit increment: read after the run
    assert counter.increment(reset) is None


def test_conditional_increment_is_unknown():
    graph, step, _, loss, _ = _graph()
    with graph.as_default():
        flag = tf1.placeholder(tf.bool, [])
        maybe = tf1.cond(flag, lambda: step.assign_add(1).op, tf.no_op)
        counter = StepWriteCounter(graph, step)
    assert counter.increment(maybe) is None
    assert counter.increment(loss) == 0


def test_two_increments_in_one_run_count_two():
    graph, step, _, loss, train = _graph()
    with graph.as_default():
        other = tf1.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=step)
        both = tf.group(train, other)
        counter = StepWriteCounter(graph, step)
    assert counter.increment(both) == 2
    assert len(find_step_writers(step)[0]) == 2


def test_cache_is_keyed_on_the_fetched_objects():
    graph, step, _, loss, train = _graph()
    counter = StepWriteCounter(graph, step)
    fetches = [train, loss]
    assert counter.increment(fetches) == 1
    assert counter.increment([loss, loss]) == 0
    assert counter.increment(fetches) == 1


# ------------------------------------------------- functional and v1 control flow
@pytest.fixture(params=["v2", "v1"])
def control_flow(request):
    """Builds the test's graphs with control flow v2 (the default: `If`/`While` ops calling
    functions) or v1 (`Switch`/`Merge`/`Enter` ops in the graph itself)."""
    was_v2 = tf1.control_flow_v2_enabled()
    if request.param == "v1":
        tf1.disable_control_flow_v2()
    try:
        yield request.param
    finally:
        if was_v2:
            tf1.enable_control_flow_v2()
        else:
            tf1.disable_control_flow_v2()


def _step_only():
    graph = tf.Graph()
    with graph.as_default():
        step = tf1.train.get_or_create_global_step()
        loss = tf.square(tf1.get_variable("w", initializer=1.0))
    return graph, step, loss


def test_a_cond_that_reads_the_step_writes_nothing_one_that_increments_it_is_conditional(
        control_flow):
    graph, step, loss = _step_only()
    with graph.as_default():
        flag = tf1.placeholder(tf.bool, [])
        # Reads only, in both branches: a step read inside a cond (e.g. a warmup switch).
        reads = tf1.cond(flag, lambda: step.read_value() * 2, lambda: step.read_value())
        assert find_step_writers(step) == (frozenset(), frozenset({step.initializer}))
        assert not is_incremented(step)
        assert StepWriteCounter(graph, step).increment(reads) == 0
        # Gradient accumulation: the step moves on one run of every k.
        moves = tf1.cond(flag, lambda: step.assign_add(1), lambda: step.read_value())
        loop = tf1.while_loop(lambda i: i < 3, lambda i: i + tf.cast(step.assign_add(1), tf.int32),
                              [0])
        assert is_incremented(step)
        counter = StepWriteCounter(graph, step)
    assert counter.increment(reads) == 0
    assert counter.increment(moves) is None  # conditional: read after the run
    assert counter.increment(loop) is None
    assert counter.increment(loss) == 0


def test_a_unit_increment_inside_a_called_function_counts_one():
    graph, step, _, loss, _ = _graph()
    with graph.as_default():
        @tf.function
        def once(value):
            step.assign_add(1)
            return value * 2

        @tf.function
        def twice(value):
            step.assign_add(1)
            step.assign_add(1)
            return value

        @tf.function
        def reads(value):
            return value + tf.cast(step.read_value(), tf.float32)

        one, two, read = once(loss), twice(loss), reads(loss)
        counter = StepWriteCounter(graph, step)
    assert counter.increment(one) == 1
    assert counter.increment(two) is None
    assert counter.increment(read) == 0


def test_the_analysis_is_made_once_per_graph_until_ops_are_added():
    graph, step, _, loss, train = _graph()
    first = find_step_writers(step)
    assert StepWriteCounter(graph, step).writers == first[0] | first[1]
    assert find_step_writers(step) is first  # cached: no walk per counter or per check
    with graph.as_default():
        other = step.assign(5)
    unit, writers = find_step_writers(step)
    assert other.op in writers and unit == first[0]


@pytest.mark.parametrize("where", ["cond", "nested cond", "while_loop"])
def test_an_update_inside_control_flow_is_found(control_flow, where):
    graph, step, weight, loss, _ = _graph()
    with graph.as_default():
        rate = tf.identity(tf.constant(0.1), name="rate")
        logged = tf.identity(tf.constant(0.5), name="logged")
        flag = tf1.placeholder(tf.bool, [])
        if where == "cond":  # a hand-written update, and a value only read in a cond
            tf1.cond(flag, lambda: weight.assign_sub(rate * weight).op, tf.no_op)
            tf1.cond(flag, lambda: tf.identity(logged * 2.0), lambda: logged)
        elif where == "nested cond":
            tf1.cond(flag, lambda: tf1.cond(
                flag, lambda: weight.assign_sub(rate * weight).op, tf.no_op), tf.no_op)
            tf1.cond(flag, lambda: tf1.cond(flag, lambda: logged * 2.0, lambda: logged),
                     lambda: logged)
        else:  # an in-graph training loop
            tf1.while_loop(lambda i: i < 3, lambda i: i + tf.cast(
                weight.assign_sub(rate * weight), tf.int32), [0])
            tf1.while_loop(lambda i: i < 3, lambda i: i + tf.cast(logged, tf.int32), [0])
    assert feeds_a_variable_update(rate)
    assert not feeds_a_variable_update(logged)


def test_the_analysis_sees_into_the_functions_of_an_imported_graph():
    """A graph exported and imported again (the PTB model's pattern): its functions are
    rebuilt from their definitions."""
    graph, step, weight, _, _ = _step_graph_with_conds()
    with graph.as_default():
        meta = tf1.train.export_meta_graph()
    with tf.Graph().as_default() as imported:
        tf1.train.import_meta_graph(meta)
        step = tf1.train.get_global_step()
        unit, writers = find_step_writers(step)
        assert not unit and imported.get_operation_by_name("moves") in writers
        assert imported.get_operation_by_name("reads") not in writers
        counter = StepWriteCounter(imported, step)
        assert counter.increment(imported.get_tensor_by_name("reads/Identity:0")) == 0
        assert counter.increment(imported.get_operation_by_name("moves")) is None
        assert feeds_a_variable_update(imported.get_tensor_by_name("rate:0"))
        assert not feeds_a_variable_update(imported.get_tensor_by_name("logged:0"))


def _step_graph_with_conds():
    graph, step, loss = _step_only()
    with graph.as_default():
        weight = tf1.get_variable("v", initializer=2.0)
        rate = tf.identity(tf.constant(0.1), name="rate")
        logged = tf.identity(tf.constant(0.5), name="logged")
        flag = tf1.placeholder(tf.bool, [], name="flag")
        tf1.cond(flag, lambda: step.assign_add(1), lambda: step.read_value(), name="moves")
        tf1.cond(flag, lambda: step.read_value() * 2, lambda: step.read_value(), name="reads")
        tf1.cond(flag, lambda: weight.assign_sub(rate * weight).op, tf.no_op, name="update")
        tf1.cond(flag, lambda: logged * 2.0, lambda: logged, name="log")
    return graph, step, weight, loss, flag
