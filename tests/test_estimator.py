"""lrhooks under tf.estimator (TensorFlow <= 2.15): exact across restarts, summary included.

tf.estimator was removed in TensorFlow 2.16. On a newer TensorFlow these tests are skipped;
`.ci/run` runs them in a second environment with TensorFlow 2.15, where it sets
LRHOOKS_REQUIRE_ESTIMATOR=1 so that a missing tf.estimator fails instead of skipping.
"""

import os

import numpy as np
import pytest
import tensorflow as tf

import lrhooks
from lrhooks import schedules
from tests.support.events import scalar_series
from tests.support.programs import REPO_ROOT

tf1 = tf.compat.v1

if not hasattr(tf, "estimator"):
    if os.environ.get("LRHOOKS_REQUIRE_ESTIMATOR") == "1":
        raise RuntimeError(f"tf.estimator is missing in TensorFlow {tf.__version__}, but "
                           "LRHOOKS_REQUIRE_ESTIMATOR=1")
    pytest.skip(f"tf.estimator was removed in TensorFlow 2.16 (this is {tf.__version__})",
                allow_module_level=True)

SCHEDULE = schedules.piecewise_constant([3, 7], [0.1, 0.01, 0.001])
RECORD = "lrhooks_test_record"


def input_fn():
    features = np.zeros((16, 2), np.float32)
    return tf.data.Dataset.from_tensor_slices((features, np.zeros(16, np.float32))).repeat().batch(4)


def model_fn(features, labels, mode):
    global_step = tf1.train.get_global_step()
    rate = lrhooks.learning_rate()  # made inside model_fn, found by the hook built outside
    lrhooks.rate_summary(rate)
    weight = tf1.get_variable("w", initializer=1.0)
    loss = 0.5 * tf.square(weight) + 0.0 * tf.reduce_sum(features)
    started = tf.identity(global_step.read_value())  # the step this run starts at
    tf1.add_to_collection(RECORD, started)
    tf1.add_to_collection(RECORD, rate)
    with tf.control_dependencies([started, rate]):
        train_op = tf1.train.GradientDescentOptimizer(rate).minimize(loss, global_step=global_step)
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)


class Recorder(tf1.train.SessionRunHook):
    """Fetches, with every training run, the step it started at and the rate it applied."""

    def __init__(self):
        self.rows = []

    def begin(self):
        self._fetches = tf1.get_collection(RECORD)

    def before_run(self, run_context):
        return tf1.train.SessionRunArgs(self._fetches)

    def after_run(self, run_context, run_values):
        step, rate = run_values.results
        self.rows.append((int(step), float(rate)))


def test_estimator_exact_across_a_restart_with_summaries(tmp_path):
    config = tf.estimator.RunConfig(model_dir=str(tmp_path), save_summary_steps=1,
                                    save_checkpoints_steps=100, log_step_count_steps=None)
    estimator = tf.estimator.Estimator(model_fn, config=config)
    hook = lrhooks.LearningRateSetterHook(SCHEDULE)  # built before any graph exists
    first, second = Recorder(), Recorder()
    estimator.train(input_fn, hooks=[hook, first], steps=5)
    # A new Estimator on the same model_dir: a restart from the checkpoint at step 5.
    estimator = tf.estimator.Estimator(model_fn, config=config)
    estimator.train(input_fn, hooks=[lrhooks.LearningRateSetterHook(SCHEDULE), second], steps=5)
    assert [step for step, _ in first.rows + second.rows] == list(range(10))
    for step, rate in first.rows + second.rows:
        assert rate == pytest.approx(SCHEDULE(step), rel=1e-6), (step, rate)
    assert second.rows[0] == (5, pytest.approx(SCHEDULE(5)))  # not the initial rate

    series = scalar_series(tmp_path, "learning_rate")
    assert sorted(series) == list(range(1, 11))
    for label, value in series.items():
        assert value == pytest.approx(SCHEDULE(label - 1), rel=1e-6), (label, value)


def test_estimator_with_a_placeholder_free_constant_rate(tmp_path):
    """The classic model's tf.constant rate, named, resolved by the hook in begin()."""
    def constant_model_fn(features, labels, mode):
        global_step = tf1.train.get_global_step()
        rate = tf.constant(0.1, name="lrn_rate")
        weight = tf1.get_variable("w", initializer=1.0)
        loss = 0.5 * tf.square(weight) + 0.0 * tf.reduce_sum(features)
        started = tf.identity(global_step.read_value())
        tf1.add_to_collection(RECORD, started)
        tf1.add_to_collection(RECORD, rate)
        with tf.control_dependencies([started]):
            train_op = tf1.train.GradientDescentOptimizer(rate).minimize(
                loss, global_step=global_step)
        return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)

    config = tf.estimator.RunConfig(model_dir=str(tmp_path), log_step_count_steps=None)
    recorder = Recorder()
    tf.estimator.Estimator(constant_model_fn, config=config).train(
        input_fn, hooks=[lrhooks.LearningRateSetterHook(SCHEDULE, "lrn_rate"), recorder], steps=9)
    assert [rate for _, rate in recorder.rows] == pytest.approx([SCHEDULE(s) for s in range(9)])


