"""Tests for `lrhooks.composite`: warmup, sequential, scaled, linear_scaling."""

import dataclasses
import doctest
import inspect
import math
import pathlib
import re
import subprocess
import sys

import hypothesis
import pytest
from hypothesis import strategies as st

from lrhooks import composite, cyclic, schedules
from lrhooks.schedules import (constant, cosine_decay, cosine_decay_restarts,
                               exponential_decay, linear_scaling, one_cycle,
                               piecewise_constant, polynomial_decay, scaled, sequential,
                               step_decay, warmup)

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent

_COS = lambda x: math.cos(math.pi * x)  # noqa: E731  cos(pi * x)


def _cosine(lr, n, step):
    """cosine_decay(lr, n)(step), written out."""
    return lr * 0.5 * (1 + _COS(min(step, n) / n))


# ---------------------------------------------------------------------------
# 1. Golden tables, computed by hand from the documented formulas.
# ---------------------------------------------------------------------------

_TARGET_C = _cosine(0.1, 100, 10)  # warmup C's target: schedule(W), W = 10.

# A ramp 0 -> 0.1 (polynomial_decay with end > start), a plateau, a cosine.
_RAMP = sequential([(10, polynomial_decay(0.0, 10, end_learning_rate=0.1)),
                    (90, constant(0.1))], final=cosine_decay(0.1, 100))

GOLDEN = [
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
    (warmup(constant(0.0), 4, 0.1, "exponential"), [(0, 0.1), (1, 0.0), (3, 0.0), (4, 0.0)]),
    # J. Linear warmup down: from 0.5 to 0.1.
    (warmup(constant(0.1), 4, 0.5), [(0, 0.5), (1, 0.4), (3, 0.2), (4, 0.1)]),
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
    # Scaling.
    (scaled(cosine_decay(0.1, 100), 2.0), [(0, 0.2), (50, 0.1), (100, 0.0)]),
    (scaled(constant(0.1), 0.5), [(0, 0.05)]),
    # Goyal et al.: 0.1 per 256 examples, 1024 per step -> 0.4.
    (linear_scaling(constant(0.1), 1024, 256), [(0, 0.4), (10**6, 0.4)]),
    (linear_scaling(piecewise_constant([10], [0.1, 0.01]), 1000, 256),
     [(10, 0.1 * 1000 / 256), (11, 0.01 * 1000 / 256)]),
    (linear_scaling(constant(0.8), 32, 256), [(0, 0.1)]),
    # Nested: 10 steps of warmup, then sequential from its step 0.
    (warmup(sequential([(100, constant(0.1))], final=cosine_decay(0.1, 1000)), 10),
     [(0, 0.0), (5, 0.05), (9, 0.09), (10, 0.1), (109, 0.1), (110, 0.1),
      (111, _cosine(0.1, 1000, 1)), (610, 0.05), (1110, 0.0)]),
    (linear_scaling(warmup(scaled(constant(0.1), 2.0), 2), 512, 256),
     [(0, 0.0), (1, 0.2), (2, 0.4)]),
]


@pytest.mark.parametrize(
    "schedule,step,expected",
    [(s, step, want) for s, rows in GOLDEN for step, want in rows],
    ids=[f"{s!r}@{step}" for s, rows in GOLDEN for step, _ in rows])
def test_golden(schedule, step, expected):
    got = schedule(step)
    assert type(got) is float
    assert got == pytest.approx(expected, rel=1e-12, abs=1e-15)


# ---------------------------------------------------------------------------
# 2. The joins: off-by-one rules and continuity.
# ---------------------------------------------------------------------------

_WRAPPED = [constant(0.1), cosine_decay(0.1, 50, alpha=0.1), exponential_decay(0.2, 7, 0.5),
            piecewise_constant([3, 20], [0.3, 0.2, 0.1]), step_decay(0.1, 5, 0.5),
            one_cycle(0.1, 60)]


@pytest.mark.parametrize("offset", [True, False])
@pytest.mark.parametrize("kind", ["linear", "exponential", "constant"])
@pytest.mark.parametrize("wrapped", _WRAPPED, ids=repr)
def test_warmup_off_by_one_rules(wrapped, kind, offset):
    w, initial = 12, 0.001
    s = warmup(wrapped, w, initial, kind, offset)
    target = wrapped(0 if offset else w)
    assert s(0) == initial  # Step 0 is the initial rate, exactly.
    assert s(w) == target  # The join is the wrapped value, exactly ...
    for step in (w, w + 1, w + 7, 10 * w):  # ... as is every step after it.
        assert s(step) == wrapped(step - w if offset else step)
    for step in range(1, w):  # Strictly inside the warmup.
        t = step / w
        expected = {"linear": initial + (target - initial) * t,
                    "exponential": initial * (target / initial) ** t,
                    "constant": initial}[kind]
        assert s(step) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("offset", [True, False])
