"""Conformance of every schedule factory: one REGISTRY entry per factory, one suite for all.

Each entry holds the factory's argument names, golden tables `(step, expected)` computed by
hand from the documented formulas, breakpoint tables and every invalid-argument case with its
exact one-line message. The generic tests below run over all entries: golden values, messages,
`repr` and spec round trips, equality/hashing/frozenness, step validation and `breakpoints`
sanity. A new factory fails `test_every_factory_has_an_entry` until it has an entry here.

Family-specific behaviour lives beside this file: TensorFlow parity in
`test_schedules_tf1.py`, joins and properties of compositions in `test_schedules_composition.py`,
PyTorch parity in `test_schedules_pytorch.py`.
"""

import dataclasses
import inspect
import math
import re
from typing import Any, Callable, List, Tuple

import pytest

from lrhooks import schedules
from lrhooks import spec as spec_lib
from tests.support import catalogue_registry
from lrhooks.schedules import (constant, cosine_decay, cosine_decay_restarts, cyclic,
                               exponential_decay, inverse_time_decay, linear_cosine_decay,
                               linear_scaling, multistep_decay, natural_exp_decay, one_cycle,
                               piecewise_constant, polynomial_decay, range_test_schedule, scaled,
                               sequential, step_decay, warmup)

_COS = lambda x: math.cos(math.pi * x)  # noqa: E731  cos(pi * x)


def _cosine(lr, n, step):
    """cosine_decay(lr, n)(step), written out."""
    return lr * 0.5 * (1 + _COS(min(step, n) / n))


def _cos_anneal(start, end, pct):
    """PyTorch's _annealing_cos, written out."""
    return end + (start - end) / 2.0 * (_COS(pct) + 1)


# Composition fixtures.
_TARGET_C = _cosine(0.1, 100, 10)  # warmup C's target: schedule(W), W = 10.
# A ramp 0 -> 0.1 (polynomial_decay with end > start), a plateau, a cosine.
_RAMP = sequential([(10, polynomial_decay(0.0, 10, end_learning_rate=0.1)),
                    (90, constant(0.1))], final=cosine_decay(0.1, 100))
_STAIRS = exponential_decay(1.0, 3, 0.5, staircase=True)  # Stairs at 3, 6, 9, ...
_C = constant(0.1)


def _f(step):
    return 0.1


# PyTorch fixtures. one_cycle(0.1, 100): initial_lr = 0.1 / 25 = 0.004, min_lr = 0.004 / 1e4 =
# 4e-7; phase 0 ends at float(0.3 * 100) - 1 = 29.000000000000004 (not 29).
_E1 = 0.3 * 100 - 1
# one_cycle(1.0, 1000, 0.25, 'linear'): phase 0 ends at 249.0 exactly.
# Three phases for (0.5, 2999, 0.1): ends 0.1 * 2999 - 1 = 298.90000000000003 and
# 2 * 0.1 * 2999 - 2 = 597.8000000000001; initial 0.02, min 2e-6.
_T1, _T2 = 0.1 * 2999 - 1, 2 * 0.1 * 2999 - 2

# The house forms of the messages (lrhooks.checks).
_NUMBER = "must be a finite number >= 0, got "
_POSITIVE = "must be a finite number > 0, got "
_STEPS = "must be an integer > 0 or a finite float > 0, got "
_COUNT = "must be an integer > 0, got "
_UNIT = "must be a finite number in [0, 1], got "
_SCHEDULE = "must be a lrhooks.schedules.Schedule, got "
_PAIRS = "must be a non-empty sequence of (steps, schedule) pairs, got "


@dataclasses.dataclass(frozen=True)
class Entry:
    """What the suite checks for one factory.

    Attributes:
      arguments: The factory's parameter names, in order.
      golden: `(schedule, [(step, expected), ...])`, expected values from the formulas.
      breakpoints: `(schedule, total_steps, expected breakpoints)`.
      invalid: `(make, error type, exact one-line message)`: `make()` must raise it.
      has_spec: Whether the schedule flag language (`lrhooks.spec`) builds it.
    """

    arguments: Tuple[str, ...]
    golden: List[Tuple[Any, List[Tuple[int, float]]]]
    breakpoints: List[Tuple[Any, int, Tuple[int, ...]]]
    invalid: List[Tuple[Callable[[], Any], type, str]]
    has_spec: bool = True


