"""A stateful schedule inside a composition: its changes reach the optimizer.

`product([reduce_lr_on_plateau(...), ...])`, `warmup(plateau, ...)`, ...: the
composition's `version` follows the plateau's, so every way of serving the rate
(the self-driving window, the setter hook's graph, variable and feed modes)
applies each reduction from the next run on, and the flag language writes and
reads such compositions. The rates are measured at the apply op
(`tests.support.recording.RecordingMomentum`).
"""

import pytest
import tensorflow as tf

import lrhooks
from lrhooks import schedules as S
from lrhooks.hooks.plateau import PlateauHook
from lrhooks.spec import SpecError, from_spec, spec
from tests.support.recording import RecordingMomentum

tf1 = tf.compat.v1

COMPOSITIONS = {
    "product": lambda p: S.product([p, S.cosine_decay(1.0, 20)]),
    "join_schedules": lambda p: S.join_schedules([S.constant(0.5), p], [2]),
    "warmup": lambda p: S.warmup(p, 2),
    "sequential": lambda p: S.sequential([(3, S.constant(0.3))], final=S.scaled(p, 2.0)),
    "linear_scaling": lambda p: S.linear_scaling(p, 512, 256),
    "polynomial_warmup(product)": lambda p: S.polynomial_warmup(
        S.product([S.constant(2.0), p]), 2),
}


def plateau():
    return S.reduce_lr_on_plateau(1.0, factor=0.1, patience=0)


def test_a_composition_s_version_follows_the_plateau_inside():
    inner = plateau()
    schedule = S.warmup(S.product([S.constant(0.5), inner]), 2)
    assert S.stateful_parts(schedule) == (inner,)
    assert S.stateful_parts(S.product([S.constant(1.0)])) == ()
    assert not hasattr(S.product([S.constant(1.0)]), "version")  # pure: no version
    before = schedule.version
    inner.report(1.0)  # the first report sets `best`: no reduction
    assert schedule.version == before
    inner.report(1.0)
    assert schedule.version != before and schedule(5) == pytest.approx(0.05)


def run(kind: str, make, steps: int = 6, hook_reports: bool = False,
        plateau_hook: bool = True):
    """Trains `steps` runs; after each, an evaluation run and a report by the program
    (or, with `hook_reports`, by the `PlateauHook`, of a metric it fetches). Without
    `plateau_hook`, only the setter hook sees the reports (through the composition's version).

    Returns (rates at the apply op, rates the same composition gives in Python).
    """
    inner = plateau()
    schedule = make(inner)
    with tf.Graph().as_default():
        global_step = tf1.train.get_or_create_global_step()
        if kind == "self-driving":
            rate = lrhooks.learning_rate(schedule=schedule)
        elif kind == "graph":
            rate = lrhooks.learning_rate()
        elif kind == "variable":
            rate = tf1.get_variable("rate", initializer=0.0, trainable=False, use_resource=True)
        else:
            rate = tf1.placeholder_with_default(0.0, [], name="rate")
        weight = tf1.get_variable("w", initializer=1.0)
        loss = tf.square(weight - 3.0)
        optimizer = RecordingMomentum(rate, 0.9, global_step)
        train_op = optimizer.minimize(loss, global_step=global_step)
        metric = tf.constant(1.0) if hook_reports else None  # None: the program reports
        hooks = [PlateauHook(inner, metric, every_n_steps=1)] if plateau_hook else []
        if kind != "self-driving":
            hooks.append(lrhooks.LearningRateSetterHook(schedule, rate))
        with tf1.train.MonitoredTrainingSession(hooks=hooks) as sess:
            for _ in range(steps):
                sess.run(train_op)
                sess.run(loss)  # the evaluation: a run that does not train
                if not hook_reports:
                    inner.report(1.0)  # reductions from the second report on
    twin = plateau()
    expected, made = [], make(twin)
    for step in range(steps):
        expected.append(made(step))
        twin.report(1.0)
    records = optimizer.sorted_records()
    assert [r[0] for r in records] == list(range(steps))
    return [r[1] for r in records], expected


@pytest.mark.parametrize("name", sorted(COMPOSITIONS))
@pytest.mark.parametrize("kind", ["self-driving", "graph", "variable", "feed"])
def test_each_reduction_reaches_the_apply_op(kind, name):
    applied, expected = run(kind, COMPOSITIONS[name])
    assert len(set(expected)) > 2  # the plateau reduced the composition's rate
    assert applied == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("kind", ["self-driving", "graph"])
def test_each_reduction_the_hook_reports_reaches_the_apply_op(kind):
    applied, expected = run(kind, COMPOSITIONS["product"], hook_reports=True)
    assert len(set(expected)) > 2
    assert applied == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("kind", ["graph", "variable", "feed"])
def test_the_setter_hook_alone_follows_the_composition_s_version(kind):
    applied, expected = run(kind, COMPOSITIONS["warmup"], plateau_hook=False)
    assert len(set(expected)) > 2
    assert applied == pytest.approx(expected, rel=1e-6)


def test_plateau_hook_reports_to_the_plateau_inside_a_composition():
    inner = plateau()
    schedule = S.product([S.constant(0.5), inner])
    assert PlateauHook(schedule).schedule is inner
    with pytest.raises(TypeError, match=r"^`schedule` must be a lrhooks.plateau."
                       r"ReduceLROnPlateau or a schedule holding exactly one, got product\(.*"
                       r"\(it holds 2 stateful schedules\)$"):
        PlateauHook(S.product([plateau(), plateau()]))
    with pytest.raises(TypeError, match=r"holding exactly one, got constant\("):
        PlateauHook(S.constant(0.1))


@pytest.mark.parametrize("name", sorted(COMPOSITIONS))
def test_flag_language_round_trip(name):
    inner = plateau()
    schedule = COMPOSITIONS[name](inner)
    inner.report(1.0)
    inner.report(1.0)  # reduced: a spec is the configuration, not the reports
    text = spec(schedule)
    assert "reduce_lr_on_plateau(learning_rate=1.0, mode='min', factor=0.1" in text
    rebuilt = from_spec(text)
    assert spec(rebuilt) == text
    fresh = COMPOSITIONS[name](plateau())
    assert [rebuilt(step) for step in range(8)] == [fresh(step) for step in range(8)]
    assert isinstance(S.stateful_parts(rebuilt)[0], S.ReduceLROnPlateau)


def test_flag_language_refuses_one_plateau_held_twice():
    inner = plateau()
    with pytest.raises(SpecError, match=r"^Product has no spec form: the same "
                       r"ReduceLROnPlateau is held twice, and a spec would build two "
                       r"independent ones: give each place its own$"):
        spec(S.product([inner, S.scaled(inner, 2.0)]))


def test_preview_notes_the_plateau_inside():
    from lrhooks import preview  # pylint: disable=import-outside-toplevel

    note = preview.stateful_note(from_spec("product([reduce_lr_on_plateau(0.1), "
                                           "constant(2.0)])"))
    assert note.startswith("note: Product is stateful (it holds ReduceLROnPlateau): its rate "
                           "is 0.2 until a reported metric")
    assert preview.stateful_note(S.product([S.constant(1.0)])) is None
