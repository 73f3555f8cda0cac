"""The tf.compat.v1.train family of `lrhooks.schedules`: parity with TensorFlow's own ops.

Golden tables, validation messages and the value semantics of every factory are in
`test_schedule_conformance.py`; this file compares the schedules with the real TF functions
and checks what only this family has (exact regime indices, overflow, numpy arguments).
"""

import dataclasses
import fractions
import math
import random
import struct
import sys

import hypothesis
import pytest
from hypothesis import strategies as st

from lrhooks import schedules


# ---------------------------------------------------------------------------
# 1. Parity with TensorFlow's own tf.compat.v1.train functions.
# ---------------------------------------------------------------------------

NUM_STEPS = 1500
SEEDS = (0, 1, 2)
# float32 TF: its ops are accurate to a few ulp (2**-24 ~ 6e-8) of their
# largest intermediate, so next to a relative 1e-6 we allow an absolute 1e-6
# of the schedule's peak rate: 1 + cos(pi * p) cancels to ~1e-7 absolute at
# the end of a cosine decay.
RTOL32, ATOL32 = 1e-6, 1e-6
# float64 TF: the same formulas, so the results differ by a few ulp; the
# absolute 1e-15 of the peak covers the same cancellation in float64.
RTOL64, ATOL64 = 1e-12, 1e-15
# float32 cosine_decay_restarts computes p = (f - S(i)) / t_mul ** i from the
# float32 f = step / first_decay_steps, so p is off by ~6e-8 * (1 + f) /
# t_mul ** i. Where this amplification exceeds 8 (e.g. t_mul = 1 after 8
# periods, or t_mul < 1 near its limit) float32 TF itself is not accurate to
# 1e-6 and only float64 is compared.
MAX_AMPLIFICATION32 = 8.0


def _f32(x: float) -> float:
    """Rounds to the nearest float32 so float32 TF sees exactly our arguments."""
    return struct.unpack("f", struct.pack("f", x))[0]


def _random_schedules(seed):
    """Random valid schedules; float arguments are float32-representable.

    float32 TF raises `decay_rate` (or `exp(-decay_rate)`) to the power
    `p = step / decay_steps`, turning their float32 rounding into a relative
    error of about `p * 6e-8`, so decay_steps >= 90 keeps p <= 17 over
    NUM_STEPS steps (float64 parity, at rtol 1e-12, does not need this).
    """
    rng = random.Random(seed)

    def u(lo, hi):
        return _f32(rng.uniform(lo, hi))

    def steps():  # Alternates int and float decay steps.
        return rng.randint(90, 700) if rng.random() < 0.5 else u(90.0, 700.0)

    n = rng.randint(1, 6)
    boundaries = sorted(rng.sample(range(NUM_STEPS), n))
    out = [schedules.piecewise_constant(boundaries, [u(0, 1) for _ in range(n + 1)])]
    for staircase in (False, True):
        ds = steps()
        # decay_rate ** (NUM_STEPS / ds) is the total decay, between e**-8 and e**1.
        rate = _f32(math.exp(rng.uniform(-8.0, 1.0) * ds / NUM_STEPS))
        out.append(schedules.exponential_decay(u(0.01, 1), ds, rate, staircase))
        out.append(schedules.inverse_time_decay(u(0.01, 1), steps(), u(0, 2), staircase))
        ds = steps()
        out.append(schedules.natural_exp_decay(
            u(0.01, 1), ds, u(0, 8) * ds / NUM_STEPS, staircase))
    for cycle in (False, True):
        lr = u(0.01, 1)
        out.append(schedules.polynomial_decay(lr, steps(), u(0, lr), u(0.5, 3.0), cycle))
    out.append(schedules.cosine_decay(u(0.01, 1), rng.randint(100, 2000), u(0, 0.5)))
    for t_mul in (1.0, 2.0, 3.0, u(1.1, 3.0)):
        out.append(schedules.cosine_decay_restarts(
            u(0.01, 1), rng.randint(20, 300), t_mul, u(0.3, 1.0), u(0, 0.3)))
    out.append(schedules.linear_cosine_decay(
        u(0.01, 1), rng.randint(100, 2000), u(0, 3), u(0, 1), u(0, 0.01)))
    return out


