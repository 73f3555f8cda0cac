"""The schedule catalogue (other libraries' schedules) against its peers.

1. `tests/data/peer_values/*.json.gz`: for every catalogue schedule, >= 1,000 random
   (valid argument set, step) cases and the peer's value there (gzip'd JSON, floats in
   `repr`, which round-trips). They were generated once, outside the repository, from
   PyTorch 2.14 (CPU), transformers 5.24, timm 1.0.31, optax 0.2.8 (with
   `jax_enable_x64`), Keras 3.15 (float64), TensorFlow 2.21, and from the Model Garden's
   and tensor2tensor's formulas transcribed in float64 (both evaluate in float32); each
   file names its peer and tolerance. A case group is `[arguments, [[step, value], ...]]`
   and the schedule is `factory(arguments)` in the flag language, so the data also checks
   how each peer's arguments map onto lrhooks' (files whose factory is `warmup` or
   `join_schedules` check a peer schedule that is one composition here). For the stateful
   `timm_plateau` the arguments end in `| [metric, ...]` and a step is the number of
   reports. No peer is imported here.
2. The peers' own (rounded) test tables; the exact golden tables, the one-line
   validation messages and the spec round trips of every new schedule are entries of the
   conformance suite's REGISTRY (`tests/support/catalogue_registry.py`).
"""

import gzip
import json
import math
import random
import statistics

import pytest

from lrhooks import schedules as S
from lrhooks.spec import SpecError, from_spec, spec
from tests.support.programs import REPO_ROOT

PEER_DIR = REPO_ROOT / "tests" / "data" / "peer_values"
PEER_FILES = sorted(PEER_DIR.glob("*.json.gz"))


def _peer_data(path):
    return json.loads(gzip.decompress(path.read_bytes()))


def test_every_new_factory_has_peer_values():
    names = {_peer_data(p)["factory"] for p in PEER_FILES}
    assert names >= {
        "inverse_sqrt", "noam", "rsqrt_decay", "t2t_schedule", "warmup_stable_decay",
        "linear_schedule_with_warmup", "cosine_schedule_with_warmup",
        "cosine_with_hard_restarts_schedule_with_warmup",
        "polynomial_decay_schedule_with_warmup", "constant_schedule_with_warmup",
        "product", "join_schedules", "cosine_annealing", "cosine_annealing_warm_restarts",
        "constant_lr", "linear_lr", "swalr", "one_cycle_momentum", "cyclic_momentum",
        "cosine_decay_schedule", "optax_exponential_decay", "piecewise_interpolate_schedule",
        "power_and_linear_decay", "direct_power_decay", "power_decay_with_offset",
        "polynomial_warmup", "noisy_linear_cosine_decay", "timm_cosine", "timm_tanh",
        "timm_poly", "timm_step", "timm_multistep", "timm_wsd", "timm_plateau",
        "piecewise_constant_schedule", "warmup_cosine_decay_schedule", "sgdr_schedule",
        "cosine_onecycle_schedule", "linear_onecycle_schedule", "step_cosine_decay_with_offset",
        "with_offset", "cosine_with_min_lr_schedule_with_warmup",
        "cosine_with_min_lr_schedule_with_warmup_lr_rate", "polynomial_decay", "warmup",
        "chained_scheduler", "multistep_decay"}


def test_peer_data_is_small():
    assert sum(p.stat().st_size for p in PEER_FILES) < 800_000


def _rate(factory, arguments, step):
    """The lrhooks value of a peer case (a stateful plateau: after `step` reports)."""
    if factory != "timm_plateau":
        return from_spec(f"{factory}({arguments})")(step)
    arguments, metrics = arguments.split(" | ")
    schedule = from_spec(f"{factory}({arguments})")
    for metric in json.loads(metrics)[:step]:
        schedule.report(metric)
    return schedule(0)


@pytest.mark.parametrize("path", PEER_FILES, ids=[p.name.split(".")[0] for p in PEER_FILES])
def test_equals_the_peer(path):
    doc = _peer_data(path)
    factory, rtol, atol = doc["factory"], doc["rtol"], doc["atol"]
    cases = [(arguments, step, value) for arguments, points in doc["cases"]
             for step, value in points]
    assert len(cases) >= 1000
    wrong = []
    for arguments, step, expected in cases:
        got = _rate(factory, arguments, step)
        if not math.isclose(got, expected, rel_tol=rtol, abs_tol=atol):
            wrong.append((f"{factory}({arguments})", step, expected, got))
    assert not wrong, f"{len(wrong)} of {len(cases)} differ from {doc['peer']}: {wrong[:3]}"


# ---------------------------------------------------------------------------
# The peers' own test tables that are rounded (exact golden tables of every new
# schedule are REGISTRY entries of the conformance suite: tests/support/catalogue_registry.py).
# ---------------------------------------------------------------------------

_HF = dict(learning_rate=10.0, num_warmup_steps=2, num_training_steps=10)

