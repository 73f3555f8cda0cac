"""The contract every hook of lrhooks keeps, checked against each of them.

1. It can be built before its graph exists (tensors given by name are resolved in `begin()`).
2. `begin()` in a graph without a global step raises a one-line RuntimeError naming the fix.
3. It works in a `MonitoredTrainingSession` across two sessions: a restarted job (a new graph,
   a new hook, the same checkpoint directory) continues from the restored step.
4. `end()` is safe, also in a session that ran nothing.
5. It fetches nothing with the runs that are not due (where that is its promise).

A new hook gets a `Case` in `CASES`.
"""

import dataclasses
from typing import Any, Callable, List, Optional

import pytest
import tensorflow as tf

import lrhooks
from lrhooks import schedules
from lrhooks.graph import rate_tensor
from lrhooks.hooks import plateau
from lrhooks.hooks import range_test
from tests.support import events
from tests.support.graphs import TinyModel, build

tf1 = tf.compat.v1
SCHEDULE = schedules.piecewise_constant([2, 4], [0.1, 0.05, 0.01])
FIRST_RUNS, SECOND_RUNS = 3, 3  # steps 0..3, then 3..6 after the restore


@dataclasses.dataclass
class Case:
    """How to build one hook and what it must have done after the two sessions.

    Attributes:
      kind: The rate of the tiny model (`tests.support.graphs.KINDS`).
      make: `make(model, logdir, seen) -> hook`; names tensors by name where it can (1.).
      check: `check(hook, model, logdir, seen)` after the second session; `seen` is a list
        the hook's output (log lines) was appended to.
      fetches_when: Over 10 runs from step 0, the 1-based runs whose `before_run` may fetch
        something; None: the hook fetches on every run (its promise).
      with_setter: Whether the session also needs a `LearningRateSetterHook` for the rate.
    """

    kind: str
    make: Callable[..., Any]
    check: Callable[..., None]
    fetches_when: Optional[List[int]]
    with_setter: bool = True


def _check_setter(hook, model, logdir, seen):
    # The last run of the second session started at step 5 and applied SCHEDULE(5).
    assert seen[-1] == (5, pytest.approx(SCHEDULE(5)))


def _check_log(hook, model, logdir, seen):
    # The first run of each session and every 2nd step: 1, 2 | 4, 6.
    assert [line.split()[1] for line in seen] == ["1", "2", "4", "6"]


def _check_summary(hook, model, logdir, seen):
    series = dict(events.scalar_points(logdir, "learning_rate"))
    assert sorted(series) == [1, 2, 4, 6]
    assert all(value == pytest.approx(SCHEDULE(label - 1)) for label, value in series.items())


def _check_plateau(hook, model, logdir, seen):
    # Reports at steps 2 | 4, 6; the second session's schedule started from the checkpoint.
    assert hook.schedule.reports == 3


def _check_range_test(hook, model, logdir, seen):
    assert [r.step for r in hook.records] == [3, 4, 5]
    assert [r.rate for r in hook.records] == [hook._schedule(s) for s in (3, 4, 5)]


def _log_hook(model, logdir, seen):
    return lrhooks.TrainingLogHook("loss", every_n_steps=2, progress="never",
                                   log_fn=seen.append)


def _rate_log_hook(model, logdir, seen):
    return lrhooks.TrainingLogHook(every_n_steps=2, progress="never", log_fn=seen.append)


CASES = {
    "setter-graph": Case("graph", lambda m, d, s: lrhooks.LearningRateSetterHook(SCHEDULE),
                         _check_setter, [], with_setter=False),
    "setter-variable": Case("variable", lambda m, d, s: lrhooks.LearningRateSetterHook(
        SCHEDULE, "lr"), _check_setter, [], with_setter=False),
    "setter-feed": Case("placeholder", lambda m, d, s: lrhooks.LearningRateSetterHook(
        SCHEDULE, "lr"), _check_setter, [], with_setter=False),
    # The running mean of the loss needs it from every run that trains.
    "TrainingLogHook": Case("graph", _log_hook, _check_log, None),
    "TrainingLogHook-rate-only": Case("graph", _rate_log_hook, _check_log, [1, 2, 4, 6, 8, 10]),
    "LearningRateSummaryHook": Case("graph", lambda m, d, s: lrhooks.LearningRateSummaryHook(
        str(d), every_n_steps=2), _check_summary, [1, 2, 4, 6, 8, 10]),
    "SummarySaverHook": Case("graph", lambda m, d, s: lrhooks.SummarySaverHook(
        save_steps=2, output_dir=str(d)), _check_summary, [1, 2, 4, 6, 8, 10]),
    "PlateauHook": Case("graph", lambda m, d, s: plateau.PlateauHook(
        plateau.ReduceLROnPlateau(0.1, patience=100), "loss", every_n_steps=2),
        _check_plateau, [2, 4, 6, 8, 10]),
    "LRRangeTestHook": Case("graph", lambda m, d, s: range_test.LRRangeTestHook(
        range_test.range_test_schedule(1e-3, 1.0, 100), "loss"), _check_range_test, None),
}