TF_CASES = [(f"seed{seed}-{i}-{type(s).__name__}", s)
            for seed in SEEDS for i, s in enumerate(_random_schedules(seed))]
TF_CASES += [  # Exact multiples and restarts that TF rounds (see below).
    ("staircase-428", schedules.exponential_decay(1.0, 428, 0.5, staircase=True)),
    ("staircase-123", schedules.natural_exp_decay(1.0, 123, 0.5, staircase=True)),
    ("cycle-105", schedules.polynomial_decay(1.0, 105, 0.1, 2.0, cycle=True)),
    ("restarts-t1", schedules.cosine_decay_restarts(1.0, 100, 1.0, 0.9, 0.1)),
    ("restarts-t2", schedules.cosine_decay_restarts(1.0, 10, 2.0, 0.5, 0.1)),
    ("restarts-t3", schedules.cosine_decay_restarts(0.5, 7, 3.0, 0.8, 0.0)),
    ("restarts-t6", schedules.cosine_decay_restarts(1.0, 10, 6.0, 0.5, 0.0)),
    ("restarts-t1.25", schedules.cosine_decay_restarts(1.0, 13, 1.25, 1.0, 0.0)),
    # t_mul < 1: restarts accumulate at step 1666.7 (outside) or 600 (inside).
    ("restarts-t0.7", schedules.cosine_decay_restarts(0.5, 500, 0.7, 0.9, 0.0)),
    ("restarts-t0.5", schedules.cosine_decay_restarts(1.0, 300, 0.5, 0.9, 0.05)),
]

_TF_NAMES = {
    schedules.ExponentialDecay: "exponential_decay",
    schedules.InverseTimeDecay: "inverse_time_decay",
    schedules.NaturalExpDecay: "natural_exp_decay",
    schedules.PolynomialDecay: "polynomial_decay",
    schedules.CosineDecay: "cosine_decay",
    schedules.CosineDecayRestarts: "cosine_decay_restarts",
    schedules.LinearCosineDecay: "linear_cosine_decay",
}


class _Float64Literals:
    """Proxy of a TF module turning float32 Python-float literals into float64.

    TF's LearningRateSchedule code builds `constant_op.constant(math.pi)` and
    `array_ops.where_v2(..., 1.0, ...)` as float32 whatever the dtype of the
    learning rate, so cosine_decay, cosine_decay_restarts, linear_cosine_decay
    and polynomial_decay(cycle=True) raise TypeError in float64. While their
    float64 graphs are built, these literals are made float64 instead.
    """

    def __init__(self, module, tf):
        self._module, self._tf = module, tf

    def __getattr__(self, name):
        return getattr(self._module, name)

    def constant(self, value, dtype=None, *args, **kwargs):
        if dtype is None and isinstance(value, float):
            dtype = self._tf.float64
        return self._module.constant(value, dtype, *args, **kwargs)

    def where_v2(self, condition, x=None, y=None, name=None):
        if isinstance(x, float):
            x = self._tf.constant(x, y.dtype)
        return self._module.where_v2(condition, x, y, name)


def _tf_rate(tf, schedule, step, dtype):
    """TF's rate tensor for `schedule` at the int64 vector `step`."""
    tf1 = tf.compat.v1
    if isinstance(schedule, schedules.PiecewiseConstant):
        # tf.case does not vectorize, so map over the steps inside the graph.
        values = [tf.constant(v, dtype) for v in schedule.values]
        return tf.map_fn(
            lambda s: tf1.train.piecewise_constant(s, list(schedule.boundaries), values),
            step, fn_output_signature=dtype)
    args = {}
    for field in dataclasses.fields(schedule)[1:]:  # All but learning_rate.
        value = getattr(schedule, field.name)
        # In float64 every float argument must be a float64 tensor: TF casts a
        # Python float via float32 (e.g. t_mul=1.1 -> 1.100000023841858).
        if isinstance(value, float) and dtype == tf.float64:
            value = tf.constant(value, dtype)
        args[field.name] = value
    learning_rate = tf.constant(schedule.learning_rate, dtype)
    return getattr(tf1.train, _TF_NAMES[type(schedule)])(learning_rate, step, **args)


