"""The public surface of `lrhooks`: one grouped table, lazy where TensorFlow would load."""

import warnings

import pytest

import lrhooks
from lrhooks import schedules, spec
from lrhooks.graph import graph_lookup


def test_every_name_of_all_resolves():
    for name in lrhooks.__all__:
        assert getattr(lrhooks, name) is not None, name
    assert dir(lrhooks) == sorted(lrhooks.__all__)


def test_schedules_side_is_eager_and_the_same_objects():
    assert lrhooks.SpecError is spec.SpecError and lrhooks.from_spec is spec.from_spec
    assert lrhooks.ReduceLROnPlateau is schedules.ReduceLROnPlateau
    assert lrhooks.ReduceLROnPlateau is lrhooks.plateau.ReduceLROnPlateau
    assert lrhooks.StatefulSchedule is schedules.StatefulSchedule
    assert lrhooks.range_test.range_test_schedule is schedules.range_test_schedule


def test_internals_are_not_exported():
    assert "get_global_step_or_raise" not in lrhooks.__all__
    assert "get_global_step_or_raise" not in dir(lrhooks)
    with pytest.raises(AttributeError, match="has no attribute 'get_global_step_or_raise'"):
        lrhooks.get_global_step_or_raise  # pylint: disable=pointless-statement
    assert lrhooks.graph.get_global_step_or_raise is graph_lookup.get_global_step_or_raise
    with pytest.raises(AttributeError, match="has no attribute 'graph_lookup_x'"):
        lrhooks.graph_lookup_x  # pylint: disable=pointless-statement


def test_lazy_names_load_once():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        hook_class = lrhooks.LearningRateSetterHook
    assert lrhooks.LearningRateSetterHook is hook_class
    assert hook_class.__module__ == "lrhooks.hooks.learning_rate_setter"
