"""`lrhooks.optax.optax_schedule`: lrhooks schedules under `jax.jit` and in optax, exact.

Skipped where JAX or optax is not installed, unless LRHOOKS_REQUIRE_JAX=1 (CI's extras stage)
makes a missing one fail. JAX computes in float32 unless 64-bit mode is on: float32 values
are checked to be within one float32 ulp of the Python schedule's float64 value (they are
the float64 value rounded; XLA flushes float32 subnormals, below 1.2e-38, to 0), float64 ones
to equal it.
"""

import os

import numpy as np
import pytest

if os.environ.get("LRHOOKS_REQUIRE_JAX") == "1":
    import jax  # a missing JAX or optax fails here
    import optax
else:
    jax = pytest.importorskip("jax")
    optax = pytest.importorskip("optax")

import jax.numpy as jnp  # noqa: E402

from lrhooks import schedules as S  # noqa: E402
from lrhooks.optax import optax_schedule  # noqa: E402
from tests.support import export_cases, programs  # noqa: E402

PIECEWISE = S.piecewise_constant([3, 7], [0.1, 0.01, 0.001])
# One jit compilation per argument set: one random set per factory, steps below optax's int32.
CASES = export_cases.cases_one_set_per_factory(1100, seed=7, max_step=2**31 - 2)


def _by_schedule():
    """The cases grouped by argument set: (schedule, its steps)."""
    grouped = {}
    for _, schedule, step in CASES:
        grouped.setdefault(repr(schedule), (schedule, []))[1].append(step)
    return list(grouped.values())


