"""Tests for `lrhooks.cyclic`: PyTorch-style step, multistep, 1cycle and cyclic rates.

The repository's tests never import torch. The tables of `PYTORCH` hold
`scheduler.get_last_lr()[0]` after `step` calls of `scheduler.step()` (each
after an `optimizer.step()` of a momentum SGD), as PyTorch 2.13.0 (CPU) printed
them; the schedules were also compared with it over every step of 3,000-5,000
step runs of 27 configurations: one_cycle and cyclic were bit-identical,
step_decay and multistep_decay within a relative 3e-15 (PyTorch multiplies by
gamma step by step, we raise gamma to a power).
"""

import dataclasses
import inspect
import math
import re

import hypothesis
import pytest
from hypothesis import strategies as st

from lrhooks import schedules
from lrhooks.schedules import cyclic, multistep_decay, one_cycle, step_decay

_COS = lambda x: math.cos(math.pi * x)  # noqa: E731  cos(pi * x)


def _cos_anneal(start, end, pct):
    """PyTorch's _annealing_cos, written out."""
    return end + (start - end) / 2.0 * (_COS(pct) + 1)


# ---------------------------------------------------------------------------
# 1. Golden tables, computed by hand from the documented formulas.
# ---------------------------------------------------------------------------

# one_cycle(0.1, 100): initial_lr = 0.1 / 25 = 0.004, min_lr = 0.004 / 1e4 = 4e-7;
# phase 0 ends at float(0.3 * 100) - 1 = 29.000000000000004 (not 29).
_E1 = 0.3 * 100 - 1
# one_cycle(1.0, 1000, 0.25, 'linear'): phase 0 ends at 249.0 exactly.
# Three phases for (0.5, 2999, 0.1): ends 0.1 * 2999 - 1 = 298.90000000000003 and
# 2 * 0.1 * 2999 - 2 = 597.8000000000001; initial 0.02, min 2e-6.
_T1, _T2 = 0.1 * 2999 - 1, 2 * 0.1 * 2999 - 2