@pytest.fixture(scope="module")
def tf_rates():
    """{(case id, dtype, config): TF's rates at steps 0..NUM_STEPS-1}.

    One graph holds every case in float32 and float64. config "default" runs
    it in a plain session; "no-folding" turns off grappler's constant folding,
    which rewrites `step / decay_steps` (a constant) as
    `step * (1 / decay_steps)`.
    """
    import numpy as np
    import tensorflow as tf
    from tensorflow.core.protobuf import rewriter_config_pb2

    tf1 = tf.compat.v1
    lrs = sys.modules[tf1.train.cosine_decay.__module__].learning_rate_schedule
    tensors = {}
    with tf.Graph().as_default():
        step = tf1.placeholder(tf.int64, [None], name="global_step")
        for case_id, schedule in TF_CASES:
            tensors[case_id, "float32"] = _tf_rate(tf, schedule, step, tf.float32)
            with pytest.MonkeyPatch.context() as patch:
                patch.setattr(lrs, "constant_op", _Float64Literals(lrs.constant_op, tf))
                patch.setattr(lrs, "array_ops", _Float64Literals(lrs.array_ops, tf))
                tensors[case_id, "float64"] = _tf_rate(tf, schedule, step, tf.float64)
        rewrites = rewriter_config_pb2.RewriterConfig(
            constant_folding=rewriter_config_pb2.RewriterConfig.OFF)
        configs = {"default": tf1.ConfigProto(), "no-folding": tf1.ConfigProto(
            graph_options=tf1.GraphOptions(rewrite_options=rewrites))}
        rates = {}
        for name, config in configs.items():
            with tf1.Session(config=config) as session:
                values = session.run(tensors, {step: np.arange(NUM_STEPS)})
            rates.update({(case_id, dtype, name): [float(v) for v in value]
                          for (case_id, dtype), value in values.items()})
    return rates


def _decimal(x) -> fractions.Fraction:
    """The exact value of the decimal a float was written as (1.1 -> 11/10)."""
    return fractions.Fraction(repr(x))


def _exact_restart(schedule, step):
    """`(i, start)`: the period of `step` and its first step, exactly."""
    start, period = fractions.Fraction(0), _decimal(schedule.first_decay_steps)
    i = 0
    while start + period <= step:
        start, period, i = start + period, period * _decimal(schedule.t_mul), i + 1
    return i, start


def _rate_or_none(schedule, step):
    try:
        return schedule(step)
    except ValueError:
        assert isinstance(schedule, schedules.CosineDecayRestarts)
        assert schedule.t_mul < 1 and step >= schedule.first_decay_steps / (
            1 - schedule.t_mul) * (1 - 1e-8)
        return None


def _off_by_one_rate(schedule, step):
    """TF's rate at an exact regime start `step` if its index is one off.

    None where TF cannot be off. Staircase decays stay on the previous stair;
    cosine_decay_restarts stays at the end of the previous period
    (`learning_rate * alpha`); polynomial_decay(cycle=True) rounds
    `ceil(step / decay_steps)` up, into the next, longer cycle.
    """
    if isinstance(schedule, schedules.CosineDecayRestarts):
        _, start = _exact_restart(schedule, step)
        return schedule.learning_rate * schedule.alpha if start == step else None
    k = _decimal(step) / _decimal(schedule.decay_steps)
    if step == 0 or k.denominator != 1:
        return None
    if isinstance(schedule, schedules.PolynomialDecay) and schedule.cycle:
        p = step / (schedule.decay_steps * (int(k) + 1))
        return ((schedule.learning_rate - schedule.end_learning_rate)
                * (1 - p) ** schedule.power + schedule.end_learning_rate)
    return schedule(step - 1) if getattr(schedule, "staircase", False) else None


