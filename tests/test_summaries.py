"""The learning_rate series in event files equals the schedule at every recorded step.

Read with TensorBoard's own reader. Label convention (TensorFlow's SummarySaverHook):
the run that moves global_step from s to s + 1 is recorded at s + 1, so the value at
label L must be schedule(L - 1).
"""

import re

import pytest
import tensorflow as tf

import lrhooks
from lrhooks import schedules
from tests.support import events

tf1 = tf.compat.v1
SCHEDULE = schedules.piecewise_constant([3, 6, 10], [0.1, 0.05, 0.01, 0.001])
STEPS = 14


def read_series(logdir, tag="learning_rate"):
    return dict(events.scalars(logdir, tag))


def assert_series_is_schedule(series, expected_labels):
    assert sorted(series) == expected_labels
    for label, value in series.items():
        assert value == pytest.approx(SCHEDULE(label - 1), rel=1e-6), (label, value)


def train(logdir, kind, summary, *, mts_summaries=1, extra_hooks=(), chief_only_hooks=()):
    """Trains STEPS steps. (Runs that do not train are covered by tests/test_setter_hook.py:
    SummarySaverHook labels such a run with the current step, not step + 1.)"""
    with tf.Graph().as_default():
        global_step = tf1.train.get_or_create_global_step()
        if kind == "graph":
            rate = lrhooks.learning_rate()
        else:
            rate = tf1.placeholder(tf.float32, [], name="lr")
        if summary == "exact":
            lrhooks.rate_summary(rate)
        elif summary == "tf":
            tf1.summary.scalar("learning_rate", rate)
        weight = tf1.get_variable("w", initializer=1.0)
        train_op = tf1.train.GradientDescentOptimizer(rate).minimize(tf.square(weight),
                                                                     global_step=global_step)
        hooks = [lrhooks.LearningRateSetterHook(SCHEDULE, None if kind == "graph" else rate),
                 tf1.train.StopAtStepHook(last_step=STEPS), *extra_hooks]
        with tf1.train.MonitoredTrainingSession(
                checkpoint_dir=str(logdir), hooks=hooks, chief_only_hooks=list(chief_only_hooks),
                save_summaries_steps=mts_summaries, save_checkpoint_secs=None,
                log_step_count_steps=None) as sess:
            while not sess.should_stop():
                sess.run(train_op)


@pytest.mark.parametrize("kind", ["graph", "placeholder"])
def test_monitored_training_session_default_summaries(tmp_path, kind):
    train(tmp_path, kind, "exact" if kind == "graph" else "tf")
    # MTS saves at every step.
    assert_series_is_schedule(read_series(tmp_path), list(range(1, STEPS + 1)))


def test_classic_setup_chief_only_summary_saver(tmp_path):
    saver_dir = tmp_path

    class LazySaver(tf1.train.SessionRunHook):
        """SummarySaverHook built in begin(), when merge_all can see the graph's summaries."""

        def begin(self):
            self.hook = tf1.train.SummarySaverHook(save_steps=2, output_dir=str(saver_dir),
                                                   summary_op=tf1.summary.merge_all())
            self.hook.begin()

        def after_create_session(self, session, coord):
            self.hook.after_create_session(session, coord)

        def before_run(self, run_context):
            return self.hook.before_run(run_context)

        def after_run(self, run_context, run_values):
            self.hook.after_run(run_context, run_values)

        def end(self, session):
            self.hook.end(session)

    train(tmp_path, "graph", "exact", mts_summaries=0, chief_only_hooks=[LazySaver()])
    # SummarySaverHook(save_steps=2): the first run (step 0) and every 2nd step after it,
    # each labelled with the fetched step + 1.
    assert_series_is_schedule(read_series(tmp_path), list(range(1, STEPS, 2)))


@pytest.mark.parametrize("kind", ["graph", "placeholder"])
def test_no_summary_op_in_the_graph(tmp_path, kind):
    hook_dir = tmp_path / "rate"
    train(tmp_path, kind, None, mts_summaries=0, extra_hooks=[
        lrhooks.LearningRateSummaryHook(str(hook_dir), None if kind == "graph" else "lr",
                                        every_n_steps=1)])
    assert_series_is_schedule(read_series(hook_dir), list(range(1, STEPS + 1)))


def test_summary_hook_every_n_steps(tmp_path):
    train(tmp_path, "graph", None, mts_summaries=0, extra_hooks=[
        lrhooks.LearningRateSummaryHook(str(tmp_path), every_n_steps=4)])
    # The first run (label 1), then the runs reaching multiples of 4.
    assert_series_is_schedule(read_series(tmp_path), [1, 4, 8, 12])


@pytest.mark.parametrize("kind", ["graph", "placeholder"])
def test_summary_hook_records_the_last_step(tmp_path, kind):
    """STEPS (14) is no multiple of 4: `last_step` adds the point of the last run."""
    train(tmp_path, kind, None, mts_summaries=0, extra_hooks=[
        lrhooks.LearningRateSummaryHook(str(tmp_path), None if kind == "graph" else "lr",
                                        every_n_steps=4, last_step=STEPS)])
    assert_series_is_schedule(read_series(tmp_path), [1, 4, 8, 12, STEPS])


