"""lrhooks.plot: the series picked from event files (TF1 and TF2 writers), real PNGs, the CLI."""

import os
import pathlib

import numpy as np
import pytest
import tensorflow as tf

import lrhooks
from lrhooks import plot
from tests.support import programs

tf1 = tf.compat.v1
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def write_tf1(logdir, points_by_tag, layout=None):
    """A TF1 FileWriter's event file: `simple_value` scalars, {tag: [(step, value)]}."""
    with tf.Graph().as_default():
        writer = tf1.summary.FileWriter(str(logdir))
        if layout is not None:
            writer.add_summary(layout, 0)
        for tag, points in points_by_tag.items():
            for step, value in points:
                writer.add_summary(tf1.Summary(value=[tf1.Summary.Value(
                    tag=tag, simple_value=value)]), step)
        writer.close()


def write_tf2(logdir, points_by_tag):
    """A TF2 `tf.summary.scalar` event file (tensor summaries), as Keras writes them."""
    writer = tf.summary.create_file_writer(str(logdir))
    with writer.as_default():
        for tag, points in points_by_tag.items():
            for step, value in points:
                tf.summary.scalar(tag, value, step=step)
    writer.close()


def approx_points(points):
    return [(step, pytest.approx(value, rel=1e-6)) for step, value in points]


RATE = [(1, 0.1), (50, 0.1), (100, 0.01), (150, 0.001)]
MOMENTUM = [(1, 0.85), (150, 0.95)]
LOSS = [(1, 2.3), (51, 0.9), (101, 0.4)]
XENT = [(1, 2.2), (51, 0.8), (101, 0.3)]
TRAIN_ACCURACY = [(1, 0.1), (51, 0.8), (101, 0.95)]
EVAL_ACCURACY = [(100, 0.9), (150, 0.97)]
EVAL_LOSS = [(100, 0.35), (150, 0.2)]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A trainer-like run: train scalars + a layout naming momentum, and eval/ scalars."""
    run = tmp_path_factory.mktemp("run")
    with tf.Graph().as_default():
        layout = lrhooks.review_layout({"loss": ["loss"]}, scheduled=["learning_rate",
                                                                      "momentum"])
    write_tf1(run, {"learning_rate": RATE, "momentum": MOMENTUM, "loss": LOSS,
                    "cross_entropy": XENT, "accuracy": TRAIN_ACCURACY,
                    "examples/sec": [(51, 900.0)]}, layout=layout)
    write_tf1(run / "eval", {"accuracy": EVAL_ACCURACY, "loss": EVAL_LOSS,
                             "best_accuracy": EVAL_ACCURACY})
    return run


def test_read_scalars_gives_every_series_of_every_run(run_dir):
    runs, scheduled = plot.read_scalars(str(run_dir))
    assert sorted(runs) == [".", "eval"]
    assert runs["."]["learning_rate"] == approx_points(RATE)
    assert runs["eval"]["accuracy"] == approx_points(EVAL_ACCURACY)
    assert sorted(runs["."]) == ["accuracy", "cross_entropy", "examples/sec", "learning_rate",
                                 "loss", "momentum"]
    assert scheduled == {".": ["learning_rate", "momentum"]}


def test_pick_series_takes_the_rate_the_losses_and_the_accuracies(run_dir):
    picked = plot.pick_series(*plot.read_scalars(str(run_dir)))
    assert list(picked) == ["learning_rate", "loss", "accuracy"]
    assert {figure: sorted(lines) for figure, lines in picked.items()} == {
        "learning_rate": ["learning_rate", "momentum"],
        "loss": ["cross_entropy", "eval/loss", "loss"],
        "accuracy": ["accuracy", "eval/accuracy"]}
    assert picked["loss"]["eval/loss"] == approx_points(EVAL_LOSS)
    assert picked["accuracy"]["accuracy"] == approx_points(TRAIN_ACCURACY)


def test_a_tf2_writer_and_tf1_names_are_found(tmp_path):
    """Keras-style TF2 tensors (`epoch_loss`) and the classic ResNet's `Precision`."""
    write_tf2(tmp_path / "train", {"epoch_loss": [(0, 1.5), (1, 0.5)],
                                   "epoch_learning_rate": [(0, 0.01), (1, 0.005)]})
    write_tf1(tmp_path / "classic", {"Precision": [(10, 0.5)], "train/lr": [(10, 0.1)]})
    picked = plot.pick_series(*plot.read_scalars(str(tmp_path)))
    assert {figure: sorted(lines) for figure, lines in picked.items()} == {
        "learning_rate": ["classic/train/lr", "train/epoch_learning_rate"],
        "loss": ["train/epoch_loss"], "accuracy": ["classic/Precision"]}
    assert picked["loss"]["train/epoch_loss"] == approx_points([(0, 1.5), (1, 0.5)])


