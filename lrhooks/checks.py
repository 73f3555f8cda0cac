"""Argument checks: the one copy of every rule, used by schedules, hooks and CLIs.

Each check takes the argument's `name` (as the caller spells it) and its value,
returns the value normalized (an `int`, a `float`, a `bool`, ...) and raises a
one-line error in the house form::

    `decay_steps` must be an integer > 0, got -3

TypeError for a value of the wrong type (a bool is never a number), ValueError
for one out of range. `element` names an item of a sequence argument
("`boundaries` element 1 must be ..."). This module never imports TensorFlow.

Which check to use:

  positive_count       an integer > 0 (a batch size, `every_n_steps`)
  non_negative_count   an integer >= 0 (a patience, a warmup length, a step)
  integer_at_least     an integer >= some minimum (a chart width >= 8)
  step                 a global step: an integer >= 0, named `step`
  every_n_steps        a hook's interval: an integer > 0 (or None where allowed)
  positive_steps       a length in steps that may be fractional (`decay_steps`)
  real                 a finite number >= minimum (> minimum with `strict`)
  finite               any finite number (an exponent that may be negative)
  positive             a finite number > 0
  interval             a finite number in [low, high] (ends open on request)
  choice               one of a few strings
  flag                 a bool
  non_empty_string     a non-empty str (a tag, a name scope)
  rate                 a learning rate produced at run time: finite (in its dtype) and >= 0
  schedule_rate        `schedule(step)` checked with `rate`
"""

import math
import numbers
import operator
from typing import Callable, Optional, Sequence

__all__ = ["positive_count", "non_negative_count", "integer_at_least", "step",
           "every_n_steps", "positive_steps", "real", "finite", "positive", "interval", "choice",
           "flag", "non_empty_string", "rate", "schedule_rate"]


def _what(name: str, element) -> str:
    return f"`{name}`" + ("" if element is None else f" element {element}")


def _number_text(value: float) -> str:
    """`0`, `1`, `0.5`: a bound as written in a message."""
    return f"{value:g}" if math.isfinite(value) else repr(value)


def _integer(name: str, value, minimum: int, element, allowed: str) -> int:
    what = f"{_what(name, element)} must be {allowed}"
    if isinstance(value, bool):
        raise TypeError(f"{what}, got {value!r}")
    try:
        value = operator.index(value)
    except TypeError:
        raise TypeError(f"{what}, got {value!r}") from None
    if value < minimum:
        raise ValueError(f"{what}, got {value}")
    return value


def integer_at_least(name: str, value, minimum: int, element=None) -> int:
    """Checks for an integer >= `minimum` (not a bool; numpy integers are fine); an int.

    Raises:
      TypeError: `value` is not an integer.
      ValueError: `value` < `minimum`.
    """
    return _integer(name, value, minimum, element, f"an integer >= {minimum}")


def positive_count(name: str, value, element=None) -> int:
    """Checks for an integer > 0 (a count of things that must not be empty); an int."""
    return _integer(name, value, 1, element, "an integer > 0")


def non_negative_count(name: str, value, element=None) -> int:
    """Checks for an integer >= 0; an int."""
    return integer_at_least(name, value, 0, element)


def step(value, name: str = "step") -> int:
    """Checks a global step: an integer >= 0 (message names `step` unless told)."""
    return integer_at_least(name, value, 0)


def every_n_steps(value, allow_none: bool = False) -> Optional[int]:
    """Checks a hook's `every_n_steps`: an integer > 0, or None if `allow_none`."""
    if value is None and allow_none:
        return None
    return positive_count("every_n_steps", value)


def positive_steps(name: str, value):
    """Checks for a length in steps > 0: ints stay ints, other reals become floats."""
    allowed = f"`{name}` must be an integer > 0 or a finite float > 0"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{allowed}, got {value!r}")
    value = int(value) if isinstance(value, numbers.Integral) else float(value)
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{allowed}, got {value!r}")
    return value


