"""Tests for `lrhooks.schedules`: golden tables, TensorFlow parity, validation."""

import dataclasses
import fractions
import math
import pathlib
import random
import re
import struct
import subprocess
import sys

import hypothesis
import pytest
from hypothesis import strategies as st

from lrhooks import schedules

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent

# ---------------------------------------------------------------------------
# 1. Golden tables, computed by hand from the documented formulas.
# ---------------------------------------------------------------------------

_COS = lambda x: math.cos(math.pi * x)  # noqa: E731  cos(pi * x)

GOLDEN = [
    (schedules.constant(0.1), [(0, 0.1), (1, 0.1), (10**12, 0.1)]),
    # TF's rule: step <= 10 -> 1.0; 10 < step <= 20 -> 0.5; step > 20 -> 0.1.
    (schedules.piecewise_constant([10, 20], [1.0, 0.5, 0.1]),
     [(0, 1.0), (9, 1.0), (10, 1.0), (11, 0.5), (20, 0.5), (21, 0.1),
      (10**9, 0.1)]),
    (schedules.piecewise_constant([0], [0.3, 0.2]), [(0, 0.3), (1, 0.2)]),
    (schedules.piecewise_constant([], [0.7]), [(0, 0.7), (5, 0.7)]),
    # 0.1 * 0.5 ** (step / 10)
    (schedules.exponential_decay(0.1, 10, 0.5),
     [(0, 0.1), (5, 0.1 / math.sqrt(2.0)), (10, 0.05), (20, 0.025),
      (15, 0.05 / math.sqrt(2.0))]),
    # 0.1 * 0.5 ** floor(step / 10): changes exactly at multiples of 10.
    (schedules.exponential_decay(0.1, 10, 0.5, staircase=True),
     [(0, 0.1), (9, 0.1), (10, 0.05), (19, 0.05), (20, 0.025), (29, 0.025),
      (30, 0.0125)]),
    # Float decay_steps 2.5: floor(4 / 2.5) = 1, floor(5 / 2.5) = 2.
    (schedules.exponential_decay(1.0, 2.5, 0.5, staircase=True),
     [(2, 1.0), (3, 0.5), (4, 0.5), (5, 0.25)]),
    # decay_rate > 1 grows: 1.0 * 2 ** (step / 10).
    (schedules.exponential_decay(1.0, 10, 2.0), [(10, 2.0), (30, 8.0)]),
    # 1 / (1 + 0.5 * step / 10)
    (schedules.inverse_time_decay(1.0, 10, 0.5),
     [(0, 1.0), (5, 1 / 1.25), (10, 1 / 1.5), (20, 0.5), (60, 0.25)]),
    # 1 / (1 + 0.5 * floor(step / 10))
    (schedules.inverse_time_decay(1.0, 10, 0.5, staircase=True),
     [(9, 1.0), (10, 1 / 1.5), (19, 1 / 1.5), (20, 0.5), (21, 0.5)]),
    # exp(-0.5 * step / 10)
    (schedules.natural_exp_decay(1.0, 10, 0.5),
     [(0, 1.0), (5, math.exp(-0.25)), (10, math.exp(-0.5)), (20, math.exp(-1.0))]),
    # 2 * exp(-0.5 * floor(step / 10))
    (schedules.natural_exp_decay(2.0, 10, 0.5, staircase=True),
     [(9, 2.0), (10, 2 * math.exp(-0.5)), (19, 2 * math.exp(-0.5)),
      (20, 2 * math.exp(-1.0))]),
    # (1 - 0.1) * (1 - min(step, 10) / 10) ** 2 + 0.1
    (schedules.polynomial_decay(1.0, 10, end_learning_rate=0.1, power=2.0),
     [(0, 1.0), (5, 0.9 * 0.25 + 0.1), (9, 0.9 * 0.01 + 0.1), (10, 0.1),
      (11, 0.1), (1000, 0.1)]),
    # Default end_learning_rate=0.0001, power=1: (1 - 1e-4) * (1 - step/4) + 1e-4.
    (schedules.polynomial_decay(1.0, 4), [(1, 0.9999 * 0.75 + 0.0001), (4, 0.0001)]),
    # cycle: m = 1 at step 0, else ceil(step / 10); p = step / (10 * m); 1 - p.
    (schedules.polynomial_decay(1.0, 10, end_learning_rate=0.0, cycle=True),
     [(0, 1.0), (5, 0.5), (10, 0.0),   # m = 1
      (11, 1 - 11 / 20), (20, 0.0),    # m = 2: 0.45, then the end again
      (21, 1 - 21 / 30), (30, 0.0)]),  # m = 3: 0.3
    # 0.9 * 0.5 * (1 + cos(pi * min(step, 100) / 100)) + 0.1
    (schedules.cosine_decay(1.0, 100, alpha=0.1),
     [(0, 1.0), (25, 0.45 * (1 + math.sqrt(0.5)) + 0.1), (50, 0.55),
      (100, 0.1), (101, 0.1), (10**6, 0.1)]),
    # Periods 10, 20, 40 start at 10, 30, 70; peak m_mul ** i = 0.5 ** i.
    (schedules.cosine_decay_restarts(1.0, 10, t_mul=2.0, m_mul=0.5),
     [(0, 1.0), (5, 0.5), (9, 0.5 * (1 + _COS(0.9))),
      (10, 0.5), (20, 0.25), (29, 0.25 * (1 + _COS(19 / 20))),
      (30, 0.25), (69, 0.125 * (1 + _COS(39 / 40))),
      (70, 0.125),                     # float64 TF gives 0 here (see below)
      (150, 0.0625)]),
    # alpha = 0.2: 0.8 * (peak part) + 0.2.
    (schedules.cosine_decay_restarts(2.0, 10, t_mul=2.0, m_mul=0.5, alpha=0.2),
     [(0, 2.0), (9, 2 * (0.8 * 0.5 * (1 + _COS(0.9)) + 0.2)),
      (10, 2 * (0.8 * 0.5 + 0.2)), (70, 2 * (0.8 * 0.125 + 0.2))]),
    # t_mul = 3: periods 10, 30, 90 start at 10, 40, 130.
    (schedules.cosine_decay_restarts(1.0, 10, t_mul=3.0, m_mul=1.0),
     [(10, 1.0), (25, 0.5), (39, 0.5 * (1 + _COS(29 / 30))), (40, 1.0),
      (130, 1.0)]),
    # t_mul = 6: periods 10, 60, 360 start at 10, 70, 430 (float32 TF misses them).
    (schedules.cosine_decay_restarts(1.0, 10, t_mul=6.0, m_mul=0.5),
     [(10, 0.5), (69, 0.25 * (1 + _COS(59 / 60))), (70, 0.25), (430, 0.125)]),
    # t_mul = 10: periods 10, 100, 1000 start at 10, 110, 1110. At step 1110,
    # log(1 - 111 * (1 - 10)) / log(10) = log(1000) / log(10) evaluates to
    # 2.9999999999999996 in float64, so TF's floor() alone would give i = 2.
    (schedules.cosine_decay_restarts(1.0, 10, t_mul=10.0, m_mul=0.5),
     [(110, 0.25), (1109, 0.125 * (1 + _COS(999 / 1000))), (1110, 0.125)]),
    # t_mul = 1: restart every 10 steps, p = step / 10 - floor(step / 10).
    (schedules.cosine_decay_restarts(1.0, 10, t_mul=1.0, m_mul=0.5),
     [(10, 0.5), (15, 0.25), (20, 0.25), (35, 0.0625)]),
    # Far out: f = 10**8 + 0.5 periods, so p = 0.5 (no restart snapping).
    (schedules.cosine_decay_restarts(1.0, 10**4, t_mul=1.0),
     [(10**12 + 5000, 0.5), (10**12, 1.0), (10**12 - 2500, 0.5 * (1 + _COS(0.75)))]),
    # t_mul = 1.1: period 1 is 11 steps, so step 21 restarts (1.1 ** 1 = 1.21 peak).
    (schedules.cosine_decay_restarts(1.0, 10, t_mul=1.1, m_mul=1.1),
     [(20, 0.55 * (1 + _COS(10 / 11))), (21, 1.21)]),
    # t_mul = 0.5: periods 10, 5, 2.5, 1.25 start at 10, 15, 17.5, 18.75;
    # step 19 is in period 4 (starts 18.75, lasts 0.625): p = 0.25 / 0.625.
    (schedules.cosine_decay_restarts(1.0, 10, t_mul=0.5, m_mul=1.0),
     [(14, 0.5 * (1 + _COS(4 / 5))), (15, 1.0), (18, 0.5 * (1 + _COS(0.5 / 1.25))),
      (19, 0.5 * (1 + _COS(0.4)))]),
    # (0 + (100 - s) / 100) * 0.5 * (1 + cos(pi * s / 100)) + 0.001 with s = min(step, 100).
    (schedules.linear_cosine_decay(1.0, 100),
     [(0, 1.001), (50, 0.5 * 0.5 + 0.001), (100, 0.001), (200, 0.001)]),
    # num_periods=1, alpha=0.5, beta=0.01: cos(2 * pi * s / 100).
    (schedules.linear_cosine_decay(2.0, 100, num_periods=1.0, alpha=0.5, beta=0.01),
     [(0, 2 * 1.51), (25, 2 * (1.25 * 0.5 + 0.01)), (50, 2 * 0.01),
      (75, 2 * (0.75 * 0.5 + 0.01)), (100, 2 * (0.5 + 0.01))]),
]