def write_every_kind_tf1(logdir):
    """What TF1 programs and an Estimator write besides scalars, beside one rate series:
    histogram, image, audio and text summary ops, and untyped values written straight into a
    `tf.compat.v1.Summary` (an Estimator's string `checkpoint_path`, a number)."""
    with tf.Graph().as_default():
        rate = tf1.placeholder(tf.float32, [])
        tf1.summary.scalar("learning_rate", rate)
        tf1.summary.histogram("weights", tf.random.normal([10]))
        tf1.summary.image("inputs", tf.zeros([1, 4, 4, 1]))
        tf1.summary.audio("sound", tf.zeros([1, 8]), sample_rate=8000)
        tf1.summary.text("notes", tf.constant("a note"))
        merged = tf1.summary.merge_all()
        writer = tf1.summary.FileWriter(str(logdir))
        with tf1.Session() as sess:
            for step, value in RATE:
                writer.add_summary(sess.run(merged, {rate: value}), step)
                writer.add_summary(tf1.Summary(value=[
                    tf1.Summary.Value(tag="checkpoint_path",
                                      tensor=tf.make_tensor_proto(b"model.ckpt-1")),
                    tf1.Summary.Value(tag="loss", tensor=tf.make_tensor_proto(value * 2))]),
                    step)
        writer.close()


def test_tf1_histograms_images_text_and_untyped_values_are_skipped_or_read(tmp_path):
    write_every_kind_tf1(tmp_path)
    runs, _ = plot.read_scalars(str(tmp_path))
    assert sorted(runs["."]) == ["learning_rate", "loss"]  # loss: an untyped number
    assert runs["."]["learning_rate"] == approx_points(RATE)
    assert runs["."]["loss"] == approx_points([(step, 2 * value) for step, value in RATE])
    assert [os.path.basename(p) for p in plot.write_plots(str(tmp_path))] == [
        "learning_rate.png", "loss.png"]


def test_tf2_tensors_with_and_without_scalar_metadata(tmp_path):
    writer = tf.summary.create_file_writer(str(tmp_path))
    scalar_metadata = tf1.SummaryMetadata(plugin_data=tf1.SummaryMetadata.PluginData(
        plugin_name="scalars"))
    with writer.as_default():
        for step, value in RATE:
            tf.summary.scalar("learning_rate", value, step=step)
            tf.summary.write("lr", value, step=step)  # no metadata: one number, drawn
            tf.summary.write("loss", tf.constant(3 * value, tf.float64), step=step,
                             metadata=scalar_metadata)
            tf.summary.write("checkpoint_path", "model.ckpt", step=step)  # a string
            tf.summary.write("accuracy", [value, value], step=step,  # two numbers
                             metadata=scalar_metadata)
            tf.summary.histogram("weights", tf.random.normal([10]), step=step)
            tf.summary.image("inputs", tf.zeros([1, 4, 4, 1]), step=step)
            tf.summary.text("notes", "a note", step=step)
    writer.close()
    runs, _ = plot.read_scalars(str(tmp_path))
    assert sorted(runs["."]) == ["learning_rate", "loss", "lr"]
    assert runs["."]["lr"] == approx_points(RATE)
    assert runs["."]["loss"] == approx_points([(step, 3 * value) for step, value in RATE])


def test_a_keras_fit_with_the_tensorboard_callback(tmp_path):
    """Keras `fit` (Keras 3 on TF 2.21, 2 on 2.15) with histograms and images: train/ and
    validation/ runs."""
    import keras  # pylint: disable=import-outside-toplevel
    features = np.random.RandomState(0).randn(16, 3).astype(np.float32)
    labels = (features.sum(axis=1) > 0).astype(np.float32)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="binary_crossentropy",
                  metrics=["accuracy"])
    model.fit(features, labels, batch_size=8, epochs=2, validation_data=(features, labels),
              verbose=0, callbacks=[keras.callbacks.TensorBoard(
                  str(tmp_path), histogram_freq=1, write_images=True, update_freq="batch")])
    picked = plot.pick_series(*plot.read_scalars(str(tmp_path)))
    assert sorted(picked["loss"]) == ["train/epoch_loss", "validation/epoch_loss"]
    assert [step for step, _ in picked["loss"]["train/epoch_loss"]] == [0, 1]
    assert "train/epoch_accuracy" in picked["accuracy"]
    keras3 = int(keras.__version__.split(".")[0]) >= 3  # Keras 2 (TF 2.15) logs no rate
    assert picked.get("learning_rate", {}).keys() == (
        {"train/epoch_learning_rate"} if keras3 else set())
    assert [os.path.basename(p) for p in plot.write_plots(str(tmp_path))] == [
        *(["learning_rate.png"] if keras3 else []), "loss.png", "accuracy.png"]