def test_exact_tag_even_when_the_name_is_taken():
    with tf.Graph().as_default() as graph:
        tf1.train.get_or_create_global_step()
        tf.identity(0.1, name="learning_rate")  # an op called "learning_rate" exists now
        rate = lrhooks.learning_rate()
        lrhooks.rate_summary(rate)
        summary = graph.get_collection(tf1.GraphKeys.SUMMARIES)[0]
        with tf1.Session() as sess:
            proto = tf1.Summary.FromString(sess.run(summary, {rate: 0.5}))
    assert [v.tag for v in proto.value] == ["learning_rate"]
    assert proto.value[0].simple_value == 0.5


@pytest.mark.parametrize("kwargs, pattern", [
    ({"output_dir": ""}, r"`output_dir` must be a directory, got ''"),
    ({"output_dir": "x", "tag": ""}, r"`tag` must be a non-empty string, got ''"),
    ({"output_dir": "x", "every_n_steps": 0}, r"`every_n_steps` must be an integer > 0, got 0"),
    ({"output_dir": "x", "every_n_steps": None},
     r"one of `every_n_steps` and `every_n_secs` must be set"),
    ({"output_dir": "x", "every_n_secs": -1.0},
     r"`every_n_secs` must be a finite number > 0, got -1.0"),
    ({"output_dir": "x", "last_step": 0}, r"`last_step` must be an integer > 0, got 0"),
])
def test_summary_hook_argument_errors(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        lrhooks.LearningRateSummaryHook(**kwargs)


def test_summary_hook_needs_a_rate():
    with tf.Graph().as_default():
        tf1.train.get_or_create_global_step()
        hook = lrhooks.LearningRateSummaryHook("unused")
        with pytest.raises(RuntimeError, match=r"no single rate tensor made by lrhooks"):
            hook.begin()


def test_rate_summary_tag_error():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match=r"`tag` must be a non-empty string, got ''"):
            lrhooks.scalar_summary("", tf.constant(1.0))


def layout_of(logdir):
    """The Custom Scalars layout in a run directory, as TensorBoard's reader finds it."""
    from tensorboard.plugins.custom_scalar import layout_pb2, metadata
    (point,) = events.load(logdir).Tensors(metadata.CONFIG_SUMMARY_TAG)
    return layout_pb2.Layout.FromString(point.tensor_proto.string_val[0])


def charts_of(layout):
    return [(category.title, [(chart.title, list(chart.multiline.tag))
                              for chart in category.chart]) for category in layout.category]


def test_review_layout_puts_every_scheduled_value_first(tmp_path):
    with tf.Graph().as_default():
        tf1.train.get_or_create_global_step()
        lrhooks.scheduled_value("momentum", schedules.constant(0.9))
        lrhooks.learning_rate(schedule=SCHEDULE)
        summary = lrhooks.review_layout({"loss": ["loss", "cross_entropy"],
                                         "accuracy": ["accuracy"]})
        writer = tf1.summary.FileWriter(str(tmp_path))
        writer.add_summary(summary, 0)
        writer.close()
    assert charts_of(layout_of(tmp_path)) == [
        ("schedule", [("learning_rate", ["^learning_rate$"]), ("momentum", ["^momentum$"])]),
        ("training", [("loss", ["^loss$", "^cross_entropy$"]),
                      ("accuracy", ["^accuracy$"])])]


def test_review_layout_without_scheduled_values_charts_learning_rate():
    with tf.Graph().as_default():
        layout = tf1.Summary.FromString(lrhooks.review_layout({"a/b": ["a/b"]})
                                        .SerializeToString())
    from tensorboard.plugins.custom_scalar import layout_pb2
    content = layout_pb2.Layout.FromString(layout.value[0].tensor.string_val[0])
    assert charts_of(content) == [("schedule", [("learning_rate", ["^learning_rate$"])]),
                                  ("training", [("a/b", ["^a/b$"])])]


@pytest.mark.parametrize("args, error, message", [
    (({},), TypeError, "`charts` must be a non-empty mapping of titles to tags, got {}"),
    ((["loss"],), TypeError, "`charts` must be a non-empty mapping of titles to tags"),
    (({"loss": "loss"},), TypeError,
     "`charts` values must be non-empty sequences of tags, got 'loss' for 'loss'"),
    (({"loss": [""]},), ValueError, "`tag` must be a non-empty string, got ''"),
    (({"loss": ["loss"]}, "lr"), TypeError,
     "`scheduled` must be a non-empty sequence of tags, got 'lr'"),
])
def test_review_layout_argument_errors(args, error, message):
    with pytest.raises(error, match=re.escape(message)):
        lrhooks.review_layout(*args)
