"""The trainer's import structure: the range test does not import the program (no cycle;
the cycle check of every package is tests/test_imports.py)."""

from tests.support import imports


def test_range_test_does_not_import_the_program():
    graph = imports.import_graph("models")
    assert "models.resnet_mnist.train" not in graph["models.resnet_mnist.range_test"]
    assert "models.resnet_mnist.range_test" in graph["models.resnet_mnist.train"]