@pytest.mark.parametrize("wrapped", _WRAPPED, ids=repr)
def test_warmup_is_continuous_at_the_join(wrapped, offset):
    w, initial = 100, 0.0
    s = warmup(wrapped, w, initial, offset=offset)
    target = wrapped(0 if offset else w)
    # Linear: the last warmup step is 1/W of the way below the join ...
    assert s(w) - s(w - 1) == pytest.approx((target - initial) / w, rel=1e-9)
    # ... the same step as everywhere in the warmup.
    assert s(w - 1) - s(w - 2) == pytest.approx((target - initial) / w, rel=1e-9)
    # Exponential: the last ratio is (target / initial) ** (1 / W), like all others.
    e = warmup(wrapped, w, 1e-4, "exponential", offset)
    ratio = (target / 1e-4) ** (1 / w)
    assert e(w) / e(w - 1) == pytest.approx(ratio, rel=1e-9)
    assert e(1) / e(0) == pytest.approx(ratio, rel=1e-9)


def test_warmup_conventions_differ_only_in_where_the_schedule_starts():
    decay = cosine_decay(0.1, 1000)
    after = warmup(decay, 100)  # Cosine from step 100 to 1100.
    over = warmup(decay, 100, offset=False)  # Cosine from step 0 to 1000.
    assert after(100) == 0.1 and after(1100) == 0.0 and after(600) == pytest.approx(0.05)
    assert over(100) == decay(100) < 0.1 and over(1000) == 0.0 and over(500) == decay(500)
    assert [after(s) for s in range(100, 1200)] == [decay(s) for s in range(1100)]
    assert [over(s) for s in range(100, 1200)] == [decay(s) for s in range(100, 1200)]


def test_sequential_joins_are_exact():
    a, b, c = exponential_decay(1.0, 10, 0.5), cosine_decay(0.5, 30), constant(0.01)
    s = sequential([(20, a), (30, b)], final=c)
    # Part i covers [start_i, start_i + steps_i) with its local step.
    assert [s(k) for k in range(20)] == [a(k) for k in range(20)]
    assert [s(k) for k in range(20, 50)] == [b(k) for k in range(30)]
    assert [s(k) for k in range(50, 60)] == [c(k) for k in range(10)]
    # The steps around each join.
    assert (s(19), s(20), s(21)) == (a(19), b(0), b(1))
    assert (s(49), s(50), s(51)) == (b(29), c(0), c(1))
    # Without a final, the last part goes on past its steps.
    t = sequential([(20, a), (30, b)])
    assert (t(49), t(50), t(1000)) == (b(29), b(30), b(980))


def test_sequential_of_matching_parts_is_continuous():
    # A ramp to 0.1 over 10 steps, 90 steps at 0.1, then a 100-step cosine.
    s = _RAMP
    rates = [s(k) for k in range(250)]
    jumps = [abs(b - a) for a, b in zip(rates, rates[1:])]
    assert max(jumps) == pytest.approx(0.01)  # The ramp's slope: no jump anywhere.
    assert rates[9:12] == pytest.approx([0.09, 0.1, 0.1])
    assert rates[99:102] == pytest.approx([0.1, 0.1, _cosine(0.1, 100, 1)])


# ---------------------------------------------------------------------------
# 3. Breakpoints.
# ---------------------------------------------------------------------------

_STAIRS = exponential_decay(1.0, 3, 0.5, staircase=True)  # Stairs at 3, 6, 9, ...


@pytest.mark.parametrize("schedule,total_steps,expected", [
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
    (sequential([(10, constant(1.0)), (20, constant(0.5))], final=constant(0.1)), 100,
     (10, 30)),
    (sequential([(10, constant(1.0)), (20, constant(0.5))], final=constant(0.1)), 20, (10,)),
    # Each part's breakpoints inside its span, shifted; joins 10 and 20.
    (sequential([(10, _STAIRS), (10, cosine_decay(1.0, 5))],
                final=piecewise_constant([2], [1.0, 0.5])), 40,
     (3, 6, 9, 10, 15, 20, 22, 23)),
    # Without a final the last part goes on: its stairs continue past step 15.
    (sequential([(10, constant(1.0)), (5, _STAIRS)]), 30, (10, 13, 16, 19, 22, 25, 28)),
    (sequential([(10, cosine_decay(1.0, 20))]), 30, (20,)),
    (scaled(_STAIRS, 2.0), 10, (3, 6, 9)),
    (linear_scaling(_STAIRS, 512, 256), 10, (3, 6, 9)),
    (warmup(sequential([(100, constant(0.1))], final=cosine_decay(0.1, 1000)), 10), 5000,
     (10, 110, 1110)),
    (warmup(one_cycle(1.0, 100), 10), 200, (10, 39, 40, 109)),
])
def test_breakpoints(schedule, total_steps, expected):
    assert schedule.breakpoints(total_steps) == expected


