"""The `Schedule` value type, the stateful-schedule protocol and the field machinery.

A schedule maps an integer step >= 0 to a Python float. Built-in schedules are
frozen dataclasses whose fields are the arguments of their factory function,
each validated by a check of `lrhooks.checks` when the schedule is built;
their `repr` is the factory call, so `eval(repr(s), vars(lrhooks.schedules))`
rebuilds them. This module never imports TensorFlow.
"""

import abc
import dataclasses
import math
import typing
from typing import Callable, ClassVar, Iterable, Tuple, Union

from lrhooks import checks

__all__ = ["Number", "Schedule", "StatefulSchedule", "factory",
           "field", "power_or_inf", "first_step"]

Number = Union[int, float]


class Schedule(abc.ABC):
    """A learning rate as a pure function of the global step (an int >= 0).

    Subclasses implement `_value` and, where the rate jumps or changes regime,
    `_breakpoints`. Built-in ones are frozen dataclasses made with `factory`,
    whose fields are the arguments of their factory function.

    Attributes:
      factory_name: The name of the function (or class) that builds the
        schedule, e.g. "cosine_decay"; what its `repr` calls. `_FACTORY` is the
        same value under its old name, kept for one release.
    """

    factory_name: ClassVar[str] = "Schedule"
    _FACTORY: ClassVar[str] = "Schedule"  # Deprecated alias of `factory_name`.

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "factory_name" not in cls.__dict__:
            cls.factory_name = cls.__dict__.get("_FACTORY") or cls.__name__
        cls._FACTORY = cls.factory_name

    def __post_init__(self):
        for item in dataclasses.fields(self):
            if "check" in item.metadata:
                value = item.metadata["check"](item.name, getattr(self, item.name))
                object.__setattr__(self, item.name, value)

    def __call__(self, step: int) -> float:
        """Returns the learning rate at `step`, an integer >= 0."""
        return float(self._value(checks.step(step)))

    @abc.abstractmethod
    def _value(self, step: int) -> float:
        """Returns the rate at an already validated step."""

    def breakpoints(self, total_steps: int) -> Tuple[int, ...]:
        """Returns the sorted steps in `[0, total_steps)` where behaviour changes.

        These are piecewise boundaries `b` and `b + 1`, staircase steps, restart
        steps and ends of decay; smooth schedules return `()`.
        """
        total_steps = checks.step(total_steps, "total_steps")
        return tuple(sorted({s for s in self._breakpoints(total_steps)
                             if 0 <= s < total_steps}))

    def _breakpoints(self, total_steps: int) -> Iterable[int]:
        return ()

    def __repr__(self) -> str:
        if not dataclasses.is_dataclass(self):
            return super().__repr__()
        args = ", ".join(f"{f.name}={getattr(self, f.name)!r}"
                         for f in dataclasses.fields(self))
        return f"{self.factory_name}({args})"


@typing.runtime_checkable
class StatefulSchedule(typing.Protocol):
    """A schedule whose rates can change while training runs (e.g. reduce-on-plateau).

    `version` is an integer that changes whenever the rate for some step may
    have changed; hooks that cache rates (`LearningRateSetterHook`) recompute
    them when it does. Any object with a `version` attribute and a
    `__call__(step)` matches (`isinstance(s, StatefulSchedule)`); pure
    schedules have no `version`.
    """

    version: int

    def __call__(self, step: int) -> float:
        ...


def factory(name: str):
    """Class decorator: a frozen dataclass whose repr is a `name(...)` call."""
    def wrap(cls):
        cls.factory_name = cls._FACTORY = name
        return dataclasses.dataclass(frozen=True, repr=False)(cls)
    return wrap


def field(check, default=dataclasses.MISSING, **options):
    """A dataclass field validated (and normalized) by `check(name, value, **options)`."""
    if options:
        bound = check

        def check(name, value):  # pylint: disable=function-redefined
            return bound(name, value, **options)
    return dataclasses.field(default=default, metadata={"check": check})


def power_or_inf(base: float, exponent: float) -> float:
    """`base ** exponent`, but inf on overflow (as in TensorFlow)."""
    try:
        return base ** exponent
    except OverflowError:
        return math.inf


def first_step(predicate: Callable[[int], bool], guess: float) -> int:
    """The smallest step >= 0 where the monotone `predicate` holds, near `guess`."""
    found = max(0, math.ceil(guess))
    while found > 0 and predicate(found - 1):
        found -= 1
    while not predicate(found):
        found += 1
    return found
