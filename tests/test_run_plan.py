"""Tests for `lrhooks.run_plan`: a run's schedule after its --train_steps changed."""

import hypothesis
import pytest
from hypothesis import strategies as st

from lrhooks import run_plan
from lrhooks import schedules as S
from lrhooks.spec import resolve as S_resolve

WSD = "warmup_stable_decay(0.1, num_warmup_steps=100, num_stable_steps=train_steps-300, " \
      "num_decay_steps=200)"
COSINE = "cosine_decay(0.1, decay_steps=train_steps)"


def _same_on(a, b, steps):
    return all(a(step) == b(step) for step in steps)


def test_wsd_in_its_stable_phase_moves_its_cooldown():
    plan = run_plan.replan(WSD, 1000, 2000, trained_step=600)
    assert plan.schedule == S.warmup_stable_decay(0.1, 100, 1700, 200)
    assert _same_on(plan.schedule, S.warmup_stable_decay(0.1, 100, 700, 200), range(600))
    assert plan.lines == (
        "re-planned for --train_steps=2000: warmup_stable_decay(learning_rate=0.1, "
        "num_warmup_steps=100, num_stable_steps=1700, num_decay_steps=200, "
        "warmup_type='linear', decay_type='cosine', min_lr_ratio=0.0, num_cycles=0.5) "
        "(the same rates on the 600 steps trained)",)
    assert plan.extend == "replan"


def test_a_fresh_start_replans_anything():
    assert run_plan.replan(COSINE, 400, 800, 0).schedule == S.cosine_decay(0.1, 800)


@pytest.mark.parametrize("template, trained, message", [
    (COSINE, 400,
     "re-planning cosine_decay for --train_steps=800 changes step 1, already trained (rate "
     "0.0999985 -> 0.0999996): a schedule tied to the run's length cannot be stretched once "
     "trained; choose --extend=restart|hold"),
    ("one_cycle(0.2, total_steps=train_steps)", 10,
     "re-planning one_cycle for --train_steps=800 changes step 1"),
    (WSD, 900, "re-planning warmup_stable_decay for --train_steps=2000 changes step 801, "
               "already trained (rate 0.0999938 -> 0.1): its cooldown started at step 800; "
               "choose --extend=reheat|restart|hold"),
])
def test_replan_that_changes_trained_steps_is_one_line_naming_extend(template, trained,
                                                                       message):
    old_steps = 400 if template != WSD else 1000
    with pytest.raises(run_plan.PlanError) as raised:
        run_plan.replan(template, old_steps, 800 if template != WSD else 2000, trained)
    assert str(raised.value).startswith(message), str(raised.value)


def test_a_fixed_schedule_that_would_end_before_the_new_length_is_refused():
    with pytest.raises(run_plan.PlanError) as raised:
        run_plan.replan("one_cycle(0.2, 3500)", 3500, 5000, 3500)
    assert str(raised.value) == (
        "the schedule ends at step 3500 but --train_steps=5000: steps 3500..4999 would train "
        "at its end value 8e-07; choose --extend=restart|hold, or write total_steps=train_steps "
        "in --lr_schedule")


def test_a_fixed_schedule_that_covers_the_new_length_is_kept():
    plan = run_plan.replan("one_cycle(0.2, 3500)", 2000, 3000, 1500)
    assert plan.schedule == S.one_cycle(0.2, 3500) and plan.lines == ()


def test_hold_keeps_the_old_schedule_and_says_so():
    plan = run_plan.replan("one_cycle(0.2, 3500)", 3500, 5000, 3500, extend="hold")
    assert plan.schedule == S.one_cycle(0.2, 3500)
    assert plan.lines[0].endswith("; it ended at step 3500: steps 3500..4999 train at its end "
                                  "value 8e-07")


def test_restart_keeps_trained_steps_and_starts_the_template_over_the_steps_left():
    plan = run_plan.replan(COSINE, 400, 1000, 400, extend="restart")
    old, fresh = S.cosine_decay(0.1, 400), S.cosine_decay(0.1, 600)
    assert _same_on(plan.schedule, old, range(400))
    assert all(plan.schedule(400 + k) == fresh(k) for k in range(700))
    assert plan.lines == ("restarted at step 400: steps 400..999 follow "
                          "cosine_decay(learning_rate=0.1, decay_steps=600, alpha=0.0) from "
                          "its step 0",)
    with pytest.raises(run_plan.PlanError, match=r"^--extend=restart: the schedule for the 50 "
                                                 r"steps left \(from step 350\) does not build: "
                                                 r"in warmup_stable_decay"):
        run_plan.replan(WSD, 300, 400, 350, extend="restart")
    with pytest.raises(run_plan.PlanError, match=r"^--extend=restart: nothing left to train "
                                                 r"\(the checkpoint is at step 400, "
                                                 r"--train_steps=400\)$"):
        run_plan.replan(COSINE, 300, 400, 400, extend="restart")


