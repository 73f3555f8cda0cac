"""The trainer's range test: curve written beside the run, the run's files untouched."""

import math
import os

import pytest

from models.resnet_mnist import loop
from models.resnet_mnist import range_test
from tests.models.test_train import tiny_config
from tests.support.events import scalar_points
from tests.support.idx_files import write_tiny_mnist
from tests.support.trainer import tree_snapshot


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    return write_tiny_mnist(tmp_path_factory.mktemp("mnist"))


@pytest.mark.slow  # trains, then a range test
def test_range_test_leaves_the_run_untouched(tiny_data, tmp_path):
    train_dir = tmp_path / "run"
    config = tiny_config(tiny_data, train_dir)
    loop.train(config)  # a checkpoint and event files to protect
    before = tree_snapshot(train_dir)
    assert any(name.startswith("model.ckpt-5") for name in before)

    lines = []
    result = range_test.run_range_test(config, min_lr=1e-4, max_lr=10.0, num_steps=30,
                                       print_fn=lines.append)
    assert tree_snapshot(train_dir) == before

    output_dir = tmp_path / "run_range_test"  # the default: a sibling of the run
    assert range_test.default_output_dir(str(train_dir)) == str(output_dir)
    assert 2 <= len(result.records) <= 30
    assert [r.step for r in result.records] == list(range(len(result.records)))
    assert result.records[0].rate == 1e-4
    assert result.stop_reason in ("completed", "diverged", "non_finite")
    if result.suggested_rate is not None:
        assert 1e-4 <= result.suggested_rate <= 10.0
    text = lines[0]
    assert text.splitlines()[0].split() == ["step", "rate", "loss", "smoothed"]
    assert f"stopped: {result.stop_reason}" in text

    rates = scalar_points(output_dir, "range_test/learning_rate")
    assert [step for step, _ in rates] == [r.step for r in result.records]
    assert [value for _, value in rates] == pytest.approx([r.rate for r in result.records],
                                                          rel=1e-6)
    assert len(scalar_points(output_dir, "range_test/smoothed_loss")) == result.usable + (
        result.stop_reason == "diverged")
    assert not (output_dir / "checkpoint").exists()  # no Saver ran

    # A second test replaces the first one's curve.
    again = range_test.run_range_test(config, min_lr=1e-4, max_lr=10.0, num_steps=5,
                                      print_fn=lines.append)
    assert tree_snapshot(train_dir) == before
    events = [n for n in os.listdir(output_dir) if n.startswith("events.out.tfevents")]
    assert ([step for step, _ in scalar_points(output_dir, "range_test/learning_rate")] ==
            [r.step for r in again.records])
    assert len(events) == 1  # the curve only: no speed summaries, no graph


def test_output_dir_inside_train_dir_is_refused(tiny_data, tmp_path):
    train_dir = tmp_path / "run"
    train_dir.mkdir()
    config = tiny_config(tiny_data, train_dir)
    with pytest.raises(range_test.RangeTestError, match=r"'\S+' is inside --train_dir"):
        range_test.run_range_test(config, num_steps=5, output_dir=str(train_dir / "lr"))
    with pytest.raises(range_test.RangeTestError, match=r"contains --train_dir"):
        range_test.run_range_test(config, num_steps=5, output_dir=str(tmp_path))
    assert os.listdir(train_dir) == []
    with pytest.raises(range_test.RangeTestError,
                       match=r"^`min_lr` must be < `max_lr`, got min_lr=1.0 and max_lr=0.1$"):
        range_test.run_range_test(config, min_lr=1.0, max_lr=0.1)


def test_bad_data_is_one_line(tmp_path):
    config = tiny_config(tmp_path / "nothing", tmp_path / "run")
    with pytest.raises(range_test.RangeTestError) as error:
        range_test.run_range_test(config, num_steps=5)
    assert "\n" not in str(error.value)


def test_model_finiteness_check_ends_the_test(tiny_data, tmp_path):
    # With divergence detection out of the way, the model's own finiteness check raises.
    config = tiny_config(tiny_data, tmp_path / "run")
    result = range_test.run_range_test(config, min_lr=1e-2, max_lr=1e9, num_steps=30,
                                       output_dir=str(tmp_path / "lr"), diverge_factor=1e300,
                                       print_fn=lambda text: None)
    assert result.stop_reason == "non_finite"
    assert math.isnan(result.records[-1].loss) and result.usable == len(result.records) - 1
    assert result.suggested_rate is not None and result.suggested_rate < result.records[-1].rate
    assert not (tmp_path / "run").exists()
