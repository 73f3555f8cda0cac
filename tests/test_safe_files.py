"""lrhooks.tools.safe_files: writes that never follow a planted link and are never seen half done;
the plot writer's use of it (PNGs complete or absent, damaged ones redrawn on request)."""

import os

import pytest

from lrhooks import plot
from lrhooks.tools import safe_files

OUTSIDE = b"a file outside the run directory\n"


@pytest.fixture
def outside(tmp_path):
    path = tmp_path / "outside.txt"
    path.write_bytes(OUTSIDE)
    return path


def plant(link, target):
    link.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, link)


def test_a_link_at_the_target_is_replaced_never_followed(tmp_path, outside):
    run = tmp_path / "run"
    plant(run / "train_config.json", outside)
    safe_files.write_file(run / "train_config.json", '{"seed": 1}')
    assert outside.read_bytes() == OUTSIDE
    assert not os.path.islink(run / "train_config.json")
    assert (run / "train_config.json").read_text() == '{"seed": 1}'


def test_links_at_the_old_fixed_temporary_names_are_never_opened(tmp_path, outside):
    run = tmp_path / "run"
    for name in ("checkpoint.tmp", ".checkpoint.tmp", "train_config.json.tmp"):
        plant(run / name, outside)
    safe_files.write_file(run / "checkpoint", "model_checkpoint_path: 'model.ckpt-1'\n")
    safe_files.write_file(run / "train_config.json", "{}")
    assert outside.read_bytes() == OUTSIDE
    assert all(os.path.islink(run / name) for name in ("checkpoint.tmp", "train_config.json.tmp"))


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path):
    target = tmp_path / "best_accuracy.json"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with safe_files.replacing(target) as f:
            f.write("half")
            raise RuntimeError("killed while writing")
    assert target.read_text() == "old"
    assert sorted(os.listdir(tmp_path)) == ["best_accuracy.json"]


def test_the_file_gets_the_mode_a_plain_open_would_give(tmp_path):
    plain = tmp_path / "plain"
    plain.write_text("x")
    safe_files.write_file(tmp_path / "safe", "x")
    assert oct(os.stat(tmp_path / "safe").st_mode & 0o777) == oct(os.stat(plain).st_mode & 0o777)


def test_remove_leftovers_removes_only_a_killed_writers_temporary_files(tmp_path, outside):
    keep = ["loss.png", "checkpoint", ".train.lock", "x.tmp", ".checkpoint.tmp"]
    for name in keep:
        (tmp_path / name).write_text("keep")
    (tmp_path / ".accuracy.png.abcd_123.tmp").write_text("x")  # as kill -9 leaves them
    plant(tmp_path / ".learning_rate.png.zzzzzzzz.tmp", outside)
    removed = safe_files.remove_leftovers(tmp_path)
    assert sorted(os.path.basename(p) for p in removed) == [".accuracy.png.abcd_123.tmp",
                                                            ".learning_rate.png.zzzzzzzz.tmp"]
    assert sorted(os.listdir(tmp_path)) == sorted(keep + ["outside.txt"])
    assert outside.read_bytes() == OUTSIDE


def test_plot_series_never_writes_through_a_link(tmp_path, outside):
    plant(tmp_path / "loss.png", outside)
    plot.plot_series({"loss": [(0, 2.0), (1, 1.0)]}, str(tmp_path / "loss.png"), "loss")
    assert outside.read_bytes() == OUTSIDE
    assert plot.is_complete_png(str(tmp_path / "loss.png"))


def test_is_complete_png_rejects_empty_cut_foreign_and_linked_files(tmp_path, outside):
    good = tmp_path / "good.png"
    plot.plot_series({"loss": [(0, 2.0), (1, 1.0)]}, str(good), "loss")
    data = good.read_bytes()
    assert plot.is_complete_png(str(good))
    cases = {"empty.png": b"", "cut.png": data[:len(data) // 2], "text.png": OUTSIDE * 3,
             "tail.png": b"\0" * 8 + data[8:]}
    for name, content in cases.items():
        (tmp_path / name).write_bytes(content)
        assert not plot.is_complete_png(str(tmp_path / name)), name
    os.symlink(good, tmp_path / "link.png")
    assert not plot.is_complete_png(str(tmp_path / "link.png"))
    assert not plot.is_complete_png(str(tmp_path / "missing.png"))


def test_write_plots_only_missing_redraws_just_the_missing_and_damaged(tmp_path):
    from tests.test_plot import EVAL_ACCURACY, LOSS, RATE, write_tf1  # pylint: disable=import-outside-toplevel
    write_tf1(tmp_path, {"learning_rate": RATE, "loss": LOSS, "accuracy": EVAL_ACCURACY})
    written = plot.write_plots(str(tmp_path))
    assert [os.path.basename(p) for p in written] == ["learning_rate.png", "loss.png",
                                                      "accuracy.png"]
    assert plot.write_plots(str(tmp_path), only_missing=True) == []
    kept = (tmp_path / "accuracy.png").stat().st_mtime_ns
    os.truncate(tmp_path / "learning_rate.png", 0)  # killed while drawing it
    (tmp_path / "loss.png").unlink()  # killed before drawing it
    redrawn = plot.write_plots(str(tmp_path), only_missing=True)
    assert [os.path.basename(p) for p in redrawn] == ["learning_rate.png", "loss.png"]
    assert all(plot.is_complete_png(p) for p in redrawn)
    assert (tmp_path / "accuracy.png").stat().st_mtime_ns == kept