REGISTRY = {
    # ------------------------------------------------------------------------------------------
    # The tf.compat.v1.train family (_decays, _cosine_decays, _steps, _restarts): TF's names.
    # ------------------------------------------------------------------------------------------
    "constant": Entry(
        arguments=("learning_rate",),
        golden=[
            (constant(0.1), [(0, 0.1), (1, 0.1), (10**12, 0.1)]),
        ],
        breakpoints=[
            (constant(1.0), 100, ()),
        ],
        invalid=[
            (lambda: constant(-0.1), ValueError, "`learning_rate` " + _NUMBER + "-0.1"),
            (lambda: constant(math.nan), ValueError, "`learning_rate` " + _NUMBER + "nan"),
            (lambda: constant(math.inf), ValueError, "`learning_rate` " + _NUMBER + "inf"),
            (lambda: constant(True), TypeError, "`learning_rate` " + _NUMBER + "True"),
            (lambda: constant("0.1"), TypeError, "`learning_rate` " + _NUMBER + "'0.1'"),
            (lambda: constant(None), TypeError, "`learning_rate` " + _NUMBER + "None"),
        ],
    ),
    "piecewise_constant": Entry(
        arguments=("boundaries", "values",),
        golden=[
            # TF's rule: step <= 10 -> 1.0; 10 < step <= 20 -> 0.5; step > 20 -> 0.1.
            (piecewise_constant([10, 20], [1.0, 0.5, 0.1]),
             [(0, 1.0), (9, 1.0), (10, 1.0), (11, 0.5), (20, 0.5), (21, 0.1),
              (10**9, 0.1)]),
            (piecewise_constant([0], [0.3, 0.2]), [(0, 0.3), (1, 0.2)]),
            (piecewise_constant([], [0.7]), [(0, 0.7), (5, 0.7)]),
        ],
        breakpoints=[
            (piecewise_constant([10, 20], [1.0, 0.5, 0.1]), 100, (10, 11, 20, 21)),
            (piecewise_constant([10, 20], [1.0, 0.5, 0.1]), 21, (10, 11, 20)),
        ],
        invalid=[
            (lambda: piecewise_constant(5, [1.0]), TypeError,
             "`boundaries` must be a sequence, got 5"),
            (lambda: piecewise_constant([1], "ab"), TypeError,
             "`values` must be a sequence, got 'ab'"),
            (lambda: piecewise_constant([1, 2.5], [1.0, 1.0, 1.0]), TypeError,
             "`boundaries` element 1 must be an integer >= 0, got 2.5"),
            (lambda: piecewise_constant([False], [1.0, 1.0]), TypeError,
             "`boundaries` element 0 must be an integer >= 0, got False"),
            (lambda: piecewise_constant([-1], [1.0, 1.0]), ValueError,
             "`boundaries` element 0 must be an integer >= 0, got -1"),
            (lambda: piecewise_constant([10, 10], [1.0, 1.0, 1.0]), ValueError,
             "`boundaries` must be strictly increasing, got (10, 10)"),
            (lambda: piecewise_constant([10, 5], [1.0, 1.0, 1.0]), ValueError,
             "`boundaries` must be strictly increasing, got (10, 5)"),
            (lambda: piecewise_constant([10], [1.0]), ValueError,
             "`values` must have len(boundaries) + 1 = 2 elements, got 1: (1.0,)"),
            (lambda: piecewise_constant([10], [1.0, -2.0]), ValueError,
             "`values` element 1 " + _NUMBER + "-2.0"),
        ],
    ),
    "exponential_decay": Entry(
        arguments=("learning_rate", "decay_steps", "decay_rate", "staircase",),
        golden=[
            # 0.1 * 0.5 ** (step / 10)
            (exponential_decay(0.1, 10, 0.5),
             [(0, 0.1), (5, 0.1 / math.sqrt(2.0)), (10, 0.05), (20, 0.025),
              (15, 0.05 / math.sqrt(2.0))]),
            # 0.1 * 0.5 ** floor(step / 10): changes exactly at multiples of 10.
            (exponential_decay(0.1, 10, 0.5, staircase=True),
             [(0, 0.1), (9, 0.1), (10, 0.05), (19, 0.05), (20, 0.025), (29, 0.025),
              (30, 0.0125)]),
            # Float decay_steps 2.5: floor(4 / 2.5) = 1, floor(5 / 2.5) = 2.
            (exponential_decay(1.0, 2.5, 0.5, staircase=True),
             [(2, 1.0), (3, 0.5), (4, 0.5), (5, 0.25)]),
            # decay_rate > 1 grows: 1.0 * 2 ** (step / 10).
            (exponential_decay(1.0, 10, 2.0), [(10, 2.0), (30, 8.0)]),
        ],
        breakpoints=[
            (exponential_decay(1.0, 10, 0.5), 100, ()),
            (exponential_decay(1.0, 10, 0.5, staircase=True), 35, (10, 20, 30)),
        ],
        invalid=[
            (lambda: exponential_decay(0.1, -3, 0.5), ValueError,
             "`decay_steps` " + _STEPS + "-3"),
            (lambda: exponential_decay(0.1, 0, 0.5), ValueError,
             "`decay_steps` " + _STEPS + "0"),
            (lambda: exponential_decay(0.1, 10, -0.5), ValueError,
             "`decay_rate` " + _NUMBER + "-0.5"),
            (lambda: exponential_decay(0.1, 10, 0.5, staircase=1), TypeError,
             "`staircase` must be a bool (True or False), got 1"),
            (lambda: schedules.ExponentialDecay(0.1, -1, 0.5), ValueError,
             "`decay_steps` " + _STEPS + "-1"),
        ],
    ),
    "inverse_time_decay": Entry(
        arguments=("learning_rate", "decay_steps", "decay_rate", "staircase",),
        golden=[
            # 1 / (1 + 0.5 * step / 10)
            (inverse_time_decay(1.0, 10, 0.5),
             [(0, 1.0), (5, 1 / 1.25), (10, 1 / 1.5), (20, 0.5), (60, 0.25)]),
            # 1 / (1 + 0.5 * floor(step / 10))
            (inverse_time_decay(1.0, 10, 0.5, staircase=True),
             [(9, 1.0), (10, 1 / 1.5), (19, 1 / 1.5), (20, 0.5), (21, 0.5)]),
        ],
        breakpoints=[
            (inverse_time_decay(1.0, 10, 0.5, staircase=True), 10, ()),
        ],
        invalid=[
            (lambda: inverse_time_decay(0.1, 0.0, 0.5), ValueError,
             "`decay_steps` " + _STEPS + "0.0"),
            (lambda: inverse_time_decay(0.1, 10, math.inf), ValueError,
             "`decay_rate` " + _NUMBER + "inf"),
        ],
    ),
    "natural_exp_decay": Entry(
        arguments=("learning_rate", "decay_steps", "decay_rate", "staircase",),
        golden=[
            # exp(-0.5 * step / 10)
            (natural_exp_decay(1.0, 10, 0.5),
             [(0, 1.0), (5, math.exp(-0.25)), (10, math.exp(-0.5)), (20, math.exp(-1.0))]),
            # 2 * exp(-0.5 * floor(step / 10))
            (natural_exp_decay(2.0, 10, 0.5, staircase=True),
             [(9, 2.0), (10, 2 * math.exp(-0.5)), (19, 2 * math.exp(-0.5)),
              (20, 2 * math.exp(-1.0))]),
        ],
        breakpoints=[
            (natural_exp_decay(1.0, 2.5, 0.5, staircase=True), 9, (3, 5, 8)),
        ],
        invalid=[
            (lambda: natural_exp_decay(0.1, math.nan, 0.5), ValueError,
             "`decay_steps` " + _STEPS + "nan"),
        ],
    ),
    "polynomial_decay": Entry(
        arguments=("learning_rate", "decay_steps", "end_learning_rate", "power", "cycle",),
        golden=[
            # (1 - 0.1) * (1 - min(step, 10) / 10) ** 2 + 0.1
            (polynomial_decay(1.0, 10, end_learning_rate=0.1, power=2.0),
             [(0, 1.0), (5, 0.9 * 0.25 + 0.1), (9, 0.9 * 0.01 + 0.1), (10, 0.1),
              (11, 0.1), (1000, 0.1)]),
            # Default end_learning_rate=0.0001, power=1: (1 - 1e-4) * (1 - step/4) + 1e-4.
            (polynomial_decay(1.0, 4), [(1, 0.9999 * 0.75 + 0.0001), (4, 0.0001)]),
            # cycle: m = 1 at step 0, else ceil(step / 10); p = step / (10 * m); 1 - p.
            (polynomial_decay(1.0, 10, end_learning_rate=0.0, cycle=True),
             [(0, 1.0), (5, 0.5), (10, 0.0),   # m = 1
              (11, 1 - 11 / 20), (20, 0.0),    # m = 2: 0.45, then the end again
              (21, 1 - 21 / 30), (30, 0.0)]),
        ],
        breakpoints=[
            (polynomial_decay(1.0, 10), 100, (10,)),
            (polynomial_decay(1.0, 10, cycle=True), 25, (10, 11, 20, 21)),
        ],
        invalid=[
            (lambda: polynomial_decay(0.1, 10, end_learning_rate=-1), ValueError,
             "`end_learning_rate` " + _NUMBER + "-1.0"),
            (lambda: polynomial_decay(0.1, 10, power=0), ValueError,
             "`power` " + _POSITIVE + "0.0"),
            (lambda: polynomial_decay(0.1, 10, power=math.nan), ValueError,
             "`power` " + _POSITIVE + "nan"),
            (lambda: polynomial_decay(0.1, 10, power=False), TypeError,
             "`power` " + _POSITIVE + "False"),
            (lambda: polynomial_decay(0.1, 10, cycle="yes"), TypeError,
             "`cycle` must be a bool (True or False), got 'yes'"),
        ],
    ),
    "cosine_decay": Entry(
        arguments=("learning_rate", "decay_steps", "alpha",),
        golden=[
            # m = 3: 0.3
            # 0.9 * 0.5 * (1 + cos(pi * min(step, 100) / 100)) + 0.1
            (cosine_decay(1.0, 100, alpha=0.1),
             [(0, 1.0), (25, 0.45 * (1 + math.sqrt(0.5)) + 0.1), (50, 0.55),
              (100, 0.1), (101, 0.1), (10**6, 0.1)]),
        ],
        breakpoints=[
            (cosine_decay(1.0, 10), 100, (10,)),
            (cosine_decay(1.0, 10), 10, ()),
        ],
        invalid=[
            (lambda: cosine_decay(0.1, math.inf), ValueError,
             "`decay_steps` " + _STEPS + "inf"),
            (lambda: cosine_decay(0.1, True), TypeError, "`decay_steps` " + _STEPS + "True"),
            (lambda: cosine_decay(0.1, "10"), TypeError, "`decay_steps` " + _STEPS + "'10'"),
            (lambda: cosine_decay(0.1, 10, alpha=-0.1), ValueError,
             "`alpha` " + _NUMBER + "-0.1"),
        ],
    ),
    "cosine_decay_restarts": Entry(
        arguments=("learning_rate", "first_decay_steps", "t_mul", "m_mul", "alpha",),
        golden=[
            # Periods 10, 20, 40 start at 10, 30, 70; peak m_mul ** i = 0.5 ** i.
            (cosine_decay_restarts(1.0, 10, t_mul=2.0, m_mul=0.5),
             [(0, 1.0), (5, 0.5), (9, 0.5 * (1 + _COS(0.9))),
              (10, 0.5), (20, 0.25), (29, 0.25 * (1 + _COS(19 / 20))),
              (30, 0.25), (69, 0.125 * (1 + _COS(39 / 40))),
              (70, 0.125),                     # float64 TF gives 0 here (see below)
              (150, 0.0625)]),
            # alpha = 0.2: 0.8 * (peak part) + 0.2.
            (cosine_decay_restarts(2.0, 10, t_mul=2.0, m_mul=0.5, alpha=0.2),
             [(0, 2.0), (9, 2 * (0.8 * 0.5 * (1 + _COS(0.9)) + 0.2)),
              (10, 2 * (0.8 * 0.5 + 0.2)), (70, 2 * (0.8 * 0.125 + 0.2))]),
            # t_mul = 3: periods 10, 30, 90 start at 10, 40, 130.
            (cosine_decay_restarts(1.0, 10, t_mul=3.0, m_mul=1.0),
             [(10, 1.0), (25, 0.5), (39, 0.5 * (1 + _COS(29 / 30))), (40, 1.0),
              (130, 1.0)]),
            # t_mul = 6: periods 10, 60, 360 start at 10, 70, 430 (float32 TF misses them).
            (cosine_decay_restarts(1.0, 10, t_mul=6.0, m_mul=0.5),
             [(10, 0.5), (69, 0.25 * (1 + _COS(59 / 60))), (70, 0.25), (430, 0.125)]),
            # t_mul = 10: periods 10, 100, 1000 start at 10, 110, 1110. At step 1110,
            # log(1 - 111 * (1 - 10)) / log(10) = log(1000) / log(10) evaluates to
            # 2.9999999999999996 in float64, so TF's floor() alone would give i = 2.
            (cosine_decay_restarts(1.0, 10, t_mul=10.0, m_mul=0.5),
             [(110, 0.25), (1109, 0.125 * (1 + _COS(999 / 1000))), (1110, 0.125)]),
            # t_mul = 1: restart every 10 steps, p = step / 10 - floor(step / 10).
            (cosine_decay_restarts(1.0, 10, t_mul=1.0, m_mul=0.5),
             [(10, 0.5), (15, 0.25), (20, 0.25), (35, 0.0625)]),
            # Far out: f = 10**8 + 0.5 periods, so p = 0.5 (no restart snapping).
            (cosine_decay_restarts(1.0, 10**4, t_mul=1.0),
             [(10**12 + 5000, 0.5), (10**12, 1.0), (10**12 - 2500, 0.5 * (1 + _COS(0.75)))]),
            # t_mul = 1.1: period 1 is 11 steps, so step 21 restarts (1.1 ** 1 = 1.21 peak).
            (cosine_decay_restarts(1.0, 10, t_mul=1.1, m_mul=1.1),
             [(20, 0.55 * (1 + _COS(10 / 11))), (21, 1.21)]),
            # t_mul = 0.5: periods 10, 5, 2.5, 1.25 start at 10, 15, 17.5, 18.75;
            # step 19 is in period 4 (starts 18.75, lasts 0.625): p = 0.25 / 0.625.
            (cosine_decay_restarts(1.0, 10, t_mul=0.5, m_mul=1.0),
             [(14, 0.5 * (1 + _COS(4 / 5))), (15, 1.0), (18, 0.5 * (1 + _COS(0.5 / 1.25))),
              (19, 0.5 * (1 + _COS(0.4)))]),
        ],
        breakpoints=[
            (cosine_decay_restarts(1.0, 10), 200, (10, 30, 70, 150)),
            (cosine_decay_restarts(1.0, 10, t_mul=6.0), 1000, (10, 70, 430)),
            (cosine_decay_restarts(1.0, 10, t_mul=1.0), 35, (10, 20, 30)),
            (cosine_decay_restarts(1.0, 10, t_mul=1.1), 40, (10, 21, 34)),
            # Restarts at 10, 15, 17.5, 18.75, 19.375, ... -> limit 20.
            (cosine_decay_restarts(1.0, 10, t_mul=0.5), 100, (10, 15, 18, 19)),
        ],
        invalid=[
            (lambda: cosine_decay_restarts(0.1, 0), ValueError,
             "`first_decay_steps` " + _STEPS + "0"),
            (lambda: cosine_decay_restarts(0.1, 10, t_mul=0.0), ValueError,
             "`t_mul` " + _POSITIVE + "0.0"),
            (lambda: cosine_decay_restarts(0.1, 10, t_mul=-2.0), ValueError,
             "`t_mul` " + _POSITIVE + "-2.0"),
            (lambda: cosine_decay_restarts(0.1, 10, m_mul=-1.0), ValueError,
             "`m_mul` " + _NUMBER + "-1.0"),
            (lambda: cosine_decay_restarts(0.1, 10, alpha=math.inf), ValueError,
             "`alpha` " + _NUMBER + "inf"),
        ],
    ),
    "linear_cosine_decay": Entry(
        arguments=("learning_rate", "decay_steps", "num_periods", "alpha", "beta",),
        golden=[
            # (0 + (100 - s) / 100) * 0.5 * (1 + cos(pi * s / 100)) + 0.001, s = min(step, 100).
            (linear_cosine_decay(1.0, 100),
             [(0, 1.001), (50, 0.5 * 0.5 + 0.001), (100, 0.001), (200, 0.001)]),
            # num_periods=1, alpha=0.5, beta=0.01: cos(2 * pi * s / 100).
            (linear_cosine_decay(2.0, 100, num_periods=1.0, alpha=0.5, beta=0.01),
             [(0, 2 * 1.51), (25, 2 * (1.25 * 0.5 + 0.01)), (50, 2 * 0.01),
              (75, 2 * (0.75 * 0.5 + 0.01)), (100, 2 * (0.5 + 0.01))]),
        ],
        breakpoints=[
            (linear_cosine_decay(1.0, 10.5), 100, (11,)),
        ],
        invalid=[
            (lambda: linear_cosine_decay(0.1, 10, num_periods=-0.5), ValueError,
             "`num_periods` " + _NUMBER + "-0.5"),
            (lambda: linear_cosine_decay(0.1, 10, alpha=math.nan), ValueError,
             "`alpha` " + _NUMBER + "nan"),
            (lambda: linear_cosine_decay(0.1, 10, beta=-0.001), ValueError,
             "`beta` " + _NUMBER + "-0.001"),
        ],
    ),
    # ------------------------------------------------------------------------------------------
    # Composition (lrhooks/schedules/_warmup.py, _sequences.py, _products.py).
    # ------------------------------------------------------------------------------------------
    "warmup": Entry(
        arguments=("schedule", "warmup_steps", "initial_learning_rate", "kind", "offset",),
        golden=[
            # A. Linear from 0 to constant 0.1 over 10 steps: 0.1 * step / 10.
            (warmup(constant(0.1), 10),
             [(0, 0.0), (1, 0.01), (9, 0.09), (10, 0.1), (11, 0.1), (10**12, 0.1)]),
            # B. offset=True: cosine sees step - 10, so the target is cosine(0) = 0.1;
            #    0.01 + (0.1 - 0.01) * step / 10 before the join.
            (warmup(cosine_decay(0.1, 100), 10, 0.01),
             [(0, 0.01), (1, 0.019), (9, 0.091), (10, 0.1), (11, _cosine(0.1, 100, 1)),
              (60, 0.05), (109, _cosine(0.1, 100, 99)), (110, 0.0), (111, 0.0)]),
            # C. offset=False: cosine sees the global step; the target is cosine(10).
            (warmup(cosine_decay(0.1, 100), 10, 0.01, offset=False),
             [(0, 0.01), (1, 0.01 + (_TARGET_C - 0.01) * 0.1),
              (9, 0.01 + (_TARGET_C - 0.01) * 0.9), (10, _TARGET_C),
              (11, _cosine(0.1, 100, 11)), (50, 0.05), (99, _cosine(0.1, 100, 99)),
              (100, 0.0), (110, 0.0)]),
            # D. Exponential: 0.001 * (0.1 / 0.001) ** (step / 4) = 0.001 * 100 ** (step / 4).
            (warmup(constant(0.1), 4, 0.001, "exponential"),
             [(0, 0.001), (1, 0.001 * math.sqrt(10.0)), (2, 0.01), (3, 0.01 * math.sqrt(10.0)),
              (4, 0.1), (5, 0.1)]),
            # E. Exponential, offset=False: target exponential_decay(1, 10, 0.5)(10) = 0.5,
            #    then 0.01 * 50 ** (step / 10); from 10 on 0.5 ** (step / 10).
            (warmup(exponential_decay(1.0, 10, 0.5), 10, 0.01, "exponential", offset=False),
             [(0, 0.01), (1, 0.01 * 50 ** 0.1), (9, 0.01 * 50 ** 0.9), (10, 0.5), (11, 0.5 ** 1.1),
              (20, 0.25)]),
            # F. Constant 0.02 until the join at 5, then the schedule from its step 0
            #    (TF's piecewise rule: local step <= 100 -> 0.1, so global <= 105).
            (warmup(piecewise_constant([100], [0.1, 0.01]), 5, 0.02, "constant"),
             [(0, 0.02), (1, 0.02), (4, 0.02), (5, 0.1), (6, 0.1), (105, 0.1), (106, 0.01)]),
            # G. warmup_steps=0: no warmup.
            (warmup(constant(0.3), 0, 0.1), [(0, 0.3), (1, 0.3)]),
            # H. warmup_steps=1: only step 0 is warmup.
            (warmup(constant(0.2), 1), [(0, 0.0), (1, 0.2), (2, 0.2)]),
            # I. Exponential into a zero rate: 0.1 * 0 ** (step / 4) = 0 after step 0.
            (warmup(constant(0.0), 4, 0.1, "exponential"),
             [(0, 0.1), (1, 0.0), (3, 0.0), (4, 0.0)]),
            # J. Linear warmup down: from 0.5 to 0.1.
            (warmup(constant(0.1), 4, 0.5), [(0, 0.5), (1, 0.4), (3, 0.2), (4, 0.1)]),
            # Nested: 10 steps of warmup, then sequential from its step 0.
            (warmup(sequential([(100, constant(0.1))], final=cosine_decay(0.1, 1000)), 10),
             [(0, 0.0), (5, 0.05), (9, 0.09), (10, 0.1), (109, 0.1), (110, 0.1),
              (111, _cosine(0.1, 1000, 1)), (610, 0.05), (1110, 0.0)]),
        ],
        breakpoints=[
            (warmup(constant(0.1), 10), 100, (10,)),
            (warmup(constant(0.1), 10), 10, ()),
            (warmup(constant(0.1), 0), 100, ()),
            (warmup(piecewise_constant([100], [0.1, 0.01]), 5), 200, (5, 105, 106)),
            (warmup(piecewise_constant([100], [0.1, 0.01]), 5, offset=False), 200, (5, 100, 101)),
            # Breakpoints of the wrapped schedule under the warmup are hidden.
            (warmup(piecewise_constant([3], [0.1, 0.01]), 5, offset=False), 100, (5,)),
            (warmup(piecewise_constant([3, 10], [0.3, 0.2, 0.1]), 0), 20, (3, 4, 10, 11)),
            (warmup(cosine_decay(0.1, 1000), 100), 2000, (100, 1100)),
            (warmup(cosine_decay(0.1, 1000), 100, offset=False), 2000, (100, 1000)),
            (warmup(sequential([(100, constant(0.1))], final=cosine_decay(0.1, 1000)), 10), 5000,
             (10, 110, 1110)),
            (warmup(one_cycle(1.0, 100), 10), 200, (10, 39, 40, 109)),
        ],
        invalid=[
            (lambda: warmup(_f, 10), TypeError, "`schedule` " + _SCHEDULE + repr(_f)),
            (lambda: warmup(0.1, 10), TypeError, "`schedule` " + _SCHEDULE + "0.1"),
            (lambda: warmup(_C, -1), ValueError, "`warmup_steps` must be an integer >= 0, got -1"),
            (lambda: warmup(_C, 2.5), TypeError,
             "`warmup_steps` must be an integer >= 0, got 2.5"),
            (lambda: warmup(_C, True), TypeError,
             "`warmup_steps` must be an integer >= 0, got True"),
            (lambda: warmup(_C, 10, -0.1), ValueError,
             "`initial_learning_rate` " + _NUMBER + "-0.1"),
            (lambda: warmup(_C, 10, math.nan), ValueError,
             "`initial_learning_rate` " + _NUMBER + "nan"),
            (lambda: warmup(_C, 10, "0"), TypeError, "`initial_learning_rate` " + _NUMBER + "'0'"),
            (lambda: warmup(_C, 10, kind="cosine"), ValueError,
             "`kind` must be one of 'linear', 'exponential', 'constant', got 'cosine'"),
            (lambda: warmup(_C, 10, kind=None), ValueError,
             "`kind` must be one of 'linear', 'exponential', 'constant', got None"),
            (lambda: warmup(_C, 10, kind="exponential"), ValueError,
             "`initial_learning_rate` must be > 0 for kind='exponential', got 0.0"),
            (lambda: warmup(_C, 10, offset=1), TypeError,
             "`offset` must be a bool (True or False), got 1"),
            (lambda: warmup(_C, 10, offset="warmup_end"), TypeError,
             "`offset` must be a bool (True or False), got 'warmup_end'"),
        ],
    ),
    "sequential": Entry(
        arguments=("parts", "final",),
        golden=[
            # Sequential: parts see local steps; the switch is at start_i exactly.
            (sequential([(10, constant(1.0)), (20, constant(0.5))], final=constant(0.1)),
             [(0, 1.0), (9, 1.0), (10, 0.5), (11, 0.5), (29, 0.5), (30, 0.1), (31, 0.1),
              (10**12, 0.1)]),
            # A ramp 0 -> 0.1 (polynomial_decay with end > start), a plateau, a cosine.
            (_RAMP,
             [(0, 0.0), (1, 0.01), (9, 0.09), (10, 0.1), (99, 0.1), (100, 0.1),
              (101, _cosine(0.1, 100, 1)), (150, 0.05), (199, _cosine(0.1, 100, 99)),
              (200, 0.0), (201, 0.0)]),
            # Local steps restart in each part: 0.5 ** local, then 2 * 0.5 ** local.
            (sequential([(3, exponential_decay(1.0, 1, 0.5)), (3, exponential_decay(1.0, 1, 0.5))],
                        final=exponential_decay(2.0, 1, 0.5)),
             [(0, 1.0), (2, 0.25), (3, 1.0), (4, 0.5), (5, 0.25), (6, 2.0), (7, 1.0), (9, 0.25)]),
            # final=None: the last part goes on with its local step (step - 5).
            (sequential([(5, constant(1.0)), (5, exponential_decay(1.0, 1, 0.5))]),
             [(4, 1.0), (5, 1.0), (6, 0.5), (9, 0.0625), (10, 0.03125), (20, 0.5 ** 15)]),
            # A single part and no final: the schedule itself.
            (sequential([(7, cosine_decay(1.0, 10))]),
             [(0, 1.0), (5, 0.5), (7, _cosine(1.0, 10, 7)), (10, 0.0), (11, 0.0)]),
        ],
        breakpoints=[
            (sequential([(10, constant(1.0)), (20, constant(0.5))], final=constant(0.1)), 100,
             (10, 30)),
            (sequential([(10, constant(1.0)), (20, constant(0.5))], final=constant(0.1)),
             20, (10,)),
            # Each part's breakpoints inside its span, shifted; joins 10 and 20.
            (sequential([(10, _STAIRS), (10, cosine_decay(1.0, 5))],
                        final=piecewise_constant([2], [1.0, 0.5])), 40,
             (3, 6, 9, 10, 15, 20, 22, 23)),
            # Without a final the last part goes on: its stairs continue past step 15.
            (sequential([(10, constant(1.0)), (5, _STAIRS)]), 30, (10, 13, 16, 19, 22, 25, 28)),
            (sequential([(10, cosine_decay(1.0, 20))]), 30, (20,)),
        ],
        invalid=[
            (lambda: sequential([]), ValueError, "`parts` " + _PAIRS + "[]"),
            (lambda: sequential(5), TypeError, "`parts` " + _PAIRS + "5"),
            (lambda: sequential("ab"), TypeError, "`parts` " + _PAIRS + "'ab'"),
            (lambda: sequential([(10, _C), 5]), TypeError,
             "`parts` element 1 must be a (steps, schedule) pair, got 5"),
            (lambda: sequential([(10, _C, 1)]), TypeError,
             "`parts` element 0 must be a (steps, schedule) pair, got (10, " + repr(_C) + ", 1)"),
            (lambda: sequential(["ab"]), TypeError,
             "`parts` element 0 must be a (steps, schedule) pair, got 'ab'"),
            (lambda: sequential([(_C, 10)]), TypeError,
             "`parts` element 0 steps " + _COUNT + repr(_C)),
            (lambda: sequential([(10, _C), (0, _C)]), ValueError,
             "`parts` element 1 steps " + _COUNT + "0"),
            (lambda: sequential([(-5, _C)]), ValueError,
             "`parts` element 0 steps " + _COUNT + "-5"),
            (lambda: sequential([(2.0, _C)]), TypeError,
             "`parts` element 0 steps " + _COUNT + "2.0"),
            (lambda: sequential([(True, _C)]), TypeError,
             "`parts` element 0 steps " + _COUNT + "True"),
            (lambda: sequential([(10, _f)]), TypeError,
             "`parts` element 0 schedule " + _SCHEDULE + repr(_f)),
            (lambda: sequential([(10, _C)], final=0.1), TypeError,
             "`final` must be a lrhooks.schedules.Schedule or None, got 0.1"),
        ],
    ),
    "scaled": Entry(
        arguments=("schedule", "factor",),
        golden=[
            # Scaling.
            (scaled(cosine_decay(0.1, 100), 2.0), [(0, 0.2), (50, 0.1), (100, 0.0)]),
            (scaled(constant(0.1), 0.5), [(0, 0.05)]),
        ],
        breakpoints=[
            (scaled(_STAIRS, 2.0), 10, (3, 6, 9)),
        ],
        invalid=[
            (lambda: scaled(_f, 2.0), TypeError, "`schedule` " + _SCHEDULE + repr(_f)),
            (lambda: scaled(_C, 0), ValueError, "`factor` " + _POSITIVE + "0.0"),
            (lambda: scaled(_C, -2), ValueError, "`factor` " + _POSITIVE + "-2.0"),
            (lambda: scaled(_C, math.inf), ValueError, "`factor` " + _POSITIVE + "inf"),
            (lambda: scaled(_C, True), TypeError, "`factor` " + _POSITIVE + "True"),
        ],
    ),
    "linear_scaling": Entry(
        arguments=("schedule", "global_batch_size", "reference_batch_size",),
        golden=[
            # Goyal et al.: 0.1 per 256 examples, 1024 per step -> 0.4.
            (linear_scaling(constant(0.1), 1024, 256), [(0, 0.4), (10**6, 0.4)]),
            (linear_scaling(piecewise_constant([10], [0.1, 0.01]), 1000, 256),
             [(10, 0.1 * 1000 / 256), (11, 0.01 * 1000 / 256)]),
            (linear_scaling(constant(0.8), 32, 256), [(0, 0.1)]),
            (linear_scaling(warmup(scaled(constant(0.1), 2.0), 2), 512, 256),
             [(0, 0.0), (1, 0.2), (2, 0.4)]),
        ],
        breakpoints=[
            (linear_scaling(_STAIRS, 512, 256), 10, (3, 6, 9)),
        ],
        invalid=[
            (lambda: linear_scaling(_f, 512, 256), TypeError,
             "`schedule` " + _SCHEDULE + repr(_f)),
            (lambda: linear_scaling(_C, 0, 256), ValueError,
             "`global_batch_size` " + _COUNT + "0"),
            (lambda: linear_scaling(_C, 512.0, 256), TypeError,
             "`global_batch_size` " + _COUNT + "512.0"),
            (lambda: linear_scaling(_C, 512, -256), ValueError,
             "`reference_batch_size` " + _COUNT + "-256"),
            (lambda: linear_scaling(_C, 512, None), TypeError,
             "`reference_batch_size` " + _COUNT + "None"),
        ],
    ),
    # ------------------------------------------------------------------------------------------
    # The PyTorch family (_steps, _one_cycle, _cyclic): torch.optim.lr_scheduler's argument names
# (minus optimizer and momentum).
    # ------------------------------------------------------------------------------------------
    "step_decay": Entry(
        arguments=("learning_rate", "step_size", "gamma",),
        golden=[
            # 0.1 * 0.1 ** (step // 30)
            (step_decay(0.1, 30),
             [(0, 0.1), (29, 0.1), (30, 0.01), (59, 0.01), (60, 0.001), (89, 0.001),
              (90, 0.0001), (3000, 1e-101)]),
            (step_decay(2.0, 1, gamma=0.5), [(0, 2.0), (1, 1.0), (2, 0.5), (10, 2.0 / 1024)]),
            (step_decay(1.0, 10, gamma=1.0), [(0, 1.0), (10**12, 1.0)]),
            (step_decay(1.0, 10, gamma=0.0), [(9, 1.0), (10, 0.0)]),
        ],
        breakpoints=[
            (step_decay(0.1, 30), 100, (30, 60, 90)),
            (step_decay(0.1, 30), 90, (30, 60)),
            (step_decay(0.1, 1), 4, (1, 2, 3)),
        ],
        invalid=[
            (lambda: step_decay(-0.1, 30), ValueError, "`learning_rate` " + _NUMBER + "-0.1"),
            (lambda: step_decay(0.1, 0), ValueError, "`step_size` " + _COUNT + "0"),
            (lambda: step_decay(0.1, 2.5), TypeError, "`step_size` " + _COUNT + "2.5"),
            (lambda: step_decay(0.1, True), TypeError, "`step_size` " + _COUNT + "True"),
            (lambda: step_decay(0.1, 30, gamma=-0.5), ValueError, "`gamma` " + _NUMBER + "-0.5"),
            (lambda: step_decay(0.1, 30, gamma=math.inf), ValueError,
             "`gamma` " + _NUMBER + "inf"),
        ],
    ),
    "multistep_decay": Entry(
        arguments=("learning_rate", "milestones", "gamma",),
        golden=[
            # 0.1 * 0.1 ** (number of milestones <= step): a milestone is the first step decayed.
            (multistep_decay(0.1, [30, 80]),
             [(0, 0.1), (29, 0.1), (30, 0.01), (79, 0.01), (80, 0.001), (10**9, 0.001)]),
            (multistep_decay(1.0, [0, 2, 3], gamma=0.5),
             [(0, 0.5), (1, 0.5), (2, 0.25), (3, 0.125), (4, 0.125)]),
            (multistep_decay(0.3, []), [(0, 0.3), (10**6, 0.3)]),
            # As PyTorch's Counter: any order, a repeated milestone decays twice.
            (multistep_decay(1.0, [3, 1, 3], gamma=0.5),
             [(0, 1.0), (1, 0.5), (2, 0.5), (3, 0.125), (10, 0.125)]),
        ],
        breakpoints=[
            (multistep_decay(0.1, [0, 30, 80]), 100, (0, 30, 80)),
            (multistep_decay(0.1, [30, 80]), 50, (30,)),
            (multistep_decay(0.1, []), 50, ()),
        ],
        invalid=[
            (lambda: multistep_decay(math.nan, [1]), ValueError,
             "`learning_rate` " + _NUMBER + "nan"),
            (lambda: multistep_decay(0.1, 30), TypeError,
             "`milestones` must be a sequence, got 30"),
            (lambda: multistep_decay(0.1, "30"), TypeError,
             "`milestones` must be a sequence, got '30'"),
            (lambda: multistep_decay(0.1, [30, 2.5]), TypeError,
             "`milestones` element 1 must be an integer >= 0, got 2.5"),
            (lambda: multistep_decay(0.1, [-1]), ValueError,
             "`milestones` element 0 must be an integer >= 0, got -1"),
            (lambda: multistep_decay(0.1, [30], gamma="0.1"), TypeError,
             "`gamma` " + _NUMBER + "'0.1'"),
        ],
    ),
    "one_cycle": Entry(
        arguments=("max_lr", "total_steps", "pct_start", "anneal_strategy", "div_factor",
                   "final_div_factor", "three_phase"),
        golden=[
            # Rising 0.004 -> 0.1 over [0, 29.000000000000004], falling to 4e-7 at 99, held.
            (one_cycle(0.1, 100),
             [(0, 0.004), (1, _cos_anneal(0.004, 0.1, 1 / _E1)),
              (28, _cos_anneal(0.004, 0.1, 28 / _E1)), (29, _cos_anneal(0.004, 0.1, 29 / _E1)),
              (30, _cos_anneal(0.1, 4e-7, (30 - _E1) / (99 - _E1))),
              (50, _cos_anneal(0.1, 4e-7, (50 - _E1) / (99 - _E1))),
              (98, _cos_anneal(0.1, 4e-7, (98 - _E1) / (99 - _E1))),
              (99, 4e-7), (100, 4e-7), (10**9, 4e-7)]),
            # Linear: 0.04 + 0.96 * step / 249, then 1 - (1 - 4e-6) * (step - 249) / 750.
            (one_cycle(1.0, 1000, pct_start=0.25, anneal_strategy="linear"),
             [(0, 0.04), (1, 0.04 + 0.96 / 249), (248, 0.04 + 0.96 * 248 / 249), (249, 1.0),
              (250, 1 - (1 - 4e-6) / 750), (624, 1 - (1 - 4e-6) * 0.5), (999, 4e-6),
              (1000, 4e-6)]),
            (one_cycle(0.5, 2999, pct_start=0.1, three_phase=True),
             [(0, 0.02), (298, _cos_anneal(0.02, 0.5, 298 / _T1)),
              (299, _cos_anneal(0.5, 0.02, (299 - _T1) / (_T2 - _T1))),
              (597, _cos_anneal(0.5, 0.02, (597 - _T1) / (_T2 - _T1))),
              (598, _cos_anneal(0.02, 2e-6, (598 - _T2) / (2998 - _T2))),
              (2998, 2e-6), (5000, 2e-6)]),
            # pct_start=0: phase 0 ends at -1 and is skipped; phase 1 starts at -1.
            (one_cycle(1.0, 11, pct_start=0.0, anneal_strategy="linear", div_factor=2.0,
                       final_div_factor=5.0),
             [(0, 1.0 + (0.1 - 1.0) * 1 / 11), (10, 0.1), (11, 0.1)]),
            # A single step: phase 0 ends at -0.7; step 0 is at pct 1 of the last phase.
            (one_cycle(0.1, 1), [(0, 0.004 / 1e4), (1, 0.004 / 1e4)]),
        ],
        breakpoints=[
            # The peak (last step of phase 0), the first step after it, the end.
            (one_cycle(0.1, 100), 200, (29, 30, 99)),
            (one_cycle(0.1, 100), 50, (29, 30)),
            (one_cycle(1.0, 1000, 0.25), 2000, (249, 250, 999)),
            (one_cycle(0.5, 2999, 0.1, three_phase=True), 5000, (298, 299, 597, 598, 2998)),
            (one_cycle(0.1, 100, pct_start=0.0), 200, (99,)),
            # Phase 0 is empty.
            (one_cycle(0.1, 100, pct_start=1.0), 200, (99,)),
            # The last phase is.
            (one_cycle(0.1, 1), 10, ()),
        ],
        invalid=[
            (lambda: one_cycle(-1.0, 100), ValueError, "`max_lr` " + _NUMBER + "-1.0"),
            (lambda: one_cycle(0.1, 0), ValueError, "`total_steps` " + _COUNT + "0"),
            (lambda: one_cycle(0.1, 100.0), TypeError, "`total_steps` " + _COUNT + "100.0"),
            (lambda: one_cycle(0.1, 100, pct_start=1.5), ValueError,
             "`pct_start` " + _UNIT + "1.5"),
            (lambda: one_cycle(0.1, 100, pct_start=-0.1), ValueError,
             "`pct_start` " + _UNIT + "-0.1"),
            (lambda: one_cycle(0.1, 100, pct_start=math.nan), ValueError,
             "`pct_start` " + _UNIT + "nan"),
            (lambda: one_cycle(0.1, 100, pct_start="0.3"), TypeError,
             "`pct_start` " + _UNIT + "'0.3'"),
            (lambda: one_cycle(0.1, 100, pct_start=False), TypeError,
             "`pct_start` " + _UNIT + "False"),
            (lambda: one_cycle(0.1, 10, pct_start=0.1), ValueError,
             "`pct_start` * `total_steps` must not be 1 (PyTorch divides by zero at step 0 then), "
             "got 0.1 * 10"),
            (lambda: one_cycle(0.1, 2, pct_start=0.5, three_phase=True), ValueError,
             "`pct_start` * `total_steps` must not be 1 (PyTorch divides by zero at step 0 then), "
             "got 0.5 * 2"),
            (lambda: one_cycle(0.1, 100, anneal_strategy="cosine"), ValueError,
             "`anneal_strategy` must be one of 'cos', 'linear', got 'cosine'"),
            (lambda: one_cycle(0.1, 100, div_factor=0), ValueError,
             "`div_factor` " + _POSITIVE + "0.0"),
            (lambda: one_cycle(0.1, 100, final_div_factor=-1e4), ValueError,
             "`final_div_factor` " + _POSITIVE + "-10000.0"),
            (lambda: one_cycle(0.1, 100, three_phase=1), TypeError,
             "`three_phase` must be a bool (True or False), got 1"),
        ],
    ),
    "cyclic": Entry(
        arguments=("base_lr", "max_lr", "step_size_up", "step_size_down", "mode", "gamma",),
        golden=[
            # Triangles 0.001 -> 0.006 -> 0.001 of 2000 + 2000 steps.
            (cyclic(0.001, 0.006),
             [(0, 0.001), (1, 0.001 + 0.005 / 2000), (1000, 0.0035), (2000, 0.006),
              (2001, 0.006 - 0.005 / 2000), (3000, 0.0035), (4000, 0.001), (6000, 0.006)]),
            # Up 2 steps, down 3: scale_factor = x / 0.4 or (x - 1) / (0.4 - 1).
            (cyclic(0.0, 1.0, 2, 3), [(0, 0.0), (1, 0.5), (2, 1.0), (3, 2 / 3), (4, 1 / 3),
                                      (5, 0.0), (7, 1.0)]),
            # Far out (step / 4 is exact): still the same triangle.
            (cyclic(0.0, 1.0, 2, 2), [(4 * 10**9, 0.0), (4 * 10**9 + 1, 0.5), (4 * 10**9 + 2, 1.0),
                                      (4 * 10**9 + 3, 0.5)]),
            # triangular2 halves the amplitude every cycle: 0.1 + 0.4 * scale / 2 ** (cycle - 1).
            (cyclic(0.1, 0.5, 10, mode="triangular2"),
             [(10, 0.5), (20, 0.1), (30, 0.3), (50, 0.2), (70, 0.15), (25, 0.2)]),
            # exp_range: the amplitude times 0.5 ** step.
            (cyclic(0.0, 1.0, 1, mode="exp_range", gamma=0.5),
             [(0, 0.0), (1, 0.5), (2, 0.0), (3, 0.125), (5, 1 / 32)]),
            # Float step sizes (2.5 up, 4.25 down, 6.75 per cycle).
            (cyclic(0.1, 0.5, 2.5, 4.25),
             [(0, 0.1), (1, 0.1 + 0.4 * (1 / 6.75) / (2.5 / 6.75)),
              (3, 0.1 + 0.4 * (3 / 6.75 - 1) / (2.5 / 6.75 - 1)),
              (7, 0.1 + 0.4 * (7 / 6.75 - 1) / (2.5 / 6.75))]),
            (cyclic(0.2, 0.2, 10), [(0, 0.2), (10, 0.2), (15, 0.2)]),
        ],
        breakpoints=[
            # The turns: peaks and troughs.
            (cyclic(0.001, 0.006), 10000, (2000, 4000, 6000, 8000)),
            (cyclic(0.0, 1.0, 2, 3), 16, (2, 5, 7, 10, 12, 15)),
            # Of the two steps around each turn, the higher (peak) or lower (trough) one.
            # (Step 20 is a trough, lower than 21.)
            (cyclic(0.1, 0.5, 2.5, 4.25), 21, (3, 7, 9, 13, 16, 20)),
            (cyclic(0.1, 0.5, 1, 1), 5, (1, 2, 3, 4)),
            # No falling step: step 2k + 1 is a peak, 2k + 2 a trough.
            (cyclic(0.1, 0.5, 0.5, 0.5), 4, (0, 1, 2, 3)),
        ],
        invalid=[
            (lambda: cyclic(-0.1, 0.1), ValueError, "`base_lr` " + _NUMBER + "-0.1"),
            (lambda: cyclic(0.1, None), TypeError, "`max_lr` " + _NUMBER + "None"),
            (lambda: cyclic(0.1, 0.05), ValueError,
             "`max_lr` must be >= `base_lr` (0.1), got 0.05"),
            (lambda: cyclic(0.1, 0.5, 0), ValueError, "`step_size_up` " + _STEPS + "0"),
            (lambda: cyclic(0.1, 0.5, math.inf), ValueError, "`step_size_up` " + _STEPS + "inf"),
            (lambda: cyclic(0.1, 0.5, 10, -1), ValueError, "`step_size_down` " + _STEPS + "-1"),
            (lambda: cyclic(0.1, 0.5, 10, "10"), TypeError, "`step_size_down` " + _STEPS + "'10'"),
            (lambda: cyclic(0.1, 0.5, 1e308, 1e308), ValueError,
             "`step_size_up` / (`step_size_up` + `step_size_down`) must be a finite float > 0, "
             "got 1e+308 / inf"),
            (lambda: cyclic(0.1, 0.5, 5e-324, 1e10), ValueError,
             "`step_size_up` / (`step_size_up` + `step_size_down`) must be a finite float > 0, "
             "got 5e-324 / 10000000000.0"),
            (lambda: cyclic(0.1, 0.5, mode="triangle"), ValueError,
             "`mode` must be one of 'triangular', 'triangular2', 'exp_range', got 'triangle'"),
            (lambda: cyclic(0.1, 0.5, gamma=-0.99), ValueError, "`gamma` " + _NUMBER + "-0.99"),
        ],
    ),
    # ----------------------------------------------------------------------------------------
    # The range-test ramp (lrhooks/schedules/_range_test.py): not a spec factory.
    # ----------------------------------------------------------------------------------------
    "range_test_schedule": Entry(
        arguments=("min_lr", "max_lr", "num_steps", "start_step"),
        golden=[
            # 1e-3 * 1000 ** (step / 3): 1e-3, 1e-2, 1e-1, 1, then held at max_lr.
            (range_test_schedule(1e-3, 1.0, 4),
             [(0, 1e-3), (1, 1e-2), (2, 1e-1), (3, 1.0), (4, 1.0), (5, 1.0)]),
            (range_test_schedule(1e-5, 10.0, 200), [(100, 1e-5 * 1e6 ** (100 / 199))]),
            # min_lr before start_step, then 0.01 * 100 ** ((step - 10) / 2).
            (range_test_schedule(0.01, 1.0, 3, start_step=10),
             [(0, 0.01), (10, 0.01), (11, 0.1), (12, 1.0), (13, 1.0)]),
        ],
        breakpoints=[
            (range_test_schedule(1e-3, 1.0, 4), 100, ()),
        ],
        invalid=[
            (lambda: range_test_schedule(0, 1.0, 10), ValueError, "`min_lr` " + _POSITIVE + "0.0"),
            (lambda: range_test_schedule(-1e-3, 1.0, 10), ValueError,
             "`min_lr` " + _POSITIVE + "-0.001"),
            (lambda: range_test_schedule("1e-3", 1.0, 10), TypeError,
             "`min_lr` " + _POSITIVE + "'1e-3'"),
            (lambda: range_test_schedule(1e-3, math.inf, 10), ValueError,
             "`max_lr` " + _POSITIVE + "inf"),
            (lambda: range_test_schedule(1.0, 1.0, 10), ValueError,
             "`min_lr` must be < `max_lr`, got min_lr=1.0 and max_lr=1.0"),
            (lambda: range_test_schedule(1e-3, 1.0, 1), ValueError,
             "`num_steps` must be an integer >= 2, got 1"),
            (lambda: range_test_schedule(1e-3, 1.0, 10.0), TypeError,
             "`num_steps` must be an integer >= 2, got 10.0"),
            (lambda: range_test_schedule(1e-3, 1.0, True), TypeError,
             "`num_steps` must be an integer >= 2, got True"),
            (lambda: range_test_schedule(1e-3, 1.0, 10, -1), ValueError,
             "`start_step` must be an integer >= 0, got -1"),
        ],
        has_spec=False,
    ),
}


