"""LR range test: the ramp, the hook (smoothing, stopping, summaries) and the suggestions."""

import math

import numpy as np
import pytest
import tensorflow as tf

import lrhooks
from lrhooks.hooks.range_test import (LRRangeTestHook, RangeTestRecord, analyze, format_curve,
                                      range_test_schedule)
from tests.support import events

tf1 = tf.compat.v1


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(schedule=0.1), TypeError, r"^`schedule` must be callable as schedule\(step\) -> rate"),
    (dict(smoothing=1.0), ValueError,
     r"^`smoothing` must be a finite number in \[0, 1\), got 1.0$"),
    (dict(smoothing=-0.1), ValueError,
     r"^`smoothing` must be a finite number in \[0, 1\), got -0.1$"),
    (dict(smoothing=True), TypeError,
     r"^`smoothing` must be a finite number in \[0, 1\), got True$"),
    (dict(diverge_factor=1), ValueError,
     r"^`diverge_factor` must be a finite number > 1, got 1.0$"),
    (dict(diverge_factor=math.inf), ValueError,
     r"^`diverge_factor` must be a finite number > 1, got inf$"),
    (dict(start_step=-2), ValueError, r"^`start_step` must be an integer >= 0, got -2$"),
])
def test_hook_errors(kwargs, error, message):
    kwargs = {"schedule": range_test_schedule(1e-3, 1.0, 10), "loss": "loss", **kwargs}
    with pytest.raises(error, match=message):
        LRRangeTestHook(**kwargs)


def scripted(losses):
    """A graph whose run from step s has loss `losses[s]` and moves the step by one."""
    graph = tf.Graph()
    with graph.as_default():
        step = tf1.train.get_or_create_global_step()
        lrhooks.learning_rate()
        loss = tf.gather(tf.constant(losses, tf.float32), step.read_value(), name="loss")
        with tf.control_dependencies([loss]):
            train_op = step.assign_add(1)
    return graph, loss, train_op


def run_test(graph, train_op, schedule, hook, max_runs=1000):
    with graph.as_default():
        with tf1.train.MonitoredSession(
                hooks=[lrhooks.LearningRateSetterHook(schedule), hook]) as sess:
            runs = 0
            while not sess.should_stop() and runs < max_runs:
                sess.run(train_op)
                runs += 1
    return runs


def expected_smoothed(losses, beta):
    avg, out = 0.0, []
    for n, loss in enumerate(losses, 1):
        avg = beta * avg + (1 - beta) * loss
        out.append(avg / (1 - beta ** n))
    return out


def test_smoothing_and_divergence_stop(tmp_path):
    losses = [4.0, 3.0, 2.0, 1.5, 1.0, 0.8, 0.9, 1.5, 3.0, 8.0, 20.0, 50.0, 1.0, 1.0]
    graph, loss, train_op = scripted(losses)
    schedule = range_test_schedule(1e-4, 1.0, len(losses))
    hook = LRRangeTestHook(schedule, loss, smoothing=0.5, output_dir=str(tmp_path))
    runs = run_test(graph, train_op, schedule, hook)
    smoothed = expected_smoothed(losses, 0.5)
    best = [min(smoothed[:i + 1]) for i in range(len(smoothed))]
    first_div = next(i for i in range(1, len(losses)) if smoothed[i] > 4 * best[i - 1])
    assert runs == first_div + 1  # stopped right after the diverging run
    result = hook.result()
    assert result.stop_reason == "diverged" and result.usable == first_div
    assert [r.step for r in result.records] == list(range(first_div + 1))
    assert [r.loss for r in result.records] == pytest.approx(losses[:first_div + 1])
    assert [r.smoothed_loss for r in result.records] == pytest.approx(smoothed[:first_div + 1])
    assert [r.rate for r in result.records] == [schedule(s) for s in range(first_div + 1)]
    # Steepest descent of the smoothed loss against log(rate), before divergence.
    s, r = smoothed[:first_div], [schedule(i) for i in range(first_div)]
    slopes = [(s[i + 1] - s[i]) / math.log(r[i + 1] / r[i]) for i in range(first_div - 1)]
    assert result.suggested_rate == pytest.approx(r[int(np.argmin(slopes))], rel=1e-6)
    assert hook.suggested_rate() == result.suggested_rate
    assert result.min_loss_rate == pytest.approx(r[int(np.argmin(s))], rel=1e-6)
    assert result.min_loss_suggestion == pytest.approx(result.min_loss_rate / 10)

    assert events.tags(tmp_path) == {"range_test/learning_rate", "range_test/loss",
                                     "range_test/smoothed_loss"}
    curve = dict(events.scalars(tmp_path, "range_test/smoothed_loss"))
    assert curve == pytest.approx(dict(enumerate(smoothed[:first_div + 1])), rel=1e-6)
    rates = [value for _, value in events.scalars(tmp_path, "range_test/learning_rate")]
    assert rates == pytest.approx([rec.rate for rec in result.records], rel=1e-6)


