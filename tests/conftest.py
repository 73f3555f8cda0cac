"""Shared pytest fixtures, and the test tiers.

``--tier``: ``fast`` (the default: schedules, hooks, graph checks, the conformance suites and
one short real trainer run), ``slow`` (exactly the rest: the tests marked
``pytest.mark.slow``, which start real programs: the trainer and evaluator as subprocesses,
clusters, fault injection), or ``all``. The other tier's tests are deselected, not skipped,
so the summary counts what ran.

``mnist_dir``: the real MNIST directory (IDX files). Resolution order:
``$LRHOOKS_MNIST_DIR`` (relative paths are tried against the working directory,
then the repository root), else ``<repo>/../shared/data/mnist``. Missing data
fails the test when ``$CI == 'true'`` or when ``$LRHOOKS_MNIST_DIR`` was set
explicitly; otherwise the test is skipped.
"""

import os
import pathlib
from typing import List, Optional

import hypothesis
import pytest

from tests.support.programs import REPO_ROOT

TIERS = ("fast", "slow", "all")
DEFAULT_MNIST_DIR = REPO_ROOT.parent / "shared" / "data" / "mnist"
MNIST_DIR_ENV = "LRHOOKS_MNIST_DIR"

# Property tests draw the same examples on every run, so CI cannot fail on a new draw; explore
# with `LRHOOKS_HYPOTHESIS_RANDOM=1` and turn what it finds into a parametrized case.
hypothesis.settings.register_profile("lrhooks", derandomize=True)
hypothesis.settings.register_profile("explore", derandomize=False)
hypothesis.settings.load_profile(
    "explore" if os.environ.get("LRHOOKS_HYPOTHESIS_RANDOM") == "1" else "lrhooks")


def pytest_addoption(parser):
    parser.addoption("--tier", choices=TIERS, default="fast",
                     help="which tests run: fast (default; no test marked slow), slow (only "
                          "those marked slow: the real programs), or all")


def pytest_collection_modifyitems(config, items: List[pytest.Item]):
    tier = config.getoption("--tier")
    if tier == "all":
        return
    keep, drop = [], []
    for item in items:
        is_slow = item.get_closest_marker("slow") is not None
        (keep if is_slow == (tier == "slow") else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def resolve_mnist_dir() -> pathlib.Path:
    """Returns the configured MNIST directory (it may not exist)."""
    env = os.environ.get(MNIST_DIR_ENV)
    if not env:
        return DEFAULT_MNIST_DIR
    path = pathlib.Path(env)
    if not path.is_absolute() and not path.exists():
        path = REPO_ROOT / path
    return path


def _missing_reason(path: pathlib.Path) -> Optional[str]:
    if not path.is_dir():
        return f"MNIST directory {path} does not exist"
    if not any(path.iterdir()):
        return f"MNIST directory {path} is empty"
    return None


@pytest.fixture(scope="session")
def mnist_dir() -> pathlib.Path:
    """The real MNIST directory; fails in CI / explicit config, else skips."""
    path = resolve_mnist_dir()
    reason = _missing_reason(path)
    if reason is None:
        return path
    if os.environ.get("CI") == "true" or os.environ.get(MNIST_DIR_ENV):
        pytest.fail(f"{reason} (set {MNIST_DIR_ENV}; CI must provide the real "
                    f"MNIST data)", pytrace=False)
    pytest.skip(f"{reason}; set {MNIST_DIR_ENV} to run real-data tests")
