"""The windows a scheduled value stores: `(steps, values)` for consecutive steps.

Built-in schedules fill through their unchecked `_value`, other callables
through a call per step, both with one vectorized check; a window holding an
invalid value (or a schedule that raises) takes the checked path, value by
value, and stops before that step (it and later steps stay out of the table).
"""

import math

import numpy as np
import pytest

from lrhooks import schedules
from lrhooks.graph.rate_tensor import RateSource

SIZE = 8

SCHEDULES = [
    schedules.piecewise_constant([3, 6], [0.1, 0.01, 0.001]),
    schedules.exponential_decay(0.1, 3, 0.5),
    schedules.cosine_decay(0.1, 20),
    schedules.one_cycle(0.1, 20),
    schedules.warmup(schedules.cosine_decay(0.1, 20), 4),
]


def window(schedule, start):
    return RateSource("lr", SIZE, None, schedule).window(start)


def rows_by_step(window_arrays):
    """{step: value} of a window, checking its steps are consecutive and its dtypes."""
    steps, values = window_arrays
    assert steps.dtype == np.int64 and values.dtype == np.float64 and steps.shape == values.shape
    if len(steps):
        assert list(steps) == list(range(int(steps[0]), int(steps[0]) + len(steps))), steps
    return {int(step): float(value) for step, value in zip(steps, values)}


@pytest.mark.parametrize("schedule", SCHEDULES, ids=lambda s: type(s).__name__)
@pytest.mark.parametrize("start", [0, 5, 17])
def test_window_holds_each_step_of_the_window_in_its_row(schedule, start):
    assert rows_by_step(window(schedule, start)) == {step: schedule(step) for step in range(start, start + SIZE)}


@pytest.mark.parametrize("schedule", SCHEDULES, ids=lambda s: type(s).__name__)
def test_a_plain_function_gives_the_same_table_as_the_schedule_it_calls(schedule):
    by_call, built_in = window(lambda step: schedule(step), 5), window(schedule, 5)
    assert np.array_equal(by_call[0], built_in[0]) and np.array_equal(by_call[1], built_in[1])


@pytest.mark.parametrize("bad", [math.nan, math.inf, -0.5])
def test_window_stops_before_the_first_invalid_value(bad):
    def rate(step):
        return bad if step >= 7 else 0.1 * (step + 1)

    assert rows_by_step(window(rate, 4)) == pytest.approx({4: 0.5, 5: 0.6, 6: 0.7})


def test_window_stops_where_the_schedule_raises():
    def rate(step):
        if step >= 6:
            raise ValueError("past the end")
        return 0.1

    assert rows_by_step(window(rate, 4)) == {4: 0.1, 5: 0.1}


def test_a_schedule_that_raises_another_error_raises_it():
    def rate(step):
        raise TypeError("not a number")

    with pytest.raises(TypeError, match="not a number"):
        window(rate, 0)
