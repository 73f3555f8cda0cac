"""`lrhooks.keras`: lrhooks schedules in Keras 3 (TensorFlow >= 2.16) and Keras 2 (2.15).

What each step applied is measured in the optimizer's update (`RecordingSGD`: a numpy
function in `update_step` receives the step, the rate and the momentum it uses).
"""

import os

import numpy as np
import pytest
import tensorflow as tf

import lrhooks
from lrhooks import keras as lrkeras
from lrhooks import schedules as S
from tests.support import keras_cases

keras = tf.keras
KERAS_3 = int(keras.__version__.split(".")[0]) >= 3 if hasattr(keras, "__version__") else False
SCHEDULE = "piecewise_constant([3, 6], [0.1, 0.01, 0.001])"


def f32(values):
    return [float(np.float32(value)) for value in values]


class RecordingSGD(keras.optimizers.SGD):
    """SGD whose update appends (step, rate, momentum) of each update to `records`."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.records_list = []

    def _record(self, step, rate, momentum):
        self.records_list.append((int(step), float(rate), float(momentum)))
        return np.int64(0)

    def update_step(self, gradient, variable, learning_rate=None):
        rate = self.learning_rate if learning_rate is None else learning_rate
        record = tf.numpy_function(
            self._record, [self.iterations, tf.cast(rate, tf.float32),
                           tf.cast(self.momentum, tf.float32)], tf.int64, stateful=True)
        with tf.control_dependencies([record]):
            if learning_rate is None:  # Keras 2
                return super().update_step(gradient, variable)
            return super().update_step(gradient, variable, learning_rate)


class TableRecordingSGD(keras.optimizers.SGD):
    """SGD whose update writes its rate at index `step` of the variable `applied` (XLA-safe)."""

    def build(self, variables):
        super().build(variables)
        if not hasattr(self, "applied"):  # Keras 2 calls `build` on every apply
            self.applied = self.add_variable(shape=(64,), initializer="zeros",
                                             name="applied")

    def update_step(self, gradient, variable, learning_rate=None):
        rate = self.learning_rate if learning_rate is None else learning_rate
        step = tf.reshape(tf.cast(self.iterations, tf.int32), [1, 1])
        self.applied.assign(tf.tensor_scatter_nd_update(
            self.applied, step, tf.reshape(tf.cast(rate, tf.float32), [1])))
        if learning_rate is None:  # Keras 2
            return super().update_step(gradient, variable)
        return super().update_step(gradient, variable, learning_rate)


def fit(optimizer, steps=8, epochs=1, callbacks=(), **compile_args):
    """Fits a one-weight linear model for `epochs` epochs of `steps` batches."""
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, use_bias=False)])
    model.compile(optimizer=optimizer, loss="mse", **compile_args)
    x = np.ones((4 * steps, 2), np.float32)
    y = np.full((4 * steps, 1), 0.5, np.float32)
    history = model.fit(x, y, batch_size=4, epochs=epochs, verbose=0, shuffle=False,
                        callbacks=list(callbacks))
    return model, history


# ------------------------------------------------------------------------------ exactness


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_every_conformance_factory_matches_python_on_random_cases(dtype):
    drawn = keras_cases.cases(4, seed=1, dtype=dtype)
    got = keras_cases.keras_values(drawn, dtype, table_every=8)
    want = keras_cases.python_values(drawn, dtype)
    assert sum(len(steps) for _, _, steps in drawn) >= 1000
    assert len({name for name, _, _ in drawn}) >= 60
    for (name, schedule, steps), value, expected in zip(drawn, got, want):
        assert value.dtype == np.dtype(dtype)
        assert keras_cases.agrees(value, expected).all(), (name, schedule, steps, value)


def test_eager_call_is_the_schedule_at_each_step():
    schedule = S.cosine_decay(0.1, 10)
    for dtype in ("float32", "float64"):
        values = lrkeras.KerasSchedule(schedule, dtype=dtype)(tf.range(12))
        assert values.dtype == dtype
        assert values.numpy().tolist() == np.array(
            [schedule(step) for step in range(12)], dtype).tolist()


def test_table_and_fallback_agree_past_the_table_and_where_the_schedule_refuses():
    schedule = S.cosine_decay_restarts(1.0, 10, t_mul=0.5)  # defined below step 20 only
    keras_schedule = lrkeras.KerasSchedule(schedule, table_steps=25)
    with tf.Graph().as_default():
        inside = keras_schedule(tf.constant(7, tf.int64))
        past = keras_schedule(tf.constant(19, tf.int64))
        refused = keras_schedule(tf.constant(21, tf.int64))
        with tf.compat.v1.Session() as session:
            assert session.run([inside, past]) == f32([schedule(7), schedule(19)])
            with pytest.raises(tf.errors.InvalidArgumentError, match="`step` must be < 20"):
                session.run(refused)


def test_xla_reads_the_table_refuses_no_table_and_is_nan_past_it():
    schedule = S.exponential_decay(0.1, 3, 0.5, staircase=True)
    table = lrkeras.KerasSchedule(schedule, table_steps=10)
    values = tf.function(table, jit_compile=True)(tf.constant([0, 3, 9, 10], tf.int64)).numpy()
    assert values[:3].tolist() == f32([schedule(0), schedule(3), schedule(9)])
    assert np.isnan(values[3])
    with pytest.raises(ValueError, match="cannot call Python: give it `table_steps`"):
        tf.function(lrkeras.KerasSchedule(schedule), jit_compile=True)(tf.constant(1, tf.int64))
    plateau = lrkeras.KerasSchedule(S.product([S.reduce_lr_on_plateau(0.1), schedule]))
    with pytest.raises(ValueError, match="stateful KerasSchedule .* jit_compile=False"):
        tf.function(plateau, jit_compile=True)(tf.constant(1, tf.int64))
    with pytest.raises(ValueError, match="`table_steps` must be 0 for a stateful schedule"):
        lrkeras.KerasSchedule(plateau.schedule, table_steps=4)


# ------------------------------------------------------------------------------ Keras fit


@pytest.mark.parametrize("table_steps", [0, 5])
def test_fit_trains_batch_k_at_schedule_k(table_steps):
    schedule = lrhooks.from_spec(SCHEDULE)
    optimizer = RecordingSGD(lrkeras.KerasSchedule(schedule, table_steps=table_steps))
    fit(optimizer, steps=5, epochs=2)
    assert [(step, rate) for step, rate, _ in optimizer.records_list] == list(
        zip(range(10), f32(schedule(step) for step in range(10))))


def test_fit_with_steps_per_execution_and_xla_table():
    schedule = S.cosine_decay(0.1, 12)
    optimizer = TableRecordingSGD(lrkeras.KerasSchedule(schedule, table_steps=12))
    fit(optimizer, steps=12, steps_per_execution=4, jit_compile=True)
    applied = optimizer.applied.numpy().tolist()
    assert applied[:12] == f32(schedule(step) for step in range(12)) and applied[12:] == [0.0] * 52


def test_scheduled_momentum_reaches_each_update(tmp_path):
    momentum = S.polynomial_decay(0.9, 6, end_learning_rate=0.5)
    optimizer = RecordingSGD(0.01, momentum=0.9)
    optimizer.momentum = lrkeras.scheduled_value(momentum, optimizer)
    model, _ = fit(optimizer, steps=8)
    assert [m for _, _, m in optimizer.records_list] == f32(momentum(step) for step in range(8))
    assert float(optimizer.momentum) == float(np.float32(momentum(8)))
    with pytest.raises(TypeError, match="cannot be saved in the optimizer's config: set the"):
        model.save(str(tmp_path / "m.keras"))


def test_learning_rate_logger_writes_each_applied_rate_at_its_step(tmp_path):
    schedule = lrhooks.from_spec(SCHEDULE)
    logger = lrkeras.LearningRateLogger(str(tmp_path))
    fit(keras.optimizers.SGD(lrkeras.KerasSchedule(schedule)), steps=4, epochs=2,
        callbacks=[logger], steps_per_execution=2)
    points = []
    for name in sorted(os.listdir(tmp_path)):
        for event in tf.compat.v1.train.summary_iterator(str(tmp_path / name)):
            points += [(event.step, float(tf.make_ndarray(value.tensor)))
                       for value in event.summary.value if value.tag == "learning_rate"]
    assert points == list(zip(range(8), f32(schedule(step) for step in range(8))))


def test_xla_fit_past_the_table_is_refused_before_it_starts(tmp_path):
    optimizer = keras.optimizers.SGD(lrkeras.KerasSchedule(SCHEDULE, table_steps=5))
    with pytest.raises(ValueError, match=r"`table_steps` must be > 7 .* got 5"):
        fit(optimizer, steps=8, jit_compile=True,
            callbacks=[lrkeras.LearningRateLogger(str(tmp_path))])


def test_plateau_driven_by_a_keras_metric_applies_from_the_next_epoch():
    # mode="max" on a falling loss: epoch 0 sets `best`, epoch 1 is bad and reduces.
    plateau = S.reduce_lr_on_plateau(0.01, mode="max", factor=0.5, patience=0)
    optimizer = RecordingSGD(lrkeras.KerasSchedule(plateau))
    fit(optimizer, steps=3, epochs=3, callbacks=[lrkeras.PlateauCallback("loss")])
    rates = [rate for _, rate, _ in optimizer.records_list]
    assert rates == f32([0.01] * 6 + [0.005] * 3)
    with pytest.raises(ValueError, match="PlateauCallback needs a stateful schedule"):
        fit(RecordingSGD(lrkeras.KerasSchedule(SCHEDULE)), steps=1,
            callbacks=[lrkeras.PlateauCallback("loss")])
    with pytest.raises(ValueError, match="`monitor` 'val_acc' is not in this epoch's logs"):
        fit(RecordingSGD(lrkeras.KerasSchedule(plateau)), steps=1,
            callbacks=[lrkeras.PlateauCallback("val_acc")])


# ------------------------------------------------------------------------------ saving


def test_config_round_trips_through_the_spec_string():
    keras_schedule = lrkeras.KerasSchedule(SCHEDULE, table_steps=3)
    config = keras_schedule.get_config()
    assert config["schedule"] == lrhooks.spec.spec(lrhooks.from_spec(SCHEDULE))
    again = lrkeras.KerasSchedule.from_config(config)
    assert again.schedule == keras_schedule.schedule and again.table_steps == 3
    with pytest.raises(TypeError, match="cannot be saved: give it an lrhooks schedule"):
        lrkeras.KerasSchedule(lambda step: 0.1).get_config()
    with pytest.raises(ValueError, match="`table_steps` must be an integer >= 0, got -1"):
        lrkeras.KerasSchedule(SCHEDULE, table_steps=-1)


def test_model_saved_and_loaded_keeps_the_schedule(tmp_path):
    model, _ = fit(keras.optimizers.SGD(lrkeras.KerasSchedule(SCHEDULE, table_steps=4)),
                   steps=2)
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    schedule = loaded.optimizer._learning_rate  # pylint: disable=protected-access
    assert isinstance(schedule, lrkeras.KerasSchedule)
    assert schedule.schedule == lrhooks.from_spec(SCHEDULE) and schedule.table_steps == 4
    assert int(loaded.optimizer.iterations.numpy()) == 2


# ------------------------------------------------------------------------------ TF1 -> Keras


def test_a_tf1_run_continued_in_keras_applies_schedule_of_the_next_step(tmp_path):
    from tests.support.recording import RecordingMomentum  # pylint: disable=import-outside-toplevel
    schedule = lrhooks.from_spec("piecewise_constant([5, 10], [0.1, 0.01, 0.001])")
    stop = 7  # not a boundary
    with tf.Graph().as_default():
        global_step = tf.compat.v1.train.get_or_create_global_step()
        weight = tf.compat.v1.get_variable("w", [2], initializer=tf.compat.v1.zeros_initializer())
        optimizer = RecordingMomentum(lrhooks.learning_rate(schedule=schedule), 0.9, global_step)
        train_op = optimizer.minimize(tf.reduce_sum(weight * weight - weight),
                                      global_step=global_step)
        saver = tf.compat.v1.train.Saver()
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            for _ in range(stop):
                session.run(train_op)
            saver.save(session, str(tmp_path / "model.ckpt"), global_step=global_step)
    tf1_rates = [(step, lr) for step, lr, _ in optimizer.sorted_records()]

    keras_optimizer = RecordingSGD(lrkeras.KerasSchedule(schedule))
    assert lrkeras.continue_from_checkpoint(keras_optimizer, str(tmp_path)) == stop
    fit(keras_optimizer, steps=6)
    keras_rates = [(step, rate) for step, rate, _ in keras_optimizer.records_list]
    assert tf1_rates + keras_rates == list(zip(range(13), f32(schedule(s) for s in range(13))))
    with pytest.raises(ValueError, match="`step_name` 'step' is not in checkpoint"):
        lrkeras.continue_from_checkpoint(keras_optimizer, str(tmp_path), step_name="step")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="is a directory with no checkpoint"):
        lrkeras.continue_from_checkpoint(keras_optimizer, str(tmp_path / "empty"))


def test_lazy_export():
    assert lrhooks.keras is lrkeras
    assert lrhooks.KerasSchedule is lrkeras.KerasSchedule
