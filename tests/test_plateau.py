"""ReduceLROnPlateau (PyTorch's rules) and PlateauHook (reports, checkpointed state)."""

import contextlib
import math

import numpy as np
import pytest
import tensorflow as tf

import lrhooks
from lrhooks.hooks.plateau import PlateauHook, ReduceLROnPlateau
from tests.support.graphs import build

tf1 = tf.compat.v1
NAN = math.nan

# (arguments, initial rate, metrics, rates after each report, num_bad after each,
# cooldown_counter after each). Produced by torch.optim.lr_scheduler.ReduceLROnPlateau
# 2.13 with the same arguments (checked in a scratch script; the tests do not import torch).
GOLDEN = {
    "min_rel": (dict(mode="min", factor=0.5, patience=2, threshold=0.1, threshold_mode="rel"),
                1.0, [10, 9.5, 9.2, 9.05, 8.0, 7.9, 7.5, 7.3, 7.2, 7.1, 6.0],
                [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25],
                [0, 1, 2, 0, 0, 1, 2, 0, 1, 0, 0], [0] * 11),
    "min_abs": (dict(mode="min", factor=0.5, patience=1, threshold=0.5, threshold_mode="abs"),
                1.0, [10, 9.6, 9.4, 9.0, 8.9, 8.8, 8.7],
                [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5], [0, 1, 0, 1, 0, 0, 1], [0] * 7),
    "max_rel": (dict(mode="max", factor=0.1, patience=1, threshold=0.01, threshold_mode="rel"),
                0.1, [0.5, 0.6, 0.605, 0.7, 0.706, 0.7, 0.71, 0.9],
                [0.1] * 5 + [0.1 * 0.1] * 3, [0, 0, 1, 0, 1, 0, 0, 0], [0] * 8),
    "max_abs": (dict(mode="max", factor=0.5, patience=0, threshold=0.05, threshold_mode="abs"),
                0.8, [0.5, 0.6, 0.64, 0.7, 0.74, 0.8],
                [0.8, 0.8, 0.4, 0.4, 0.2, 0.2], [0] * 6, [0] * 6),
    "cooldown": (dict(mode="min", factor=0.5, patience=1, threshold=0.0, cooldown=2),
                 1.0, [5, 5, 5, 5, 5, 5, 5, 5, 5, 4, 4, 4],
                 [1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.25, 0.125],
                 [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0], [0, 0, 2, 1, 0, 0, 2, 1, 0, 0, 0, 2]),
    "min_lr": (dict(mode="min", factor=0.1, patience=0, threshold=0.0, min_lr=0.003),
               1.0, [1, 1, 1, 1, 1], [1.0, 0.1, 0.1 * 0.1, 0.003, 0.003], [0] * 5, [0] * 5),
    "eps": (dict(mode="min", factor=0.5, patience=0, threshold=0.0, eps=0.1),
            1.0, [1] * 6, [1.0, 0.5, 0.25, 0.125, 0.125, 0.125], [0] * 6, [0] * 6),
    "nan_is_bad": (dict(mode="min", factor=0.5, patience=1, threshold=0.0),
                   1.0, [NAN, 3.0, NAN, NAN, 2.0, NAN],
                   [1.0, 1.0, 1.0, 0.5, 0.5, 0.5], [1, 0, 1, 0, 0, 1], [0] * 6),
}


@pytest.mark.parametrize("case", sorted(GOLDEN))
def test_golden_sequences_match_pytorch(case):
    kwargs, rate, metrics, rates, bads, cooldowns = GOLDEN[case]
    schedule = ReduceLROnPlateau(rate, **kwargs)
    seen = []
    for i, value in enumerate(metrics):
        before = schedule.version
        reduced = schedule.report(value)
        assert reduced == (schedule.rate != (rates[i - 1] if i else rate))
        assert schedule.version == before + reduced
        seen.append((schedule(1000 + i), schedule.num_bad, schedule.cooldown_counter))
    assert seen == list(zip(rates, bads, cooldowns))
    assert schedule.reports == len(metrics)


