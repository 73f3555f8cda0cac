"""LearningRateSetterHook: exact on every run, in every mode, across restores."""

import math

import pytest
import tensorflow as tf

import lrhooks
from lrhooks import schedules
from tests.support.graphs import KINDS, build

tf1 = tf.compat.v1

BOUNDARIES = [3, 7, 12]
VALUES = [0.1, 0.05, 0.01, 0.001]
PIECEWISE = schedules.piecewise_constant(BOUNDARIES, VALUES)


def piecewise_reference(step):
    return tf1.train.piecewise_constant(step, BOUNDARIES, VALUES)


def run_and_record(sess, model, n_runs, extra_every=0):
    """Trains `n_runs` times; every `extra_every` runs also does a non-training run."""
    rows = []
    for i in range(n_runs):
        if extra_every and i % extra_every == 0:
            sess.run(model.loss)  # other code running the session without training
        sess.run(model.train_op)
        start, applied, reference = sess.run([model.started_at, model.applied, model.reference])
        rows.append((int(start), float(applied), float(reference)))
    return rows


def assert_exact(rows, schedule, first_step=0):
    steps = [r[0] for r in rows]
    assert steps == list(range(first_step, first_step + len(rows)))
    for start, applied, reference in rows:
        assert applied == pytest.approx(reference, rel=1e-6), (start, applied, reference)
        assert applied == pytest.approx(schedule(start), rel=1e-6), (start, applied)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("extra_every", [0, 2])
def test_rate_equals_in_graph_reference_on_every_run(kind, extra_every):
    model = build(kind, piecewise_reference, table_size=4)
    with model.graph.as_default():
        hook = lrhooks.LearningRateSetterHook(PIECEWISE, model.rate)
        with tf1.train.MonitoredSession(hooks=[hook]) as sess:
            rows = run_and_record(sess, model, 16, extra_every)
    assert hook.mode == {"graph": "graph", "variable": "variable"}.get(kind, "feed")
    assert_exact(rows, PIECEWISE)


@pytest.mark.parametrize("kind", KINDS)
def test_continuous_schedule_matches_tf_decay(kind):
    schedule = schedules.exponential_decay(0.1, decay_steps=5, decay_rate=0.5)

    def reference(step):
        return tf1.train.exponential_decay(0.1, step, 5, 0.5)

    model = build(kind, reference, table_size=3)
    with model.graph.as_default():
        hook = lrhooks.LearningRateSetterHook(schedule, model.rate)
        with tf1.train.MonitoredSession(hooks=[hook]) as sess:
            rows = run_and_record(sess, model, 12, extra_every=3)
    assert_exact(rows, schedule)


@pytest.mark.parametrize("kind", KINDS)
def test_first_run_after_restore_uses_schedule_at_restored_step(kind, tmp_path):
    ckpt_dir = str(tmp_path / "ckpt")
    model = build(kind, piecewise_reference, table_size=4)
    with model.graph.as_default():
        hook = lrhooks.LearningRateSetterHook(PIECEWISE, model.rate)
        with tf1.train.MonitoredTrainingSession(checkpoint_dir=ckpt_dir, hooks=[hook],
                                                save_summaries_steps=None,
                                                save_checkpoint_steps=1000) as sess:
            run_and_record(sess, model, 8)  # stops at step 8, inside the third piece
    # A new process would rebuild the graph: do the same.
    model = build(kind, piecewise_reference, table_size=4)
    with model.graph.as_default():
        hook = lrhooks.LearningRateSetterHook(PIECEWISE, model.rate)
        with tf1.train.MonitoredTrainingSession(checkpoint_dir=ckpt_dir, hooks=[hook],
                                                save_summaries_steps=None) as sess:
            rows = run_and_record(sess, model, 6)
    assert rows[0][0] == 8
    assert rows[0][1] == pytest.approx(PIECEWISE(8))  # not the initial 0.1
    assert_exact(rows, PIECEWISE, first_step=8)


@pytest.mark.parametrize("kind", ["placeholder", "variable", "graph"])
def test_hook_built_before_graph_resolves_name_in_begin(kind):
    name = None if kind == "graph" else "lr"
    hook = lrhooks.LearningRateSetterHook(PIECEWISE, name)  # no graph exists yet
    model = build(kind, piecewise_reference)
    with model.graph.as_default():
        with tf1.train.MonitoredSession(hooks=[hook]) as sess:
            rows = run_and_record(sess, model, 9)
    assert_exact(rows, PIECEWISE)


