"""The suite's own settings: the tiers (`--tier` in tests/conftest.py deselects the other
tier's tests, never skips) and the warning filters of setup.cfg."""

import re
import types
import warnings

import pytest

from tests import conftest
from tests.support import programs


class _Item:
    def __init__(self, name: str, slow: bool):
        self.name, self.slow = name, slow

    def get_closest_marker(self, name):
        return object() if name == "slow" and self.slow else None


class _Config:
    def __init__(self, tier: str):
        self.tier, self.deselected = tier, []
        self.hook = types.SimpleNamespace(pytest_deselected=self._deselect)

    def _deselect(self, items):
        self.deselected.extend(item.name for item in items)

    def getoption(self, name):
        assert name == "--tier"
        return self.tier


@pytest.mark.parametrize("tier, kept, deselected", [
    ("fast", ["unit", "graph"], ["program"]),
    ("slow", ["program"], ["unit", "graph"]),
    ("all", ["unit", "program", "graph"], []),
])
def test_a_tier_keeps_its_tests_in_order_and_deselects_the_rest(tier, kept, deselected):
    items = [_Item("unit", False), _Item("program", True), _Item("graph", False)]
    config = _Config(tier)
    conftest.pytest_collection_modifyitems(config, items)
    assert [item.name for item in items] == kept
    assert config.deselected == deselected


def _collect(*args):
    """The last line of `pytest --collect-only -q tests/test_readme.py` (no test marked slow)."""
    done = programs.run(programs.python_module(
        "pytest", "--collect-only", "-q", "-p", "no:xdist", *args, "tests/test_readme.py"),
        timeout=120)
    assert done.returncode in (0, 5), done.stdout[-2000:] + done.stderr[-2000:]  # 5: none ran
    return done.stdout.strip().splitlines()[-1]


@pytest.mark.slow  # two pytest processes
def test_the_fast_tier_is_the_default_and_the_slow_tier_deselects_the_others():
    fast = re.match(r"(\d+) tests? collected", _collect())
    assert fast and int(fast.group(1)) > 0
    assert _collect("--tier=slow").startswith(f"no tests collected ({fast.group(1)} deselected)")


def _warn_from(module: str):
    """Warns a DeprecationWarning as code of `module` does (the filters match its name)."""
    code = compile("import warnings\nwarnings.warn('old', DeprecationWarning)", "<x>", "exec")
    exec(code, {"__name__": module})  # pylint: disable=exec-used


@pytest.mark.parametrize("module", ["lrhooks.graph.rate_tensor", "models.resnet_mnist.loop"])
def test_a_deprecation_warning_of_our_own_code_fails_the_test(module):
    with pytest.raises(DeprecationWarning, match="old"):
        _warn_from(module)


def test_a_deprecation_warning_of_another_package_only_shows():
    with warnings.catch_warnings(record=True) as caught:  # keeps the filters it finds
        _warn_from("somepackage.module")
    assert [w.category for w in caught] == [DeprecationWarning]
