"""The schedule catalogue (issue 14) against its peers.

1. `tests/data/peer_values/*.json`: for every new schedule, >= 1,000 random valid
   argument sets, each with a random step, and the peer's value there. They were
   generated once, outside the repository, from PyTorch 2.13 (CPU), transformers 5.24,
   timm 1.0.31, optax 0.2.8 (with `jax_enable_x64`), TensorFlow 2.21, and from the
   Model Garden's and tensor2tensor's formulas transcribed in float64 (both evaluate in
   float32); each file names its peer and tolerance. A row is `[arguments, step, value]`
   and the schedule is `factory(arguments)` in the flag language, so the data also checks
   how each peer's arguments map onto lrhooks'. No peer is imported here.
2. Golden `(step, value)` tables from the peers' own tests and documentation.
3. One-line validation errors.
"""

import json
import math
import pathlib
import random
import statistics

import pytest

from lrhooks import schedules as S
from lrhooks.spec import SpecError, from_spec, spec

PEER_DIR = pathlib.Path(__file__).resolve().parent / "data" / "peer_values"
PEER_FILES = sorted(PEER_DIR.glob("*.json"))


def test_every_new_factory_has_peer_values():
    names = {json.loads(p.read_text())["factory"] for p in PEER_FILES}
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
        "timm_poly"}


@pytest.mark.parametrize("path", PEER_FILES, ids=[p.stem for p in PEER_FILES])
def test_equals_the_peer(path):
    doc = json.loads(path.read_text())
    factory, rtol, atol = doc["factory"], doc["rtol"], doc["atol"]
    assert len(doc["cases"]) >= 1000
    wrong = []
    for arguments, step, expected in doc["cases"]:
        schedule = from_spec(f"{factory}({arguments})")
        got = schedule(step)
        if not math.isclose(got, expected, rel_tol=rtol, abs_tol=atol):
            wrong.append((f"{factory}({arguments})", step, expected, got))
    assert not wrong, f"{len(wrong)} of {len(doc['cases'])} differ from {doc['peer']}: {wrong[:3]}"


# ---------------------------------------------------------------------------
# Golden tables: the peers' own tested or documented values.
# ---------------------------------------------------------------------------

_HF = dict(learning_rate=10.0, num_warmup_steps=2, num_training_steps=10)