def _amplification32(schedule, step):
    if not isinstance(schedule, schedules.CosineDecayRestarts):
        return 1.0
    i, _ = _exact_restart(schedule, step)
    return (1 + step / schedule.first_decay_steps) / schedule.t_mul ** i


# TF differs from the exact formula only at exact regime starts (a multiple of
# decay_steps, a restart), where its regime index can be one off. Seen with
# TF 2.21 on x86-64 (the steps are all exempted by `_off_by_one_rate`):
#  * Grappler's constant folding (config "default" only) rewrites
#    `step / decay_steps` as `step * fl(1 / decay_steps)`, which can round
#    k * decay_steps to just below (floor: one stair late) or above (ceil: one
#    cycle early) k. staircase-428: float32 steps 428, 856, float64 428, 856,
#    1284; staircase-123 float32: 123, 246, 492, 861, 984; cycle-105 float32:
#    735, 1365, 1470; restarts-t2 float64: 70, 630, 1270; restarts-t6: 10, 70,
#    430; restarts-t1.25: 13; restarts-t0.7 float64: 500. The floor/ceil cases
#    are plain IEEE arithmetic and asserted in the next test.
#  * TF's i = floor(log(1 - f * (1 - t_mul)) / log(t_mul)) can round
#    log(t_mul ** i) / log(t_mul) to i - epsilon at an exact restart (both
#    configs), in float64: restarts-t3 7, 28, 280, 847; restarts-t6 430;
#    restarts-t0.7 850, 1095. This depends on Eigen's (vectorized) log, so
#    it is not asserted.
# Our schedules use the exact regime index; everywhere else they equal TF.
@pytest.mark.parametrize("config", ["no-folding", "default"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case_id,schedule", TF_CASES, ids=[c for c, _ in TF_CASES])
def test_matches_tensorflow(tf_rates, case_id, schedule, dtype, config):
    rtol, atol = (RTOL32, ATOL32) if dtype == "float32" else (RTOL64, ATOL64)
    expected = tf_rates[case_id, dtype, config]
    ours = [_rate_or_none(schedule, step) for step in range(NUM_STEPS)]
    atol *= max(r for r in ours if r is not None)
    compared = 0
    for step, (got, want) in enumerate(zip(ours, expected)):
        if got is None:  # t_mul < 1 past its limit: TF gives NaN, we raise.
            assert math.isnan(want), (step, want)
            continue
        if dtype == "float32" and _amplification32(schedule, step) > MAX_AMPLIFICATION32:
            continue
        compared += 1
        if abs(got - want) <= rtol * abs(got) + atol:
            continue
        # The only allowed difference: TF one regime off at an exact start.
        tf_value = _off_by_one_rate(schedule, step)
        assert tf_value is not None, (step, got, want)
        if not isinstance(schedule, schedules.CosineDecayRestarts):
            assert config == "default", (step, got, want)  # Constant folding only.
        assert want == pytest.approx(tf_value, rel=rtol, abs=atol), (step, got)
    assert compared >= 300


def _changes(index):
    return {s for s in range(1, len(index)) if index[s] != index[s - 1]}


def _brute_force_breakpoints(schedule, total):
    """Steps in [0, total) where the exact stair/cycle/period index changes."""
    if isinstance(schedule, schedules.PiecewiseConstant):
        points = {s for b in schedule.boundaries for s in (b, b + 1)}
    elif isinstance(schedule, schedules.CosineDecayRestarts):
        if schedule.t_mul < 1:  # Undefined from the limit on.
            limit = schedule.first_decay_steps / (1 - schedule.t_mul)
            total = min(total, math.ceil(limit))
        points = _changes([_exact_restart(schedule, s)[0] for s in range(total)])
    elif getattr(schedule, "staircase", False):
        ds = fractions.Fraction(schedule.decay_steps)
        points = _changes([math.floor(s / ds) for s in range(total)])
    elif getattr(schedule, "cycle", False):  # m = ceil(step / ds), 1 at step 0.
        ds = fractions.Fraction(schedule.decay_steps)
        jumps = _changes([max(1, math.ceil(s / ds)) for s in range(total)])
        points = jumps | {s - 1 for s in jumps}  # And each cycle's last step.
    elif isinstance(schedule, (schedules.ExponentialDecay, schedules.InverseTimeDecay,
                               schedules.NaturalExpDecay)):
        points = set()  # Smooth.
    else:  # The end of the decay.
        points = {math.ceil(schedule.decay_steps)}
    return tuple(sorted(s for s in points if s < total))


@pytest.mark.parametrize("case_id,schedule", TF_CASES, ids=[c for c, _ in TF_CASES])
def test_breakpoints_match_brute_force(case_id, schedule):
    assert schedule.breakpoints(NUM_STEPS) == _brute_force_breakpoints(schedule, NUM_STEPS)


@pytest.mark.parametrize("case_id,dtype,steps", [
    ("staircase-428", "float32", [428, 856]),
    ("staircase-428", "float64", [428, 856, 1284]),
    ("staircase-123", "float32", [123, 246, 492, 861, 984]),
    ("cycle-105", "float32", [735, 1365, 1470]),
    ("cycle-105", "float64", [315, 525, 630, 735, 1050, 1155, 1260, 1365]),
])
def test_grappler_reciprocal_shifts_tensorflow_at_exact_multiples(
        tf_rates, case_id, dtype, steps):
    schedule = dict(TF_CASES)[case_id]
    default = tf_rates[case_id, dtype, "default"]
    exact = tf_rates[case_id, dtype, "no-folding"]
    for step in steps:
        assert default[step] == pytest.approx(_off_by_one_rate(schedule, step), rel=1e-6)
        assert default[step] != pytest.approx(schedule(step), rel=1e-3)
        assert exact[step] == pytest.approx(schedule(step), rel=1e-6)


def test_t_mul_below_one_is_undefined_where_tensorflow_returns_nan():
    # Restarts at 10, 15, 17.5, ... accumulate at 10 / (1 - 0.5) = 20.
    schedule = schedules.cosine_decay_restarts(1.0, 10, t_mul=0.5)
    assert schedule(19) == pytest.approx(0.5 * (1 + math.cos(math.pi * 0.4)))  # p = 0.25 / 0.625
    for step in (20, 21, 1000):
        with pytest.raises(ValueError, match=r"^`step` must be < 20\.0 .*got %d$" % step):
            schedule(step)


# ---------------------------------------------------------------------------
# 2. What only this family has: numpy arguments, overflow, random schedules.
# ---------------------------------------------------------------------------


def test_accepts_numpy_scalars_and_normalizes_them():
    np = pytest.importorskip("numpy")
    schedule = schedules.exponential_decay(np.float32(0.5), np.int64(10), np.float64(0.5))
    assert schedule(np.int64(10)) == schedule(10) == 0.25
    assert type(schedule.learning_rate) is float and type(schedule.decay_steps) is int
    assert repr(schedule) == ("exponential_decay(learning_rate=0.5, decay_steps=10, "
                              "decay_rate=0.5, staircase=False)")
    boundaries = schedules.piecewise_constant(np.array([5, 9]), np.array([3, 2, 1]))
    assert boundaries == schedules.piecewise_constant((5, 9), (3.0, 2.0, 1.0))


def test_large_growth_overflows_to_inf_like_tensorflow():
    assert schedules.exponential_decay(1.0, 1, 10.0)(400) == math.inf
    assert schedules.cosine_decay_restarts(1.0, 1, 1.0, m_mul=10.0)(400) == math.inf


_RATES = st.floats(0.0, 10.0)
_STEP_COUNTS = st.one_of(st.integers(1, 10**6), st.floats(0.5, 1e6))
_FRACTIONS = st.floats(0.0, 1.0)
_BOUNDARIES = st.lists(st.integers(0, 10**6), unique=True, max_size=5).map(sorted)
ANY_SCHEDULE = st.one_of(
    st.builds(schedules.constant, _RATES),
    _BOUNDARIES.flatmap(lambda b: st.builds(
        schedules.piecewise_constant, st.just(b),
        st.lists(_RATES, min_size=len(b) + 1, max_size=len(b) + 1))),
    st.builds(schedules.exponential_decay, _RATES, _STEP_COUNTS, _FRACTIONS,
              st.booleans()),
    st.builds(schedules.inverse_time_decay, _RATES, _STEP_COUNTS, st.floats(0, 100),
              st.booleans()),
    st.builds(schedules.natural_exp_decay, _RATES, _STEP_COUNTS, st.floats(0, 100),
              st.booleans()),
    st.builds(schedules.polynomial_decay, _RATES, _STEP_COUNTS, _RATES,
              st.floats(0.01, 10.0), st.booleans()),
    st.builds(schedules.cosine_decay, _RATES, _STEP_COUNTS, _FRACTIONS),
    st.builds(schedules.cosine_decay_restarts, _RATES, _STEP_COUNTS,
              st.floats(1.0, 10.0), _FRACTIONS, _FRACTIONS),
    st.builds(schedules.linear_cosine_decay, _RATES, _STEP_COUNTS,
              st.floats(0.0, 100.0), _FRACTIONS, _FRACTIONS),
)


@hypothesis.settings(max_examples=300, deadline=None, database=None)
@hypothesis.given(ANY_SCHEDULE, st.integers(0, 10**12), st.integers(0, 2000))
def test_any_valid_schedule_is_finite_and_round_trips(schedule, step, total_steps):
    rate = schedule(step)
    assert type(rate) is float and math.isfinite(rate) and rate >= 0
    assert eval(repr(schedule), vars(schedules)) == schedule  # noqa: S307
    points = schedule.breakpoints(total_steps)
    assert list(points) == sorted(set(points))
    assert all(type(p) is int and 0 <= p < total_steps for p in points)


# ---------------------------------------------------------------------------
# 3. Values: repr round trip of the random cases, equality, hashing.
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("schedule", [s for _, s in TF_CASES], ids=[c for c, _ in TF_CASES])
def test_repr_round_trips(schedule):
    text = repr(schedule)
    assert text.startswith(_TF_NAMES.get(type(schedule), text.split("(")[0]) + "(")
    copy = eval(text, vars(schedules))  # noqa: S307 - our own repr.
    assert copy == schedule and hash(copy) == hash(schedule)
    assert copy is not schedule and repr(copy) == text


def test_repr_looks_like_the_factory_call():
    assert repr(schedules.exponential_decay(0.1, 1000, 0.96, True)) == (
        "exponential_decay(learning_rate=0.1, decay_steps=1000, decay_rate=0.96, "
        "staircase=True)")
    assert repr(schedules.piecewise_constant([10, 20], [1, 0.5, 0.1])) == (
        "piecewise_constant(boundaries=(10, 20), values=(1.0, 0.5, 0.1))")


def test_equality_and_hashing():
    a = schedules.cosine_decay(0.1, 1000, alpha=0.01)
    assert a == schedules.cosine_decay(0.1, 1000, 0.01)
    assert a != schedules.cosine_decay(0.1, 1000, 0.02)
    assert a != schedules.linear_cosine_decay(0.1, 1000, alpha=0.01)
    assert schedules.exponential_decay(0.1, 10, 0.5) != schedules.natural_exp_decay(
        0.1, 10, 0.5)
    assert len({a, schedules.cosine_decay(0.1, 1000, alpha=0.01),
                schedules.piecewise_constant([1], [1, 2]),
                schedules.piecewise_constant((1,), (1.0, 2.0))}) == 2