def test_state_round_trip_and_repr():
    schedule = ReduceLROnPlateau(0.1, factor=0.5, patience=0, cooldown=3)
    assert schedule.state() == {"best": math.inf, "num_bad": 0, "cooldown_counter": 0,
                                "rate": 0.1, "reports": 0}
    schedule.report(1.0)
    schedule.report(2.0)
    state = schedule.state()
    assert state == {"best": 1.0, "num_bad": 0, "cooldown_counter": 3, "rate": 0.05,
                     "reports": 2}
    other = ReduceLROnPlateau(0.1, factor=0.5, patience=0, cooldown=3)
    other.load_state({k: np.float64(v) for k, v in state.items()})  # as read from a variable
    assert other.state() == state and other.version == 1 and other(0) == 0.05
    assert repr(other) == (
        "ReduceLROnPlateau(learning_rate=0.1, mode='min', factor=0.5, patience=0, "
        "threshold=0.0001, threshold_mode='rel', cooldown=3, min_lr=0.0, eps=1e-08) "
        "[rate=0.05, best=1.0, num_bad=0, cooldown_counter=3, reports=2]")
    assert isinstance(other, lrhooks.schedules.Schedule)


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(learning_rate="0.1"), TypeError, r"^`learning_rate` must be a finite number >= 0, "),
    (dict(learning_rate=-1.0), ValueError, r"^`learning_rate` must be a finite number >= 0, "),
    (dict(mode="mean"), ValueError, r"^`mode` must be one of 'min', 'max', got 'mean'$"),
    (dict(factor=1.0), ValueError, r"^`factor` must be a finite number in \(0, 1\), got 1.0$"),
    (dict(factor=0), ValueError, r"^`factor` must be a finite number in \(0, 1\), got 0.0$"),
    (dict(factor=True), TypeError, r"^`factor` must be a finite number in \(0, 1\), got True$"),
    (dict(patience=-1), ValueError, r"^`patience` must be an integer >= 0, got -1$"),
    (dict(patience=2.0), TypeError, r"^`patience` must be an integer >= 0, got 2.0$"),
    (dict(threshold=NAN), ValueError, r"^`threshold` must be a finite number >= 0, got nan$"),
    (dict(threshold_mode="pct"), ValueError, r"^`threshold_mode` must be one of 'rel', 'abs'"),
    (dict(cooldown=-2), ValueError, r"^`cooldown` must be an integer >= 0, got -2$"),
    (dict(min_lr=-0.1), ValueError, r"^`min_lr` must be a finite number >= 0, got -0.1$"),
    (dict(eps=math.inf), ValueError, r"^`eps` must be a finite number >= 0, got inf$"),
])
def test_argument_errors(kwargs, error, message):
    kwargs = {"learning_rate": 0.1, **kwargs}
    with pytest.raises(error, match=message):
        ReduceLROnPlateau(**kwargs)


def test_report_and_load_state_errors():
    schedule = ReduceLROnPlateau(0.1)
    with pytest.raises(TypeError, match=r"^`value` must be a real number, got 'low'$"):
        schedule.report("low")
    with pytest.raises(TypeError, match=r"^`value` must be a real number, got True$"):
        schedule.report(True)
    good = schedule.state()
    with pytest.raises(ValueError, match=r"^`state` lacks best, rate; expected the keys "):
        schedule.load_state({"num_bad": 0, "cooldown_counter": 0, "reports": 1})
    with pytest.raises(ValueError, match=r"^`state` num_bad must be an integer >= 0, got 1.5$"):
        schedule.load_state({**good, "num_bad": 1.5})
    with pytest.raises(ValueError, match=r"^`state` best must be a number or an infinity"):
        schedule.load_state({**good, "best": NAN})
    with pytest.raises(ValueError, match=r"^`state` rate gave -1.0; a learning rate must be "
                       r"finite and >= 0$"):
        schedule.load_state({**good, "rate": -1.0})
    with pytest.raises(ValueError, match=r"^`state` rate gave nan; a learning rate must be "):
        schedule.load_state({**good, "rate": NAN})
    with pytest.raises(TypeError, match=r"^`step` must be an integer >= 0, got 1.5$"):
        schedule(1.5)


