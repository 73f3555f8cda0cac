"""`planned_run`: the plan applied to a config: the schedule and the momentum that follows it."""

import dataclasses
import json

import pytest

from lrhooks import schedules as S
from models.resnet_mnist import checkpoints
from models.resnet_mnist import config as config_lib
from models.resnet_mnist import faults
from models.resnet_mnist import model_hparams
from models.resnet_mnist import planned_run

ONE_CYCLE = "one_cycle(0.2, total_steps=train_steps)"
HPARAMS = model_hparams.HParams(optimizer="mom")


def finished_one_cycle_run(train_dir):
    """A run directory whose train_config.json says: one_cycle over 200 steps, cycled momentum."""
    train_dir.mkdir()
    old = S.one_cycle(0.2, 200)
    (train_dir / config_lib.CONFIG_FILE).write_text(json.dumps({
        "schedule": repr(old), "schedule_template": ONE_CYCLE, "train_steps": 200,
        "hparams": dataclasses.asdict(HPARAMS)}))
    return old


def extended(train_dir, extend):
    """The config of that run with --train_steps=300 and `extend` (the flags' resolution)."""
    new = S.one_cycle(0.2, 300)
    return config_lib.TrainConfig(
        data_dir="d", train_dir=str(train_dir), hparams=HPARAMS, schedule=new,
        schedule_template=ONE_CYCLE, train_steps=300, extend=extend,
        momentum_schedule=new.momentum(0.8, 0.9))


def test_the_cycled_momentum_follows_a_restart_and_a_hold(tmp_path):
    old = finished_one_cycle_run(tmp_path / "run")
    finished = checkpoints.Restore(str(tmp_path / "run" / "model.ckpt-200"), 200)
    restart = planned_run.plan(extended(tmp_path / "run", "restart"), finished).config
    fresh = S.one_cycle(0.2, 100)
    assert restart.schedule == S.sequential([(200, old)], final=fresh)
    assert restart.momentum_schedule == S.sequential([(200, old.momentum(0.8, 0.9))],
                                                     final=fresh.momentum(0.8, 0.9))
    assert restart.plan["replans"] == [{"step": 200, "train_steps": 300, "extend": "restart"}]
    hold = planned_run.plan(extended(tmp_path / "run", "hold"), finished).config
    assert hold.schedule == old and hold.momentum_schedule == old.momentum(0.8, 0.9)


def test_a_tied_one_cycle_extended_without_extend_is_one_line_naming_it(tmp_path):
    finished_one_cycle_run(tmp_path / "run")
    with pytest.raises(faults.UserError, match=r"^re-planning one_cycle for --train_steps=300 "
                                               r".*choose --extend=restart\|hold$"):
        planned_run.plan(extended(tmp_path / "run", "replan"),
                         checkpoints.Restore(str(tmp_path / "run" / "model.ckpt-200"), 200))