# The catalogue of other libraries' schedules: its entries live beside this file.
REGISTRY.update(catalogue_registry.entries(Entry))


def _cases(kind: str) -> List[Tuple[str, Any]]:
    return [(name, case) for name, entry in REGISTRY.items() for case in getattr(entry, kind)]


GOLDEN = [(name, schedule, step, want) for name, (schedule, rows) in _cases("golden")
          for step, want in rows]
EXAMPLES = [(name, schedule) for name, (schedule, _) in _cases("golden")]
GOLDEN_STEPS = {repr(schedule): [step for step, _ in rows] for _, (schedule, rows) in
                _cases("golden")}


def _factory(name: str):
    return getattr(schedules, name)


# ---------------------------------------------------------------------------------- coverage

def test_every_factory_has_an_entry():
    # reduce_lr_on_plateau and timm_plateau build stateful schedules (not frozen values):
    # their spec forms are tested in tests/test_catalogue.py.
    pure = set(spec_lib.factories()) - {"reduce_lr_on_plateau", "timm_plateau"}
    assert set(REGISTRY) == pure | {"range_test_schedule"}
    assert {name for name, entry in REGISTRY.items() if entry.has_spec} == pure


def _stable_id(text: str) -> str:
    """A test id without object addresses (`<function f at 0x7f...>`): the same in every
    process, as pytest-xdist's workers must collect the same ids."""
    return re.sub(r" at 0x[0-9a-fA-F]+", "", text)