def _finite(name: str, value, allowed: str, element=None) -> float:
    """A real number (not a bool) as a float; TypeError naming `allowed` otherwise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{_what(name, element)} must be {allowed}, got {value!r}")
    return float(value)


def real(name: str, value, minimum: float = 0.0, *, strict: bool = False,
         element=None) -> float:
    """Checks for a finite real number >= `minimum` (> it if `strict`); a float."""
    allowed = f"a finite number {'>' if strict else '>='} {_number_text(minimum)}"
    number = _finite(name, value, allowed, element)
    if not math.isfinite(number) or number < minimum or (strict and number == minimum):
        raise ValueError(f"{_what(name, element)} must be {allowed}, got {number!r}")
    return number


def finite(name: str, value, element=None) -> float:
    """Checks for a finite real number of any sign; a float."""
    allowed = "a finite number"
    number = _finite(name, value, allowed, element)
    if not math.isfinite(number):
        raise ValueError(f"{_what(name, element)} must be {allowed}, got {number!r}")
    return number


def positive(name: str, value, element=None) -> float:
    """Checks for a finite real number > 0; a float."""
    return real(name, value, 0.0, strict=True, element=element)


def interval(name: str, value, low: float, high: float, *, low_open: bool = False,
             high_open: bool = False) -> float:
    """Checks for a finite real number in `[low, high]` (`(` / `)` where open); a float."""
    allowed = (f"a finite number in {'(' if low_open else '['}{_number_text(low)}, "
               f"{_number_text(high)}{')' if high_open else ']'}")
    number = _finite(name, value, allowed)
    above = number > low if low_open else number >= low
    below = number < high if high_open else number <= high
    if not (math.isfinite(number) and above and below):  # NaN fails too.
        raise ValueError(f"`{name}` must be {allowed}, got {number!r}")
    return number


def choice(name: str, value, options: Sequence[str]) -> str:
    """Checks that `value` is one of the strings `options`."""
    if not isinstance(value, str) or value not in options:
        allowed = ", ".join(repr(o) for o in options)
        raise ValueError(f"`{name}` must be one of {allowed}, got {value!r}")
    return value


def flag(name: str, value) -> bool:
    """Checks for a bool (True or False; not 0 or 1)."""
    if not isinstance(value, bool):
        raise TypeError(f"`{name}` must be a bool (True or False), got {value!r}")
    return value


def non_empty_string(name: str, value) -> str:
    """Checks for a non-empty str."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"`{name}` must be a non-empty string, got {value!r}")
    return value


# The largest finite value of each floating dtype a rate tensor may have.
DTYPE_MAX = {"float16": 65504.0, "bfloat16": 3.3895313892515355e38,
             "float32": 3.4028234663852886e38, "float64": 1.7976931348623157e308}


def rate(value, source: str, where: str = "", dtype: Optional[str] = None) -> float:
    """Checks a learning rate produced at run time (by a schedule, from a checkpoint).

    The one check of a rate: the rate tensor, the setter hook, the plateau
    schedule's restored state and the preview all use it.

    Args:
      value: The rate.
      source: What gave it, for the message (e.g. "learning-rate schedule constant(...)").
      where: Said after the value (e.g. " at step 4").
      dtype: The name of the floating dtype the rate goes into ("float32"): a value it
        cannot hold (it would become an infinity) is refused too.

    Returns:
      The rate as a float.

    Raises:
      ValueError: The rate is NaN, an infinity or negative, e.g. "learning-rate
        schedule constant(...) gave nan at step 4; a learning rate must be finite and >= 0",
        or beyond `dtype` ("... gave 1e+39 at step 4, which float32 cannot hold (largest
        3.40282e+38)").
    """
    number = float(value)
    if not (number >= 0 and number != math.inf):  # also catches NaN
        raise ValueError(
            f"{source} gave {number!r}{where}; a learning rate must be finite and >= 0")
    largest = DTYPE_MAX.get(dtype, math.inf) if dtype is not None else math.inf
    if number > largest:
        raise ValueError(f"{source} gave {number:g}{where}, which {dtype} cannot hold (largest "
                         f"{largest:g}); a learning rate must be finite in its dtype")
    return number


def schedule_rate(schedule: Callable[[int], float], at_step: int,
                  dtype: Optional[str] = None) -> float:
    """`schedule(at_step)` as a float, checked with `rate` (for a rate of `dtype`)."""
    number = float(schedule(at_step))
    if 0.0 <= number < DTYPE_MAX.get(dtype, math.inf):  # the common case: no message built
        return number
    return rate(number, f"learning-rate schedule {schedule!r}", f" at step {at_step}",
                dtype)