@pytest.mark.parametrize("name", ["lr", "lr:0"])
def test_tensor_name_forms(name):
    model = build("placeholder", piecewise_reference)
    with model.graph.as_default():
        hook = lrhooks.LearningRateSetterHook(PIECEWISE, name)
        with tf1.train.MonitoredSession(hooks=[hook]) as sess:
            assert_exact(run_and_record(sess, model, 5), PIECEWISE)


def test_variable_assigned_only_when_rate_changes_and_saved(tmp_path):
    model = build("variable", piecewise_reference)
    with model.graph.as_default():
        hook = lrhooks.LearningRateSetterHook(PIECEWISE, model.rate)
        with tf1.train.MonitoredTrainingSession(checkpoint_dir=str(tmp_path), hooks=[hook],
                                                save_summaries_steps=None) as sess:
            run_and_record(sess, model, 10)
    # Steps 0..9 span pieces 0.1 (initial value, no assign), 0.05 and 0.01: 2 assignments.
    assert hook.assignments == 2
    saved = tf.train.load_variable(str(tmp_path), "lr")
    assert saved == pytest.approx(PIECEWISE(9))


def test_graph_mode_follows_step_moved_outside_the_hooks():
    model = build("graph", piecewise_reference, table_size=4)
    with model.graph.as_default():
        bump = model.global_step.assign_add(5)
        hook = lrhooks.LearningRateSetterHook(PIECEWISE)
        with tf1.train.MonitoredSession(hooks=[hook]) as sess:
            run_and_record(sess, model, 2)
            # Another worker (or raw session code) moves the shared step: hooks do not see it.
            sess.run_step_fn(lambda step_context: step_context.session.run(bump))
            rows = run_and_record(sess, model, 8)
    assert_exact(rows, PIECEWISE, first_step=7)


@pytest.mark.parametrize("kind", ["placeholder", "variable"])
def test_fetch_tracking_notices_step_moved_outside_the_hooks(kind):
    model = build(kind, piecewise_reference)
    with model.graph.as_default():
        bump = model.global_step.assign_add(5)
        hook = lrhooks.LearningRateSetterHook(PIECEWISE, model.rate, step_tracking="fetch")
        with tf1.train.MonitoredSession(hooks=[hook]) as sess:
            run_and_record(sess, model, 2)
            sess.run_step_fn(lambda step_context: step_context.session.run(bump))
            sess.run(model.loss)  # the next hooked run fetches the moved step
            rows = run_and_record(sess, model, 6)
    assert_exact(rows, PIECEWISE, first_step=7)


@pytest.mark.parametrize("kind", ["placeholder", "variable"])
def test_hooked_run_that_assigns_the_step_is_followed(kind):
    model = build(kind, piecewise_reference)
    with model.graph.as_default():
        jump = model.global_step.assign_add(4)  # not a unit increment: read after the run
        hook = lrhooks.LearningRateSetterHook(PIECEWISE, model.rate)
        with tf1.train.MonitoredSession(hooks=[hook]) as sess:
            run_and_record(sess, model, 1)
            sess.run(jump)
            rows = run_and_record(sess, model, 6)
    assert_exact(rows, PIECEWISE, first_step=5)


def test_auto_tracking_picks_fetch_for_cluster_placed_step():
    with tf.Graph().as_default():
        with tf.device("/job:ps/task:0"):
            tf1.train.get_or_create_global_step()
        lr = tf1.placeholder(tf.float32, [])
        hook = lrhooks.LearningRateSetterHook(PIECEWISE, lr)
        hook.begin()
        assert hook.step_tracking == "fetch"
    with tf.Graph().as_default():
        tf1.train.get_or_create_global_step()
        lr = tf1.placeholder(tf.float32, [])
        hook = lrhooks.LearningRateSetterHook(PIECEWISE, lr)
        hook.begin()
        assert hook.step_tracking == "count"