def _table_size(steps):
    # Part of each set's steps fall past the table: those take the exact host path.
    return max(1, min(256, max(steps) // 2 + 1))


def _check(x64):
    """All argument sets in one jitted function (one compilation), each at its random steps."""
    groups = _by_schedule()
    rates = [optax_schedule(schedule, num_steps=_table_size(steps)) for schedule, steps in groups]
    before = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", x64)  # global: host callbacks run on other threads
    try:
        evaluate = jax.jit(lambda all_steps: [rate(steps) for rate, steps in
                                              zip(rates, all_steps)])
        results = evaluate([jnp.asarray(steps, dtype=jnp.int32) for _, steps in groups])
        results = [np.asarray(result) for result in results]
    finally:
        jax.config.update("jax_enable_x64", before)
    checked = 0
    for (schedule, steps), got in zip(groups, results):
        got = np.asarray(got)
        want = np.array([schedule(step) for step in steps], dtype=np.float64)
        if x64:
            assert got.dtype == np.float64
            np.testing.assert_array_equal(got, want, err_msg=repr(schedule))
        else:
            assert got.dtype == np.float32
            wide = got.astype(np.float64)
            within = (wide == want) | (np.abs(wide - want) <= np.spacing(np.abs(got)))
            # XLA flushes float32 subnormals (below 1.2e-38) to zero.
            flushed = (got == 0) & (np.abs(want) < np.finfo(np.float32).tiny)
            assert np.all(within | flushed), repr(schedule)
            rounded = want.astype(np.float32)  # rounded once, to nearest
            np.testing.assert_array_equal(np.where(flushed, 0, got), np.where(flushed, 0, rounded))
        checked += len(steps)
    return checked


def test_cases_cover_every_factory():
    assert len(CASES) >= 1000
    assert {name for name, _, _ in CASES} == {n for n, _ in export_cases.registry_schedules()}
    assert any(step >= _table_size(steps) for _, steps in _by_schedule() for step in steps)


def test_every_factory_within_one_float32_ulp_under_jit():
    assert _check(x64=False) >= 1000


def test_every_factory_exact_in_64_bit_mode():
    assert _check(x64=True) >= 1000


def test_past_the_table_is_exact_under_jit_and_vmap():
    schedule = S.cosine_decay_restarts(0.1, 10)
    rate = optax_schedule(schedule, num_steps=5)
    steps = jnp.arange(40)
    want = np.array([schedule(k) for k in range(40)], np.float32)
    np.testing.assert_array_equal(np.asarray(jax.jit(rate)(steps)), want)
    np.testing.assert_array_equal(np.asarray(jax.jit(jax.vmap(rate))(steps)), want)
    assert [float(jax.jit(rate)(jnp.int32(k))) for k in (4, 5, 33)] == [want[4], want[5],
                                                                        want[33]]


def test_optax_applies_schedule_k_at_the_kth_update_for_any_hyperparameter():
    momentum = S.one_cycle(1.0, 10).momentum(0.85, 0.95)
    optimizer = optax.inject_hyperparams(optax.sgd)(
        learning_rate=optax_schedule(PIECEWISE, num_steps=10),
        momentum=optax_schedule("one_cycle_momentum(one_cycle(1.0, 10), 0.85, 0.95)", 10))
    params = {"w": jnp.zeros(())}
    state = optimizer.init(params)

    @jax.jit
    def update(state):
        updates, state = optimizer.update({"w": jnp.ones(())}, state, params)
        return updates["w"], state

    applied, trace = [], 0.0
    for step in range(8):
        delta, state = update(state)
        # SGD with momentum: trace = g + momentum * trace; the update is -lr * trace.
        trace = 1.0 + float(np.float32(momentum(step))) * trace
        applied.append(-float(delta) / np.float32(trace))
    # The k-th update (optax's count k) applies schedule(k), as TF1's run at global_step k:
    # piecewise_constant keeps 0.1 through its boundary 3, so update 4 is the first at 0.01.
    np.testing.assert_allclose(applied, [PIECEWISE(k) for k in range(8)], rtol=1e-6)
    assert applied[3] == pytest.approx(0.1) and applied[4] == pytest.approx(0.01)
    # inject_hyperparams keeps the values the last update applied (count 7) and counts 8.
    assert int(state.count) == 8
    assert float(state.hyperparams["learning_rate"]) == np.float32(PIECEWISE(7))
    assert float(state.hyperparams["momentum"]) == np.float32(momentum(7))


def test_a_tf1_run_continued_from_its_global_step():
    # A TF1 run saved global_step 5 after its runs at steps 0..4: optax's count 0 is step 5,
    # inside the table and past it.
    rate = optax_schedule(PIECEWISE, num_steps=2, start_step=5)
    np.testing.assert_array_equal(np.asarray(jax.jit(rate)(jnp.arange(4))),
                                  np.float32([PIECEWISE(k) for k in range(5, 9)]))
    assert PIECEWISE(7) != PIECEWISE(8)


@pytest.mark.parametrize("make,error,message", [
    (lambda: optax_schedule("reduce_lr_on_plateau(0.1)", 10), ValueError,
     "`schedule` is stateful (it holds a ReduceLROnPlateau): its rates follow reported "
     "metrics, not the step; use optax.contrib.reduce_on_plateau for reduce-on-plateau"),
    (lambda: optax_schedule(PIECEWISE, 0), ValueError,
     "`num_steps` must be an integer > 0, got 0"),
    (lambda: optax_schedule(PIECEWISE, 10, start_step=-2), ValueError,
     "`start_step` must be an integer >= 0, got -2"),
    (lambda: optax_schedule(0.1, 10), TypeError,
     "`schedule` must be a lrhooks.schedules.Schedule or a spec string, got float"),
    (lambda: optax_schedule("exponential_decay(1e38, 1, 10.0)", 5)(0), ValueError,
     "`schedule` exponential_decay(learning_rate=1e+38, decay_steps=1, decay_rate=10.0, "
     "staircase=False) has values beyond float32's range in its table: enable JAX's 64-bit "
     "mode (jax_enable_x64)"),
    (lambda: optax_schedule(PIECEWISE, 10)(1.5), TypeError,
     "`step` must be an integer (optax's count), got dtype float32"),
])
def test_one_line_errors(make, error, message):
    with pytest.raises(error) as raised:
        make()
    assert str(raised.value) == message


def test_imports_neither_tensorflow_nor_is_imported_by_lrhooks():
    code = ("import sys, lrhooks, lrhooks.schedules; assert 'jax' not in sys.modules; "
            "import lrhooks.optax; assert 'tensorflow' not in sys.modules")
    result = programs.run(programs.python_code(code), timeout=120)
    assert result.returncode == 0, result.stderr