GOLDEN = [
    # transformers tests/optimization/test_optimization.py, ScheduleInitTest (lr=10,
    # 10 steps; the test's tolerance is 1e-2, its values are rounded).
    (S.constant_schedule_with_warmup(10.0, 4),
     [0.0, 2.5, 5.0, 7.5, 10.0, 10.0, 10.0, 10.0, 10.0, 10.0], 1e-2),
    (S.linear_schedule_with_warmup(**_HF),
     [0.0, 5.0, 10.0, 8.75, 7.5, 6.25, 5.0, 3.75, 2.5, 1.25], 1e-2),
    (S.cosine_schedule_with_warmup(**_HF),
     [0.0, 5.0, 10.0, 9.61, 8.53, 6.91, 5.0, 3.08, 1.46, 0.38], 1e-2),
    (S.cosine_with_hard_restarts_schedule_with_warmup(**_HF, num_cycles=2),
     [0.0, 5.0, 10.0, 8.53, 5.0, 1.46, 10.0, 8.53, 5.0, 1.46], 1e-2),
    (S.polynomial_decay_schedule_with_warmup(**_HF, lr_end=1e-7, power=2.0),
     [0.0, 5.0, 10.0, 7.656, 5.625, 3.906, 2.5, 1.406, 0.625, 0.156], 1e-2),
    (S.inverse_sqrt(10.0, 2),
     [0.0, 5.0, 10.0, 8.165, 7.071, 6.325, 5.774, 5.345, 5.0, 4.714], 1e-2),
    # PyTorch test/optim/test_lrscheduler.py: test_onecycle_lr_linear_annealing (momentum
    # target) and test_cycle_lr_triangular_mode_one_lr / ..._triangular2_mode (momentum).
    (S.one_cycle_momentum(S.one_cycle(25.0, 10, anneal_strategy="linear", final_div_factor=2.0),
                          base_momentum=1.0, max_momentum=22.0),
     [22, 11.5, 1, 4, 7, 10, 13, 16, 19, 22], 1e-12),
    (S.cyclic_momentum(S.cyclic(1.0, 5.0, 4), base_momentum=1.0, max_momentum=5.0),
     [5, 4, 3, 2, 1, 2, 3, 4, 5, 4, 3], 1e-12),
    (S.cyclic_momentum(S.cyclic(1.0, 5.0, 4, mode="triangular2"), 1.0, 5.0),
     [5, 4, 3, 2, 1, 2, 3, 4, 5, 4.5, 4.0, 3.5, 3.0, 3.5, 4.0, 4.5, 5.0, 4.75], 1e-12),
    # optax schedules/_schedule_test.py and _join_test.py.
    (S.piecewise_interpolate_schedule("linear", 200.0, {5: 1.5, 10: 0.25}),
     [200.0, 220.0, 240.0, 260.0, 280.0, 300.0, 255.0, 210.0, 165.0, 120.0, 75.0, 75.0, 75.0],
     1e-12),
    (S.piecewise_interpolate_schedule("cosine", 400.0, {5: 1.2, 3: 0.6, 7: 1.0}),
     [400.0, 360.0, 280.0, 240.0, 264.0, 288.0, 288.0, 288.0, 288.0], 1e-12),
    (S.piecewise_interpolate_schedule("linear", 13.0, {}), [13.0] * 5, 0.0),
    (S.join_schedules([S.constant(1.0), S.constant(2.0), S.constant(1.0)], [3, 6]),
     [1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 1.0], 0.0),
    # optax test_end_value_with_staircase (1.0, decay_rate 0.2, end 0.1, begin 3, steps 2).
    (S.optax_exponential_decay(1.0, 2, 0.2, transition_begin=3, staircase=True, end_value=0.1),
     [1.0, 1.0, 1.0, 1.0, 1.0, 0.2, 0.2, 0.1, 0.1], 1e-12),
    # optax test_with_exponent's cosine part: warmup_cosine_decay_schedule(0.2, 1.21,
    # end 0.0, warmup 50, decay 100, exponent 2) at steps 50 + (0, 25, 50) of the decay.
    (S.cosine_decay_schedule(1.21, 50, 0.0, 2.0), [(0, 1.21), (25, 1.21 * 0.25), (50, 0.0)],
     1e-12),
    # Model Garden lr_schedule_test.py PowerAndLinearDecayTest ('general', 'offset').
    (S.power_and_linear_decay(1.0, 100, -1.0, 0.5),
     [(0, 1.0), (1, 1.0), (40, 1. / 40.), (60, 1. / 60. * 0.8), (100, 0.0)], 1e-12),
    (S.power_and_linear_decay(1.0, 100, -1.0, 0.5, offset=90),
     [(0, 1.0), (90, 1.0), (91, 1.0), (130, 1. / 40.), (150, 1. / 60. * 0.8), (190, 0.0),
      (200, 0.0)], 1e-12),
    # The documented formulas, at points where they are exact. WSD: transformers'
    # docstring ("warmup from min_lr_ratio times the rate ... decay to min_lr_ratio").
    (S.warmup_stable_decay(10.0, 2, 2, 3), [0.0, 5.0, 10.0, 10.0, 10.0, 7.5, 2.5, 0.0, 0.0],
     1e-12),
    (S.warmup_stable_decay(10.0, 2, 2, 3, min_lr_ratio=0.1),
     [1.0, 5.5, 10.0, 10.0, 10.0, 7.75, 3.25, 1.0, 1.0], 1e-12),
    (S.warmup_stable_decay(1.0, 4, 0, 4, "1-sqrt", "1-sqrt"),
     [(0, 0.0), (3, 0.5), (4, 1.0), (5, 0.5), (8, 0.0)], 1e-12),
    (S.noam(512, 4000), [(0, 0.0), (4000, (512 * 4000) ** -0.5),
                         (16000, 512 ** -0.5 * 16000 ** -0.5)], 1e-12),
    (S.rsqrt_decay(10000), [(0, 0.01), (10000, 0.01), (40000, 0.005)], 1e-12),
    (S.t2t_schedule("constant*linear_warmup*rsqrt_decay*rsqrt_hidden_size", 2.0, 8000,
                    hidden_size=512),
     [(0, 0.0), (4000, 2.0 * 0.5 * 8000 ** -0.5 * 512 ** -0.5),
      (32000, 2.0 * 32000 ** -0.5 * 512 ** -0.5)], 1e-12),
    (S.t2t_schedule("multi_cycle_cos_decay", warmup_steps=100, decay_steps=1000),
     [(0, 1.0), (100, 1.0), (600, 0.5), (1100, 0.0), (2100, 1.0)], 1e-12),
    (S.cosine_annealing(0.1, 10), [(0, 0.1), (5, 0.05), (10, 0.0), (15, 0.05), (20, 0.1)],
     1e-12),
    (S.cosine_annealing_warm_restarts(1.0, 10, 2), [(0, 1.0), (5, 0.5), (10, 1.0), (20, 0.5),
                                                    (30, 1.0)], 1e-12),
    (S.swalr(0.1, 0.05, 10, "linear"), [(0, 0.1), (5, 0.075), (10, 0.05), (99, 0.05)], 1e-12),
    (S.constant_lr(0.1, 0.5, 4), [(0, 0.05), (3, 0.05), (4, 0.1)], 1e-12),
    (S.linear_lr(0.1, 0.5, 1.0, 4), [(0, 0.05), (2, 0.075), (4, 0.1), (9, 0.1)], 1e-12),
    (S.product([S.constant(0.1), S.linear_lr(1.0, 0.5, 1.0, 2), S.exponential_decay(1.0, 1, 0.5)]),
     [(0, 0.05), (1, 0.1 * 0.75 * 0.5), (2, 0.1 * 0.25)], 1e-12),
    (S.direct_power_decay(2.0, -0.5), [(0, 2.0), (1, 2.0), (4, 1.0), (100, 0.2)], 1e-12),
    (S.power_decay_with_offset(1.0, -1.0, offset=10, pre_offset_learning_rate=0.5),
     [(0, 0.5), (10, 0.5), (11, 0.5), (20, 0.1), (30, 0.05)], 1e-12),
    (S.polynomial_warmup(S.constant(0.1), 10, 2.0), [(0, 0.001), (5, 0.025), (10, 0.1)], 1e-12),
    (S.timm_cosine(0.1, 10), [(0, 0.1), (5, 0.05), (10, 0.0), (20, 0.0)], 1e-12),
    (S.timm_cosine(0.1, 10, cycle_limit=3, cycle_decay=0.5), [(10, 0.05), (15, 0.025),
                                                               (20, 0.025), (30, 0.0)], 1e-12),
    (S.timm_cosine(0.1, 10, warmup_t=4), [(0, 0.0), (2, 0.05), (3, 0.075),
                                          (4, 0.05 * (1 + math.cos(math.pi * 0.4)))], 1e-12),
    (S.timm_cosine(0.1, 10, warmup_t=4, warmup_prefix=True), [(3, 0.075), (4, 0.1),
                                                              (9, 0.05)], 1e-12),
    (S.timm_poly(1.0, 10, power=1.0), [(0, 1.0), (5, 0.5), (9, 0.1)], 1e-12),
    (S.timm_tanh(1.0, 10, lb=-1.0, ub=1.0), [(5, 0.5)], 1e-12),
]


