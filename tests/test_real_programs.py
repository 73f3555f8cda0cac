"""Patterns of classic TF1 programs, with `lrhooks.learning_rate(schedule=...)` dropped in.

The patterns (not the code) of tensorflow/models' 2018 `research/resnet/resnet_main.py`
(model built under `tf.device('/cpu:0')`, `tf.summary.scalar('learning_rate', lrn_rate)`,
a `SummarySaverHook` in `chief_only_hooks` with `save_summaries_steps=0`, a
`LoggingTensorHook` on the step) and of the CIFAR-10 tutorial's `cifar10_train.py`
(`exponential_decay(..., staircase=True)` of `get_or_create_global_step()`,
`StopAtStepHook` + `NanTensorHook` + a logger hook, evaluation through the same
session). Each checks, run by run, the rate the apply op received.
"""

import pytest
import tensorflow as tf

import lrhooks
from lrhooks import schedules
from tests.support.events import scalar_points
from tests.support.recording import RecordingMomentum

tf1 = tf.compat.v1


def test_classic_resnet_main_pattern(tmp_path):
    schedule = schedules.piecewise_constant([3, 6], [0.1, 0.01, 0.001])
    with tf.Graph().as_default():
        with tf.device("/cpu:0"):
            global_step = tf1.train.get_or_create_global_step()
            lrn_rate = lrhooks.learning_rate(schedule=schedule)  # was tf.constant(0.1)
            tf1.summary.scalar("learning_rate", lrn_rate)
            weight = tf1.get_variable("w", initializer=1.0)
            cost = tf.square(weight - 3.0)
            optimizer = RecordingMomentum(lrn_rate, 0.9, global_step)
            train_op = optimizer.minimize(cost, global_step=global_step)
        summary_hook = tf1.train.SummarySaverHook(save_steps=1, output_dir=str(tmp_path),
                                                  summary_op=tf1.summary.merge_all())
        logging_hook = tf1.train.LoggingTensorHook({"step": global_step, "loss": cost},
                                                   every_n_iter=100)
        with tf1.train.MonitoredTrainingSession(
                checkpoint_dir=str(tmp_path), hooks=[logging_hook],
                chief_only_hooks=[summary_hook], save_summaries_steps=0,
                config=tf1.ConfigProto(allow_soft_placement=True)) as sess:
            for _ in range(9):
                sess.run(train_op)
    records = optimizer.sorted_records()
    assert [r[0] for r in records] == list(range(9))
    assert [r[1] for r in records] == pytest.approx([schedule(s) for s in range(9)], rel=1e-6)
    # The classic line is tagged exactly `learning_rate`, and every point is a scheduled rate.
    points = scalar_points(tmp_path, "learning_rate")
    assert len(points) == 9
    assert {round(v, 6) for _, v in points} <= {0.1, 0.01, 0.001}


def test_cifar10_train_pattern_matches_tf_exponential_decay_every_step(tmp_path):
    schedule = schedules.exponential_decay(0.1, decay_steps=3, decay_rate=0.1, staircase=True)
    with tf.Graph().as_default():
        global_step = tf1.train.get_or_create_global_step()
        lr = lrhooks.learning_rate(schedule=schedule, table_size=4)
        reference = tf1.train.exponential_decay(0.1, global_step, 3, 0.1, staircase=True)
        tf1.summary.scalar("learning_rate", lr)
        weight = tf1.get_variable("w", initializer=1.0)
        loss = tf.square(weight - 3.0)
        optimizer = RecordingMomentum(lr, 0.9, global_step)
        with tf.control_dependencies([reference]):
            train_op = optimizer.minimize(loss, global_step=global_step)
        references = {}

        class LoggerHook(tf1.train.SessionRunHook):
            """Like the tutorial's hook: asks for a value with every run."""

            def before_run(self, run_context):
                return tf1.train.SessionRunArgs(reference)

            def after_run(self, run_context, run_values):
                references[len(references)] = float(run_values.results)

        with tf1.train.MonitoredTrainingSession(
                checkpoint_dir=str(tmp_path), save_summaries_steps=None,
                hooks=[tf1.train.StopAtStepHook(last_step=10), tf1.train.NanTensorHook(loss),
                       LoggerHook()]) as sess:
            while not sess.should_stop():
                sess.run(loss)  # an evaluation through the same session
                sess.run(train_op)
    records = optimizer.sorted_records()
    assert [r[0] for r in records] == list(range(10))
    for step, applied, _ in records:
        assert applied == pytest.approx(schedule(step), rel=1e-6), step
    # TF's in-graph decay, fetched by the tutorial-style hook in the training runs, agrees.
    trained = [references[i] for i in range(1, 20, 2)]
    assert trained == pytest.approx([r[1] for r in records], rel=1e-6)
