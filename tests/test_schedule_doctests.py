"""The `Examples:` of every schedule docstring run, and every factory has one.

Each factory of `lrhooks.schedules` documents itself with a short doctest (the call
and the rates it gives); `help(schedules.cosine_decay)` shows it. This runs the
doctests of every module of the package, so a wrong example fails, and checks
that every factory (a function in `__all__`, and `range_test_schedule`) has an
example that calls it, so a missing one fails too.
"""

import doctest
import importlib
import inspect
import pkgutil

import pytest

from lrhooks import schedules, spec

MODULES = ["lrhooks.schedules"] + sorted(
    f"lrhooks.schedules.{info.name}" for info in pkgutil.iter_modules(schedules.__path__))

FACTORIES = sorted(set(spec.factories()) | {"range_test_schedule"})


def _examples(function):
    """The doctest examples in `function`'s own docstring."""
    finder = doctest.DocTestFinder(recurse=False)
    return [example for test in finder.find(function, function.__name__, globs={})
            for example in test.examples]


@pytest.mark.parametrize("module_name", MODULES)
def test_examples_run(module_name):
    module = importlib.import_module(module_name)
    result = doctest.testmod(module, extraglobs=vars(schedules), verbose=False, report=False,
                             optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} failing example(s) in {module_name}"


def test_factories_are_found():
    """Every function of `__all__` is a spec factory, so none escapes the checks below."""
    functions = {name for name in schedules.__all__ if inspect.isfunction(getattr(schedules, name))}
    assert functions == set(spec.factories()) and len(functions) > 60


@pytest.mark.parametrize("name", FACTORIES)
def test_every_factory_has_an_example(name):
    function = getattr(schedules, name)
    calls = [e for e in _examples(function) if f"{name}(" in e.source]
    assert calls, f"{name}'s docstring has no `Examples:` doctest calling {name}(...)"
    assert "\n    Examples:\n" in function.__doc__, f"{name} has no `Examples:` section"


@pytest.mark.parametrize("name", FACTORIES)
def test_every_factory_documents_the_same_sections(name):
    """Google style, in one order: Args, Returns, Raises, Examples (`documented` adds the
    shared Returns and Raises)."""
    doc = getattr(schedules, name).__doc__
    positions = [doc.find(f"\n    {section}:\n")
                 for section in ("Args", "Returns", "Raises", "Examples")]
    assert -1 not in positions and positions == sorted(positions), (name, positions)