# ------------------------------------------------------------------ the hook
def add_metric(graph):
    """A float metric variable the test sets (without running the hooks)."""
    with graph.as_default():
        metric = tf1.get_variable("metric", initializer=tf.constant(1.0), trainable=False)
        feed = tf1.placeholder(tf.float32, [])
        assign = metric.assign(feed, read_value=False)
    return metric, lambda sess, value: sess.run_step_fn(
        lambda step_context: step_context.session.run(assign, {feed: value}))


def train(sess, model, runs):
    """Runs `runs` training runs; returns the rates the optimizer applied."""
    rates = []
    for _ in range(runs):
        sess.run(model.train_op)
        rates.append(round(float(sess.run_step_fn(
            lambda step_context: step_context.session.run(model.applied))), 7))
    return rates


@contextlib.contextmanager
def session(model, checkpoint_dir, hooks, chief_only_hooks=None, save_steps=1000):
    with model.graph.as_default():
        with tf1.train.MonitoredTrainingSession(
                checkpoint_dir=str(checkpoint_dir), hooks=hooks, chief_only_hooks=chief_only_hooks,
                save_summaries_steps=None, save_checkpoint_steps=save_steps) as sess:
            yield sess


def make(kind, metric_every=1):
    model = build(kind)
    metric, set_metric = add_metric(model.graph)
    schedule = ReduceLROnPlateau(0.1, factor=0.5, patience=1)
    hooks = [lrhooks.LearningRateSetterHook(schedule, model.rate),
             PlateauHook(schedule, metric, every_n_steps=metric_every)]
    return model, schedule, hooks, set_metric


@pytest.mark.parametrize("kind", ["graph", "variable", "placeholder"])
@pytest.mark.parametrize("plateau_first", [False, True])
def test_rate_drops_after_patience_and_state_survives_restart(kind, plateau_first, tmp_path):
    model, schedule, hooks, set_metric = make(kind)
    with session(model, tmp_path, hooks[::-1] if plateau_first else hooks) as sess:
        set_metric(sess, 1.0)
        # Reports after runs 1..4: best 1.0, bad 1, bad 2 > patience -> 0.05, bad 1.
        assert train(sess, model, 4) == [0.1, 0.1, 0.1, 0.05]
    assert schedule.state() == {"best": 1.0, "num_bad": 1, "cooldown_counter": 0,
                                "rate": 0.05, "reports": 4}
    saved = tf.train.load_variable(tf.train.latest_checkpoint(str(tmp_path)),
                                   "lrhooks_plateau/state")
    assert saved.tolist() == [1.0, 1.0, 0.0, 0.05, 4.0]

    # A new process: new graph, new schedule with the same arguments, the other hook order.
    model, schedule, hooks, set_metric = make(kind)
    with session(model, tmp_path, hooks if plateau_first else hooks[::-1]) as sess:
        assert schedule.state() == {"best": 1.0, "num_bad": 1, "cooldown_counter": 0,
                                    "rate": 0.05, "reports": 4}
        set_metric(sess, 2.0)
        # The first run after the restore trains at the reduced rate; its report is bad 2
        # (-> 0.025), then bad 1, bad 2 (-> 0.0125).
        assert train(sess, model, 3) == [0.05, 0.025, 0.025]
        set_metric(sess, 0.5)
        assert train(sess, model, 1) == [0.0125]
    assert schedule.state() == {"best": 0.5, "num_bad": 0, "cooldown_counter": 0,
                                "rate": 0.0125, "reports": 8}


