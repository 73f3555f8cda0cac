"""`lrhooks.checks`: the one copy of every argument rule, and its messages."""

import math
import re

import numpy as np
import pytest

from lrhooks import checks

_INF, _NAN = math.inf, math.nan


@pytest.mark.parametrize("call, expected", [
    (lambda: checks.positive_count("n", 3), 3),
    (lambda: checks.positive_count("n", np.int64(3)), 3),
    (lambda: checks.non_negative_count("n", 0), 0),
    (lambda: checks.integer_at_least("width", 8, 8), 8),
    (lambda: checks.step(5), 5),
    (lambda: checks.every_n_steps(100), 100),
    (lambda: checks.every_n_steps(None, allow_none=True), None),
    (lambda: checks.positive_steps("decay_steps", 2.5), 2.5),
    (lambda: checks.positive_steps("decay_steps", np.int32(7)), 7),
    (lambda: checks.real("x", 0), 0.0),
    (lambda: checks.real("x", 2, 1.0, strict=True), 2.0),
    (lambda: checks.positive("x", np.float32(0.5)), 0.5),
    (lambda: checks.finite("x", -2), -2.0),
    (lambda: checks.interval("p", 1, 0.0, 1.0), 1.0),
    (lambda: checks.choice("mode", "min", ("min", "max")), "min"),
    (lambda: checks.flag("cycle", False), False),
    (lambda: checks.non_empty_string("tag", "lr"), "lr"),
    (lambda: checks.rate(0.0, "x"), 0.0),
    (lambda: checks.schedule_rate(lambda step: step / 2, 3), 1.5),
    (lambda: checks.rate(3.4e38, "x", "", "float32"), 3.4e38),
    (lambda: checks.rate(1e39, "x", "", "float64"), 1e39),
])
def test_valid_values_come_back_normalized(call, expected):
    value = call()
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize("call, error, message", [
    (lambda: checks.positive_count("n", 0), ValueError, "`n` must be an integer > 0, got 0"),
    (lambda: checks.positive_count("n", -3), ValueError, "`n` must be an integer > 0, got -3"),
    (lambda: checks.positive_count("n", 2.0), TypeError, "`n` must be an integer > 0, got 2.0"),
    (lambda: checks.positive_count("n", True), TypeError, "`n` must be an integer > 0, got True"),
    (lambda: checks.positive_count("parts", 0, "1 steps"), ValueError,
     "`parts` element 1 steps must be an integer > 0, got 0"),
    (lambda: checks.non_negative_count("n", -1), ValueError,
     "`n` must be an integer >= 0, got -1"),
    (lambda: checks.non_negative_count("b", "3", 2), TypeError,
     "`b` element 2 must be an integer >= 0, got '3'"),
    (lambda: checks.integer_at_least("width", 3, 8), ValueError,
     "`width` must be an integer >= 8, got 3"),
    (lambda: checks.step(-1), ValueError, "`step` must be an integer >= 0, got -1"),
    (lambda: checks.step(None, "total_steps"), TypeError,
     "`total_steps` must be an integer >= 0, got None"),
    (lambda: checks.every_n_steps(0), ValueError, "`every_n_steps` must be an integer > 0, got 0"),
    (lambda: checks.every_n_steps(None), TypeError,
     "`every_n_steps` must be an integer > 0, got None"),
    (lambda: checks.positive_steps("d", 0), ValueError,
     "`d` must be an integer > 0 or a finite float > 0, got 0"),
    (lambda: checks.positive_steps("d", _INF), ValueError,
     "`d` must be an integer > 0 or a finite float > 0, got inf"),
    (lambda: checks.real("x", -0.5), ValueError, "`x` must be a finite number >= 0, got -0.5"),
    (lambda: checks.real("x", _NAN), ValueError, "`x` must be a finite number >= 0, got nan"),
    (lambda: checks.real("x", "1"), TypeError, "`x` must be a finite number >= 0, got '1'"),
    (lambda: checks.real("v", -1, element=1), ValueError,
     "`v` element 1 must be a finite number >= 0, got -1.0"),
    (lambda: checks.real("f", 1, 1.0, strict=True), ValueError,
     "`f` must be a finite number > 1, got 1.0"),
    (lambda: checks.positive("x", 0), ValueError, "`x` must be a finite number > 0, got 0.0"),
    (lambda: checks.finite("x", -math.inf), ValueError, "`x` must be a finite number, got -inf"),
    (lambda: checks.finite("x", "1"), TypeError, "`x` must be a finite number, got '1'"),
    (lambda: checks.positive("x", False), TypeError, "`x` must be a finite number > 0, got False"),
    (lambda: checks.interval("p", 1.5, 0.0, 1.0), ValueError,
     "`p` must be a finite number in [0, 1], got 1.5"),
    (lambda: checks.interval("f", 0, 0.0, 1.0, low_open=True, high_open=True), ValueError,
     "`f` must be a finite number in (0, 1), got 0.0"),
    (lambda: checks.interval("s", _NAN, 0.0, 1.0, high_open=True), ValueError,
     "`s` must be a finite number in [0, 1), got nan"),
    (lambda: checks.choice("mode", "mean", ("min", "max")), ValueError,
     "`mode` must be one of 'min', 'max', got 'mean'"),
    (lambda: checks.choice("mode", None, ("min",)), ValueError,
     "`mode` must be one of 'min', got None"),
    (lambda: checks.flag("cycle", 1), TypeError, "`cycle` must be a bool (True or False), got 1"),
    (lambda: checks.non_empty_string("tag", ""), ValueError,
     "`tag` must be a non-empty string, got ''"),
    (lambda: checks.non_empty_string("tag", 3), ValueError,
     "`tag` must be a non-empty string, got 3"),
    (lambda: checks.rate(-1, "`state` rate"), ValueError,
     "`state` rate gave -1.0; a learning rate must be finite and >= 0"),
    (lambda: checks.rate(_INF, "x"), ValueError,
     "x gave inf; a learning rate must be finite and >= 0"),
    (lambda: checks.schedule_rate(lambda step: _NAN, 4), ValueError, None),
    (lambda: checks.rate(1e39, "x", " at step 6", "float32"), ValueError,
     "x gave 1e+39 at step 6, which float32 cannot hold (largest 3.40282e+38); a learning rate "
     "must be finite in its dtype"),
    (lambda: checks.rate(70000.0, "x", "", "float16"), ValueError,
     "x gave 70000, which float16 cannot hold (largest 65504); a learning rate must be finite "
     "in its dtype"),
])
def test_messages_are_one_line_in_the_house_form(call, error, message):
    with pytest.raises(error) as info:
        call()
    assert type(info.value) is error
    if message is None:  # a schedule's repr is in it: check the frame around it
        assert re.fullmatch(r"learning-rate schedule <function .*> gave nan at step 4; "
                            r"a learning rate must be finite and >= 0", str(info.value))
    else:
        assert str(info.value) == message