def _loss_name(model: TinyModel) -> None:
    """Names the loss `loss`; a graph rate also gets its summary (for SummarySaverHook)."""
    with model.graph.as_default():
        tf.identity(model.loss, name="loss")
        if isinstance(model.rate, tf.Tensor) and rate_tensor.source_of(model.rate):
            lrhooks.rate_summary(model.rate)


def _hooks(case: Case, hook) -> list:
    return [lrhooks.LearningRateSetterHook(SCHEDULE), hook] if case.with_setter else [hook]


def _read_record(model: TinyModel):
    """A step_fn reading (step the last run started at, rate it applied), past the hooks."""
    def step_fn(step_context):
        return step_context.session.run([model.started_at, model.applied])
    return step_fn


def _train(case, hook, model, checkpoint_dir, runs, seen):
    with model.graph.as_default():
        with tf1.train.MonitoredTrainingSession(
                checkpoint_dir=str(checkpoint_dir), hooks=_hooks(case, hook),
                save_summaries_steps=None, save_checkpoint_steps=1000) as sess:
            for _ in range(runs):
                sess.run(model.train_op)
                if not case.with_setter:  # the setter cases record the rate each run applied
                    seen.append(tuple(sess.run_step_fn(_read_record(model))))


@pytest.mark.parametrize("name", CASES)
def test_built_before_the_graph_and_restored_across_two_sessions(name, tmp_path):
    case, seen = CASES[name], []
    logdir, checkpoint_dir = tmp_path / "logs", tmp_path / "ckpt"
    hook = case.make(None, logdir, seen)  # no graph yet
    model = build(case.kind)
    _loss_name(model)
    _train(case, hook, model, checkpoint_dir, FIRST_RUNS, seen)
    # A restarted job: a new graph and a new hook, the same checkpoint directory.
    hook = case.make(None, logdir, seen)
    model = build(case.kind)
    _loss_name(model)
    _train(case, hook, model, checkpoint_dir, SECOND_RUNS, seen)
    assert tf.train.load_variable(str(checkpoint_dir), "global_step") == 6
    case.check(hook, model, logdir, seen)


@pytest.mark.parametrize("name", CASES)
def test_begin_without_a_global_step_names_the_fix(name, tmp_path):
    case = CASES[name]
    hook = case.make(None, tmp_path, [])
    with tf.Graph().as_default():
        tf.constant(1.0, name="loss")
        tf1.placeholder(tf.float32, [], name="lr")
        if case.kind == "graph":
            tf1.get_variable("table", initializer=0.0)  # no lrhooks.learning_rate() possible
        with pytest.raises(RuntimeError, match=r"needs a global step in the graph, but there is "
                           r"none: create it with `tf\.compat\.v1\.train\."
                           r"get_or_create_global_step\(\)`"):
            hook.begin()


@pytest.mark.parametrize("name", CASES)
def test_end_is_safe_in_a_session_that_ran_nothing(name, tmp_path):
    case, seen = CASES[name], []
    hook = case.make(None, tmp_path, seen)
    model = build(case.kind)
    _loss_name(model)
    with model.graph.as_default():
        with tf1.train.MonitoredTrainingSession(hooks=_hooks(case, hook),
                                                save_summaries_steps=None) as sess:
            assert not sess.should_stop()
    assert seen == []
    with model.graph.as_default():  # and once more, in a plain session
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            hook.end(session)


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if c.fetches_when is not None])
def test_no_fetch_with_the_runs_that_are_not_due(name, tmp_path):
    case = CASES[name]
    hook = case.make(None, tmp_path, [])
    model = build(case.kind)
    _loss_name(model)
    fetching_runs = []
    original = hook.before_run

    def spy(run_context):
        args = original(run_context)
        if args is not None and args.fetches is not None and args.fetches != []:
            fetching_runs.append(len(runs) + 1)
        return args

    hook.before_run = spy
    runs = []
    with model.graph.as_default():
        with tf1.train.MonitoredTrainingSession(hooks=_hooks(case, hook),
                                                save_summaries_steps=None) as sess:
            for _ in range(10):
                sess.run(model.train_op)
                runs.append(None)
    assert fetching_runs == case.fetches_when
    assert len(runs) == 10