def test_constant_at_its_own_value_is_not_fed():
    # Feeding only when needed: the constant is 0.1 == PIECEWISE(0..3).
    model = build("constant", piecewise_reference)
    with model.graph.as_default():
        hook = lrhooks.LearningRateSetterHook(PIECEWISE, model.rate)
        with tf1.train.MonitoredSession(hooks=[hook]) as sess:
            feeds = []
            original = hook.before_run

            def spy(ctx):
                args = original(ctx)
                if ctx.original_args.fetches is model.train_op:
                    feeds.append(bool(args is not None and args.feed_dict))
                return args

            hook.before_run = spy
            run_and_record(sess, model, 6)
    assert feeds == [False, False, False, False, True, True]


# ------------------------------------------------------------------ errors
def test_no_global_step_raises_with_how_to_create_one():
    with tf.Graph().as_default():
        lr = tf1.placeholder(tf.float32, [])
        hook = lrhooks.LearningRateSetterHook(PIECEWISE, lr)
        with pytest.raises(RuntimeError, match=r"needs a global step.*get_or_create_global_step"):
            hook.begin()


def test_unknown_name_lists_close_names():
    model = build("placeholder")
    with model.graph.as_default():
        hook = lrhooks.LearningRateSetterHook(PIECEWISE, "lrr")
        with pytest.raises(ValueError, match=r"`learning_rate` 'lrr' is not a tensor.*close names: lr"):
            hook.begin()


def test_unknown_name_without_close_names():
    model = build("placeholder")
    with model.graph.as_default():
        hook = lrhooks.LearningRateSetterHook(PIECEWISE, "zzzzzzzz")
        with pytest.raises(ValueError, match=r"'zzzzzzzz' is not a tensor or variable in the graph$"):
            hook.begin()


@pytest.mark.parametrize("make, pattern", [
    (lambda: tf1.placeholder(tf.int32, [], name="lr"), r"must be a float scalar, got dtype int32"),
    (lambda: tf1.placeholder(tf.float32, [2], name="lr"), r"must be a float scalar, got shape \(2,\)"),
])
def test_rate_must_be_float_scalar(make, pattern):
    with tf.Graph().as_default():
        tf1.train.get_or_create_global_step()
        hook = lrhooks.LearningRateSetterHook(PIECEWISE, make())
        with pytest.raises(ValueError, match=pattern):
            hook.begin()


def test_rate_must_be_feedable():
    with tf.Graph().as_default() as graph:
        tf1.train.get_or_create_global_step()
        lr = tf.identity(tf1.placeholder(tf.float32, []), name="lr")
        graph.prevent_feeding(lr)
        hook = lrhooks.LearningRateSetterHook(PIECEWISE, lr)
        with pytest.raises(ValueError, match=r"`learning_rate` 'lr:0' cannot be fed"):
            hook.begin()


def test_rate_from_another_graph():
    other = build("placeholder")
    model = build("placeholder")
    with model.graph.as_default():
        hook = lrhooks.LearningRateSetterHook(PIECEWISE, other.rate)
        with pytest.raises(ValueError, match=r"belongs to another graph"):
            hook.begin()
    with model.graph.as_default():
        var_model = build("variable")
        hook = lrhooks.LearningRateSetterHook(PIECEWISE, var_model.rate)
        with pytest.raises(ValueError, match=r"variable 'lr' belongs to another graph"):
            hook.begin()


def test_no_rate_in_collection():
    model = build("placeholder")
    with model.graph.as_default():
        hook = lrhooks.LearningRateSetterHook(PIECEWISE)
        with pytest.raises(RuntimeError, match=r"no rate tensor made by lrhooks.learning_rate\(\)"):
            hook.begin()


def test_two_rates_in_collection():
    with tf.Graph().as_default():
        tf1.train.get_or_create_global_step()
        lrhooks.learning_rate(name="a")
        lrhooks.learning_rate(name="b")
        hook = lrhooks.LearningRateSetterHook(PIECEWISE)
        with pytest.raises(RuntimeError,
                           match=r"has 2 rate tensors \(a_window/a:0, b_window/b:0\)"):
            hook.begin()


def test_one_rate_tensor_one_hook():
    with tf.Graph().as_default():
        tf1.train.get_or_create_global_step()
        lrhooks.learning_rate()
        lrhooks.LearningRateSetterHook(PIECEWISE).begin()
        with pytest.raises(ValueError, match=r"already driven by another LearningRateSetterHook"):
            lrhooks.LearningRateSetterHook(PIECEWISE).begin()