def test_plot_series_writes_a_real_png_of_the_series(tmp_path):
    from matplotlib import image
    path = plot.plot_series({"learning_rate": RATE}, str(tmp_path / "lr.png"), "learning_rate")
    data = pathlib.Path(path).read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    pixels = image.imread(path)
    assert pixels.shape == (450, 800, 4)  # figsize 8 x 4.5 at 100 dpi, RGBA
    rgb = pixels[..., :3].reshape(-1, 3)
    assert len(np.unique(rgb, axis=0)) > 20  # text, axes and the line: not blank
    # The line's colour (matplotlib's first, C0 = #1f77b4) is drawn.
    line = np.all(np.abs(rgb - np.array([0x1F, 0x77, 0xB4]) / 255) < 0.02, axis=1)
    assert line.sum() > 200


def test_plot_series_uses_a_log_axis_for_a_rate_spanning_decades(tmp_path):
    from matplotlib import image
    log = image.imread(plot.plot_series({"lr": RATE}, str(tmp_path / "a.png"), "lr"))
    linear = image.imread(plot.plot_series({"lr": RATE}, str(tmp_path / "b.png"), "lr",
                                           log_scale=False))
    assert log.shape == linear.shape and not np.array_equal(log, linear)


def test_write_plots_writes_one_png_per_figure(run_dir, tmp_path):
    paths = plot.write_plots(str(run_dir), str(tmp_path / "out"))
    assert [os.path.basename(p) for p in paths] == ["learning_rate.png", "loss.png",
                                                    "accuracy.png"]
    for path in paths:
        assert pathlib.Path(path).read_bytes().startswith(PNG_SIGNATURE)


@pytest.mark.parametrize("make, message", [
    (lambda d: None, "no scalars in the event files under"),
    (lambda d: write_tf1(d, {"examples/sec": [(1, 5.0)]}),
     "none of the tags learning_rate, lr, "),
])
def test_write_plots_errors_are_one_line(tmp_path, make, message):
    make(tmp_path)
    with pytest.raises(plot.NoEventsError, match=message) as info:
        plot.write_plots(str(tmp_path))
    assert "\n" not in str(info.value)
    assert not any(name.endswith(".png") for name in os.listdir(tmp_path))


def test_plot_series_argument_errors(tmp_path):
    with pytest.raises(ValueError, match="`lines` must hold at least one series for 'x'"):
        plot.plot_series({}, str(tmp_path / "x.png"), "x")
    with pytest.raises(ValueError, match="`lines` has no points for 'a'"):
        plot.plot_series({"a": []}, str(tmp_path / "x.png"), "x")


# -------------------------------------------------------------------- CLI
def run_cli(*args):
    return programs.run(programs.python_module("lrhooks.plot", *args), timeout=120)


@pytest.mark.slow  # the program imports TensorFlow
def test_cli_writes_the_plots_and_says_where(run_dir, tmp_path):
    out = tmp_path / "plots"
    done = run_cli(f"--logdir={run_dir}", f"--out={out}")
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout == f"wrote learning_rate.png, loss.png, accuracy.png to {out}\n"
    assert sorted(os.listdir(out)) == ["accuracy.png", "learning_rate.png", "loss.png"]


