"""Evaluation runs through the same MonitoredTrainingSession never write a rate point under a wrong step.

A loop that trains and, between training runs, evaluates (fetching only an
eval metric, not the train op) through the same session. TensorFlow's
convention: the point labelled `L` holds the value computed at step `L - 1`
(the run that moved the step from `L - 1` to `L`). The rate changes every
step, so a point written by an evaluation run (label `s`, value `schedule(s)`)
is told apart from the training run's (label `s`, value `schedule(s - 1)`).
"""

import pytest
import tensorflow as tf

import lrhooks
from lrhooks import schedules
from tests.support.events import scalar_points

tf1 = tf.compat.v1

SCHEDULE = schedules.exponential_decay(0.1, decay_steps=1, decay_rate=0.5)
TRAIN_RUNS = 12
SAVE_STEPS = 3


def _train_and_evaluate(logdir, summary_kind, lrhooks_hook):
    """Runs the interleaved loop; returns the `learning_rate` points written."""
    with tf.Graph().as_default():
        global_step = tf1.train.get_or_create_global_step()
        rate = lrhooks.learning_rate(schedule=SCHEDULE)
        if summary_kind == "classic":
            tf1.summary.scalar("learning_rate", rate)
        else:
            lrhooks.rate_summary(rate)
        weight = tf1.get_variable("w", initializer=1.0)
        tf1.summary.scalar("loss", tf.square(weight - 3.0))
        train_op = tf1.train.GradientDescentOptimizer(rate).minimize(
            tf.square(weight - 3.0), global_step=global_step)
        eval_metric = tf.abs(weight - 3.0)
        if lrhooks_hook:
            options = dict(save_summaries_steps=None, save_summaries_secs=None,
                           hooks=[lrhooks.SummarySaverHook(save_steps=SAVE_STEPS,
                                                           output_dir=str(logdir))])
        else:
            options = dict(save_summaries_steps=SAVE_STEPS)
        with tf1.train.MonitoredTrainingSession(checkpoint_dir=str(logdir), save_checkpoint_secs=None,
                                               log_step_count_steps=None, **options) as session:
            for _ in range(TRAIN_RUNS):
                session.run(train_op)
                session.run(eval_metric)
                session.run(eval_metric)
    return scalar_points(logdir, "learning_rate")


@pytest.mark.parametrize("summary_kind", ["classic", "rate_summary"])
def test_lrhooks_summary_hook_writes_every_point_at_its_exact_step(tmp_path, summary_kind):
    points = _train_and_evaluate(tmp_path, summary_kind, lrhooks_hook=True)
    # The first run (label 1) and every label reaching a multiple of SAVE_STEPS; no eval point.
    assert [label for label, _ in points] == [1, 3, 6, 9, 12]
    for label, value in points:
        assert value == pytest.approx(SCHEDULE(label - 1), rel=1e-6), label


@pytest.mark.parametrize("summary_kind", ["classic", "rate_summary"])
def test_tensorflow_summary_hook_labels_an_eval_run_point_wrongly(tmp_path, summary_kind):
    """What `lrhooks.SummarySaverHook` fixes: TF's hook, due on an eval run, writes its point there."""
    points = _train_and_evaluate(tmp_path, summary_kind, lrhooks_hook=False)
    wrong = [(label, value) for label, value in points
             if value != pytest.approx(SCHEDULE(label - 1), rel=1e-6)]
    assert wrong, points
    # Each wrong point is an evaluation run's: the value of its own label's step.
    assert all(value == pytest.approx(SCHEDULE(label), rel=1e-6) for label, value in wrong)


def _evaluate_with_log_hook(logdir, lrhooks_hook):
    """The loop with an lrhooks hook that sees the runs (TrainingLogHook), summaries saved by either hook."""
    with tf.Graph().as_default():
        global_step = tf1.train.get_or_create_global_step()
        rate = lrhooks.learning_rate(schedule=SCHEDULE)
        tf1.summary.scalar("learning_rate", rate)
        weight = tf1.get_variable("w", initializer=1.0)
        train_op = tf1.train.GradientDescentOptimizer(rate).minimize(
            tf.square(weight - 3.0), global_step=global_step)
        hooks = [lrhooks.TrainingLogHook(every_n_steps=100, log_fn=lambda line: None)]
        options = dict(save_summaries_steps=SAVE_STEPS)
        if lrhooks_hook:
            options = dict(save_summaries_steps=None, save_summaries_secs=None)
            hooks.append(lrhooks.SummarySaverHook(save_steps=SAVE_STEPS, output_dir=str(logdir)))
        with tf1.train.MonitoredTrainingSession(checkpoint_dir=str(logdir), save_checkpoint_secs=None,
                                               hooks=hooks, **options) as session:
            for _ in range(3):
                session.run(train_op)
                session.run(weight)


def test_an_eval_run_beside_summaries_of_a_scheduled_value_warns_in_one_line(tmp_path, caplog):
    with caplog.at_level("WARNING"):
        _evaluate_with_log_hook(tmp_path, lrhooks_hook=False)
    records = [r for r in caplog.records if "lrhooks.SummarySaverHook" in r.getMessage()]
    lines = [r.getMessage() for r in records]
    assert len(lines) == 1, lines
    assert (records[0].name, records[0].levelname) == ("lrhooks", "WARNING")  # no absl
    assert "\n" not in lines[0]
    assert lines[0].startswith("lrhooks: a run that does not train (at step 1) ran on a graph "
                               "with summaries of 'learning_rate'")


def test_no_warning_when_lrhooks_saves_the_summaries(tmp_path, caplog):
    with caplog.at_level("WARNING"):
        _evaluate_with_log_hook(tmp_path, lrhooks_hook=True)
    assert not [r for r in caplog.records if "SummarySaverHook" in r.getMessage()]


def test_summary_saver_hook_needs_a_directory_or_a_writer():
    with pytest.raises(ValueError, match=r"`output_dir` must be a directory when `summary_writer` "
                                         r"is None, got None"):
        lrhooks.SummarySaverHook(save_steps=10)


def test_summary_saver_hook_needs_an_interval(tmp_path):
    with pytest.raises(ValueError, match="one of `save_steps` and `save_secs` must be set, "
                                         "got both None"):
        lrhooks.SummarySaverHook(output_dir=str(tmp_path))


@pytest.mark.parametrize("arguments, error, message", [
    (dict(save_steps=0), ValueError, r"`save_steps` must be .*> 0, got 0"),
    (dict(save_steps=2.5), TypeError, r"`save_steps` must be an integer"),
    (dict(save_secs=-1.0), ValueError, r"`save_secs` must be .*> 0, got -1"),
])
def test_summary_saver_hook_checks_its_interval(tmp_path, arguments, error, message):
    with pytest.raises(error, match=message):
        lrhooks.SummarySaverHook(output_dir=str(tmp_path), **arguments)
