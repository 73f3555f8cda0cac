"""Fixtures of the trainer's subprocess tests, and the order they run in."""

import pytest

from tests.support.trainer_runs import write_tiny_mnist


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory):
    """64 training and 12 test images: enough for the tiny ResNet of the fault tests."""
    return write_tiny_mnist(tmp_path_factory.mktemp("mnist"))


# The files whose real programs take longest run first, so that two xdist workers
# (`-n 2 --dist loadfile`, the README's test command) end together instead of one waiting
# for the cluster tests at the end.
LONGEST_FIRST = ("test_distributed_train.py", "test_run_dir_faults.py", "test_cluster.py",
                 "test_faults.py", "test_train.py", "test_shared_run_dir.py",
                 "test_resource_errors.py", "test_closed_pipes.py")


def pytest_collection_modifyitems(items):
    def rank(item):
        name = item.path.name
        return LONGEST_FIRST.index(name) if name in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)  # stable: each file's tests keep their order