@pytest.mark.slow  # the program imports TensorFlow
def test_cli_prints_nothing_on_stderr_without_tf_cpp_min_log_level(tmp_path):
    # Two event files with graphs, as a resumed trainer run leaves: TensorBoard's reader logs
    # its directory-watcher and "more than one graph" lines, TensorFlow's import its banner.
    for points in (RATE[:2], RATE[2:]):
        with tf.Graph().as_default() as graph:
            tf.constant(1.0, name="c")
            writer = tf1.summary.FileWriter(str(tmp_path / "run"), graph=graph)
            for step, value in points:
                writer.add_summary(tf1.Summary(value=[tf1.Summary.Value(
                    tag="learning_rate", simple_value=value)]), step)
            writer.close()
    done = programs.run(programs.python_module("lrhooks.plot", f"--logdir={tmp_path}",
                                               f"--out={tmp_path / 'plots'}"),
                        env=programs.environment(tf_log_level=None), timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout == f"wrote learning_rate.png to {tmp_path / 'plots'}\n"
    assert done.stderr == ""


@pytest.mark.slow  # the program imports TensorFlow
def test_cli_on_untyped_and_text_summaries_draws_the_rest(tmp_path):
    write_every_kind_tf1(tmp_path / "run")
    done = run_cli(f"--logdir={tmp_path / 'run'}", f"--out={tmp_path / 'plots'}")
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout == f"wrote learning_rate.png, loss.png to {tmp_path / 'plots'}\n"


def test_cli_stray_argument_is_one_line_not_the_help(tmp_path):
    done = run_cli(f"--logdir={tmp_path}", "extra")
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "plot: error: unexpected arguments: extra (every argument is a flag, --name=value; "
        "--help lists them)"]


@pytest.mark.slow  # the program imports TensorFlow
def test_cli_out_that_is_a_file_is_one_line_naming_the_flag(run_dir, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    done = run_cli(f"--logdir={run_dir}", f"--out={blocker}")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        f"plot: error: cannot write the plots into --out '{blocker}': it is a file, not a "
        "directory")
    assert "Traceback" not in done.stderr
    assert blocker.read_text() == "x"


@pytest.mark.slow  # the program imports TensorFlow
def test_cli_on_a_directory_without_events_fails_in_one_line(tmp_path):
    done = run_cli(f"--logdir={tmp_path}")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1].startswith("plot: error: no scalars in the event")
    assert "Traceback" not in done.stderr


def test_importing_lrhooks_plot_imports_neither_matplotlib_nor_tensorflow():
    code = ("import sys, lrhooks, lrhooks.plot; "
            "bad = [m for m in ('matplotlib', 'tensorflow') if m in sys.modules]; "
            "assert not bad, bad")
    done = programs.run(programs.python_code(code), timeout=120)
    assert done.returncode == 0, done.stderr


# ------------------------------------------------ what the figures draw (read back)
@pytest.fixture
def drawn(monkeypatch):
    """`drawn(logdir)`: write_plots' figures as drawn, {png name: matplotlib Figure}."""
    from matplotlib.figure import Figure
    figures = {}
    save = Figure.savefig

    def recording_savefig(self, target, *args, **kwargs):
        save(self, target, *args, **kwargs)
        figures[self.get_axes()[0].get_title() + ".png"] = self  # its figure's name

    monkeypatch.setattr(Figure, "savefig", recording_savefig)

    def draw(logdir, out):
        figures.clear()
        plot.write_plots(str(logdir), str(out))
        return dict(figures)
    return draw


def lines_of(axes):
    return {line.get_label(): line for line in axes.get_lines()}


def test_scheduled_values_are_staircases_each_in_its_own_panel_and_scale(run_dir, drawn,
                                                                         tmp_path):
    figures = drawn(run_dir, tmp_path)
    rate_axes, momentum_axes = figures["learning_rate.png"].get_axes()  # two panels
    rate, momentum = lines_of(rate_axes)["learning_rate"], lines_of(momentum_axes)["momentum"]
    assert list(lines_of(rate_axes)) == ["learning_rate"]
    assert list(lines_of(momentum_axes)) == ["momentum"]
    # The rate held 0.1 up to step 50: its drop is drawn vertical right after step 50, not
    # as a slope to step 100; it then changes at every point (no held value): a line. So
    # does momentum (two different points). Markers sit on the recorded points only.
    assert list(zip(rate.get_xdata(), rate.get_ydata())) == approx_points(
        [(1, 0.1), (50, 0.1), (50, 0.01), (100, 0.01), (150, 0.001)])
    assert rate.get_markevery() == [0, 1, 3, 4]
    assert list(zip(momentum.get_xdata(), momentum.get_ydata())) == approx_points(MOMENTUM)
    assert rate_axes.get_yscale() == "log"  # 0.1 .. 0.001
    assert momentum_axes.get_yscale() == "linear"  # its own scale, not the rate's log axis
    low, high = momentum_axes.get_ylim()
    assert 0.8 < low < 0.85 and 0.95 < high < 1.0
    # Measured values (loss, accuracy) stay lines through their points.
    (loss_axes,) = figures["loss.png"].get_axes()
    assert list(zip(*lines_of(loss_axes)["loss"].get_data())) == approx_points(LOSS)


