"""The finiteness check's record: read back without parsing, written as TensorFlow prints it."""

import numpy as np
import pytest
import tensorflow as tf

from models.resnet_mnist import numerics

tf1 = tf.compat.v1
NAN = np.float32("nan")


@pytest.mark.parametrize("value, expected", [
    (np.float32(1e38), "1e+38"),
    (np.float32(0.1), "0.1"),
    (np.float32(2.3025851), "2.30258512"),  # 6 digits do not read back: 9
    (np.float32(1e-5), "1e-05"),
    (np.float32(123456789.0), "123456792"),
    (np.float32("inf"), "inf"),
    (np.float32("-inf"), "-inf"),
    (NAN, "nan"),
    (-NAN, "-nan"),
    (np.float64(0.1), "0.1"),
    (np.float64(np.float32(0.1)), "0.10000000149011612"),  # 15 digits do not read back: 17
    (np.float64(0.5), "0.5"),
    (np.int64(12), "12"),
])
def test_numbers_are_written_as_tensorflow_prints_them(value, expected):
    assert numerics.tf_number_text(value) == expected
    with tf.Graph().as_default():
        check = tf.debugging.Assert(False, ["value", tf.constant(value)], summarize=1)
        with tf1.Session() as session:
            with pytest.raises(tf.errors.InvalidArgumentError) as raised:
                session.run(check)
    assert f"[value] [{expected}]" in raised.value.message


def test_describe_is_the_trainers_one_line():
    record = numerics.NonFiniteRecord(np.int64(7), np.float32(1e38), NAN, np.float32("inf"))
    assert record.describe() == (
        "the loss or gradients became non-finite at step 7 (learning rate 1e+38, loss nan, "
        "gradient norm inf); nothing was saved after the last checkpoint: lower the learning "
        "rate and run again")
    assert numerics.NonFiniteRecord().describe().startswith(
        "the loss or gradients became non-finite at step ? (learning rate ?, loss ?, "
        "gradient norm ?);")


def _diverging_graph():
    """A one-weight model whose loss overflows at step 3 (rate 1e38 from step 2)."""
    step = tf1.train.get_or_create_global_step()
    weight = tf1.get_variable("w", initializer=1.0)
    rate = tf.where(step < 2, 0.1, 1e38)
    loss = tf.square(weight)
    grads, check = numerics.checked_gradients([tf.gradients(loss, weight)[0]], loss, step, rate)
    train_op = tf1.train.GradientDescentOptimizer(rate).apply_gradients(
        [(grads[0], weight)], global_step=step)
    return train_op, check, weight


def test_record_is_read_from_the_failed_monitored_session():
    with tf.Graph().as_default():
        train_op, check, weight = _diverging_graph()
        assert [v.op.name for v in check.record_variables] == [
            "non_finite_record/step", "non_finite_record/learning_rate",
            "non_finite_record/loss", "non_finite_record/gradient_norm"]
        assert not set(check.record_variables) & set(tf1.global_variables())  # not saved
        with tf1.train.MonitoredTrainingSession() as session:
            with pytest.raises(tf.errors.InvalidArgumentError) as raised:
                for _ in range(5):
                    session.run(train_op)
            assert numerics.is_failure(raised.value)
            record = check.read(session)
            last_weight = session.run_step_fn(
                lambda step_context: step_context.session.run(weight))
    # Steps 0, 1: w *= 1 - 2 * 0.1 (0.64); step 2: w -= 1e38 * 2w (-1.28e38, still finite);
    # step 3: the loss w^2 and the gradient norm overflow, and the check stops the update.
    assert int(record.step) == 3 and float(record.learning_rate) == pytest.approx(1e38)
    assert (record.loss, record.gradient_norm) == (np.inf, np.inf)
    assert last_weight == pytest.approx(0.64 - 1e38 * 1.28, rel=1e-6)
    for name in ("step", "learning_rate", "loss", "gradient_norm"):
        assert f"[{name}] [{numerics.tf_number_text(getattr(record, name))}]" in (
            raised.value.message)


def test_other_errors_are_not_check_failures():
    with tf.Graph().as_default():
        failing = tf.debugging.Assert(False, ["something else"])
        with tf1.Session() as session:
            with pytest.raises(tf.errors.InvalidArgumentError) as raised:
                session.run(failing)
    assert not numerics.is_failure(raised.value)
