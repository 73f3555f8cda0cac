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
from typing import Any, Callable, ClassVar, Dict, Iterable, Optional, Tuple, Union

from lrhooks import checks

__all__ = ["Number", "Schedule", "StatefulSchedule", "Composite", "stateful_parts",
           "Built", "factory", "field", "optional", "instance_of", "schedule_arg", "schedules_arg",
           "with_fields", "documented", "power_or_inf", "first_step"]

Number = Union[int, float]


class Schedule(abc.ABC):
    """A learning rate as a pure function of the global step (an int >= 0).

    Subclasses implement `_value` and, where the rate jumps or changes regime,
    `_breakpoints`. Built-in ones are frozen dataclasses made with `factory`,
    whose fields are the arguments of their factory function.

    Attributes:
      factory_name: The name of the function (or class) that builds the
        schedule, e.g. "cosine_decay"; what its `repr` calls.
    """

    factory_name: ClassVar[str] = "Schedule"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "factory_name" not in cls.__dict__:
            cls.factory_name = cls.__name__

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

    def stateful_parts(self) -> Tuple[Any, ...]:
        """The stateful schedules this schedule is or holds: `(self,)` for one with its own
        `version` (e.g. a `ReduceLROnPlateau`), `()` for a pure one (see `Composite`)."""
        return (self,) if hasattr(self, "version") else ()

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
    schedules have no `version`. A composition holding a stateful schedule
    (`product([reduce_lr_on_plateau(...), ...])`) is stateful too, with a
    `version` that follows the ones inside; `stateful_parts(s)` tells whether a
    schedule is stateful (and finds the stateful schedules inside it) on every
    Python version (from 3.12 on, `isinstance` sees any `version` property).
    """

    version: int

    def __call__(self, step: int) -> float:
        ...


class Composite(Schedule):
    """A schedule that holds schedules (`product`, `warmup`, `sequential`, ...).

    The schedules it holds are its fields' values (also inside tuples). When some
    of them are stateful (`stateful_parts()` is not empty), it is stateful too:
    its `version` changes whenever the version of one of them changes, so a window
    or a cached rate of the composition is recomputed after a plateau inside it
    reduces its rate. A composition of pure schedules has no `version`.
    """

    def held_schedules(self) -> Tuple[Schedule, ...]:
        """The schedules this one holds directly, in field order."""
        found = []

        def collect(value):
            if isinstance(value, Schedule):
                found.append(value)
            elif isinstance(value, (tuple, list)):
                for item in value:
                    collect(item)

        for item in dataclasses.fields(self):
            collect(getattr(self, item.name))
        return tuple(found)

    def stateful_parts(self) -> Tuple[Any, ...]:
        """The stateful schedules inside this one (at any depth), each once, in field order."""
        parts = self.__dict__.get("_stateful_parts")
        if parts is None:  # the held schedules never change: found once
            parts = []
            for held in self.held_schedules():
                parts.extend(p for p in held.stateful_parts()
                             if not any(p is q for q in parts))
            parts = tuple(parts)
            self.__dict__["_stateful_parts"] = parts  # frozen: beside the fields
        return parts

    @property
    def version(self) -> int:
        """An integer that changes whenever the `version` of a stateful schedule inside changes.

        Raises:
          AttributeError: It holds no stateful schedule (a pure schedule has no `version`).
        """
        parts = self.stateful_parts()
        if not parts:
            raise AttributeError(f"{self.factory_name} holds no stateful schedule, so it has "
                                 "no `version`")
        seen = tuple(part.version for part in parts)
        state = self.__dict__.setdefault("_versions", [seen, 0])
        if state[0] != seen:
            state[0], state[1] = seen, state[1] + 1
        return state[1]


class Built(Schedule):
    """A schedule computed by another one, `built`, made from its fields by `_build`
    (optax's schedules that optax itself builds from others: the same construction)."""

    def __post_init__(self):
        super().__post_init__()
        object.__setattr__(self, "built", self._build())

    def _build(self) -> Schedule:
        raise NotImplementedError

    def _value(self, step):
        return self.built(step)

    def _breakpoints(self, total_steps):
        return self.built.breakpoints(total_steps)


def stateful_parts(schedule: Callable[[int], float]) -> Tuple[Any, ...]:
    """The stateful schedules a schedule is or holds (empty for a pure one).

    `(schedule,)` for a stateful one (`ReduceLROnPlateau`, any callable with a
    `version`); for a composition (`product`, `warmup`, `sequential`, ...) the
    stateful schedules inside it, e.g. the `ReduceLROnPlateau` to report to.
    """
    if isinstance(schedule, Schedule):
        return schedule.stateful_parts()
    return (schedule,) if hasattr(schedule, "version") else ()


def factory(name: str):
    """Class decorator: a frozen dataclass whose repr is a `name(...)` call."""
    def wrap(cls):
        cls.factory_name = name
        return dataclasses.dataclass(frozen=True, repr=False)(cls)
    return wrap


def field(check, default=dataclasses.MISSING, **options):
    """A dataclass field validated (and normalized) by `check(name, value, **options)`."""
    if options:
        bound = check

        def check(name, value):  # pylint: disable=function-redefined
            return bound(name, value, **options)
    return dataclasses.field(default=default, metadata={"check": check})


def optional(check):
    """A check that accepts None and otherwise applies `check(name, value)`."""
    def check_or_none(name, value):
        return None if value is None else check(name, value)
    return check_or_none


def instance_of(cls: type, what: str):
    """A check for an instance of `cls`, described as `what` in its one-line TypeError."""
    def check(name, value):
        if not isinstance(value, cls):
            raise TypeError(f"`{name}` must be {what}, got {value!r}")
        return value
    return check


def schedule_arg(name: str, value, element: Optional[str] = None) -> Schedule:
    """A check for a `Schedule` argument (`element` names an item of a sequence: "element 2")."""
    what = f"`{name}`" + ("" if element is None else f" {element}")
    if not isinstance(value, Schedule):
        raise TypeError(f"{what} must be a lrhooks.schedules.Schedule, got {value!r}")
    return value


def schedules_arg(name: str, value) -> Tuple[Schedule, ...]:
    """A check for a non-empty sequence of `Schedule`s, returned as a tuple."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise TypeError(f"`{name}` must be a non-empty sequence of schedules, got {value!r}")
    items = tuple(schedule_arg(name, s, f"element {i}") for i, s in enumerate(value))
    if not items:
        raise ValueError(f"`{name}` must be a non-empty sequence of schedules, got {value!r}")
    return items


def with_fields(make: Callable[[], Dict[str, Tuple[Any, dataclasses.Field]]], after: str):
    """Class decorator (below `factory`): adds the fields `make()` returns after `after`.

    `make` returns `{name: (type hint, field)}`, fresh on each call, so that a family
    of schedules (timm's, say) declares its shared arguments once and each class
    still lists its fields in its factory's order.
    """
    def wrap(cls):
        annotations = {}
        for name, hint in cls.__dict__.get("__annotations__", {}).items():
            annotations[name] = hint
            if name == after:
                for shared, (shared_hint, value) in make().items():
                    annotations[shared] = shared_hint
                    setattr(cls, shared, value)
        if after not in annotations:
            raise TypeError(f"{cls.__name__} has no field {after!r} to add fields after")
        cls.__annotations__ = annotations
        return cls
    return wrap


_RAISES = """
    Raises:
      TypeError: If an argument has the wrong type (a bool for a number, say).
      ValueError: If an argument is out of range (see Args).
"""


def documented(function=None, *, args: str = ""):
    """Decorator: completes a factory's docstring with the sections every factory shares.

    Every factory's docstring is Google style: a summary, the formula, Args,
    Returns, Raises and a doctest `Examples:` section. The factory writes the
    summary, the formula, its Args and its Examples; this adds, before Examples,
    `args` (Args lines a family shares, e.g. timm's warmup arguments), `Returns: A
    `<return type>` schedule.` and the Raises section of a validated schedule, each
    unless the docstring has its own. `@documented` or `@documented(args=...)`.
    """
    if function is None:
        return lambda wrapped: documented(wrapped, args=args)
    doc = function.__doc__.rstrip() + "\n"
    head, marker, examples = doc.partition("\n    Examples:\n")
    head = head.rstrip() + args.rstrip() + "\n"
    if "Returns:" not in head:
        returned = typing.get_type_hints(function)["return"].__name__
        article = "An" if returned[0] in "AEIOU" else "A"
        head += f"\n    Returns:\n      {article} `{returned}` schedule.\n"
    if "Raises:" not in head:
        head += _RAISES
    function.__doc__ = head + (marker + examples if marker else "")
    return function


def power_or_inf(base: float, exponent: float) -> float:
    """`base ** exponent`, but inf on overflow and for `0 ** negative` (as in TensorFlow)."""
    try:
        return base ** exponent
    except (OverflowError, ZeroDivisionError):
        return math.inf


def first_step(predicate: Callable[[int], bool], guess: float) -> int:
    """The smallest step >= 0 where the monotone `predicate` holds, near `guess`."""
    found = max(0, math.ceil(guess))
    while found > 0 and predicate(found - 1):
        found -= 1
    while not predicate(found):
        found += 1
    return found
