"""Composition schedules (warmup, sequential, scaled, linear_scaling): joins and properties.

Golden tables, validation messages and the value semantics of every factory are in
`test_schedule_conformance.py`; this file checks the rules at the joins, the conventions of
`warmup` and properties of random nested schedules.
"""

import math

import hypothesis
import pytest
from hypothesis import strategies as st

from lrhooks import schedules
from lrhooks.schedules import (constant, cosine_decay, cosine_decay_restarts,
                               exponential_decay, linear_scaling, one_cycle,
                               piecewise_constant, polynomial_decay, scaled, sequential,
                               step_decay, warmup)

_COS = lambda x: math.cos(math.pi * x)  # noqa: E731  cos(pi * x)


def _cosine(lr, n, step):
    """cosine_decay(lr, n)(step), written out."""
    return lr * 0.5 * (1 + _COS(min(step, n) / n))


# A ramp 0 -> 0.1 (polynomial_decay with end > start), a plateau, a cosine.
_RAMP = sequential([(10, polynomial_decay(0.0, 10, end_learning_rate=0.1)),
                    (90, constant(0.1))], final=cosine_decay(0.1, 100))


# ---------------------------------------------------------------------------
# 1. The joins: off-by-one rules and continuity.
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
# 2. Errors and values.
# ---------------------------------------------------------------------------

_C = constant(0.1)


def test_errors_of_the_wrapped_schedule_pass_through():
    # cosine_decay_restarts with t_mul < 1 is undefined from step 20 on.
    inner = cosine_decay_restarts(1.0, 10, t_mul=0.5)
    s = warmup(inner, 5)
    assert s(14) == inner(9)
    with pytest.raises(ValueError, match=r"^`step` must be < 20\.0 .*got 20$"):
        s(25)


def test_repr_looks_like_the_factory_call():
    s = warmup(sequential([(100, constant(0.1))], final=cosine_decay(0.1, 1000)), 10)
    assert repr(s) == (
        "warmup(schedule=sequential(parts=((100, constant(learning_rate=0.1)),), "
        "final=cosine_decay(learning_rate=0.1, decay_steps=1000, alpha=0.0)), "
        "warmup_steps=10, initial_learning_rate=0.0, kind='linear', offset=True)")
    assert repr(linear_scaling(scaled(constant(1), 2), 512, 256)) == (
        "linear_scaling(schedule=scaled(schedule=constant(learning_rate=1.0), factor=2.0), "
        "global_batch_size=512, reference_batch_size=256)")


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


# ---------------------------------------------------------------------------
# 3. Properties of random composite schedules.
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
