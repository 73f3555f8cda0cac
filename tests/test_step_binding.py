"""Which step a rate follows: exact summary labels in `Supervisor` / slim-style loops, and a
rate bound to a step variable made after the optimizer (Keras 2's `iterations`).

Every test measures what the optimizer's apply op received (`RecordingMomentum`).
"""

import json
import os
import textwrap

import pytest
import tensorflow as tf

import lrhooks
from lrhooks import schedules
from tests.support import programs
from tests.support.events import scalar_series
from tests.support.recording import RecordingMomentum

tf1 = tf.compat.v1
SCHEDULE = schedules.piecewise_constant([3, 6], [0.1, 0.01, 0.001])
STEPS = 9


def build_model():
    """A one-weight model with a self-driving rate, its summary and a recording optimizer."""
    global_step = tf1.train.get_or_create_global_step()
    rate = lrhooks.learning_rate(schedule=SCHEDULE)
    lrhooks.rate_summary(rate)
    weight = tf1.get_variable("w", initializer=1.0)
    optimizer = RecordingMomentum(rate, 0.9, global_step)
    train_op = optimizer.minimize(tf.square(weight - 3.0), global_step=global_step)
    return global_step, train_op, optimizer


def assert_every_point_is_the_applied_rate(logdir, optimizer, labels):
    applied = {step: rate for step, rate, _ in optimizer.sorted_records()}
    assert sorted(applied) == list(range(len(applied))) and len(applied) >= STEPS
    assert applied == {step: pytest.approx(SCHEDULE(step), rel=1e-6) for step in applied}
    series = scalar_series(logdir, "learning_rate")
    assert sorted(series) == labels
    for label, value in series.items():  # the point at s + 1: what the run from s applied
        assert value == pytest.approx(applied[label - 1], rel=1e-6), (label, value)


def test_supervisor_loop_writes_summaries_from_its_training_runs_exactly(tmp_path):
    with tf.Graph().as_default():
        _, train_op, optimizer = build_model()
        summary_op = tf1.summary.merge_all()
        started = lrhooks.run_start_step()
        # docs/tf1-codebase.md's recipe: no summary thread (it runs the summary op in a run of its
        # own and labels it with the step it reads there, one step early).
        # save_summaries_secs=0: no steps/sec thread either (it builds its ops in the global
        # default graph of its own thread, not in this test's graph).
        supervisor = tf1.train.Supervisor(logdir=str(tmp_path), summary_op=None,
                                          save_model_secs=0, save_summaries_secs=0)
        with supervisor.managed_session() as sess:
            for _ in range(STEPS):
                _, summary, step = sess.run([train_op, summary_op, started])
                supervisor.summary_computed(sess, summary, global_step=step + 1)
    assert_every_point_is_the_applied_rate(tmp_path, optimizer, list(range(1, STEPS + 1)))


def slim_style_train(train_op, logdir, train_step_fn, train_step_kwargs, summary_writer,
                     number_of_steps):
    """`slim.learning.train`'s structure (tf-slim is not installed): a `Supervisor` given the
    summary op and writer, and a loop of `train_step_fn(sess, train_op, global_step, kwargs)`
    returning `(loss, should_stop)`."""
    global_step = tf1.train.get_global_step()
    train_step_kwargs = dict(train_step_kwargs, number_of_steps=number_of_steps)
    supervisor = tf1.train.Supervisor(logdir=logdir, summary_op=None,
                                      summary_writer=summary_writer, global_step=global_step,
                                      save_model_secs=0, save_summaries_secs=0)
    with supervisor.managed_session() as sess:
        while not supervisor.should_stop():
            _, should_stop = train_step_fn(sess, train_op, global_step, train_step_kwargs)
            if should_stop:
                supervisor.request_stop()
                break


def test_slim_style_train_step_writes_summaries_from_its_training_runs_exactly(tmp_path):
    with tf.Graph().as_default():
        _, train_op, optimizer = build_model()
        summary_op = tf1.summary.merge_all()
        started = lrhooks.run_start_step()
        writer = tf1.summary.FileWriter(str(tmp_path))
        runs = []

        def train_step(sess, train_op, global_step, train_step_kwargs):
            """slim's `train_step`, fetching the summary every 2nd run with the train op."""
            runs.append(None)
            if len(runs) % 2:
                _, np_global_step = sess.run([train_op, global_step])
            else:
                _, np_global_step, summary, step = sess.run(
                    [train_op, global_step, summary_op, started])
                writer.add_summary(summary, step + 1)
            return 0.0, np_global_step >= train_step_kwargs["number_of_steps"]

        slim_style_train(train_op, str(tmp_path), train_step, {}, writer, STEPS)
        writer.close()
    # slim stops on the step it fetched beside the train op, `s` or `s + 1` (a race): 9 or
    # 10 training runs, a summary from every 2nd.
    assert len(runs) in (STEPS, STEPS + 1)
    assert_every_point_is_the_applied_rate(tmp_path, optimizer, list(range(2, len(runs) + 1, 2)))


