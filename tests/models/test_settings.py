"""Config as data: each trainer flag is one field, and one field is all a new setting needs.

`settings.setting` fields of `config.setting_types()` define the flags, fill the
`TrainConfig` and make train_config.json; a field added to `TrainConfig` or `HParams`
(a subclass here) shows up in `--help`, in the config and in train_config.json with no
other edit.
"""

import dataclasses
import json

import pytest
from absl import flags

from lrhooks.cli import schedule_flags
from models.resnet_mnist import cluster_config
from models.resnet_mnist import config as config_lib
from models.resnet_mnist import model_hparams
from models.resnet_mnist import settings
from models.resnet_mnist.settings import setting

REQUIRED = ["--data_dir=d", "--train_dir=t", "--lr_schedule=constant(0.1)"]


def parse(values, *args):
    values(["train", *REQUIRED, *args])
    return config_lib.config_from_flags(values.flag_values_dict(), {})


def test_every_flag_is_exactly_one_field_or_a_schedule_flag():
    values = flags.FlagValues()
    config_lib.define_flags(values)
    from_fields = [name for cls in config_lib.setting_types()
                   for name in settings.flag_names(cls)]
    assert len(from_fields) == len(set(from_fields))
    schedule = flags.FlagValues()
    schedule_flags.define_schedule_flags(schedule)
    assert set(values) == set(from_fields) | set(schedule)
    assert not set(from_fields) & set(schedule)
    # Every field of TrainConfig that holds a plain value is a flag; the others are built
    # from flags (hparams, schedule, cluster, range_test, momentum) or fixed.
    flagged = {field.name for _, field, _ in settings.rows(config_lib.TrainConfig)}
    built = {"hparams", "schedule", "cluster", "range_test", "under_ci", "momentum_schedule",
             "eval_batch_size", "schedule_template", "plan"}
    assert flagged | built == {f.name for f in dataclasses.fields(config_lib.TrainConfig)}


def test_the_model_flags_are_the_hparams_fields_made_with_setting():
    assert config_lib.HPARAMS_FLAGS == settings.flag_names(model_hparams.HParams)
    assert {"model", "filters", "optimizer", "ema_decay"} <= set(config_lib.HPARAMS_FLAGS)
    assert "num_classes" not in config_lib.HPARAMS_FLAGS


def test_a_setting_added_to_train_config_is_a_flag_in_help_config_and_json(tmp_path,
                                                                            monkeypatch):
    @dataclasses.dataclass(frozen=True)
    class Extended(config_lib.TrainConfig):
        warmup_images: int = setting(64, "Images seen before the first step.", lower=0)
        scratch_dir: str = setting("", "Not part of the run.", recorded=False)

    monkeypatch.setattr(config_lib, "TrainConfig", Extended)
    values = flags.FlagValues()
    config_lib.define_flags(values)
    assert "--warmup_images: Images seen before the first step." in values.get_help()
    config = parse(values, "--warmup_images=9", "--scratch_dir=s")
    assert isinstance(config, Extended) and config.warmup_images == 9
    assert config.scratch_dir == "s"
    (tmp_path / "t").mkdir()
    config = dataclasses.replace(config, train_dir=str(tmp_path / "t"))
    config_lib.write_config(config, config.hparams)
    recorded = json.loads((tmp_path / "t" / config_lib.CONFIG_FILE).read_text())
    assert recorded["warmup_images"] == 9 and "scratch_dir" not in recorded
    fresh = flags.FlagValues()
    config_lib.define_flags(fresh)
    with pytest.raises(flags.IllegalFlagValueError, match="warmup_images"):
        fresh(["train", *REQUIRED, "--warmup_images=-1"])


def test_a_hyperparameter_added_to_hparams_is_a_model_flag_recorded_and_read_back(
        tmp_path, monkeypatch):
    @dataclasses.dataclass(frozen=True)
    class Wider(model_hparams.HParams):
        stem_width: int = setting(3, "ResNet: width multiplier of the stem.", lower=1)

    monkeypatch.setattr(model_hparams, "HParams", Wider)
    values = flags.FlagValues()
    config_lib.define_flags(values)
    assert "--stem_width: ResNet: width multiplier of the stem." in values.get_help()
    config = parse(values, "--stem_width=5")
    assert config.hparams.stem_width == 5 and "stem_width" in config_lib.hparams_flags()
    config = dataclasses.replace(config, train_dir=str(tmp_path))
    config_lib.write_config(config, config.hparams)
    assert config_lib.read_hparams(str(tmp_path)).stem_width == 5
    assert config_lib.differing_model_flag(
        str(tmp_path), dataclasses.replace(config.hparams, stem_width=6)) == (
        "it was trained with --stem_width=5, not --stem_width=6 (train_config.json)")


def test_a_setting_needs_a_kind_it_can_define():
    with pytest.raises(ValueError, match="`choices` must name the allowed values"):
        setting("a", "An enum without choices.", kind="enum")
    with pytest.raises(ValueError, match=r"`default` \{\} has no flag kind: pass `kind`"):
        setting({}, "A dict.")


def test_the_precision_choices_are_lrhooks_own():
    from lrhooks.tools import precision  # pylint: disable=import-outside-toplevel
    assert config_lib.PRECISIONS == precision.CHOICES


def test_cluster_flags_come_from_cluster_config_fields():
    assert settings.flag_names(cluster_config.ClusterConfig) == (
        "job_name", "task_index", "ps_hosts", "worker_hosts")
