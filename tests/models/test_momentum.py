"""--optimizer=mom with a one_cycle or cyclic schedule cycles the momentum.

The momentum the apply ops received is measured with `tests.support.recording`
(`RecordingMomentum` stands in for `tf.compat.v1.train.MomentumOptimizer`), run by
run, against the schedule's momentum twin at the step the run started at.
"""

import dataclasses

import pytest
import tensorflow as tf
from absl import flags

from lrhooks import schedules
from models.resnet_mnist import config as config_lib
from models.resnet_mnist import loop
from tests.models.test_train import TINY_RESNET, read_scalars, tiny_config, tiny_data  # noqa: F401
from tests.support.recording import RecordingMomentum

tf1 = tf.compat.v1
ONE_CYCLE = schedules.one_cycle(0.1, 8, pct_start=0.5, anneal_strategy="linear")


def parse(*args):
    values = flags.FlagValues()
    config_lib.define_flags(values)
    values(["train", "--data_dir=d", "--train_dir=t", *args])
    return config_lib.config_from_flags(values.flag_values_dict(), {})


@pytest.mark.parametrize("args, expected", [
    (["--optimizer=mom", "--lr_schedule=one_cycle(0.1, 100)"],
     schedules.one_cycle(0.1, 100).momentum(0.85, 0.95)),
    (["--optimizer=nesterov", "--lr_schedule=cyclic(0.01, 0.1, 10)"],
     schedules.cyclic(0.01, 0.1, 10).momentum(0.8, 0.9)),
    (["--optimizer=mom", "--lr_schedule=one_cycle(0.1, 100)", "--base_momentum=0.7",
      "--max_momentum=0.99"], schedules.one_cycle(0.1, 100).momentum(0.7, 0.99)),
    (["--optimizer=mom", "--lr_schedule=one_cycle(0.1, 100)", "--nocycle_momentum"], None),
    (["--optimizer=sgd", "--lr_schedule=one_cycle(0.1, 100)"], None),
    (["--optimizer=mom", "--lr_schedule=cosine_decay(0.1, 100)"], None),
])
def test_the_flags_choose_the_momentum(args, expected):
    config = parse(*args)
    assert config.momentum_schedule == expected
    if expected is not None:
        assert config.to_json()["momentum_schedule"] == repr(expected)


@pytest.mark.parametrize("args, message", [
    (["--optimizer=mom", "--lr_schedule=cosine_decay(0.1, 100)", "--base_momentum=0.8"],
     "--base_momentum applies only to the momentum cycled with --optimizer=mom|nesterov, "
     "--cycle_momentum and a one_cycle or cyclic --lr_schedule"),
    (["--optimizer=adam", "--lr_schedule=one_cycle(0.1, 100)", "--max_momentum=0.9"],
     "--max_momentum applies only to the momentum cycled with"),
    (["--optimizer=mom", "--lr_schedule=one_cycle(0.1, 100)", "--base_momentum=-1"],
     "`base_momentum` must be a finite number >= 0, got -1.0"),
])
def test_momentum_flag_mistakes_fail_in_one_line(args, message):
    with pytest.raises(ValueError) as error:
        parse(*args)
    assert str(error.value).startswith(message) and "\n" not in str(error.value)


@pytest.mark.slow  # trains
def test_the_apply_ops_receive_the_cycled_momentum(tiny_data, tmp_path, monkeypatch):  # noqa: F811
    made = []

    def recording(learning_rate, momentum, use_nesterov=False):
        assert not use_nesterov
        optimizer = RecordingMomentum(learning_rate, momentum, tf1.train.get_global_step())
        made.append(optimizer)
        return optimizer

    monkeypatch.setattr(tf1.train, "MomentumOptimizer", recording)
    twin = ONE_CYCLE.momentum()
    config = tiny_config(tiny_data, tmp_path / "run", schedule=ONE_CYCLE, train_steps=8,
                         hparams=dataclasses.replace(TINY_RESNET, optimizer="mom"),
                         momentum_schedule=twin)
    assert loop.train(config).global_step == 8
    (optimizer,) = made
    records = optimizer.sorted_records()
    steps = sorted({step for step, _, _ in records})
    assert steps == list(range(8))
    for step, rate, momentum in records:  # every variable's update, every run
        assert momentum == pytest.approx(twin(step), rel=1e-6), step
        assert rate == pytest.approx(ONE_CYCLE(step), rel=1e-6), step
    # The momentum moves against the rate (0.95 -> 0.85 -> 0.95), and TensorBoard shows it
    # under its own tag (written by the summary saver at step + 1).
    assert len({round(m, 6) for _, _, m in records}) > 3
    written = read_scalars(str(tmp_path / "run"), "momentum")
    assert sorted(written) == list(range(1, 9))
    assert all(value == pytest.approx(twin(step - 1), rel=1e-6)
               for step, value in written.items())
