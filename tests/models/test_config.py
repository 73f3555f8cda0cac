"""Flags -> one frozen TrainConfig: every setting, the environment read once, the record."""

import dataclasses
import json

import pytest
from absl import flags

from lrhooks import schedules
from models.resnet_mnist import cluster as cluster_lib
from models.resnet_mnist import config as config_lib
from models.resnet_mnist import graph as graph_lib
from models.resnet_mnist import hooks as hooks_lib
from models.resnet_mnist import model as model_lib

# The keys of train_config.json (unchanged by the program settings added to TrainConfig).
RECORDED_KEYS = [
    "batch_size", "cluster", "data_dir", "data_format", "device", "eval_batch_size",
    "eval_every_n_steps", "final_eval", "hparams", "inter_op_threads", "intra_op_threads",
    "keep_checkpoints",
    "log_device_placement", "log_every_n_steps", "max_shift", "momentum_schedule", "plots",
    "precision", "progress", "save_checkpoints_steps", "save_summaries_steps", "schedule", "seed",
    "train_dir", "train_steps"]


def parse(*args, environ=None):
    values = flags.FlagValues()
    config_lib.define_flags(values)
    values(["train", "--data_dir=d", "--train_dir=t", "--lr_boundaries=5", "--lr_values=0.1,0.01",
            *args])
    return config_lib.config_from_flags(values.flag_values_dict(), environ or {})


def test_every_setting_is_in_the_frozen_config():
    config = parse("--lr_range_test", "--range_test_min_lr=0.001", "--range_test_max_lr=2",
                   "--range_test_steps=50", "--range_test_dir=out", "--ps_timeout_secs=12",
                   "--cluster_timeout_secs=5",
                   "--job_name=worker", "--task_index=1", "--ps_hosts=h:1",
                   "--worker_hosts=h:2,h:3", "--batch_size=7", "--progress=always",
                   "--eval_every_n_steps=250", "--noplots")
    assert config.range_test == config_lib.RangeTestSettings(True, 0.001, 2.0, 50, "out")
    assert (config.ps_timeout_secs, config.cluster_timeout_secs) == (12.0, 5.0)
    assert config.cluster == cluster_lib.ClusterConfig("worker", 1, ("h:1",), ("h:2", "h:3"))
    assert (config.batch_size, config.progress, config.under_ci) == (7, "always", False)
    assert config.eval_every_n_steps == 250 and config.plots is False
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.batch_size = 8


def test_flag_defaults():
    config = parse()
    assert config.range_test == config_lib.RangeTestSettings(False, 1e-5, 10.0, 200, None)
    assert config.ps_timeout_secs == 3600.0 and config.cluster == cluster_lib.ClusterConfig()
    assert config.eval_every_n_steps == 0 and config.plots is True
    assert config.cluster_timeout_secs == 30.0


@pytest.mark.parametrize("environ, under_ci", [
    ({}, False), ({"CI": "true"}, True), ({"CI": "TRUE"}, True), ({"CI": "1"}, True),
    ({"CI": "0"}, False), ({"CI": "false"}, False), ({"CI": ""}, False)])
def test_ci_is_read_from_the_environment_once(environ, under_ci):
    assert parse(environ=environ).under_ci is under_ci


def test_tf_config_comes_from_the_given_environment():
    environ = {"TF_CONFIG": json.dumps({"cluster": {"ps": ["h:1"], "worker": ["h:2"]},
                                        "task": {"type": "worker", "index": 0}})}
    assert parse(environ=environ).cluster == cluster_lib.ClusterConfig(
        "worker", 0, ("h:1",), ("h:2",))


@pytest.mark.parametrize("progress, under_ci, expected", [
    ("auto", False, "auto"), ("auto", True, "never"), ("always", True, "always"),
    ("never", False, "never"), ("always", False, "always"), ("never", True, "never")])
def test_progress_mode_is_resolved_in_the_program(progress, under_ci, expected):
    config = config_lib.TrainConfig("d", "t", model_lib.HParams(), schedules.constant(0.1),
                                    progress=progress, under_ci=under_ci)
    assert hooks_lib.progress_mode(config) == expected


def test_train_config_json_records_the_run_not_the_program(tmp_path):
    config = dataclasses.replace(parse("--lr_range_test", "--ps_timeout_secs=5"),
                                 train_dir=str(tmp_path), under_ci=True)
    config_lib.write_config(config, config.hparams)
    recorded = json.loads((tmp_path / config_lib.CONFIG_FILE).read_text())
    assert sorted(recorded) == RECORDED_KEYS
    assert recorded["progress"] == "auto"


@pytest.mark.parametrize("change, expected", [
    ({}, None),
    ({"model": "cnn"},
     "it was trained with --model=resnet, not --model=cnn (train_config.json)"),
    ({"filters": (4, 4, 8, 16)}, "it was trained with --filters=16,16,32,64, not "
                                  "--filters=4,4,8,16 (train_config.json)"),
    ({"optimizer": "adam", "model": "cnn"},  # the first flag in HPARAMS_FLAGS order
     "it was trained with --model=resnet, not --model=cnn (train_config.json)"),
])
def test_differing_model_flag_names_the_first_flag_that_differs(tmp_path, change, expected):
    config = dataclasses.replace(parse(), train_dir=str(tmp_path))
    config_lib.write_config(config, config.hparams)
    changed = dataclasses.replace(config.hparams, **change)
    assert config_lib.differing_model_flag(str(tmp_path), changed) == expected


def test_differing_model_flag_without_a_train_config_is_none(tmp_path):
    assert config_lib.differing_model_flag(str(tmp_path), model_lib.HParams()) is None


def test_graph_building_chooses_no_hooks():
    fields = {field.name for field in dataclasses.fields(graph_lib.TrainGraph)}
    assert fields == {"graph", "global_step", "rate", "outputs", "train_op", "finite_check",
                      "eval_tower", "momentum"}


def test_a_plateau_inside_a_composition_is_refused_in_one_line():
    """The trainer reports no metric: a plateau inside a product would train at a constant."""
    with pytest.raises(ValueError, match=r"^--lr_schedule=product\(schedules=\("
                       r"reduce_lr_on_plateau\(learning_rate=0.1, .*\) needs a reported metric"):
        values = flags.FlagValues()
        config_lib.define_flags(values)
        values(["train", "--data_dir=d", "--train_dir=t",
                "--lr_schedule=product([reduce_lr_on_plateau(0.1), constant(2.0)])"])
        config_lib.config_from_flags(values.flag_values_dict(), {})
