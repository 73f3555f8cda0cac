"""docs/tf1-codebase.md's drop-in recipe keeps the classic ResNet hook's rule at every step.

The classic `_LearningRateSetterHook` means `0.1 if step < B1 elif step < B2: 0.01 else
0.001`: `B1` is the first step at 0.01. Here `B1, B2 = 40, 60` (the recipe's 40000,
60000, shrunk), in a real `tf.compat.v1` graph trained by a `MonitoredSession`. The
rate each run applied is measured from the weights: the loss is `w`, so plain gradient
descent moves the float64 `w` by exactly the rate (the float32 rate, cast: equal to a
relative 1e-7).
"""

import pytest
import tensorflow as tf

import lrhooks

tf1 = tf.compat.v1
B1, B2 = 40, 60
STEPS = 200


def classic_rule(step: int) -> float:
    if step < B1:
        return 0.1
    if step < B2:
        return 0.01
    return 0.001


class ClassicHook(tf1.train.SessionRunHook):
    """The classic ResNet hook, as docs/tf1-codebase.md quotes it."""

    def __init__(self, global_step, lrn_rate):
        self._global_step, self._lrn_rate_tensor = global_step, lrn_rate

    def begin(self):
        self._lrn_rate = 0.1

    def before_run(self, run_context):
        return tf1.train.SessionRunArgs(self._global_step,
                                        feed_dict={self._lrn_rate_tensor: self._lrn_rate})

    def after_run(self, run_context, run_values):
        self._lrn_rate = classic_rule(run_values.results)


def _applied_rates(make_hook):
    """Trains STEPS runs; returns {step at the start of the run: rate it applied}."""
    with tf.Graph().as_default():
        global_step = tf1.train.get_or_create_global_step()
        lrn_rate = tf1.placeholder_with_default(tf.constant(0.1, tf.float32), [], "lrn_rate")
        w = tf1.get_variable("w", initializer=tf.constant(0.0, tf.float64))
        train_op = tf1.train.GradientDescentOptimizer(lrn_rate).minimize(
            w, global_step=global_step)
        rates = {}
        with tf1.train.MonitoredSession(hooks=[make_hook(global_step, lrn_rate)]) as session:
            for _ in range(STEPS):
                before_w, step = session.run_step_fn(
                    lambda step_context: step_context.session.run([w, global_step]))
                session.run(train_op)
                after_w = session.run_step_fn(lambda step_context: step_context.session.run(w))
                rates[int(step)] = float(before_w - after_w)
        return rates


def _recipe(schedule):
    return lambda global_step, lrn_rate: lrhooks.LearningRateSetterHook(
        schedule, learning_rate=lrn_rate)


@pytest.mark.parametrize("schedule", [
    lrhooks.schedules.multistep_decay(0.1, [B1, B2], 0.1),
    lrhooks.schedules.piecewise_constant([B1 - 1, B2 - 1], [0.1, 0.01, 0.001]),
], ids=["multistep_decay", "piecewise_constant_minus_one"])
def test_recipe_applies_the_classic_rule_at_every_step(schedule):
    assert [schedule(s) for s in range(STEPS)] == pytest.approx(
        [classic_rule(s) for s in range(STEPS)], rel=1e-12)
    rates = _applied_rates(_recipe(schedule))
    assert sorted(rates) == list(range(STEPS))
    for step, rate in rates.items():
        assert rate == pytest.approx(classic_rule(step), rel=1e-6), step


def test_tf_piecewise_constant_with_the_classic_numbers_is_one_step_off():
    """TF's rule keeps the old value through the boundary: the unfixed recipe's error."""
    schedule = lrhooks.schedules.piecewise_constant([B1, B2], [0.1, 0.01, 0.001])
    wrong = [s for s in range(STEPS) if schedule(s) != pytest.approx(classic_rule(s))]
    assert wrong == [B1, B2]


def test_classic_hook_is_right_or_one_run_late_only_at_the_boundaries():
    """Its `after_run` sees the step fetched in the same run as the increment.

    TF does not order that read against the optimizer's `assign_add`, so the rate it
    sets for the next run comes from `s` (one run late) or `s + 1` (on time); away
    from the boundaries both give the same rate.
    """
    rates = _applied_rates(ClassicHook)
    for step, rate in rates.items():
        allowed = {classic_rule(step), classic_rule(max(0, step - 1))}
        assert any(rate == pytest.approx(a, rel=1e-6) for a in allowed), step
        if step not in (B1, B2):
            assert rate == pytest.approx(classic_rule(step), rel=1e-6), step
