"""The trainer's rate drives itself: `lrhooks.learning_rate(schedule=...)` in its graph.

The rate the apply ops received is measured with `tests.support.recording` in a plain
`Session` loop with no hook at all, across a jump of the step (as after a restore), and the
trainer's hooks hold no `LearningRateSetterHook`.
"""

import dataclasses

import numpy as np
import pytest
import tensorflow as tf

import lrhooks
from lrhooks import schedules
from models.resnet_mnist import devices
from models.resnet_mnist import graph as graph_lib
from models.resnet_mnist import hooks as hooks_lib
from tests.models.test_train import TINY_RESNET, tiny_config, tiny_data  # noqa: F401
from tests.support.recording import RecordingMomentum

tf1 = tf.compat.v1
SCHEDULE = schedules.piecewise_constant([2, 5], [0.1, 0.01, 0.001])


def _build(config, monkeypatch):
    made = []

    def recording(learning_rate, momentum, use_nesterov=False):
        optimizer = RecordingMomentum(learning_rate, momentum, tf1.train.get_global_step())
        made.append(optimizer)
        return optimizer

    monkeypatch.setattr(tf1.train, "MomentumOptimizer", recording)
    placement = devices.placement(config)
    data = (np.zeros((16, 28, 28), np.uint8), np.arange(16, dtype=np.uint8) % 10)
    built = graph_lib.build_graph(config, placement, data)
    (optimizer,) = made
    return built, optimizer


def test_the_apply_ops_receive_the_schedule_without_any_hook(tiny_data, tmp_path,  # noqa: F811
                                                             monkeypatch):
    config = tiny_config(tiny_data, tmp_path / "run", schedule=SCHEDULE, train_steps=8,
                         hparams=dataclasses.replace(TINY_RESNET, optimizer="mom"))
    built, optimizer = _build(config, monkeypatch)
    with built.graph.as_default(), tf1.Session() as session:
        session.run(tf1.global_variables_initializer())
        for _ in range(3):
            session.run(built.train_op)
        built.global_step.load(6, session)  # as a restore of a later checkpoint would
        for _ in range(2):
            session.run(built.train_op)
    records = optimizer.sorted_records()
    assert sorted({step for step, _, _ in records}) == [0, 1, 2, 6, 7]
    for step, rate, _ in records:
        assert rate == pytest.approx(SCHEDULE(step), rel=1e-6), step


def test_the_trainer_drives_the_rate_with_no_setter_hook(tiny_data, tmp_path,  # noqa: F811
                                                          monkeypatch):
    config = tiny_config(tiny_data, tmp_path / "run", schedule=SCHEDULE)
    built, _ = _build(config, monkeypatch)
    chosen = hooks_lib.training_hooks(config, built)
    assert not [hook for hook in chosen.hooks + chosen.chief_hooks
                if isinstance(hook, lrhooks.LearningRateSetterHook)]
    source = lrhooks.graph.rate_tensor.source_of(built.rate)
    assert source.self_driving and source.schedule is SCHEDULE