def test_accuracy_axis_is_zoomed_to_the_later_points_and_says_what_it_cut(run_dir, drawn,
                                                                         tmp_path):
    (axes,) = drawn(run_dir, tmp_path)["accuracy.png"].get_axes()
    low, high = axes.get_ylim()
    later = [value for step, value in TRAIN_ACCURACY + EVAL_ACCURACY if step > 75]
    assert min(later) - 0.01 < low < min(later) and max(later) < high < max(later) + 0.01
    assert axes.get_ylabel() == "accuracy (2 earlier points below)"  # 0.1 and 0.8
    # An accuracy that stays high, or one still climbing, keeps its whole range.
    for name, points in [("high", [(1, 0.96), (50, 0.97), (100, 0.98)]),
                         ("climbing", [(1, 0.1), (50, 0.5), (100, 0.8)])]:
        write_tf1(tmp_path / name, {"accuracy": points})
        (axes,) = drawn(tmp_path / name, tmp_path / "out")["accuracy.png"].get_axes()
        assert axes.get_ylabel() == "accuracy", name
        low, high = axes.get_ylim()
        assert low < points[0][1] and high > points[-1][1], name


def test_a_single_final_evaluation_is_a_visible_marker(tmp_path, drawn):
    write_tf1(tmp_path / "run", {"loss": [(step, 2.0 / step) for step in range(1, 200)]})
    write_tf1(tmp_path / "run" / "eval", {"loss": [(199, 0.05)]})
    (axes,) = drawn(tmp_path / "run", tmp_path / "out")["loss.png"].get_axes()
    final = lines_of(axes)["eval/loss"]
    assert final.get_marker() == "o" and final.get_markersize() >= 6
    assert lines_of(axes)["loss"].get_marker() in (None, "None", "")  # 199 points: a line


def smoothing_floor(smoothing, classes=10):
    """The entropy of the smoothed targets, written out."""
    on_label = 1 - smoothing + smoothing / classes
    off_label = smoothing / classes
    return -(on_label * np.log(on_label) + (classes - 1) * off_label * np.log(off_label))


def test_the_loss_plot_says_when_the_training_loss_includes_label_smoothing(run_dir, drawn,
                                                                           tmp_path):
    import json
    import shutil
    run = tmp_path / "run"
    shutil.copytree(run_dir, run)
    assert not "".join(t.get_text() for t in drawn(run, tmp_path / "a")["loss.png"].texts)
    (run / "train_config.json").write_text(json.dumps(
        {"batch_size": 64, "hparams": {"label_smoothing": 0.1, "num_classes": 10}}))
    note = "".join(text.get_text() for text in drawn(run, tmp_path / "b")["loss.png"].texts)
    assert round(smoothing_floor(0.1), 2) == 0.50
    assert note == ("training loss includes label smoothing 0.1 (floor \u2248 0.50); "
                    "test loss does not")
    assert plot.label_smoothing_floor(0.2, 5) == pytest.approx(smoothing_floor(0.2, 5))


def test_the_accuracy_plot_says_a_training_point_is_one_batch(run_dir, drawn, tmp_path):
    import json
    import shutil
    run = tmp_path / "run"
    shutil.copytree(run_dir, run)
    assert not "".join(t.get_text() for t in drawn(run, tmp_path / "a")["accuracy.png"].texts)
    (run / "train_config.json").write_text(json.dumps({"batch_size": 64}))
    note = "".join(text.get_text() for text in drawn(run, tmp_path / "b")["accuracy.png"].texts)
    assert note == ("training accuracy: one batch of 64 examples a point (noisy); "
                    "test accuracy: the whole test set")


def test_the_shipped_flagfiles_evaluate_often_enough_for_a_test_curve():
    configs = sorted((programs.REPO_ROOT / "models" / "resnet_mnist" / "configs").glob("*.flags"))
    assert configs
    for path in configs:
        flags = dict(line.split("=", 1) for line in path.read_text().splitlines()
                     if line.startswith("--") and "=" in line)
        every, steps = int(flags.get("--eval_every_n_steps", 0)), int(flags["--train_steps"])
        assert 0 < every <= steps // 3, path.name  # at least three test points