def test_reports_every_n_steps_only(tmp_path):
    model, schedule, hooks, set_metric = make("graph", metric_every=3)
    with session(model, tmp_path, hooks) as sess:
        values = iter([5.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0])
        for _ in range(8):
            set_metric(sess, next(values))
            sess.run(model.train_op)
            sess.run(model.loss)  # runs that do not train add no reports
    # Reports at steps 3 and 6 only (metric 4.0 both times): best 4.0, one bad.
    assert (schedule.reports, schedule.best, schedule.num_bad) == (2, 4.0, 1)
    # Restarted at step 8: the session's first run (to step 9) is a multiple, reported.
    model, schedule, hooks, set_metric = make("graph", metric_every=3)
    with session(model, tmp_path, hooks) as sess:
        assert train(sess, model, 2) == [0.1, 0.05]
    assert (schedule.reports, schedule.rate) == (3, 0.05)


def test_program_reports_directly(tmp_path):
    model = build("graph")
    schedule = ReduceLROnPlateau(0.1, mode="max", factor=0.1, patience=0)
    plateau = PlateauHook(schedule)  # no metric: the program reports (e.g. an evaluation)
    hooks = [lrhooks.LearningRateSetterHook(schedule), plateau]
    with session(model, tmp_path, hooks) as sess:
        rates = train(sess, model, 2)
        schedule.report(0.9)  # evaluation precision
        rates += train(sess, model, 2)
        assert schedule.report(0.85) is True
        rates += train(sess, model, 1)
        schedule.report(0.95)  # after the last run: stored in end(), after the final save
    assert rates == [0.1, 0.1, 0.1, 0.1, 0.01]
    assert plateau.writes == 3
    saved = tf.train.load_variable(tf.train.latest_checkpoint(str(tmp_path)),
                                   "lrhooks_plateau/state")
    assert saved.tolist() == pytest.approx([0.9, 0.0, 0.0, 0.01, 2.0])


def test_chief_only_hooks_put_each_report_in_its_step_checkpoint(tmp_path):
    model, schedule, hooks, set_metric = make("variable")
    with session(model, tmp_path, hooks[:1], chief_only_hooks=hooks[1:], save_steps=2) as sess:
        set_metric(sess, 1.0)
        train(sess, model, 3)
    saved = tf.train.load_variable(str(tmp_path / "model.ckpt-2"), "lrhooks_plateau/state")
    assert saved.tolist()[-1] == 2.0  # the report of the run to step 2 is in checkpoint 2


def test_hook_errors():
    schedule = ReduceLROnPlateau(0.1)
    with pytest.raises(TypeError, match=r"^`schedule` must be a lrhooks.plateau."):
        PlateauHook(lambda step: 0.1)
    with pytest.raises(TypeError, match=r"^`metric` must be a tf.Tensor, .*got float: 1.0$"):
        PlateauHook(schedule, 1.0)
    with pytest.raises(ValueError, match=r"^`every_n_steps` must be an integer > 0, got 0$"):
        PlateauHook(schedule, "loss", every_n_steps=0)
    with pytest.raises(TypeError, match=r"^`every_n_steps` must be an integer > 0, got True$"):
        PlateauHook(schedule, "loss", every_n_steps=True)
    with pytest.raises(ValueError, match=r"^`name` must be a non-empty string, got ''$"):
        PlateauHook(schedule, name="")
    model = build("graph")
    with model.graph.as_default():
        tf.zeros([3], name="vector")
        with pytest.raises(ValueError, match=r"^`metric` 'los' is not a tensor .*close names"):
            PlateauHook(schedule, "los").begin()
        with pytest.raises(ValueError, match=r"^`metric` 'vector:0' must be a real scalar"):
            PlateauHook(schedule, "vector").begin()
        PlateauHook(schedule).begin()
        with pytest.raises(ValueError, match=r"^a variable 'lrhooks_plateau/state' already "):
            PlateauHook(schedule).begin()
    with tf.Graph().as_default():
        loss = tf.constant(1.0, name="loss")
        with pytest.raises(RuntimeError, match=r"^PlateauHook needs a global step"):
            PlateauHook(schedule, loss).begin()