@pytest.mark.parametrize("schedule, table, tolerance", GOLDEN,
                         ids=[type(g[0]).__name__ for g in GOLDEN])
def test_golden(schedule, table, tolerance):
    pairs = table if isinstance(table[0], tuple) else list(enumerate(table))
    for step, expected in pairs:
        assert schedule(step) == pytest.approx(expected, rel=tolerance, abs=tolerance), step
    assert from_spec(spec(schedule)) == schedule


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


def test_any_python_callable_is_a_schedule_for_the_hook_but_not_for_the_flags():
    """PyTorch's LambdaLR / MultiplicativeLR / a CyclicLR scale_fn: a plain callable."""
    lambda_lr = lambda step: 0.1 * 0.95 ** step  # noqa: E731  LambdaLR(lr_lambda=0.95 ** s)
    assert lambda_lr(2) == pytest.approx(0.1 * 0.9025)
    with pytest.raises(SpecError, match="unsupported"):
        from_spec("lambda step: 0.1")


@pytest.mark.parametrize("build, error, message", [
    (lambda: S.inverse_sqrt(0.1, -1), ValueError, r"`warmup_steps` must be an integer >= 0, got -1"),
    (lambda: S.inverse_sqrt(0.1, 10, timescale=0), ValueError, r"`timescale` must be an integer > 0"),
    (lambda: S.warmup_stable_decay(0.1, 1, 1, 1, decay_type="exp"), ValueError,
     r"`decay_type` must be one of 'linear', 'cosine', '1-sqrt', got 'exp'"),
    (lambda: S.warmup_stable_decay(0.1, 1, 1, 1, min_lr_ratio=2), ValueError,
     r"`min_lr_ratio` must be a finite number in \[0, 1\], got 2.0"),
    (lambda: S.cosine_schedule_with_warmup(0.1, 1, 10, num_cycles=-1), ValueError,
     r"`num_cycles` must be a finite number >= 0"),
    (lambda: S.cosine_with_hard_restarts_schedule_with_warmup(0.1, 1, 10, 0), ValueError,
     r"`num_cycles` must be an integer > 0, got 0"),
    (lambda: S.polynomial_decay_schedule_with_warmup(0.1, 10, 5), ValueError,
     r"`num_training_steps` must be > `num_warmup_steps` \(10\), got 5"),
    (lambda: S.polynomial_decay_schedule_with_warmup(0.1, 1, 5, lr_end=0.2), ValueError,
     r"`lr_end` must be <= `learning_rate` \(0.1\), got 0.2"),
    (lambda: S.noam(0, 10), ValueError, r"`d_model` must be an integer > 0, got 0"),
    (lambda: S.rsqrt_decay(True), TypeError, r"`warmup_steps` must be an integer > 0, got True"),
    (lambda: S.t2t_schedule("constant*warmup"), ValueError,
     r"`schedule` has an unknown factor 'warmup'"),
    (lambda: S.t2t_schedule(" * "), ValueError, r"`schedule` must name at least one factor"),
    (lambda: S.t2t_schedule("single_cycle_cos_decay", warmup_steps=10, train_steps=10),
     ValueError, r"`train_steps` must be > `warmup_steps` \(10\) for single_cycle_cos_decay"),
    (lambda: S.product([]), ValueError, r"`schedules` must be a non-empty sequence"),
    (lambda: S.product([S.constant(1.0), 2.0]), TypeError,
     r"`schedules` element 1 must be a lrhooks.schedules.Schedule, got 2.0"),
    (lambda: S.join_schedules([S.constant(1.0)], [3]), ValueError,
     r"`boundaries` must have len\(schedules\) - 1 = 0 elements, got 1"),
    (lambda: S.join_schedules([S.constant(1.0)] * 3, [5, 3]), ValueError,
     r"`boundaries` must be non-decreasing, got \(5, 3\)"),
    (lambda: S.cosine_annealing(0.1, 0), ValueError, r"`t_max` must be an integer > 0"),
    (lambda: S.cosine_annealing_warm_restarts(0.1, 10, 0), ValueError,
     r"`t_mult` must be an integer > 0, got 0"),
    (lambda: S.constant_lr(0.1, 1.5), ValueError, r"`factor` must be a finite number in \[0, 1\]"),
    (lambda: S.constant_lr(0.1, 0.5, 0), ValueError, r"`total_iters` must be an integer > 0"),
    (lambda: S.linear_lr(0.1, 0.0), ValueError, r"`start_factor` must be a finite number in \(0, 1\]"),
    (lambda: S.swalr(0.1, 0.05, anneal_strategy="exp"), ValueError,
     r"`anneal_strategy` must be one of 'cos', 'linear', got 'exp'"),
    (lambda: S.one_cycle_momentum(S.constant(0.1)), TypeError,
     r"`schedule` must be a one_cycle\(...\) schedule"),
    (lambda: S.cyclic_momentum(S.cyclic(0.1, 1.0), base_momentum=-1), ValueError,
     r"`base_momentum` must be a finite number >= 0, got -1.0"),
    (lambda: S.optax_exponential_decay(1.0, 0, 0.5), ValueError,
     r"`transition_steps` must be an integer > 0, got 0"),
    (lambda: S.optax_exponential_decay(1.0, 10, 0.0), ValueError,
     r"`decay_rate` must be a finite number > 0, got 0.0"),
    (lambda: S.cosine_decay_schedule(1.0, 10, exponent=-1), ValueError,
     r"`exponent` must be a finite number >= 0"),
    (lambda: S.piecewise_interpolate_schedule("cubic", 1.0), ValueError,
     r"`interpolate_type` must be one of 'linear', 'cosine', got 'cubic'"),
    (lambda: S.piecewise_interpolate_schedule("linear", 1.0, {5: -1.0}), ValueError,
     r"`boundaries_and_scales` element 0 must be a finite number >= 0, got -1.0"),
    (lambda: S.piecewise_interpolate_schedule("linear", 1.0, [(5, 1.0), (5, 2.0)]), ValueError,
     r"`boundaries_and_scales` boundaries must be distinct, got \[5, 5\]"),
    (lambda: S.piecewise_interpolate_schedule("linear", 1.0, [5]), TypeError,
     r"`boundaries_and_scales` element 0 must be a \(boundary, scale\) pair"),
    (lambda: S.power_and_linear_decay(1.0, 100, linear_decay_fraction=1.5), ValueError,
     r"`linear_decay_fraction` must be a finite number in \[0, 1\], got 1.5"),
    (lambda: S.direct_power_decay(1.0, math.nan), ValueError, r"`power` must be a finite number"),
    (lambda: S.power_decay_with_offset(1.0, offset=-1), ValueError,
     r"`offset` must be an integer >= 0, got -1"),
    (lambda: S.polynomial_warmup(0.1, 10), TypeError,
     r"`schedule` must be a lrhooks.schedules.Schedule, got 0.1"),
    (lambda: S.noisy_linear_cosine_decay(0.1, 100, seed=-1), ValueError,
     r"`seed` must be an integer >= 0, got -1"),
    (lambda: S.timm_cosine(0.1, 0), ValueError, r"`t_initial` must be an integer > 0, got 0"),
    (lambda: S.timm_cosine(0.1, 10, cycle_mul=0), ValueError,
     r"`cycle_mul` must be a finite number > 0, got 0.0"),
    (lambda: S.timm_cosine(0.1, 10, k_decay=0), ValueError, r"`k_decay` must be a finite number > 0"),
    (lambda: S.timm_tanh(0.1, 10, lb=3.0, ub=1.0), ValueError, r"`ub` must be > `lb` \(3.0\), got 1.0"),
    (lambda: S.timm_poly(0.1, 10, warmup_prefix=1), TypeError,
     r"`warmup_prefix` must be a bool \(True or False\), got 1"),
])
def test_errors(build, error, message):
    with pytest.raises(error, match=message) as raised:
        build()
    assert "\n" not in str(raised.value)