@pytest.mark.parametrize(
    "schedule,step,expected",
    [(s, step, want) for s, rows in GOLDEN for step, want in rows],
    ids=[f"{s!r}@{step}" for s, rows in GOLDEN for step, _ in rows])
def test_golden(schedule, step, expected):
    got = schedule(step)
    assert type(got) is float
    assert got == pytest.approx(expected, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("schedule,total_steps,expected", [
    (schedules.constant(1.0), 100, ()),
    (schedules.piecewise_constant([10, 20], [1.0, 0.5, 0.1]), 100, (10, 11, 20, 21)),
    (schedules.piecewise_constant([10, 20], [1.0, 0.5, 0.1]), 21, (10, 11, 20)),
    (schedules.exponential_decay(1.0, 10, 0.5), 100, ()),
    (schedules.exponential_decay(1.0, 10, 0.5, staircase=True), 35, (10, 20, 30)),
    (schedules.natural_exp_decay(1.0, 2.5, 0.5, staircase=True), 9, (3, 5, 8)),
    (schedules.inverse_time_decay(1.0, 10, 0.5, staircase=True), 10, ()),
    (schedules.polynomial_decay(1.0, 10), 100, (10,)),
    (schedules.polynomial_decay(1.0, 10, cycle=True), 25, (10, 11, 20, 21)),
    (schedules.cosine_decay(1.0, 10), 100, (10,)),
    (schedules.cosine_decay(1.0, 10), 10, ()),
    (schedules.linear_cosine_decay(1.0, 10.5), 100, (11,)),
    (schedules.cosine_decay_restarts(1.0, 10), 200, (10, 30, 70, 150)),
    (schedules.cosine_decay_restarts(1.0, 10, t_mul=6.0), 1000, (10, 70, 430)),
    (schedules.cosine_decay_restarts(1.0, 10, t_mul=1.0), 35, (10, 20, 30)),
    (schedules.cosine_decay_restarts(1.0, 10, t_mul=1.1), 40, (10, 21, 34)),
    # Restarts at 10, 15, 17.5, 18.75, 19.375, ... -> limit 20.
    (schedules.cosine_decay_restarts(1.0, 10, t_mul=0.5), 100, (10, 15, 18, 19)),
])
def test_breakpoints(schedule, total_steps, expected):
    assert schedule.breakpoints(total_steps) == expected


# ---------------------------------------------------------------------------
# 2. Parity with TensorFlow's own tf.compat.v1.train functions.
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
    assert schedule(19) > 0
    for step in (20, 21, 1000):
        with pytest.raises(ValueError, match=r"^`step` must be < 20\.0 .*got %d$" % step):
            schedule(step)


# ---------------------------------------------------------------------------
# 3. Validation: every error message.
# ---------------------------------------------------------------------------

_NUMBER = "must be a finite number >= 0, got "
_POSITIVE = "must be a finite number > 0, got "
_STEPS = "must be an integer > 0 or a finite float > 0, got "


@pytest.mark.parametrize("make,error,message", [
    (lambda: schedules.constant(-0.1), ValueError, "`learning_rate` " + _NUMBER + "-0.1"),
    (lambda: schedules.constant(math.nan), ValueError, "`learning_rate` " + _NUMBER + "nan"),
    (lambda: schedules.constant(math.inf), ValueError, "`learning_rate` " + _NUMBER + "inf"),
    (lambda: schedules.constant(True), TypeError, "`learning_rate` " + _NUMBER + "True"),
    (lambda: schedules.constant("0.1"), TypeError, "`learning_rate` " + _NUMBER + "'0.1'"),
    (lambda: schedules.constant(None), TypeError, "`learning_rate` " + _NUMBER + "None"),
    (lambda: schedules.piecewise_constant(5, [1.0]), TypeError,
     "`boundaries` must be a sequence, got 5"),
    (lambda: schedules.piecewise_constant([1], "ab"), TypeError,
     "`values` must be a sequence, got 'ab'"),
    (lambda: schedules.piecewise_constant([1, 2.5], [1.0, 1.0, 1.0]), TypeError,
     "`boundaries` element 1 must be an integer >= 0, got 2.5"),
    (lambda: schedules.piecewise_constant([False], [1.0, 1.0]), TypeError,
     "`boundaries` element 0 must be an integer >= 0, got False"),
    (lambda: schedules.piecewise_constant([-1], [1.0, 1.0]), ValueError,
     "`boundaries` element 0 must be an integer >= 0, got -1"),
    (lambda: schedules.piecewise_constant([10, 10], [1.0, 1.0, 1.0]), ValueError,
     "`boundaries` must be strictly increasing, got (10, 10)"),
    (lambda: schedules.piecewise_constant([10, 5], [1.0, 1.0, 1.0]), ValueError,
     "`boundaries` must be strictly increasing, got (10, 5)"),
    (lambda: schedules.piecewise_constant([10], [1.0]), ValueError,
     "`values` must have len(boundaries) + 1 = 2 elements, got 1: (1.0,)"),
    (lambda: schedules.piecewise_constant([10], [1.0, -2.0]), ValueError,
     "`values` element 1 " + _NUMBER + "-2.0"),
    (lambda: schedules.exponential_decay(0.1, -3, 0.5), ValueError,
     "`decay_steps` " + _STEPS + "-3"),
    (lambda: schedules.exponential_decay(0.1, 0, 0.5), ValueError,
     "`decay_steps` " + _STEPS + "0"),
    (lambda: schedules.inverse_time_decay(0.1, 0.0, 0.5), ValueError,
     "`decay_steps` " + _STEPS + "0.0"),
    (lambda: schedules.natural_exp_decay(0.1, math.nan, 0.5), ValueError,
     "`decay_steps` " + _STEPS + "nan"),
    (lambda: schedules.cosine_decay(0.1, math.inf), ValueError,
     "`decay_steps` " + _STEPS + "inf"),
    (lambda: schedules.cosine_decay(0.1, True), TypeError, "`decay_steps` " + _STEPS + "True"),
    (lambda: schedules.cosine_decay(0.1, "10"), TypeError, "`decay_steps` " + _STEPS + "'10'"),
    (lambda: schedules.exponential_decay(0.1, 10, -0.5), ValueError,
     "`decay_rate` " + _NUMBER + "-0.5"),
    (lambda: schedules.inverse_time_decay(0.1, 10, math.inf), ValueError,
     "`decay_rate` " + _NUMBER + "inf"),
    (lambda: schedules.exponential_decay(0.1, 10, 0.5, staircase=1), TypeError,
     "`staircase` must be a bool (True or False), got 1"),
    (lambda: schedules.polynomial_decay(0.1, 10, end_learning_rate=-1), ValueError,
     "`end_learning_rate` " + _NUMBER + "-1.0"),
    (lambda: schedules.polynomial_decay(0.1, 10, power=0), ValueError,
     "`power` " + _POSITIVE + "0.0"),
    (lambda: schedules.polynomial_decay(0.1, 10, power=math.nan), ValueError,
     "`power` " + _POSITIVE + "nan"),
    (lambda: schedules.polynomial_decay(0.1, 10, power=False), TypeError,
     "`power` " + _POSITIVE + "False"),
    (lambda: schedules.polynomial_decay(0.1, 10, cycle="yes"), TypeError,
     "`cycle` must be a bool (True or False), got 'yes'"),
    (lambda: schedules.cosine_decay(0.1, 10, alpha=-0.1), ValueError,
     "`alpha` " + _NUMBER + "-0.1"),
    (lambda: schedules.cosine_decay_restarts(0.1, 0), ValueError,
     "`first_decay_steps` " + _STEPS + "0"),
    (lambda: schedules.cosine_decay_restarts(0.1, 10, t_mul=0.0), ValueError,
     "`t_mul` " + _POSITIVE + "0.0"),
    (lambda: schedules.cosine_decay_restarts(0.1, 10, t_mul=-2.0), ValueError,
     "`t_mul` " + _POSITIVE + "-2.0"),
    (lambda: schedules.cosine_decay_restarts(0.1, 10, m_mul=-1.0), ValueError,
     "`m_mul` " + _NUMBER + "-1.0"),
    (lambda: schedules.cosine_decay_restarts(0.1, 10, alpha=math.inf), ValueError,
     "`alpha` " + _NUMBER + "inf"),
    (lambda: schedules.linear_cosine_decay(0.1, 10, num_periods=-0.5), ValueError,
     "`num_periods` " + _NUMBER + "-0.5"),
    (lambda: schedules.linear_cosine_decay(0.1, 10, alpha=math.nan), ValueError,
     "`alpha` " + _NUMBER + "nan"),
    (lambda: schedules.linear_cosine_decay(0.1, 10, beta=-0.001), ValueError,
     "`beta` " + _NUMBER + "-0.001"),
    (lambda: schedules.ExponentialDecay(0.1, -1, 0.5), ValueError,
     "`decay_steps` " + _STEPS + "-1"),
])
def test_validation_messages(make, error, message):
    with pytest.raises(error, match="^" + re.escape(message) + "$") as info:
        make()
    assert type(info.value) is error


@pytest.mark.parametrize("step,error,message", [
    (-1, ValueError, "`step` must be an integer >= 0, got -1"),
    (1.0, TypeError, "`step` must be an integer >= 0, got 1.0"),
    (True, TypeError, "`step` must be an integer >= 0, got True"),
    ("3", TypeError, "`step` must be an integer >= 0, got '3'"),
    (None, TypeError, "`step` must be an integer >= 0, got None"),
])
def test_step_validation(step, error, message):
    schedule = schedules.constant(0.1)
    with pytest.raises(error, match="^" + re.escape(message) + "$"):
        schedule(step)


@pytest.mark.parametrize("total_steps,error", [(-1, ValueError), (2.0, TypeError)])
def test_breakpoints_validation(total_steps, error):
    with pytest.raises(error, match=r"^`total_steps` must be an integer >= 0, got "):
        schedules.exponential_decay(0.1, 10, 0.5, True).breakpoints(total_steps)


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
# 4. Values: repr round trip, equality, hashing, immutability.
# ---------------------------------------------------------------------------

ALL_SCHEDULES = [s for s, _ in GOLDEN] + [s for _, s in TF_CASES]


@pytest.mark.parametrize("schedule", ALL_SCHEDULES, ids=repr)
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


@pytest.mark.parametrize("schedule", [s for s, _ in GOLDEN], ids=repr)
def test_immutable(schedule):
    name = dataclasses.fields(schedule)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(schedule, name, 0.5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        schedule.new_attribute = 1


def test_schedule_base_class():
    assert all(isinstance(s, schedules.Schedule) for s in ALL_SCHEDULES)
    with pytest.raises(TypeError):
        schedules.Schedule()

    class Halving(schedules.Schedule):
        def _value(self, step):
            return 1.0 / 2 ** step

    assert Halving()(3) == 0.125 and Halving().breakpoints(10) == ()
    assert repr(Halving()).startswith("<")
    with pytest.raises(TypeError, match=r"^`step` must be an integer >= 0, got 0\.5$"):
        Halving()(0.5)


def test_factories_have_the_tensorflow_argument_names():
    import inspect

    tf_args = {  # tf.compat.v1.train signatures without global_step and name.
        "piecewise_constant": ["boundaries", "values"],  # TF calls the step `x`.
        "exponential_decay": ["learning_rate", "decay_steps", "decay_rate", "staircase"],
        "inverse_time_decay": ["learning_rate", "decay_steps", "decay_rate", "staircase"],
        "natural_exp_decay": ["learning_rate", "decay_steps", "decay_rate", "staircase"],
        "polynomial_decay": ["learning_rate", "decay_steps", "end_learning_rate",
                             "power", "cycle"],
        "cosine_decay": ["learning_rate", "decay_steps", "alpha"],
        "cosine_decay_restarts": ["learning_rate", "first_decay_steps", "t_mul",
                                  "m_mul", "alpha"],
        "linear_cosine_decay": ["learning_rate", "decay_steps", "num_periods",
                                "alpha", "beta"],
    }
    for name, args in tf_args.items():
        assert list(inspect.signature(getattr(schedules, name)).parameters) == args
        assert getattr(schedules, name).__doc__.count("Args:") == 1


# ---------------------------------------------------------------------------
# 5. The module is TensorFlow-free.
# ---------------------------------------------------------------------------

def test_module_does_not_import_tensorflow():
    code = ("import sys, lrhooks.schedules; "
            "assert 'tensorflow' not in sys.modules, 'tensorflow imported'; "
            "assert 'numpy' not in sys.modules, 'numpy imported'")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