# ---------------------------------------------------------------------------
# 4. Validation: every error message.
# ---------------------------------------------------------------------------

_C = constant(0.1)
_NUMBER = "must be a finite number >= 0, got "
_POSITIVE = "must be a finite number > 0, got "
_COUNT = "must be an integer > 0, got "
_SCHEDULE = "must be a lrhooks.schedules.Schedule, got "
_PAIRS = "must be a non-empty sequence of (steps, schedule) pairs, got "


def _f(step):
    return 0.1


@pytest.mark.parametrize("make,error,message", [
    (lambda: warmup(_f, 10), TypeError, "`schedule` " + _SCHEDULE + repr(_f)),
    (lambda: warmup(0.1, 10), TypeError, "`schedule` " + _SCHEDULE + "0.1"),
    (lambda: warmup(_C, -1), ValueError, "`warmup_steps` must be an integer >= 0, got -1"),
    (lambda: warmup(_C, 2.5), TypeError, "`warmup_steps` must be an integer >= 0, got 2.5"),
    (lambda: warmup(_C, True), TypeError, "`warmup_steps` must be an integer >= 0, got True"),
    (lambda: warmup(_C, 10, -0.1), ValueError, "`initial_learning_rate` " + _NUMBER + "-0.1"),
    (lambda: warmup(_C, 10, math.nan), ValueError, "`initial_learning_rate` " + _NUMBER + "nan"),
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
    (lambda: sequential([(-5, _C)]), ValueError, "`parts` element 0 steps " + _COUNT + "-5"),
    (lambda: sequential([(2.0, _C)]), TypeError, "`parts` element 0 steps " + _COUNT + "2.0"),
    (lambda: sequential([(True, _C)]), TypeError, "`parts` element 0 steps " + _COUNT + "True"),
    (lambda: sequential([(10, _f)]), TypeError,
     "`parts` element 0 schedule " + _SCHEDULE + repr(_f)),
    (lambda: sequential([(10, _C)], final=0.1), TypeError,
     "`final` must be a lrhooks.schedules.Schedule or None, got 0.1"),
    (lambda: scaled(_f, 2.0), TypeError, "`schedule` " + _SCHEDULE + repr(_f)),
    (lambda: scaled(_C, 0), ValueError, "`factor` " + _POSITIVE + "0.0"),
    (lambda: scaled(_C, -2), ValueError, "`factor` " + _POSITIVE + "-2.0"),
    (lambda: scaled(_C, math.inf), ValueError, "`factor` " + _POSITIVE + "inf"),
    (lambda: scaled(_C, True), TypeError, "`factor` " + _POSITIVE + "True"),
    (lambda: linear_scaling(_f, 512, 256), TypeError, "`schedule` " + _SCHEDULE + repr(_f)),
    (lambda: linear_scaling(_C, 0, 256), ValueError, "`global_batch_size` " + _COUNT + "0"),
    (lambda: linear_scaling(_C, 512.0, 256), TypeError,
     "`global_batch_size` " + _COUNT + "512.0"),
    (lambda: linear_scaling(_C, 512, -256), ValueError,
     "`reference_batch_size` " + _COUNT + "-256"),
    (lambda: linear_scaling(_C, 512, None), TypeError,
     "`reference_batch_size` " + _COUNT + "None"),
])
def test_validation_messages(make, error, message):
    with pytest.raises(error, match="^" + re.escape(message) + "$") as info:
        make()
    assert type(info.value) is error


@pytest.mark.parametrize("schedule", [s for s, _ in GOLDEN], ids=repr)
def test_step_validation(schedule):
    with pytest.raises(ValueError, match=r"^`step` must be an integer >= 0, got -1$"):
        schedule(-1)
    with pytest.raises(TypeError, match=r"^`step` must be an integer >= 0, got 1\.0$"):
        schedule(1.0)


def test_errors_of_the_wrapped_schedule_pass_through():
    # cosine_decay_restarts with t_mul < 1 is undefined from step 20 on.
    inner = cosine_decay_restarts(1.0, 10, t_mul=0.5)
    s = warmup(inner, 5)
    assert s(14) == inner(9)
    with pytest.raises(ValueError, match=r"^`step` must be < 20\.0 .*got 20$"):
        s(25)