GOLDEN = [
    # 0.1 * 0.1 ** (step // 30)
    (step_decay(0.1, 30),
     [(0, 0.1), (29, 0.1), (30, 0.01), (59, 0.01), (60, 0.001), (89, 0.001),
      (90, 0.0001), (3000, 1e-101)]),
    (step_decay(2.0, 1, gamma=0.5), [(0, 2.0), (1, 1.0), (2, 0.5), (10, 2.0 / 1024)]),
    (step_decay(1.0, 10, gamma=1.0), [(0, 1.0), (10**12, 1.0)]),
    (step_decay(1.0, 10, gamma=0.0), [(9, 1.0), (10, 0.0)]),
    # 0.1 * 0.1 ** (number of milestones <= step): a milestone is the first step decayed.
    (multistep_decay(0.1, [30, 80]),
     [(0, 0.1), (29, 0.1), (30, 0.01), (79, 0.01), (80, 0.001), (10**9, 0.001)]),
    (multistep_decay(1.0, [0, 2, 3], gamma=0.5),
     [(0, 0.5), (1, 0.5), (2, 0.25), (3, 0.125), (4, 0.125)]),
    (multistep_decay(0.3, []), [(0, 0.3), (10**6, 0.3)]),
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
# 2. PyTorch 2.13.0's own values (see the module docstring).
# ---------------------------------------------------------------------------

PYTORCH = [
    (step_decay(0.1, 30),
     [(0, 0.1), (29, 0.1), (30, 0.010000000000000002), (59, 0.010000000000000002),
      (60, 0.0010000000000000002), (90, 0.00010000000000000003),
      (2999, 1.000000000000006e-100)]),
    (step_decay(1.0, 1, gamma=0.9),
     [(0, 1.0), (1, 0.9), (2, 0.81), (100, 2.6561398887587544e-05),
      (1000, 1.7478712517226966e-46)]),
    (multistep_decay(0.1, [30, 80]),
     [(0, 0.1), (29, 0.1), (30, 0.010000000000000002), (79, 0.010000000000000002),
      (80, 0.0010000000000000002), (2999, 0.0010000000000000002)]),
    (one_cycle(0.1, 100),
     [(0, 0.0040000000000000036), (1, 0.004281378056590748), (28, 0.09971862194340926),
      (29, 0.1), (30, 0.09994965352845243), (31, 0.09979871550490317),
      (50, 0.0793893450575732), (98, 5.07464715475788e-05), (99, 4e-07)]),
    (one_cycle(1.0, 1000, pct_start=0.25, anneal_strategy="linear"),
     [(0, 0.04), (1, 0.04385542168674699), (248, 0.996144578313253), (249, 1.0),
      (250, 0.998666672), (251, 0.997333344), (500, 0.665334672),
      (998, 0.001337327999999971), (999, 4.000000000004e-06)]),
    (one_cycle(0.5, 2999, pct_start=0.1, three_phase=True),
     [(0, 0.020000000000000018), (298, 0.49998926230801755), (299, 0.49999986743492514),
      (597, 0.02000848411558482), (598, 0.019999999657396777),
      (1500, 0.013801742779531044), (2998, 2e-06)]),
    (cyclic(0.001, 0.006),
     [(0, 0.001), (1, 0.0010025000000000008), (1999, 0.005997500000000001), (2000, 0.006),
      (2001, 0.005997500000000001), (3999, 0.0010024999999999986), (4000, 0.001),
      (4001, 0.0010025000000000032), (6000, 0.006)]),
    (cyclic(0.001, 0.1, 200, 300, mode="triangular2"),
     [(0, 0.001), (100, 0.05049999999999999), (200, 0.09999999999999998),
      (201, 0.09966999999999998), (499, 0.0013300000000000005), (500, 0.001),
      (700, 0.05049999999999999), (1000, 0.001), (1200, 0.025749999999999995)]),
    (cyclic(0.01, 0.1, 150, mode="exp_range", gamma=0.999),
     [(0, 0.01), (75, 0.05174689030255007), (150, 0.08745790444147328), (300, 0.01),
      (450, 0.06737361451587441), (3000, 0.01)]),
    (cyclic(0.1, 0.5, 2.5, 4.25, mode="triangular2"),
     [(0, 0.1), (1, 0.26), (2, 0.42000000000000004), (3, 0.4529411764705883),
      (4, 0.35882352941176476), (5, 0.26470588235294124), (6, 0.17058823529411768),
      (7, 0.12000000000000009), (8, 0.19999999999999998), (9, 0.27999999999999986),
      (10, 0.26470588235294124), (11, 0.2176470588235294), (12, 0.17058823529411768),
      (13, 0.123529411764706), (14, 0.11999999999999998)]),
]


@pytest.mark.parametrize("schedule,rows", PYTORCH, ids=[repr(s) for s, _ in PYTORCH])
def test_matches_pytorch(schedule, rows):
    for step, torch_rate in rows:
        if isinstance(schedule, (schedules.StepDecay, schedules.MultiStepDecay)):
            assert schedule(step) == pytest.approx(torch_rate, rel=1e-14), step
        else:  # The same float operations: bit-identical.
            assert schedule(step) == torch_rate, step


def test_one_cycle_holds_its_last_rate_where_pytorch_extrapolates():
    # PyTorch 2.13.0 computes one more step, with pct > 1 in the last phase,
    # and raises ValueError ("Tried to step 1002 times") after it.
    torch_at_total_steps = {
        one_cycle(0.1, 100): 5.074647154757325e-05,  # Back up the cosine.
        one_cycle(1.0, 1000, pct_start=0.25, anneal_strategy="linear"):
            -0.001329327999999963,  # Below zero.
    }
    for schedule, torch_rate in torch_at_total_steps.items():
        last = schedule(schedule.total_steps - 1)
        assert schedule(schedule.total_steps) == last != torch_rate
        assert schedule(10**12) == last


# ---------------------------------------------------------------------------
# 3. Phase ends, cycle turns and breakpoints.
# ---------------------------------------------------------------------------

def test_one_cycle_is_continuous_at_its_phase_ends():
    for schedule in (one_cycle(0.1, 1000), one_cycle(1.0, 1000, 0.25, "linear"),
                     one_cycle(0.5, 2999, 0.1, three_phase=True),
                     one_cycle(0.5, 3000, 0.3, "linear", three_phase=True)):
        rates = [schedule(s) for s in range(schedule.total_steps + 5)]
        jumps = [abs(b - a) for a, b in zip(rates, rates[1:])]
        # The largest step, anywhere, is no more than the steepest slope.
        slopes = [abs(end - start) * math.pi / 2 / length for start, end, length in
                  _phase_rates(schedule)]
        assert max(jumps) <= max(slopes) * (1 + 1e-9)
        for b in schedule.breakpoints(schedule.total_steps):  # Phase ends too.
            assert jumps[b - 1] <= max(slopes) * (1 + 1e-9)


def _phase_rates(schedule):
    """(start_lr, end_lr, length) of each phase, from the documented formulas."""
    initial = schedule.max_lr / schedule.div_factor
    low = initial / schedule.final_div_factor
    e1 = schedule.pct_start * schedule.total_steps - 1
    if schedule.three_phase:
        e2 = 2 * schedule.pct_start * schedule.total_steps - 2
        return [(initial, schedule.max_lr, e1), (schedule.max_lr, initial, e2 - e1),
                (initial, low, schedule.total_steps - 1 - e2)]
    return [(initial, schedule.max_lr, e1), (schedule.max_lr, low, schedule.total_steps - 1 - e1)]


def test_one_cycle_peaks_at_the_end_of_its_first_phase():
    s = one_cycle(1.0, 1000, 0.25, "linear")  # Phase 0 ends at 249.0: exactly the peak.
    assert s(249) == 1.0 and s(248) < 1.0 and s(250) < 1.0
    s = one_cycle(0.1, 100)  # Ends at 29.000000000000004: step 29 is a hair below.
    assert s(29) == pytest.approx(0.1, rel=1e-15) and s(30) == pytest.approx(0.1, rel=1e-3)
    assert max(range(100), key=s) == 29


@pytest.mark.parametrize("schedule,total_steps,expected", [
    (step_decay(0.1, 30), 100, (30, 60, 90)),
    (step_decay(0.1, 30), 90, (30, 60)),
    (step_decay(0.1, 1), 4, (1, 2, 3)),
    (multistep_decay(0.1, [0, 30, 80]), 100, (0, 30, 80)),
    (multistep_decay(0.1, [30, 80]), 50, (30,)),
    (multistep_decay(0.1, []), 50, ()),
    # The peak (last step of phase 0), the first step after it, the end.
    (one_cycle(0.1, 100), 200, (29, 30, 99)),
    (one_cycle(0.1, 100), 50, (29, 30)),
    (one_cycle(1.0, 1000, 0.25), 2000, (249, 250, 999)),
    (one_cycle(0.5, 2999, 0.1, three_phase=True), 5000, (298, 299, 597, 598, 2998)),
    (one_cycle(0.1, 100, pct_start=0.0), 200, (99,)),  # Phase 0 is empty.
    (one_cycle(0.1, 100, pct_start=1.0), 200, (99,)),  # The last phase is.
    (one_cycle(0.1, 1), 10, ()),
    # The turns: peaks and troughs.
    (cyclic(0.001, 0.006), 10000, (2000, 4000, 6000, 8000)),
    (cyclic(0.0, 1.0, 2, 3), 16, (2, 5, 7, 10, 12, 15)),
    # Of the two steps around each turn, the higher (peak) or lower (trough) one.
    # (Step 20 is a trough, lower than 21.)
    (cyclic(0.1, 0.5, 2.5, 4.25), 21, (3, 7, 9, 13, 16, 20)),
    (cyclic(0.1, 0.5, 1, 1), 5, (1, 2, 3, 4)),
    # No falling step: step 2k + 1 is a peak, 2k + 2 a trough.
    (cyclic(0.1, 0.5, 0.5, 0.5), 4, (0, 1, 2, 3)),  # A cycle a step.
])
def test_breakpoints(schedule, total_steps, expected):
    assert schedule.breakpoints(total_steps) == expected


@pytest.mark.parametrize("schedule", [
    cyclic(0.0, 1.0, 7, 3), cyclic(0.0, 1.0, 2.5, 4.25), cyclic(0.0, 1.0, 0.3),
    cyclic(0.0, 1.0, 0.7, 0.2), cyclic(0.0, 1.0, 13.1, 0.4), cyclic(0.0, 1.0, 1e-3, 100),
    cyclic(0.0, 1.0, 100, 1e-3), cyclic(0.0, 1.0, 1 / 3, 2 / 3), cyclic(0.0, 1.0, 1.5, 0.5),
    cyclic(0.1, 0.5, 7, 3, "triangular2"), cyclic(0.1, 0.5, 2.5, 4.25, "triangular2"),
    cyclic(0.1, 0.5, 1e-3, 100, "triangular2"), cyclic(0.1, 0.5, 20, mode="exp_range",
                                                      gamma=0.9999)], ids=repr)
def test_cyclic_turns_are_extremes_with_monotone_rates_between(schedule):
    total = 1000
    turns = schedule.breakpoints(total)
    rates = [schedule(s) for s in range(total)]
    for a, b in zip((0, *turns), (*turns, total - 1)):  # Monotone between the turns.
        piece = rates[a:b + 1]
        assert piece == sorted(piece) or piece == sorted(piece, reverse=True), (a, b)
    up = float(schedule.step_size_up)
    size = up + (up if schedule.step_size_down is None else float(schedule.step_size_down))
    if size < 2:  # Cycles shorter than 2 steps: every step or so is a turn.
        return
    for b in turns:  # Each turn is a peak or a trough ...
        assert b in (0, total - 1) or (
            (rates[b] - rates[b - 1]) * (rates[b + 1] - rates[b]) <= 0), b
    assert len(turns) >= 2 * math.floor(total / size) - 1  # ... one per half cycle.


@hypothesis.settings(max_examples=100, deadline=None, database=None)
@hypothesis.given(st.one_of(st.integers(1, 300), st.floats(0.05, 300.0)),
                  st.one_of(st.none(), st.integers(1, 300), st.floats(0.05, 300.0)),
                  st.sampled_from(["triangular", "triangular2"]))
def test_any_cyclic_is_monotone_between_its_turns(up, down, mode):
    schedule = cyclic(0.1, 0.5, up, down, mode)
    turns = schedule.breakpoints(600)
    rates = [schedule(s) for s in range(600)]
    for a, b in zip((0, *turns), (*turns, 599)):
        piece = rates[a:b + 1]
        assert piece == sorted(piece) or piece == sorted(piece, reverse=True), (a, b)


def test_one_cycle_breakpoints_match_brute_force():
    for schedule in (one_cycle(0.1, 100), one_cycle(0.1, 999, 0.37, three_phase=True),
                     one_cycle(0.1, 10, 0.05), one_cycle(0.1, 10, 0.95, three_phase=True),
                     one_cycle(0.1, 2, 0.7)):
        phase = [schedule._phase(s) for s in range(schedule.total_steps)]
        changes = {s for s in range(1, len(phase)) if phase[s] != phase[s - 1]}
        expected = changes | {s - 1 for s in changes}
        if schedule.total_steps > 1:
            expected.add(schedule.total_steps - 1)
        assert schedule.breakpoints(5000) == tuple(sorted(expected)), schedule


# ---------------------------------------------------------------------------
# 4. Validation: every error message.
# ---------------------------------------------------------------------------

_NUMBER = "must be a finite number >= 0, got "
_POSITIVE = "must be a finite number > 0, got "
_COUNT = "must be an integer > 0, got "
_STEPS = "must be an integer > 0 or a finite float > 0, got "
_UNIT = "must be a finite number in [0, 1], got "


@pytest.mark.parametrize("make,error,message", [
    (lambda: step_decay(-0.1, 30), ValueError, "`learning_rate` " + _NUMBER + "-0.1"),
    (lambda: step_decay(0.1, 0), ValueError, "`step_size` " + _COUNT + "0"),
    (lambda: step_decay(0.1, 2.5), TypeError, "`step_size` " + _COUNT + "2.5"),
    (lambda: step_decay(0.1, True), TypeError, "`step_size` " + _COUNT + "True"),
    (lambda: step_decay(0.1, 30, gamma=-0.5), ValueError, "`gamma` " + _NUMBER + "-0.5"),
    (lambda: step_decay(0.1, 30, gamma=math.inf), ValueError, "`gamma` " + _NUMBER + "inf"),
    (lambda: multistep_decay(math.nan, [1]), ValueError, "`learning_rate` " + _NUMBER + "nan"),
    (lambda: multistep_decay(0.1, 30), TypeError, "`milestones` must be a sequence, got 30"),
    (lambda: multistep_decay(0.1, "30"), TypeError,
     "`milestones` must be a sequence, got '30'"),
    (lambda: multistep_decay(0.1, [30, 2.5]), TypeError,
     "`milestones` element 1 must be an integer >= 0, got 2.5"),
    (lambda: multistep_decay(0.1, [-1]), ValueError,
     "`milestones` element 0 must be an integer >= 0, got -1"),
    (lambda: multistep_decay(0.1, [30, 30]), ValueError,
     "`milestones` must be strictly increasing, got (30, 30)"),
    (lambda: multistep_decay(0.1, [80, 30]), ValueError,
     "`milestones` must be strictly increasing, got (80, 30)"),
    (lambda: multistep_decay(0.1, [30], gamma="0.1"), TypeError, "`gamma` " + _NUMBER + "'0.1'"),
    (lambda: one_cycle(-1.0, 100), ValueError, "`max_lr` " + _NUMBER + "-1.0"),
    (lambda: one_cycle(0.1, 0), ValueError, "`total_steps` " + _COUNT + "0"),
    (lambda: one_cycle(0.1, 100.0), TypeError, "`total_steps` " + _COUNT + "100.0"),
    (lambda: one_cycle(0.1, 100, pct_start=1.5), ValueError, "`pct_start` " + _UNIT + "1.5"),
    (lambda: one_cycle(0.1, 100, pct_start=-0.1), ValueError, "`pct_start` " + _UNIT + "-0.1"),
    (lambda: one_cycle(0.1, 100, pct_start=math.nan), ValueError,
     "`pct_start` " + _UNIT + "nan"),
    (lambda: one_cycle(0.1, 100, pct_start="0.3"), TypeError, "`pct_start` " + _UNIT + "'0.3'"),
    (lambda: one_cycle(0.1, 100, pct_start=False), TypeError, "`pct_start` " + _UNIT + "False"),
    (lambda: one_cycle(0.1, 10, pct_start=0.1), ValueError,
     "`pct_start` * `total_steps` must not be 1 (PyTorch divides by zero at step 0 then), "
     "got 0.1 * 10"),
    (lambda: one_cycle(0.1, 2, pct_start=0.5, three_phase=True), ValueError,
     "`pct_start` * `total_steps` must not be 1 (PyTorch divides by zero at step 0 then), "
     "got 0.5 * 2"),
    (lambda: one_cycle(0.1, 100, anneal_strategy="cosine"), ValueError,
     "`anneal_strategy` must be one of 'cos', 'linear', got 'cosine'"),
    (lambda: one_cycle(0.1, 100, div_factor=0), ValueError, "`div_factor` " + _POSITIVE + "0.0"),
    (lambda: one_cycle(0.1, 100, final_div_factor=-1e4), ValueError,
     "`final_div_factor` " + _POSITIVE + "-10000.0"),
    (lambda: one_cycle(0.1, 100, three_phase=1), TypeError,
     "`three_phase` must be a bool (True or False), got 1"),
    (lambda: cyclic(-0.1, 0.1), ValueError, "`base_lr` " + _NUMBER + "-0.1"),
    (lambda: cyclic(0.1, None), TypeError, "`max_lr` " + _NUMBER + "None"),
    (lambda: cyclic(0.1, 0.05), ValueError, "`max_lr` must be >= `base_lr` (0.1), got 0.05"),
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
])
def test_validation_messages(make, error, message):
    with pytest.raises(error, match="^" + re.escape(message) + "$") as info:
        make()
    assert type(info.value) is error


@pytest.mark.parametrize("schedule", [s for s, _ in GOLDEN], ids=repr)
def test_step_validation(schedule):
    with pytest.raises(ValueError, match=r"^`step` must be an integer >= 0, got -1$"):
        schedule(-1)
    with pytest.raises(TypeError, match=r"^`step` must be an integer >= 0, got 0\.5$"):
        schedule(0.5)


def test_growth_overflows_to_inf_not_an_error():
    assert step_decay(1.0, 1, gamma=10.0)(400) == math.inf
    assert step_decay(0.0, 1, gamma=10.0)(400) == 0.0  # Not 0 * inf = nan.
    assert cyclic(0.1, 0.5, 1, mode="exp_range", gamma=10.0)(401) == math.inf
    assert cyclic(0.1, 0.5, 1, mode="exp_range", gamma=10.0)(400) == 0.1  # A trough.
    assert cyclic(0.1, 0.5, 1, mode="triangular2")(2 * 1100 + 1) == 0.1  # 0.4 / 2 ** 1100.


# ---------------------------------------------------------------------------
# 5. Values: repr round trip, equality, hashing, immutability, the API.
# ---------------------------------------------------------------------------

def test_repr_looks_like_the_factory_call():
    assert repr(one_cycle(0.1, 100)) == (
        "one_cycle(max_lr=0.1, total_steps=100, pct_start=0.3, anneal_strategy='cos', "
        "div_factor=25.0, final_div_factor=10000.0, three_phase=False)")
    assert repr(cyclic(0.001, 0.006)) == (
        "cyclic(base_lr=0.001, max_lr=0.006, step_size_up=2000, step_size_down=None, "
        "mode='triangular', gamma=1.0)")
    assert repr(multistep_decay(0.1, [30, 80])) == (
        "multistep_decay(learning_rate=0.1, milestones=(30, 80), gamma=0.1)")
    assert repr(step_decay(1, 30)) == "step_decay(learning_rate=1.0, step_size=30, gamma=0.1)"


@pytest.mark.parametrize("schedule", [s for s, _ in GOLDEN + PYTORCH], ids=repr)
def test_repr_round_trips(schedule):
    copy = eval(repr(schedule), vars(schedules))  # noqa: S307 - our own repr.
    assert copy == schedule and hash(copy) == hash(schedule)
    assert copy is not schedule and repr(copy) == repr(schedule)


def test_equality_and_hashing():
    assert one_cycle(0.1, 100) == one_cycle(0.1, 100, 0.3, "cos", 25, 1e4, False)
    assert one_cycle(0.1, 100) != one_cycle(0.1, 100, three_phase=True)
    assert cyclic(0, 1, 10) == cyclic(0.0, 1.0, 10) != cyclic(0.0, 1.0, 10, 10)
    assert multistep_decay(0.1, [1, 2]) == multistep_decay(0.1, (1, 2))
    assert step_decay(0.1, 10) != multistep_decay(0.1, [10])
    assert len({step_decay(0.1, 10), step_decay(0.1, 10), cyclic(0, 1, 10)}) == 2


@pytest.mark.parametrize("schedule", [s for s, _ in GOLDEN], ids=repr)
def test_immutable(schedule):
    name = dataclasses.fields(schedule)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(schedule, name, 0.5)


def test_factories_have_the_pytorch_argument_names():
    pytorch_args = {  # torch.optim.lr_scheduler arguments, minus optimizer and momentum.
        "step_decay": ["learning_rate", "step_size", "gamma"],  # StepLR (optimizer lr)
        "multistep_decay": ["learning_rate", "milestones", "gamma"],  # MultiStepLR
        "one_cycle": ["max_lr", "total_steps", "pct_start", "anneal_strategy", "div_factor",
                      "final_div_factor", "three_phase"],  # OneCycleLR
        "cyclic": ["base_lr", "max_lr", "step_size_up", "step_size_down", "mode",
                   "gamma"],  # CyclicLR
    }
    for name, args in pytorch_args.items():
        factory = getattr(schedules, name)
        parameters = inspect.signature(factory).parameters
        assert list(parameters) == args
        assert factory.__doc__.count("Args:") == 1
    defaults = {n: p.default for n, p in inspect.signature(one_cycle).parameters.items()}
    assert defaults == {"max_lr": inspect.Parameter.empty,
                        "total_steps": inspect.Parameter.empty, "pct_start": 0.3,
                        "anneal_strategy": "cos", "div_factor": 25.0,
                        "final_div_factor": 1e4, "three_phase": False}
    defaults = {n: p.default for n, p in inspect.signature(cyclic).parameters.items()}
    assert defaults["step_size_up"] == 2000 and defaults["step_size_down"] is None
    assert defaults["mode"] == "triangular" and defaults["gamma"] == 1.0


# ---------------------------------------------------------------------------
# 6. Properties.
# ---------------------------------------------------------------------------

_RATES = st.floats(0.0, 10.0)
_SIZES = st.one_of(st.integers(1, 10**4), st.floats(0.25, 1e4))


@hypothesis.settings(max_examples=200, deadline=None, database=None)
@hypothesis.given(_RATES, st.floats(0.0, 10.0), _SIZES, st.one_of(st.none(), _SIZES),
                  st.sampled_from(["triangular", "triangular2", "exp_range"]),
                  st.floats(0.0, 1.0), st.integers(0, 10**12))
def test_cyclic_stays_between_its_bounds(base, extra, up, down, mode, gamma, step):
    schedule = cyclic(base, base + extra, up, down, mode, gamma)
    rate = schedule(step)
    assert base <= rate <= (base + extra) * (1 + 1e-12)


@hypothesis.settings(max_examples=200, deadline=None, database=None)
@hypothesis.given(_RATES, st.integers(1, 10**5), st.floats(0.0, 1.0),
                  st.sampled_from(["cos", "linear"]), st.floats(0.5, 100.0),
                  st.floats(0.5, 1e4), st.booleans(), st.integers(0, 10**12))
def test_one_cycle_stays_between_its_rates(max_lr, total, pct, strategy, div, final_div,
                                           three_phase, step):
    hypothesis.assume(pct * total != 1.0)
    schedule = one_cycle(max_lr, total, pct, strategy, div, final_div, three_phase)
    rate = schedule(step)
    rates = (max_lr, max_lr / div, max_lr / div / final_div)
    assert min(rates) - 1e-12 * max(rates) <= rate <= max(rates) * (1 + 1e-12)
    assert schedule(max(step, total - 1)) == schedule(total - 1)  # Held at the end.