def test_the_documented_example_trains_and_records_the_rate(tmp_path):
    """examples/estimator.py, the example of docs/estimator.md."""
    import importlib.util
    path = REPO_ROOT / "examples" / "estimator.py"
    spec = importlib.util.spec_from_file_location("estimator_example", path)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    estimator = example.main(str(tmp_path), max_steps=160)
    assert estimator.get_variable_value("global_step") == 160
    series = scalar_series(tmp_path, "learning_rate")
    assert series, "no learning_rate summary"
    for label, value in series.items():
        assert value == pytest.approx(example.SCHEDULE(label - 1), rel=1e-6), (label, value)


def test_self_driving_rate_without_a_hook_is_exact_at_the_apply_op_across_a_restart(tmp_path):
    """`learning_rate(schedule=...)` in model_fn, no hook: each update's rate, measured where applied."""
    from tests.support.recording import RecordingMomentum  # pylint: disable=import-outside-toplevel

    optimizers = []

    def self_driving_model_fn(features, labels, mode):
        global_step = tf1.train.get_global_step()
        rate = lrhooks.learning_rate(schedule=SCHEDULE)
        lrhooks.rate_summary(rate)
        weight = tf1.get_variable("w", initializer=1.0)
        loss = 0.5 * tf.square(weight) + 0.0 * tf.reduce_sum(features)
        optimizer = RecordingMomentum(rate, 0.9, global_step)
        optimizers.append(optimizer)
        train_op = optimizer.minimize(loss, global_step=global_step)
        return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)

    config = tf.estimator.RunConfig(model_dir=str(tmp_path), save_summary_steps=1,
                                    save_checkpoints_steps=100, log_step_count_steps=None)
    tf.estimator.Estimator(self_driving_model_fn, config=config).train(input_fn, steps=5)
    # A new Estimator on the same model_dir restarts from the checkpoint at step 5 (no boundary).
    tf.estimator.Estimator(self_driving_model_fn, config=config).train(input_fn, max_steps=12)
    records = sorted(r for optimizer in optimizers for r in optimizer.records)
    assert [step for step, _, _ in records] == list(range(12))
    for step, rate, _ in records:
        assert rate == pytest.approx(SCHEDULE(step), rel=1e-6), (step, rate)
    series = scalar_series(tmp_path, "learning_rate")
    assert sorted(series) == list(range(1, 13))
    for label, value in series.items():
        assert value == pytest.approx(SCHEDULE(label - 1), rel=1e-6), (label, value)


def test_lrhooks_plot_reads_a_model_dir_with_its_eval_dir(tmp_path):
    """An Estimator's event files hold untyped values (eval's string `checkpoint_path`)."""
    from lrhooks import plot  # pylint: disable=import-outside-toplevel
    config = tf.estimator.RunConfig(model_dir=str(tmp_path), save_summary_steps=2,
                                    log_step_count_steps=None)
    estimator = tf.estimator.Estimator(model_fn, config=config)
    estimator.train(input_fn, hooks=[lrhooks.LearningRateSetterHook(SCHEDULE)], steps=6)
    estimator.evaluate(input_fn, steps=2)
    runs, _ = plot.read_scalars(str(tmp_path))
    assert "checkpoint_path" in {value.tag for name in os.listdir(tmp_path / "eval")
                                 for event in tf1.train.summary_iterator(str(tmp_path / "eval" / name))
                                 for value in event.summary.value}
    assert runs["."]["learning_rate"] == [(step, pytest.approx(SCHEDULE(step - 1), rel=1e-6))
                                          for step in (1, 3, 5)]
    assert [step for step, _ in runs["eval"]["loss"]] == [6]
    paths = plot.write_plots(str(tmp_path), str(tmp_path / "plots"))
    assert [os.path.basename(path) for path in paths] == ["learning_rate.png", "loss.png"]


def test_train_and_evaluate_cycles_free_their_graphs(tmp_path):
    """Estimator cycles build a graph per `train` and per `evaluate`, with a self-driving rate:
    none stays alive but the last training graph, which the hooks the program keeps across the
    cycles refer to until they run again or are dropped (as TensorFlow's own hooks do)."""
    import gc  # pylint: disable=import-outside-toplevel
    import weakref  # pylint: disable=import-outside-toplevel

    graphs = []

    def recorded_model_fn(features, labels, mode):
        graphs.append(weakref.ref(tf1.get_default_graph()))
        global_step = tf1.train.get_global_step()
        rate = lrhooks.learning_rate(schedule=SCHEDULE, table_size=3)  # the fallback runs
        lrhooks.rate_summary(rate)
        weight = tf1.get_variable("w", initializer=1.0)
        loss = 0.5 * tf.square(weight) + 0.0 * tf.reduce_sum(features)
        train_op = tf1.train.GradientDescentOptimizer(rate).minimize(loss, global_step=global_step)
        return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)

    config = tf.estimator.RunConfig(model_dir=str(tmp_path), save_summary_steps=2,
                                    log_step_count_steps=None)
    estimator = tf.estimator.Estimator(recorded_model_fn, config=config)
    hooks = [lrhooks.TrainingLogHook(every_n_steps=2, log_fn=lambda line: None),
             lrhooks.LearningRateSetterHook(SCHEDULE)]
    for _ in range(3):
        estimator.train(input_fn, hooks=hooks, steps=4)
        estimator.evaluate(input_fn, steps=1)
    gc.collect()
    assert len(graphs) == 6  # train, evaluate, train, evaluate, train, evaluate
    assert [ref() is not None for ref in graphs] == [False, False, False, False, True, False]
    del hooks
    gc.collect()
    assert [ref() is not None for ref in graphs] == [False] * 6
