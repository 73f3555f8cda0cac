"""Fixtures of the trainer's subprocess tests."""

import pytest

from tests.support.trainer_runs import write_tiny_mnist


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory):
    """64 training and 12 test images: enough for the tiny ResNet of the fault tests."""
    return write_tiny_mnist(tmp_path_factory.mktemp("mnist"))
