"""What lrhooks keeps about a graph dies with the graph.

A program that builds, trains and closes one graph after another (an Estimator's
train/evaluate cycles, a hyperparameter search in one process) must not keep the
closed graphs alive: each is counted through a `weakref.ref` after `gc.collect()`.
TensorFlow's own decay keeps none; neither may a self-driving rate, its fallback
(run here: the window holds 3 steps, the loops run 8), the hooks or the analyses.
"""

import gc
import weakref

import pytest
import tensorflow as tf

import lrhooks
from lrhooks import schedules

tf1 = tf.compat.v1

SCHEDULE = schedules.piecewise_constant([4], [0.1, 0.01])
GRAPHS, STEPS = 3, 8


def build(rate_kind: str):
    global_step = tf1.train.get_or_create_global_step()
    weight = tf1.get_variable("w", initializer=1.0)
    loss = tf.square(weight - 3.0)
    if rate_kind == "tf":  # the control: TensorFlow's own decay, nothing of lrhooks in the graph
        rate = tf1.train.exponential_decay(0.1, global_step, 4, 0.5)
        train_op = tf1.train.MomentumOptimizer(rate, 0.9).minimize(loss, global_step=global_step)
        return loss, train_op
    if rate_kind == "bound":  # self-driving: the schedule is bound when the graph is built
        rate = lrhooks.learning_rate(schedule=SCHEDULE, table_size=3)
    else:  # "hook": bound by a LearningRateSetterHook in begin()
        rate = lrhooks.learning_rate(table_size=3)
    momentum = lrhooks.scheduled_value("momentum", schedules.constant(0.9), table_size=3)
    lrhooks.rate_summary(rate)
    train_op = tf1.train.MomentumOptimizer(rate, momentum).minimize(loss, global_step=global_step)
    return loss, train_op


def plain_session(rate_kind: str, _) -> None:
    _, train_op = build(rate_kind)
    with tf1.Session() as sess:
        sess.run(tf1.global_variables_initializer())
        for _ in range(STEPS):
            sess.run(train_op)


def monitored_session(rate_kind: str, directory: str) -> None:
    loss, train_op = build(rate_kind)
    hooks = [lrhooks.TrainingLogHook(loss, every_n_steps=2, log_fn=lambda line: None),
             lrhooks.SummarySaverHook(save_steps=2, output_dir=directory),
             tf1.train.StopAtStepHook(last_step=STEPS)]
    if rate_kind == "hook":
        hooks.append(lrhooks.LearningRateSetterHook(SCHEDULE))
    with tf1.train.MonitoredTrainingSession(checkpoint_dir=directory, hooks=hooks,
                                            save_summaries_steps=None,
                                            save_checkpoint_steps=4) as sess:
        while not sess.should_stop():
            sess.run(train_op)


def live_graphs(train, rate_kind: str, tmp_path) -> int:
    """Builds, trains and closes GRAPHS graphs; returns how many are still alive."""
    graphs = []
    for index in range(GRAPHS):
        with tf.Graph().as_default() as graph:
            train(rate_kind, str(tmp_path / str(index)))
        graphs.append(weakref.ref(graph))
        del graph
    gc.collect()
    return sum(ref() is not None for ref in graphs)


@pytest.mark.parametrize("train", [plain_session, monitored_session])
@pytest.mark.parametrize("rate_kind", ["tf", "bound", "hook"])
def test_closed_graphs_are_freed(train, rate_kind, tmp_path):
    if train is plain_session and rate_kind == "hook":
        pytest.skip("a rate bound by a hook needs a session with hooks")
    assert live_graphs(train, rate_kind, tmp_path) == 0