ROUNDED = [
    # transformers tests/optimization/test_optimization.py, ScheduleInitTest (lr=10,
    # 10 steps, tolerance 1e-2).
    (S.cosine_schedule_with_warmup(**_HF), [0.0, 5.0, 10.0, 9.61, 8.53, 6.91, 5.0, 3.08, 1.46, 0.38]),
    (S.cosine_with_hard_restarts_schedule_with_warmup(**_HF, num_cycles=2),
     [0.0, 5.0, 10.0, 8.53, 5.0, 1.46, 10.0, 8.53, 5.0, 1.46]),
    (S.polynomial_decay_schedule_with_warmup(**_HF, lr_end=1e-7, power=2.0),
     [0.0, 5.0, 10.0, 7.656, 5.625, 3.906, 2.5, 1.406, 0.625, 0.156]),
    (S.inverse_sqrt(10.0, 2), [0.0, 5.0, 10.0, 8.165, 7.071, 6.325, 5.774, 5.345, 5.0, 4.714]),
]


@pytest.mark.parametrize("schedule, table", ROUNDED, ids=[type(r[0]).__name__ for r in ROUNDED])
def test_the_peers_rounded_tables(schedule, table):
    assert [schedule(s) for s in range(len(table))] == pytest.approx(table, abs=1e-2)


def test_warmup_cosine_decay_schedule_of_optax_is_one_join():
    """optax test_with_exponent (a negative end value there; here end_value=0.0)."""
    init, peak, warmup, decay, exponent = 0.2, 1.21, 50, 100, 2.0
    joined = S.join_schedules([S.polynomial_decay(init, warmup, peak, 1.0),
                               S.cosine_decay_schedule(peak, decay - warmup, 0.0, exponent)],
                              [warmup])
    assert [joined(s) for s in (0, 10, 50, 75, 100)] == pytest.approx(
        [0.2, 0.402, 1.21, 1.21 * 0.25, 0.0], rel=1e-12, abs=1e-15)


def test_noisy_linear_cosine_decay_is_a_pure_function_of_seed_and_step():
    a = S.noisy_linear_cosine_decay(0.1, 1000, seed=3)
    b = S.noisy_linear_cosine_decay(0.1, 1000, seed=3)
    c = S.noisy_linear_cosine_decay(0.1, 1000, seed=4)
    steps = range(0, 3000, 7)
    assert [a(s) for s in steps] == [b(s) for s in steps]
    assert [a(s) for s in steps] != [c(s) for s in steps]
    quiet = S.noisy_linear_cosine_decay(0.1, 1000, initial_variance=0.0)
    assert quiet(500) == S.linear_cosine_decay(0.1, 1000)(500) == pytest.approx(
        0.1 * (0.5 * 0.5 + 0.001))
    # z is a standard normal draw: noise / its documented standard deviation.
    unit = S.noisy_linear_cosine_decay(0.1, 1000, initial_variance=1.0, variance_decay=0.0)
    draws = [unit.noise(s) for s in range(4000)]
    assert abs(statistics.fmean(draws)) < 0.05
    assert statistics.pstdev(draws) == pytest.approx(1.0, abs=0.05)


@pytest.mark.parametrize("decay_steps", [1000, 999.5])
def test_noisy_linear_cosine_decay_noise_variance_stops_decaying_at_decay_steps(decay_steps):
    """TF computes the noise's variance from `min(step, decay_steps)`, as the linear part."""
    decaying = S.noisy_linear_cosine_decay(0.1, decay_steps, initial_variance=2.0,
                                           variance_decay=0.55, seed=5)
    flat = S.noisy_linear_cosine_decay(0.1, decay_steps, initial_variance=2.0,
                                       variance_decay=0.0, seed=5)  # the same draws z
    for step in (0, 10, 999, 1000, 1001, 5000, 10 ** 6):
        std = math.sqrt(2.0 / (1 + min(step, decay_steps)) ** 0.55)
        assert decaying.noise(step) == pytest.approx(flat.noise(step) / math.sqrt(2.0) * std,
                                                     rel=1e-12)


def test_any_python_callable_is_a_schedule_for_the_hook_but_not_for_the_flags():
    """PyTorch's LambdaLR / MultiplicativeLR / a CyclicLR scale_fn: a plain callable."""
    lambda_lr = lambda step: 0.1 * 0.95 ** step  # noqa: E731  LambdaLR(lr_lambda=0.95 ** s)
    assert lambda_lr(2) == pytest.approx(0.1 * 0.9025)
    with pytest.raises(SpecError, match="unsupported"):
        from_spec("lambda step: 0.1")


