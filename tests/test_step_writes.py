"""StepWriteCounter: how far does a run move the global step, known before the run."""

import pytest
import tensorflow as tf

from lrhooks.step_writes import StepWriteCounter, find_step_writers

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