@pytest.mark.parametrize("args, kwargs, error, pattern", [
    ((0.1,), {}, TypeError, r"`schedule` must be callable.*got 0.1.*schedules.constant"),
    ((PIECEWISE, 3), {}, TypeError, r"`learning_rate` must be a tf.Tensor.*got int: 3"),
    ((PIECEWISE,), {"step_tracking": "always"}, ValueError,
     r"^`step_tracking` must be one of 'auto', 'count', 'fetch', got 'always'$"),
])
def test_constructor_errors(args, kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        lrhooks.LearningRateSetterHook(*args, **kwargs)


def test_learning_rate_helper_errors():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match=r"`table_size` must be an integer > 0, got 0"):
            lrhooks.learning_rate(table_size=0)
        with pytest.raises(ValueError, match=r"`dtype` must be a floating dtype, got int32"):
            lrhooks.learning_rate(dtype=tf.int32)


def test_graph_rate_without_hook_says_so():
    model = build("graph")
    with model.graph.as_default():
        with tf1.train.MonitoredSession() as sess:
            with pytest.raises(tf.errors.InvalidArgumentError,
                               match=r"UnscheduledValueError: scheduled value "
                                     r"'learning_rate_window/learning_rate:0' has no schedule: "
                                     r"make it with `lrhooks.learning_rate\(schedule=...\)`"):
                sess.run(model.train_op)


class _BadAt:
    """A schedule that is fine until `step`, then gives `value`."""

    def __init__(self, step, value):
        self.step, self.value = step, value

    def __call__(self, step):
        return self.value if step >= self.step else 0.1

    def __repr__(self):
        return f"BadAt({self.step}, {self.value})"


@pytest.mark.parametrize("value", [math.nan, math.inf, -0.5])
@pytest.mark.parametrize("kind", ["placeholder", "variable"])
def test_bad_schedule_value_raises_at_that_step(kind, value):
    model = build(kind)
    with model.graph.as_default():
        hook = lrhooks.LearningRateSetterHook(_BadAt(4, value), model.rate)
        with tf1.train.MonitoredSession(hooks=[hook]) as sess:
            for _ in range(4):
                sess.run(model.train_op)
            with pytest.raises(ValueError, match=rf"schedule BadAt\(4, {value}\) gave {value} at "
                                                 r"step 4; a learning rate must be finite and >= 0"):
                sess.run(model.train_op)
            # The bad step never trained (read past the hooks, which keep refusing step 4).
            step = sess.run_step_fn(
                lambda step_context: step_context.session.run(model.global_step))
            assert step == 4


@pytest.mark.parametrize("value", [math.nan, -1.0])
def test_bad_schedule_value_in_graph_mode_raises_at_that_step(value):
    model = build("graph", table_size=16)
    with model.graph.as_default():
        hook = lrhooks.LearningRateSetterHook(_BadAt(6, value), model.rate)
        with tf1.train.MonitoredSession(hooks=[hook]) as sess:
            for _ in range(6):
                sess.run(model.train_op)
            with pytest.raises(tf.errors.OpError,
                               match=rf"BadAt\(6, {value}\) gave {value} at step 6"):
                sess.run(model.train_op)


class _Switchable:
    """A stateful schedule: `version` changes when its rates do."""

    def __init__(self):
        self.rate, self.version = 0.1, 0

    def __call__(self, step):
        return self.rate

    def set(self, rate):
        self.rate, self.version = rate, self.version + 1


@pytest.mark.parametrize("kind", KINDS)
def test_stateful_schedule_change_applies_to_the_next_run(kind):
    schedule = _Switchable()
    model = build(kind)
    with model.graph.as_default():
        hook = lrhooks.LearningRateSetterHook(schedule, model.rate)
        with tf1.train.MonitoredSession(hooks=[hook]) as sess:
            rows = run_and_record(sess, model, 3)
            schedule.set(0.02)
            rows += run_and_record(sess, model, 3)
    assert [round(r[1], 6) for r in rows] == [0.1, 0.1, 0.1, 0.02, 0.02, 0.02]