@pytest.mark.parametrize("name", REGISTRY)
def test_entry_is_complete(name):
    entry = REGISTRY[name]
    assert entry.golden and entry.breakpoints and entry.invalid
    # The examples are built by this very factory.
    assert {type(s).factory_name for s, _ in entry.golden} == {name}


@pytest.mark.parametrize("name", REGISTRY)
def test_factory_signature_and_docstring(name):
    factory = _factory(name)
    assert tuple(inspect.signature(factory).parameters) == REGISTRY[name].arguments
    doc = factory.__doc__
    assert doc.count("Args:") == 1 and doc.count("Returns:") <= 1
    # The docstring states the formula ("rate = ...").
    assert re.search(r"\brate(\(step\))? = ", doc), name
    cls = type(REGISTRY[name].golden[0][0])
    assert cls.factory_name == name


# ---------------------------------------------------------------------------------- values

@pytest.mark.parametrize("name,schedule,step,expected", GOLDEN,
                         ids=[_stable_id(f"{s!r}@{step}") for _, s, step, _ in GOLDEN])
def test_golden(name, schedule, step, expected):
    got = schedule(step)
    assert type(got) is float
    assert got == pytest.approx(expected, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("name,case", _cases("breakpoints"),
                         ids=[_stable_id(repr(c[0]) + f"/{c[1]}") for _, c in _cases("breakpoints")])
def test_breakpoints(name, case):
    schedule, total_steps, expected = case
    assert schedule.breakpoints(total_steps) == expected


@pytest.mark.parametrize("name,schedule", EXAMPLES, ids=[_stable_id(repr(s)) for _, s in EXAMPLES])
def test_breakpoints_are_sorted_distinct_steps_in_range(name, schedule):
    for total in (0, 1, 37, 1000):
        points = schedule.breakpoints(total)
        assert type(points) is tuple and list(points) == sorted(set(points))
        assert all(type(p) is int and 0 <= p < total for p in points)
    # A prefix of the steps has a prefix of the breakpoints.
    assert schedule.breakpoints(500) == tuple(p for p in schedule.breakpoints(1000) if p < 500)


# ---------------------------------------------------------------------------------- validation

@pytest.mark.parametrize("name,case", _cases("invalid"),
                         ids=[_stable_id(f"{n}-{c[2]}") for n, c in _cases("invalid")])
def test_validation_messages(name, case):
    make, error, message = case
    with pytest.raises(error, match="^" + re.escape(message) + "$") as info:
        make()
    assert type(info.value) is error


@pytest.mark.parametrize("step,error,message", [
    (-1, ValueError, "`step` must be an integer >= 0, got -1"),
    (1.0, TypeError, "`step` must be an integer >= 0, got 1.0"),
    (0.5, TypeError, "`step` must be an integer >= 0, got 0.5"),
    (True, TypeError, "`step` must be an integer >= 0, got True"),
    ("3", TypeError, "`step` must be an integer >= 0, got '3'"),
    (None, TypeError, "`step` must be an integer >= 0, got None"),
])
@pytest.mark.parametrize("name,schedule", EXAMPLES, ids=[_stable_id(repr(s)) for _, s in EXAMPLES])
def test_step_validation(name, schedule, step, error, message):
    with pytest.raises(error, match="^" + re.escape(message) + "$"):
        schedule(step)


@pytest.mark.parametrize("total_steps,error", [(-1, ValueError), (2.0, TypeError)])
def test_breakpoints_validation(total_steps, error):
    with pytest.raises(error, match=r"^`total_steps` must be an integer >= 0, got "):
        exponential_decay(0.1, 10, 0.5, True).breakpoints(total_steps)


# ---------------------------------------------------------------------------------- as values

@pytest.mark.parametrize("name,schedule", EXAMPLES, ids=[_stable_id(repr(s)) for _, s in EXAMPLES])
def test_repr_and_spec_round_trip(name, schedule):
    text = repr(schedule)
    assert text.startswith(name + "(")
    copy = eval(text, vars(schedules))  # noqa: S307 - our own repr.
    assert copy == schedule and hash(copy) == hash(schedule)
    assert copy is not schedule and repr(copy) == text
    steps = GOLDEN_STEPS[text]
    assert [copy(s) for s in steps] == [schedule(s) for s in steps]
    if REGISTRY[name].has_spec:
        assert spec_lib.spec(schedule) == text and spec_lib.from_spec(text) == schedule
    else:
        with pytest.raises(spec_lib.SpecError, match="has no spec form"):
            spec_lib.spec(schedule)


@pytest.mark.parametrize("name,schedule", EXAMPLES, ids=[_stable_id(repr(s)) for _, s in EXAMPLES])
def test_hashable_and_frozen(name, schedule):
    assert schedule in {schedule} and hash(schedule) == hash(eval(repr(schedule),  # noqa: S307
                                                                  vars(schedules)))
    first = dataclasses.fields(schedule)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(schedule, first, getattr(schedule, first))
    with pytest.raises(dataclasses.FrozenInstanceError):
        schedule.new_attribute = 1
    assert isinstance(schedule, schedules.Schedule)
    # Pure: no `version` (a composition's `version` property raises AttributeError, which
    # `isinstance` with a Protocol sees as absent only up to Python 3.11).
    assert not hasattr(schedule, "version") and schedules.stateful_parts(schedule) == ()
    if not isinstance(schedule, schedules.Composite):
        assert not isinstance(schedule, schedules.StatefulSchedule)


def test_schedule_base_class():
    with pytest.raises(TypeError):
        schedules.Schedule()

    class Halving(schedules.Schedule):
        def _value(self, step):
            return 1.0 / 2 ** step

    assert Halving()(3) == 0.125 and Halving().breakpoints(10) == ()
    assert repr(Halving()).startswith("<") and Halving.factory_name == "Halving"
    with pytest.raises(TypeError, match=r"^`step` must be an integer >= 0, got 0\.5$"):
        Halving()(0.5)


def test_stateful_protocol():
    plateau = schedules.ReduceLROnPlateau(0.1)
    assert isinstance(plateau, schedules.StatefulSchedule)
    assert isinstance(plateau, schedules.Schedule) and plateau.factory_name == "ReduceLROnPlateau"

    class Custom:  # any callable with a `version` matches, without inheriting
        version = 3

        def __call__(self, step):
            return 0.1

    assert isinstance(Custom(), schedules.StatefulSchedule)
    assert not isinstance(lambda step: 0.1, schedules.StatefulSchedule)