def test_reduce_lr_on_plateau_has_a_spec_form_that_builds_it_fresh():
    text = "reduce_lr_on_plateau(0.1, mode='max', factor=0.5, patience=2)"
    schedule = from_spec(text)
    assert isinstance(schedule, S.ReduceLROnPlateau) and isinstance(schedule, S.StatefulSchedule)
    assert (schedule.mode, schedule.factor, schedule.patience, schedule(0)) == ("max", 0.5, 2, 0.1)
    canonical = spec(schedule)
    assert canonical == ("reduce_lr_on_plateau(learning_rate=0.1, mode='max', factor=0.5, "
                         "patience=2, threshold=0.0001, threshold_mode='rel', cooldown=0, "
                         "min_lr=0.0, eps=1e-08)")
    for value in (1.0, 0.5, 0.5, 0.5):  # no improvement for more than `patience` reports
        schedule.report(value)
    assert schedule(0) == 0.05
    assert spec(schedule) == canonical  # the configuration, not the reports
    assert from_spec(canonical)(0) == 0.1
    with pytest.raises(SpecError, match="`patience` must be an integer >= 0, got -1"):
        from_spec("reduce_lr_on_plateau(0.1, patience=-1)")


def test_preview_shows_a_plateau_schedule_with_a_note():
    from lrhooks import preview  # pylint: disable=import-outside-toplevel

    schedule = from_spec("reduce_lr_on_plateau(0.1)")
    note = preview.stateful_note(schedule)
    assert note.startswith("note: ReduceLROnPlateau is stateful: its rate is 0.1 until a "
                           "reported metric") and "\n" not in note
    assert preview.stateful_note(S.constant(0.1)) is None
    assert [row[2] for row in preview.key_points(schedule, 100)] == [0.1] * 4


def test_momentum_methods_are_the_momentum_schedules():
    rate = S.one_cycle(0.1, 100, anneal_strategy="linear", three_phase=True)
    assert rate.momentum() == S.one_cycle_momentum(rate, 0.85, 0.95)
    assert rate.momentum(0.8, 0.9) == S.one_cycle_momentum(rate, 0.8, 0.9)
    cycle = S.cyclic(0.01, 0.1, 10, mode="triangular2")
    assert cycle.momentum() == S.cyclic_momentum(cycle, 0.8, 0.9)
    # Inverse to the rate: the momentum is lowest where the rate peaks.
    steps = range(0, 60)
    peak = max(steps, key=cycle)
    assert min(steps, key=cycle.momentum()) == peak
    assert from_spec(spec(cycle.momentum())) == cycle.momentum()


def test_timm_plateau_warms_up_by_reports_then_reduces_on_plateau():
    """timm's `PlateauLRScheduler`: report k is `step(k, metric)` (peer data: timm_plateau)."""
    schedule = from_spec("timm_plateau(1.0, decay_rate=0.5, patience_t=0, warmup_t=2, "
                         "warmup_lr_init=0.2)")
    assert isinstance(schedule, S.TimmPlateau) and isinstance(schedule, S.StatefulSchedule)
    rates, versions = [schedule(0)], [schedule.version]
    for metric in (5.0, 0.0, 1.0, 1.0, 2.0):  # mode 'max'; warmup metrics are not used
        schedule.report(metric)
        rates.append(schedule(123))
        versions.append(schedule.version)
    assert rates == pytest.approx([0.2, 0.6, 1.0, 1.0, 0.5, 0.5])
    assert versions == [0, 1, 2, 2, 3, 3]
    assert schedule.best == 2.0 and schedule.reports == 5
    assert spec(schedule) == ("timm_plateau(learning_rate=1.0, decay_rate=0.5, patience_t=0, "
                              "threshold=0.0001, cooldown_t=0, warmup_t=2, warmup_lr_init=0.2, "
                              "lr_min=0.0, mode='max')")
    assert repr(schedule).startswith("TimmPlateau(learning_rate=1.0, decay_rate=0.5, ")
    assert repr(schedule).endswith("[rate=0.5, best=2.0, num_bad=0, cooldown_counter=0, "
                                   "reports=5]")
    restored = from_spec(spec(schedule))
    restored.load_state(schedule.state())
    restored.report(1.0)
    schedule.report(1.0)
    assert restored.state() == schedule.state() and restored(0) == 0.25


def test_timm_plateau_rejects_bad_arguments_and_reports_in_one_line():
    with pytest.raises(SpecError, match="`warmup_t` must be an integer >= 0, got -1"):
        from_spec("timm_plateau(0.1, warmup_t=-1)")
    with pytest.raises(ValueError, match=r"`decay_rate` must be a finite number in \(0, 1\), "
                                         r"got 1.0"):
        S.timm_plateau(0.1, decay_rate=1.0)
    with pytest.raises(TypeError, match="`patience_t` must be an integer >= 0, got 1.5"):
        S.timm_plateau(0.1, patience_t=1.5)
    with pytest.raises(TypeError, match="`value` must be a real number, got 'x'"):
        S.timm_plateau(0.1, warmup_t=3).report("x")


def test_new_catalogue_factories_state_their_peer_and_formula():
    for factory in (S.timm_step, S.timm_multistep, S.timm_wsd, S.timm_plateau,
                    S.sgdr_schedule, S.with_offset, S.step_cosine_decay_with_offset):
        doc = factory.__doc__
        assert "rate" in doc and "Raises:" in doc and doc.count("Returns:") == 1, factory
