"""The PyTorch family of `lrhooks.schedules`: step, multistep, 1cycle and cyclic rates.

Golden tables, validation messages and the value semantics of every factory are in
`test_schedule_conformance.py`; this file holds PyTorch's own values and what only this
family has (phase ends, cycle turns, the argument defaults of PyTorch).

The repository's tests never import torch. The tables of `PYTORCH` hold
`scheduler.get_last_lr()[0]` after `step` calls of `scheduler.step()` (each
after an `optimizer.step()` of a momentum SGD), as PyTorch 2.13.0 (CPU) printed
them; the schedules were also compared with it over every step of 3,000-5,000
step runs of 27 configurations: one_cycle and cyclic were bit-identical,
step_decay and multistep_decay within a relative 3e-15 (PyTorch multiplies by
gamma step by step, we raise gamma to a power).
"""

import inspect
import math

import hypothesis
import pytest
from hypothesis import strategies as st

from lrhooks import schedules
from lrhooks.schedules import cyclic, multistep_decay, one_cycle, step_decay

# ---------------------------------------------------------------------------
# 1. PyTorch 2.13.0's own values (see the module docstring).
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
# 2. Phase ends, cycle turns and breakpoints.
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
# 3. Overflow, values and PyTorch's defaults.
# ---------------------------------------------------------------------------


def test_growth_overflows_to_inf_not_an_error():
    assert step_decay(1.0, 1, gamma=10.0)(400) == math.inf
    assert step_decay(0.0, 1, gamma=10.0)(400) == 0.0  # Not 0 * inf = nan.
    assert cyclic(0.1, 0.5, 1, mode="exp_range", gamma=10.0)(401) == math.inf
    assert cyclic(0.1, 0.5, 1, mode="exp_range", gamma=10.0)(400) == 0.1  # A trough.
    assert cyclic(0.1, 0.5, 1, mode="triangular2")(2 * 1100 + 1) == 0.1  # 0.4 / 2 ** 1100.


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


@pytest.mark.parametrize("schedule", [s for s, _ in PYTORCH], ids=repr)
def test_repr_round_trips(schedule):
    copy = eval(repr(schedule), vars(schedules))  # noqa: S307 - our own repr.
    assert copy == schedule and hash(copy) == hash(schedule)
    assert copy is not schedule and repr(copy) == repr(schedule)


def test_factories_have_pytorchs_defaults():
    defaults = {n: p.default for n, p in inspect.signature(one_cycle).parameters.items()}
    assert defaults == {"max_lr": inspect.Parameter.empty,
                        "total_steps": inspect.Parameter.empty, "pct_start": 0.3,
                        "anneal_strategy": "cos", "div_factor": 25.0,
                        "final_div_factor": 1e4, "three_phase": False}
    defaults = {n: p.default for n, p in inspect.signature(cyclic).parameters.items()}
    assert defaults["step_size_up"] == 2000 and defaults["step_size_down"] is None
    assert defaults["mode"] == "triangular" and defaults["gamma"] == 1.0
    assert inspect.signature(step_decay).parameters["gamma"].default == 0.1
    assert inspect.signature(multistep_decay).parameters["gamma"].default == 0.1


def test_equality_and_hashing():
    assert one_cycle(0.1, 100) == one_cycle(0.1, 100, 0.3, "cos", 25, 1e4, False)
    assert one_cycle(0.1, 100) != one_cycle(0.1, 100, three_phase=True)
    assert cyclic(0, 1, 10) == cyclic(0.0, 1.0, 10) != cyclic(0.0, 1.0, 10, 10)
    assert multistep_decay(0.1, [1, 2]) == multistep_decay(0.1, (1, 2))
    assert step_decay(0.1, 10) != multistep_decay(0.1, [10])
    assert len({step_decay(0.1, 10), step_decay(0.1, 10), cyclic(0, 1, 10)}) == 2


# ---------------------------------------------------------------------------
# 4. Properties.
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


# ---------------------------------------------------------------------------
# chained_scheduler: PyTorch's ChainedScheduler recursion (its peer values, from PyTorch's
# executed code, are tests/data/peer_values/chained_scheduler.json.gz) against `product`.
# ---------------------------------------------------------------------------

def test_chained_scheduler_is_product_only_for_multiplicative_schedulers():
    multiplicative = [schedules.constant_lr(0.5, 0.25, 3), step_decay(0.5, 4, 0.5),
                      schedules.exponential_decay(0.5, 1, 0.9)]
    factors = [schedules.constant_lr(0.5, 0.25, 3), step_decay(1.0, 4, 0.5),
               schedules.exponential_decay(1.0, 1, 0.9)]
    chained, product = schedules.chained_scheduler(multiplicative), schedules.product(factors)
    assert [chained(s) for s in range(30)] == pytest.approx([product(s) for s in range(30)],
                                                            rel=1e-12)
    # A cosine with eta_min is not a factor: PyTorch anneals the running rate towards eta_min.
    cosine = [schedules.constant_lr(1.0, 0.1, 5), schedules.cosine_annealing(1.0, 10, 0.5)]
    chained = schedules.chained_scheduler(cosine)
    product = schedules.product([cosine[0], schedules.cosine_annealing(1.0, 10, 0.5)])
    worst = max(abs(chained(s) - product(s)) / chained(s) for s in range(40))
    assert worst > 0.5  # the gap the product's docstring and its row in docs/schedules.md state


def test_chained_scheduler_is_the_same_in_any_order_of_steps():
    chain = [schedules.linear_lr(0.1, 0.2, 1.0, 7), schedules.cosine_annealing(0.1, 9, 0.01),
             multistep_decay(0.1, [5, 5, 300], 0.5)]
    in_order = [schedules.chained_scheduler(chain)(s) for s in range(700)]
    fresh = schedules.chained_scheduler(chain)
    steps = [699, 3, 512, 0, 256, 255, 600, 1, 698]
    assert [fresh(s) for s in steps] == [in_order[s] for s in steps]
    assert schedules.chained_scheduler(chain) == fresh  # memo beside the fields