# ---------------------------------------------------------------------------
# 5. Values: repr round trip, equality, hashing, immutability, the API.
# ---------------------------------------------------------------------------

def test_repr_looks_like_the_factory_call():
    s = warmup(sequential([(100, constant(0.1))], final=cosine_decay(0.1, 1000)), 10)
    assert repr(s) == (
        "warmup(schedule=sequential(parts=((100, constant(learning_rate=0.1)),), "
        "final=cosine_decay(learning_rate=0.1, decay_steps=1000, alpha=0.0)), "
        "warmup_steps=10, initial_learning_rate=0.0, kind='linear', offset=True)")
    assert repr(linear_scaling(scaled(constant(1), 2), 512, 256)) == (
        "linear_scaling(schedule=scaled(schedule=constant(learning_rate=1.0), factor=2.0), "
        "global_batch_size=512, reference_batch_size=256)")


@pytest.mark.parametrize("schedule", [s for s, _ in GOLDEN], ids=repr)
def test_repr_round_trips(schedule):
    copy = eval(repr(schedule), vars(schedules))  # noqa: S307 - our own repr.
    assert copy == schedule and hash(copy) == hash(schedule)
    assert copy is not schedule and repr(copy) == repr(schedule)
    assert [copy(s) for s in range(0, 300, 7)] == [schedule(s) for s in range(0, 300, 7)]


def test_equality_and_hashing():
    a = warmup(cosine_decay(0.1, 100), 10)
    assert a == warmup(cosine_decay(0.1, 100), 10, 0.0, "linear", True)
    assert a != warmup(cosine_decay(0.1, 100), 10, offset=False)
    assert a != warmup(cosine_decay(0.1, 101), 10)
    assert sequential([[10, _C]]) == sequential(((10, _C),))  # Lists become tuples.
    assert sequential([(10, _C)]).parts == ((10, _C),)
    assert scaled(_C, 2) == scaled(_C, 2.0) != linear_scaling(_C, 2, 1)
    assert len({a, warmup(cosine_decay(0.1, 100), 10), sequential([(10, _C)]),
                sequential(iter([(10, _C)]))}) == 2
    assert linear_scaling(_C, 1000, 256).factor == 1000 / 256


@pytest.mark.parametrize("schedule", [s for s, _ in GOLDEN], ids=repr)
def test_immutable(schedule):
    name = dataclasses.fields(schedule)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(schedule, name, _C)
    with pytest.raises(dataclasses.FrozenInstanceError):
        schedule.new_attribute = 1


def test_factories_and_their_arguments():
    expected = {
        "warmup": ["schedule", "warmup_steps", "initial_learning_rate", "kind", "offset"],
        "sequential": ["parts", "final"],
        "scaled": ["schedule", "factor"],
        "linear_scaling": ["schedule", "global_batch_size", "reference_batch_size"],
    }
    for name, args in expected.items():
        factory = getattr(schedules, name)
        assert factory is getattr(composite, name)
        assert list(inspect.signature(factory).parameters) == args
        assert factory.__doc__.count("Args:") == 1
        assert isinstance(factory(*_ARGS[name]), schedules.Schedule)
    assert set(composite.__all__) <= set(schedules.__all__)
    assert set(cyclic.__all__) <= set(schedules.__all__)
    assert all(getattr(schedules, n) is getattr(composite, n) for n in composite.__all__)
    assert all(getattr(schedules, n) is getattr(cyclic, n) for n in cyclic.__all__)


_ARGS = {"warmup": (_C, 1), "sequential": ([(1, _C)],), "scaled": (_C, 1.0),
         "linear_scaling": (_C, 1, 1)}


def test_docstring_examples():
    for module in (composite, cyclic):
        result = doctest.testmod(module, extraglobs=vars(schedules))
        assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("first", ["lrhooks.schedules", "lrhooks.composite", "lrhooks.cyclic",
                                   "lrhooks"])
def test_any_module_can_be_imported_first_without_tensorflow(first):
    code = (f"import sys, {first}; import lrhooks.schedules as s, lrhooks.composite as c, "
            "lrhooks.cyclic as y; "
            "assert all(getattr(s, n) is getattr(c, n) for n in c.__all__); "
            "assert all(getattr(s, n) is getattr(y, n) for n in y.__all__); "
            "x = s.warmup(s.one_cycle(0.1, 100), 10); "
            "assert eval(repr(x), vars(s)) == x; "
            "assert 'tensorflow' not in sys.modules and 'numpy' not in sys.modules")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


