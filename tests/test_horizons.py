"""Tests for `lrhooks.horizons`: where every schedule finishes, and the warning line."""

import math

import pytest

from lrhooks import horizons
from lrhooks import schedules as S
from lrhooks import spec as spec_lib
from tests.test_schedule_conformance import REGISTRY


def test_every_spec_factory_has_a_known_horizon_rule():
    assert set(spec_lib.factories()) <= set(horizons.known_factories())


def _golden():
    return [(name, schedule) for name, entry in REGISTRY.items()
            for schedule, _ in entry.golden]


@pytest.mark.parametrize("name, schedule", _golden(), ids=lambda v: v if isinstance(v, str)
                         else "")
def test_a_schedule_holds_its_end_value_from_its_horizon(name, schedule):
    end = horizons.horizon(schedule)
    if end is None or any(rising in repr(schedule)
                          for rising in horizons.RISES_AFTER_HORIZON):
        return
    value = schedule(end)
    for later in (end + 1, end + 2, end + 7, end + 100, end + 10**6):
        assert schedule(later) == value or (math.isnan(value) and math.isnan(schedule(later)))
    assert end == 0 or schedule(end - 1) != value or name in ("one_cycle", "one_cycle_momentum")


@pytest.mark.parametrize("schedule, expected", [
    (S.cosine_decay(0.1, 1000), 1000),
    (S.polynomial_decay(0.1, 500), 500),
    (S.polynomial_decay(0.1, 500, cycle=True), None),
    (S.linear_cosine_decay(0.1, 300), 300),
    (S.one_cycle(0.2, 3500), 3500),
    (S.warmup_stable_decay(0.1, 100, 700, 200), 1000),
    (S.linear_schedule_with_warmup(0.1, 10, 90), 90),
    (S.cosine_annealing(0.1, 50), 50),  # rises again after it: still its planned end
    (S.warmup(S.cosine_decay(0.1, 1000), 100), 1100),
    (S.warmup(S.cosine_decay(0.1, 1000), 100, offset=False), 1000),
    (S.scaled(S.cosine_decay(0.1, 1000), 2.0), 1000),
    (S.product([S.constant(2.0), S.cosine_decay(0.1, 1000)]), 1000),
    (S.product([S.exponential_decay(1.0, 10, 0.5), S.cosine_decay(0.1, 1000)]), None),
    (S.sequential([(100, S.constant(0.1))], final=S.cosine_decay(0.1, 400)), 500),
    (S.sequential([(100, S.constant(0.1)), (50, S.cosine_decay(0.1, 400))]), 500),
    (S.warmup_cosine_decay_schedule(0.0, 1.0, 10, 100), 100),
    (S.power_and_linear_decay(1.0, 100, power=-0.5), 100),
    (S.power_and_linear_decay(1.0, 100, power=-0.5, linear_decay_fraction=0.0), None),
    # Periods, milestones, ramps to a rate they keep, plateaus: no horizon.
    (S.exponential_decay(0.1, 1000, 0.5), None),
    (S.piecewise_constant([2000, 3000], [0.1, 0.01, 0.001]), None),
    (S.multistep_decay(0.1, [10, 20]), None),
    (S.constant(0.1), None),
    (S.linear_lr(0.1, total_iters=5), None),
    (S.warmup(S.constant(0.1), 100), None),
    (S.cyclic(0.1, 1.0), None),
    (S.reduce_lr_on_plateau(0.1), None),
])
def test_horizons_of_families_and_compositions(schedule, expected):
    assert horizons.horizon(schedule) == expected


def test_horizon_rejects_a_non_schedule():
    with pytest.raises(TypeError, match=r"^`schedule` must be a lrhooks.schedules.Schedule, "
                                        r"got 3$"):
        horizons.horizon(3)


def test_horizon_warning_names_both_lengths_and_the_fix():
    assert horizons.horizon_warning(S.one_cycle(0.2, 3500), 200) == (
        "the schedule ends at step 3500 but --train_steps=200: only its first 200 steps run "
        "(it is planned for 3500; the rate at the last step is 0.0245502, not its end value "
        "8e-07); write total_steps=train_steps in --lr_schedule to tie it to the run")
    assert horizons.horizon_warning(S.cosine_decay(0.1, 500), 400 + 100) is None
    assert horizons.horizon_warning(S.cosine_decay(0.1, 500), 800) == (
        "the schedule ends at step 500 but --train_steps=800: steps 500..799 train at its end "
        "value 0; write decay_steps=train_steps in --lr_schedule to tie it to the run")
    assert horizons.horizon_warning(S.exponential_decay(0.1, 500, 0.5), 800) is None
    assert horizons.horizon_warning(S.timm_cosine(0.1, 100, cycle_limit=2), 800).endswith(
        "; write its length as `train_steps` in --lr_schedule to tie it to the run")


@pytest.mark.parametrize("schedule, template", [
    (S.one_cycle(0.2, 3500), "one_cycle(0.2, {})"),
    (S.warmup(S.cosine_decay(0.1, 1000), 100), "warmup(cosine_decay(0.1, {}), 100)"),
    (S.scaled(S.warmup(S.cosine_decay(0.1, 1000), 100), 2.0),
     "scaled(warmup(cosine_decay(0.1, {}), 100), 2.0)"),
    (S.warmup_stable_decay(0.1, 100, 700, 200),
     "warmup_stable_decay(0.1, 100, {}, num_decay_steps=200)"),
    (S.sequential([(100, S.constant(0.1))], final=S.cosine_decay(0.1, 400)),
     "sequential([(100, constant(0.1))], final=cosine_decay(0.1, {}))"),
    (S.with_offset(S.polynomial_decay(0.1, 300), 50), "with_offset(polynomial_decay(0.1, {}), 50)"),
    (S.power_and_linear_decay(1.0, 100, power=-0.5, offset=10),
     "power_and_linear_decay(1.0, {}, power=-0.5, offset=10)"),
    (S.linear_schedule_with_warmup(0.1, 10, 90), "linear_schedule_with_warmup(0.1, 10, {})"),
])
def test_the_named_fix_ties_the_horizon_to_the_run(schedule, template):
    tie = horizons.tie_hint(schedule)
    warning = horizons.horizon_warning(schedule, 2000)
    assert f"; write {tie} in --lr_schedule to tie it to the run" in warning
    tied = spec_lib.resolve(template.format(tie), train_steps=2000)
    assert type(tied) is type(schedule) and horizons.horizon(tied) == 2000


def test_the_docstring_examples_run():
    import doctest  # pylint: disable=import-outside-toplevel
    result = doctest.testmod(horizons)
    assert result.attempted >= 3 and result.failed == 0
