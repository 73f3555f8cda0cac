"""What a schedule carried to another framework must be: pure, from a schedule or a spec string.

Shared by `lrhooks.torch` and `lrhooks.optax`; imports neither TensorFlow nor a framework.
"""

from typing import Any, Union

from lrhooks import schedules as schedules_lib
from lrhooks import spec as spec_lib

__all__ = ["ScheduleLike", "pure_schedule"]

ScheduleLike = Union[schedules_lib.Schedule, str]


def pure_schedule(value: Any, name: str, plateau_fix: str) -> schedules_lib.Schedule:
    """A pure lrhooks schedule from a schedule or a spec string, with one-line errors.

    Args:
      value: A `lrhooks.schedules.Schedule` or a spec such as `"cosine_decay(0.1, 1000)"`.
      name: The argument's name for messages.
      plateau_fix: What to use instead of a stateful schedule, named in its message.

    Returns:
      The schedule.

    Raises:
      TypeError: `value` is neither a schedule nor a string.
      lrhooks.spec.SpecError: The string is not a valid spec.
      ValueError: The schedule is stateful (reduce-on-plateau): its rates follow reported
        metrics, which a step count cannot carry.
    """
    if isinstance(value, str):
        value = spec_lib.from_spec(value)
    if not isinstance(value, schedules_lib.Schedule):
        raise TypeError(f"`{name}` must be a lrhooks.schedules.Schedule or a spec string, got "
                        f"{type(value).__name__}")
    parts = schedules_lib.stateful_parts(value)
    if parts:
        raise ValueError(f"`{name}` is stateful (it holds a {type(parts[0]).__name__}): its "
                         f"rates follow reported metrics, not the step; use {plateau_fix} for "
                         "reduce-on-plateau")
    return value