def test_completes_after_num_steps_without_smoothing():
    losses = [5.0, 4.0, 3.0, 2.5, 2.4, 2.4, 2.4, 2.4]
    graph, loss, train_op = scripted(losses)
    schedule = range_test_schedule(1e-3, 1e-1, 6)
    hook = LRRangeTestHook(schedule, "loss", smoothing=0.0)
    assert run_test(graph, train_op, schedule, hook) == 6
    result = hook.result()
    assert result.stop_reason == "completed" and result.usable == 6
    assert [r.smoothed_loss for r in result.records] == pytest.approx(losses[:6])
    assert result.suggested_rate == pytest.approx(schedule(0), rel=1e-6)  # 5 -> 4 is steepest
    text = format_curve(result)
    assert "stopped: completed after 6 records" in text
    assert "suggested rate (steepest descent): 0.001" in text


def test_non_finite_loss_stops():
    losses = [3.0, 2.0, 1.0, 0.5, 0.4, 0.3, math.nan, 1.0, 1.0, 1.0]
    graph, loss, train_op = scripted(losses)
    schedule = range_test_schedule(1e-3, 1.0, 10)
    hook = LRRangeTestHook(schedule, loss)
    assert run_test(graph, train_op, schedule, hook) == 7
    result = hook.result()
    assert (result.stop_reason, result.usable, len(result.records)) == ("non_finite", 6, 7)
    assert math.isnan(result.records[-1].loss)
    assert result.suggested_rate is not None and result.suggested_rate < schedule(6)


def noisy_quadratic():
    """loss = mean((w - x)**2) / 2 over a batch x ~ N(0, 1): SGD diverges for rate > 2."""
    graph = tf.Graph()
    with graph.as_default():
        tf1.set_random_seed(1)
        global_step = tf1.train.get_or_create_global_step()
        rate = lrhooks.learning_rate()
        weight = tf1.get_variable("w", initializer=tf.constant(3.0))
        loss = 0.5 * tf.reduce_mean(tf.square(weight - tf.random.normal([256])))
        train_op = tf1.train.GradientDescentOptimizer(rate).minimize(loss, global_step)
    return graph, loss, train_op


def test_quadratic_with_sgd_diverges_and_suggestion_is_below_divergence(tmp_path):
    graph, loss, train_op = noisy_quadratic()
    schedule = range_test_schedule(1e-4, 100.0, 100)
    hook = LRRangeTestHook(schedule, loss, output_dir=str(tmp_path))
    runs = run_test(graph, train_op, schedule, hook)
    result = hook.result()
    assert runs < 100 and result.stop_reason in ("diverged", "non_finite")
    diverged_at = result.records[result.usable].rate
    assert diverged_at > 2.0
    assert 1e-2 <= result.suggested_rate < 2.0 <= diverged_at
    assert 1e-4 <= result.min_loss_rate < diverged_at
    assert result.records[-1].step == runs - 1


def test_too_few_records_give_no_suggestion():
    records = [RangeTestRecord(i, 10.0 ** (i - 3), 1.0 - 0.1 * i, 1.0 - 0.1 * i)
               for i in range(4)]
    result = analyze(records, "diverged", usable=3)
    assert (result.suggested_rate, result.min_loss_rate, result.min_loss_suggestion) == (
        None, None, None)
    assert result.reason.startswith("only 3 usable records (before divergence), need at least 5")
    assert "no suggestion: only 3 usable records" in format_curve(result)
    rising = [RangeTestRecord(i, 10.0 ** (i - 3), 1.0 + i, 1.0 + i) for i in range(6)]
    result = analyze(rising, "completed")
    assert result.suggested_rate is None and result.reason == "the smoothed loss never decreased"
    assert result.min_loss_rate == 1e-3


def test_noisy_start_and_edge_are_left_out():
    smoothed = ([9.0, 5.0] + [4.0, 3.9, 3.8, 3.0] + [2.9 - 0.01 * i for i in range(16)]
                + [2.0, 0.5, 0.4, 0.3, 0.2])
    records = [RangeTestRecord(i, 1e-3 * 1.2 ** i, v, v) for i, v in enumerate(smoothed)]
    result = analyze(records, "completed")  # 27 records: the first 2 and the last 5 are out
    assert result.suggested_rate == records[4].rate  # 3.8 -> 3.0
    assert result.min_loss_rate == records[21].rate
    result = analyze(records, "completed", skip_end=0)
    assert result.suggested_rate == records[22].rate and result.min_loss_rate == records[26].rate
