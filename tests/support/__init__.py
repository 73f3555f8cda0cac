"""Test-support package: fixtures, graph builders and readers shared by the tests."""