def test_reheat_returns_to_the_stable_rate_with_the_cooldown_at_the_new_end():
    old, new = S.warmup_stable_decay(0.1, 100, 700, 200), S.warmup_stable_decay(0.1, 100, 1700,
                                                                                 200)
    plan = run_plan.replan(WSD, 1000, 2000, 900, extend="reheat")
    assert _same_on(plan.schedule, old, range(900))
    assert _same_on(plan.schedule, new, range(900, 2100))
    assert plan.lines[0].startswith("reheated at step 900: rate 0.05 -> 0.1, then "
                                    "warmup_stable_decay(")
    with pytest.raises(run_plan.PlanError) as raised:
        run_plan.replan(COSINE, 400, 800, 400, extend="reheat")
    assert str(raised.value) == ("--extend=reheat is for warmup_stable_decay only, not "
                                 "cosine_decay; choose --extend=replan|restart|hold")


def test_extend_is_checked():
    with pytest.raises(ValueError, match=r"^`extend` must be one of 'replan', 'reheat', "
                                         r"'restart', 'hold', got 'bogus'$"):
        run_plan.replan(COSINE, 400, 800, 0, extend="bogus")


def test_first_difference_past_the_exact_limit_checks_breakpoints(monkeypatch):
    monkeypatch.setattr(run_plan, "EXACT_STEPS", 1000)
    a = S.piecewise_constant([123_457], [1.0, 0.5])
    b = S.piecewise_constant([123_458], [1.0, 0.5])
    assert run_plan.first_difference(a, b, 200_000) == 123_458  # TF: step <= boundary
    assert run_plan.first_difference(a, a, 200_000) is None
    assert run_plan.first_difference(a, b, 100) is None


def test_a_change_too_small_for_six_digits_shows_every_digit():
    template = "cosine_decay(1.0, decay_steps=train_steps*1000)"
    before, after = S.cosine_decay(1.0, 1_000_000)(1), S.cosine_decay(1.0, 1_001_000)(1)
    assert f"{before:.6g}" == f"{after:.6g}" and before != after
    with pytest.raises(run_plan.PlanError) as raised:
        run_plan.replan(template, 1000, 1001, 2)
    assert f"changes step 1, already trained (rate {before!r} -> {after!r})" in str(
        raised.value)


def test_the_docstring_examples_run():
    import doctest  # pylint: disable=import-outside-toplevel
    result = doctest.testmod(run_plan)
    assert result.attempted >= 2 and result.failed == 0


_TEMPLATES = [COSINE, WSD, "one_cycle(0.2, total_steps=train_steps)", "one_cycle(0.2, 500)",
              "sequential([(100, constant(0.1))], final=cosine_decay(0.1, train_steps-100))",
              "exponential_decay(0.1, decay_steps=train_steps/4, decay_rate=0.5)"]


@hypothesis.settings(max_examples=150, deadline=None, database=None)
@hypothesis.given(st.sampled_from(_TEMPLATES), st.integers(300, 900), st.integers(300, 1500),
                  st.integers(0, 900), st.sampled_from([None, *run_plan.EXTEND_CHOICES]))
def test_no_plan_changes_a_trained_step(template, old_steps, new_steps, trained, extend):
    trained = min(trained, old_steps)
    old, new = S_resolve(template, old_steps), S_resolve(template, new_steps)
    try:
        plan = run_plan.replan(template, old_steps, new_steps, trained, extend)
    except run_plan.PlanError as error:
        assert "\n" not in str(error) and "--extend" in str(error)
        return
    assert run_plan.first_difference(plan.schedule, old, trained) is None
    after = range(trained, new_steps + 5)
    if plan.extend == "replan":
        assert plan.schedule == new
    elif plan.extend == "restart":
        fresh = S_resolve(template, new_steps - trained)
        assert all(plan.schedule(step) == fresh(step - trained) for step in after)
    elif plan.extend == "reheat":
        assert all(plan.schedule(step) == new(step) for step in after)
    else:
        assert plan.schedule == old