def test_run_start_step_is_the_read_the_rate_follows_and_names_its_errors():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match=r"^`global_step` is None and the graph has no "
                                             r"registered global step: call `tf.compat.v1"):
            lrhooks.run_start_step()
        global_step = tf1.train.get_or_create_global_step()
        rate = lrhooks.learning_rate(schedule=SCHEDULE)
        started = lrhooks.run_start_step()
        assert started is lrhooks.run_start_step(global_step)
        assert started in {tensor for op in tf1.get_default_graph().get_operations()
                           for tensor in op.inputs if rate.op.name.split("/")[0] in op.name}
        with pytest.raises(TypeError, match=r"^`global_step` must be an integer or floating "
                                            r"tf.Variable, got 3$"):
            lrhooks.run_start_step(3)


# ------------------------------------------------- a step variable made after the optimizer
def test_learning_rate_fn_follows_a_step_variable_made_after_the_optimizer():
    """As Keras 2's `compile` does: the optimizer exists before the variable it increments."""
    made = {}
    with tf.Graph().as_default() as graph:
        rate_fn = lrhooks.learning_rate_fn(SCHEDULE, global_step=lambda: made["iterations"])
        optimizer = RecordingMomentum(rate_fn, 0.9, global_step=lambda: made["iterations"])
        made["iterations"] = tf1.Variable(0, dtype=tf.int64, name="iterations")
        weight = tf1.get_variable("w", initializer=1.0)
        train_op = optimizer.minimize(tf.square(weight - 3.0), global_step=made["iterations"])
        assert rate_fn() is rate_fn()  # one rate per graph and step variable
        assert rate_fn() in tf1.get_collection(lrhooks.LEARNING_RATE_COLLECTION)
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            for _ in range(STEPS):
                sess.run(train_op)
    assert optimizer.sorted_records() == [
        (step, pytest.approx(SCHEDULE(step), rel=1e-6), pytest.approx(0.9))
        for step in range(STEPS)]
    del graph


def test_learning_rate_fn_errors_are_one_line():
    with pytest.raises(TypeError, match=r"^`global_step` must be a callable with no argument "
                                        r"that returns the step variable \(e.g. `lambda: model"
                                        r".optimizer.iterations`\), got 3; for a variable that "
                                        r"exists already use `lrhooks.learning_rate"):
        lrhooks.learning_rate_fn(SCHEDULE, global_step=3)
    with pytest.raises(TypeError, match=r"^`schedule` must be callable"):
        lrhooks.learning_rate_fn(0.1, global_step=lambda: None)
    with pytest.raises(RuntimeError, match=r"^lrhooks.learning_rate_fn needs graph mode: call "
                                           r"`tf.compat.v1.disable_eager_execution\(\)`"):
        lrhooks.learning_rate_fn(SCHEDULE, global_step=lambda: None)()  # eager here
    with tf.Graph().as_default():
        with pytest.raises(TypeError, match=r"^`global_step\(\)` must return the step "
                                            r"tf.Variable, got None$"):
            lrhooks.learning_rate_fn(SCHEDULE, global_step=lambda: None)()


# Keras 2 (TensorFlow <= 2.15) `compile` + `fit` in graph mode, in a process of its own (graph
# mode is process-wide). Keras 3 (TensorFlow >= 2.16) takes no tf.compat.v1 optimizer.
KERAS_FIT = textwrap.dedent("""
    import json, sys
    import numpy as np
    import tensorflow as tf
    import lrhooks
    from lrhooks import schedules
    from tests.support.recording import RecordingMomentum
    tf.compat.v1.disable_eager_execution()
    schedule = schedules.piecewise_constant([3, 6], [0.1, 0.01, 0.001])
    model = tf.keras.Sequential([tf.keras.layers.Dense(1, use_bias=False, input_shape=(2,))])
    iterations = lambda: model.optimizer.iterations
    optimizer = RecordingMomentum(
        lrhooks.learning_rate_fn(schedule, global_step=iterations), 0.9, global_step=iterations)
    model.compile(optimizer=optimizer, loss="mse")
    features = np.ones((12, 2), np.float32)
    model.fit(features, np.zeros((12, 1), np.float32), batch_size=4, epochs=3, verbose=0)
    print(json.dumps([[step, rate] for step, rate, _ in optimizer.sorted_records()]))
""")


def test_keras2_compile_and_fit_train_batch_k_at_schedule_of_k():
    if tuple(int(part) for part in tf.__version__.split(".")[:2]) >= (2, 16):
        if os.environ.get("LRHOOKS_REQUIRE_ESTIMATOR") == "1":
            pytest.fail(f"Keras 2 is missing in TensorFlow {tf.__version__}, but "
                        "LRHOOKS_REQUIRE_ESTIMATOR=1")
        pytest.skip(f"tf.keras is Keras 3 from TensorFlow 2.16 (this is {tf.__version__})")
    done = programs.run(programs.python_code(KERAS_FIT), timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    records = [tuple(row) for row in json.loads(done.stdout.splitlines()[-1])]
    assert [step for step, _ in records] == list(range(9))  # 3 epochs of 3 batches
    for step, rate in records:
        assert rate == pytest.approx(SCHEDULE(step), rel=1e-6), (step, rate)