# ---------------------------------------------------------------------------
# 6. Properties of random composite schedules.
# ---------------------------------------------------------------------------

_RATES = st.floats(0.0, 10.0)
_POSITIVE_RATES = st.floats(1e-6, 10.0)
_STEP_COUNTS = st.one_of(st.integers(1, 10**6), st.floats(0.5, 1e6))
_FRACTIONS = st.floats(0.0, 1.0)
_COUNTS = st.integers(1, 10**6)

LEAF = st.one_of(
    st.builds(schedules.constant, _RATES),
    st.lists(st.integers(0, 10**6), unique=True, max_size=4).map(sorted).flatmap(
        lambda b: st.builds(schedules.piecewise_constant, st.just(b),
                            st.lists(_RATES, min_size=len(b) + 1, max_size=len(b) + 1))),
    st.builds(schedules.exponential_decay, _RATES, _STEP_COUNTS, _FRACTIONS, st.booleans()),
    st.builds(schedules.polynomial_decay, _RATES, _STEP_COUNTS, _RATES,
              st.floats(0.01, 10.0), st.booleans()),
    st.builds(schedules.cosine_decay, _RATES, _STEP_COUNTS, _FRACTIONS),
    st.builds(schedules.cosine_decay_restarts, _RATES, _STEP_COUNTS, st.floats(1.0, 10.0),
              _FRACTIONS, _FRACTIONS),
    st.builds(schedules.step_decay, _RATES, _COUNTS, _FRACTIONS),
    st.lists(st.integers(0, 10**6), unique=True, max_size=4).flatmap(
        lambda m: st.builds(schedules.multistep_decay, _RATES, st.just(sorted(m)),
                            _FRACTIONS)),
    st.tuples(st.integers(1, 10**6), _FRACTIONS).filter(
        lambda a: a[0] * a[1] != 1.0).flatmap(lambda a: st.builds(
            schedules.one_cycle, _RATES, st.just(a[0]), st.just(a[1]),
            st.sampled_from(["cos", "linear"]), st.floats(0.1, 100.0),
            st.floats(0.1, 1e4), st.booleans())),
    _RATES.flatmap(lambda base: st.builds(
        schedules.cyclic, st.just(base), st.floats(base, base + 10.0), _STEP_COUNTS,
        st.one_of(st.none(), _STEP_COUNTS),
        st.sampled_from(["triangular", "triangular2", "exp_range"]), _FRACTIONS)),
)


def _extend(children):
    return st.one_of(
        st.builds(schedules.warmup, children, st.integers(0, 10**4), _RATES,
                  st.sampled_from(["linear", "constant"]), st.booleans()),
        st.builds(schedules.warmup, children, st.integers(0, 10**4), _POSITIVE_RATES,
                  st.just("exponential"), st.booleans()),
        st.builds(schedules.sequential,
                  st.lists(st.tuples(_COUNTS, children), min_size=1, max_size=3),
                  st.one_of(st.none(), children)),
        st.builds(schedules.scaled, children, st.floats(1e-3, 100.0)),
        st.builds(schedules.linear_scaling, children, st.integers(1, 4096),
                  st.integers(1, 4096)),
    )


COMPOSITE = st.recursive(LEAF, _extend, max_leaves=6)


@hypothesis.settings(max_examples=300, deadline=None, database=None)
@hypothesis.given(COMPOSITE, st.integers(0, 10**12), st.integers(0, 2000))
def test_any_composite_schedule_is_finite_and_round_trips(schedule, step, total_steps):
    rate = schedule(step)
    assert type(rate) is float and math.isfinite(rate) and rate >= 0
    copy = eval(repr(schedule), vars(schedules))  # noqa: S307
    assert copy == schedule and hash(copy) == hash(schedule) and copy(step) == rate
    points = schedule.breakpoints(total_steps)
    assert list(points) == sorted(set(points))
    assert all(type(p) is int and 0 <= p < total_steps for p in points)


@hypothesis.settings(max_examples=100, deadline=None, database=None)
@hypothesis.given(LEAF, st.integers(1, 10**4), _RATES, st.booleans())
def test_any_linear_warmup_moves_in_equal_steps_to_the_join(wrapped, w, initial, offset):
    s = warmup(wrapped, w, initial, offset=offset)
    target = wrapped(0 if offset else w)
    step = (target - initial) / w
    tolerance = 1e-9 * max(abs(target), initial) + 1e-300
    assert s(0) == initial and s(w) == target
    assert abs(s(w) - s(w - 1) - step) <= tolerance
    assert abs(s(w // 2 + 1) - s(w // 2) - step) <= tolerance
