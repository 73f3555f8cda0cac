"""Tests for `lrhooks.preview`: the chart, the key points, the event file and the CLI."""

import math
import os
import struct

import pytest
from absl import flags

from lrhooks import preview
from lrhooks.preview import cli as preview_cli
from lrhooks import schedules
from tests.support import events, programs
from tests.support.programs import REPO_ROOT
PIECEWISE = schedules.piecewise_constant([10, 20], [0.1, 0.01, 0.001])


def _f32(value: float) -> float:
    """`value` rounded to float32, as an event file stores it."""
    return struct.unpack("f", struct.pack("f", value))[0]


def _split(chart: str, width: int):
    """(labels, plot rows padded to `width`, axis line, x-label line) of a rendered chart."""
    lines = chart.split("\n")
    prefix = lines[0].index("|") + 1
    labels = [line[:prefix - 2].strip() for line in lines[:-2]]
    rows = [line[prefix:].ljust(width) for line in lines[:-2]]
    return labels, rows, lines[-2][prefix:], lines[-1][prefix:]


def _stars(rows, column: int):
    return [r for r, row in enumerate(rows) if row[column] == "*"]


# ---------------------------------------------------------------------------- render_chart

def test_chart_piecewise_one_column_per_step():
    chart = preview.render_chart(PIECEWISE, 30, width=30, height=16)
    lines = chart.split("\n")
    assert len(lines) == 16 + 2  # plot rows, axis, x labels
    labels, rows, axis, xlabels = _split(chart, 30)
    prefix = lines[0].index("|") + 1
    assert prefix == len("0.0538") + 2  # the widest label, then " |"
    assert max(len(line) for line in lines) <= 30 + prefix
    # Rate 0.1 at steps 0..10 (step <= 10), 0.01 at 11..20, 0.001 at 21..29. Linear axis from
    # 0.001 (row 15) to 0.1 (row 0): 0.01 is row round(0.09 / 0.099 * 15) = 14.
    assert rows[0] == "*" * 11 + " " * 19
    assert rows[14] == " " * 11 + "*" * 10 + " " * 9
    assert rows[15] == " " * 21 + "*" * 9
    for c in range(30):
        assert _stars(rows, c) == [0 if c <= 10 else 14 if c <= 20 else 15], c
    assert [row[11] for row in rows[1:14]] == ["|"] * 13  # the jump at step 11
    assert all(row[21] == " " for row in rows[:14])  # 0.01 -> 0.001 are adjacent rows
    assert labels[0] == "0.1" and labels[15] == "0.001"
    assert labels[7] == "%.6g" % (0.1 - 0.099 * 7 / 15)  # the middle row's rate
    assert [label for label in labels if label] == [labels[0], labels[7], labels[15]]
    assert axis == "-" * 15 + "+" + "-" * 13 + "+"  # ticks at the middle and last column
    assert xlabels[0] == "0" and xlabels[15:17] == "15" and xlabels.endswith("29")
    assert len(xlabels) == 30


def test_chart_stretches_few_steps_over_all_columns():
    _, rows, _, xlabels = _split(preview.render_chart(PIECEWISE, 30, width=60), 60)
    assert len(rows) == 16
    # Column c shows step c // 2: the jump after step 10 is at column 22.
    assert rows[0] == "*" * 22 + " " * 38
    assert _stars(rows, 22) == [14] and _stars(rows, 42) == [15]
    assert xlabels.endswith("29") and xlabels[30:32] == "15"


def test_chart_jump_inside_a_column_is_drawn_in_that_column():
    schedule = schedules.piecewise_constant([1000, 2000], [0.1, 0.01, 0.001])
    _, rows, _, xlabels = _split(preview.render_chart(schedule, 3000, width=30), 30)
    # Column 10 covers steps 1000..1099: 0.1 at step 1000, then 0.01.
    assert _stars(rows, 9) == [0] and _stars(rows, 11) == [14]
    assert _stars(rows, 10) == [0, 14]
    assert [row[10] for row in rows[1:14]] == ["|"] * 13
    assert _stars(rows, 20) == [14, 15]  # step 2000 is 0.01, 2001 is 0.001
    assert xlabels.endswith("2999")


def test_chart_log_scale():
    schedule = schedules.exponential_decay(1.0, 10, 0.1)  # 10 ** (-step / 10)
    labels, rows, _, _ = _split(preview.render_chart(schedule, 40, width=40, height=5,
                                                     log_scale=True), 40)
    assert labels == ["1", "", "%.6g" % 10 ** -1.95, "", "%.6g" % 10 ** -3.9]
    # A straight line on a log axis: row = round(step / 39 * 4).
    assert [_stars(rows, c) for c in range(40)] == [[round(c / 39 * 4)] for c in range(40)]
    linear, _, _, _ = _split(preview.render_chart(schedule, 40, width=40, height=5), 40)
    assert linear[0] == "1" and linear[-1] == "%.6g" % 10 ** -3.9


def test_chart_log_scale_puts_zero_on_its_own_row():
    labels, rows, _, _ = _split(preview.render_chart(
        schedules.cosine_decay(0.1, 100), 150, width=50, height=8, log_scale=True), 50)
    assert labels[0] == "0.1" and labels[-1] == "0"
    assert labels[-2] == "%.6g" % schedules.cosine_decay(0.1, 100)(99)  # smallest rate > 0
    assert rows[-1].rstrip().endswith("*" * 16)  # steps 100.. are 0


def test_chart_constant_and_single_step():
    labels, rows, _, xlabels = _split(preview.render_chart(schedules.constant(0.5), 1,
                                                           width=8, height=3), 8)
    assert labels == ["", "0.5", ""] and rows[1] == "*" * 8 and xlabels.rstrip() == "0"


@pytest.mark.parametrize("kwargs, error", [
    (dict(steps=0), ValueError), (dict(width=7), ValueError), (dict(height=2), ValueError),
    (dict(steps=True), TypeError), (dict(steps=2.5), TypeError)])
def test_chart_rejects_bad_arguments(kwargs, error):
    with pytest.raises(error):
        preview.render_chart(PIECEWISE, **{"steps": 30, **kwargs})


def test_non_finite_rate_is_an_error():
    growing = schedules.exponential_decay(1.0, 1, 10.0)  # 10 ** step: inf past step 308
    with pytest.raises(ValueError, match=r"gave inf at step \d+; a learning rate must be "):
        preview.render_chart(growing, 400)
    with pytest.raises(ValueError, match="gave inf at step 309; a learning rate must be "):
        preview.key_points(growing, 400)


def test_plain_callable_works():
    chart = preview.render_chart(lambda step: 1.0 / (1 + step), 20, width=20)
    assert chart.split("\n")[0].lstrip().startswith("1 |*")
    assert preview.key_points(lambda step: 2.0, 3) == [
        ("start", 0, 2.0), ("min", 0, 2.0), ("max", 0, 2.0), ("end", 2, 2.0)]


# ---------------------------------------------------------------------------- key_points

def test_key_points_piecewise():
    assert preview.key_points(PIECEWISE, 30) == [
        ("start", 0, 0.1), ("breakpoint", 10, 0.1), ("breakpoint", 11, 0.01),
        ("breakpoint", 20, 0.01), ("breakpoint", 21, 0.001),
        ("min", 21, 0.001), ("max", 0, 0.1), ("end", 29, 0.001)]


def test_key_points_cosine_decay():
    end = 0.1 * 0.5 * (1 + math.cos(math.pi * 0.99))  # step 99 of 100
    assert preview.key_points(schedules.cosine_decay(0.1, 100), 100) == [
        ("start", 0, 0.1), ("min", 99, pytest.approx(end, rel=1e-12)), ("max", 0, 0.1),
        ("end", 99, pytest.approx(end, rel=1e-12))]
    assert preview.key_points(schedules.cosine_decay(0.1, 100), 150) == [
        ("start", 0, 0.1), ("breakpoint", 100, 0.0), ("min", 100, 0.0), ("max", 0, 0.1),
        ("end", 149, 0.0)]


def test_key_points_exponential_staircase():
    schedule = schedules.exponential_decay(0.1, 10, 0.5, staircase=True)
    assert preview.key_points(schedule, 35) == [
        ("start", 0, 0.1), ("breakpoint", 10, 0.05), ("breakpoint", 20, 0.025),
        ("breakpoint", 30, 0.0125), ("min", 30, 0.0125), ("max", 0, 0.1), ("end", 34, 0.0125)]


def test_key_points_sampled_beyond_exact_scan(monkeypatch):
    schedule = schedules.cosine_decay_restarts(0.1, 7, t_mul=3.0, m_mul=0.9, alpha=0.01)
    exact = preview.key_points(schedule, 5000)
    monkeypatch.setattr(preview, "EXACT_SCAN_STEPS", 50)
    assert preview.key_points(schedule, 5000) == exact  # monotone between breakpoints


def test_format_key_points_caps_breakpoints():
    schedule = schedules.exponential_decay(1.0, 1, 0.9, staircase=True)  # 49 breakpoints
    lines = preview.format_key_points(preview.key_points(schedule, 50)).split("\n")
    assert lines[0].split() == ["point", "step", "rate"]
    assert lines[1].split() == ["start", "0", "1"]
    assert [line.split()[1] for line in lines[2:22]] == [str(s) for s in range(1, 21)]
    assert lines[22] == "... 29 more breakpoints omitted"
    assert [line.split()[:2] for line in lines[23:]] == [["min", "49"], ["max", "0"],
                                                          ["end", "49"]]
    assert lines[23].split()[2] == "%.6g" % 0.9 ** 49


# ---------------------------------------------------------------------------- write_series

def _read(logdir, tag="learning_rate"):
    return events.scalars(logdir, tag)


def test_write_series_every_step(tmp_path):
    assert preview.write_series(PIECEWISE, 30, str(tmp_path)) == 30
    assert _read(tmp_path) == [(s, _f32(PIECEWISE(s))) for s in range(30)]


def test_write_series_downsampled_keeps_jumps(tmp_path):
    schedule = schedules.piecewise_constant([1234, 5678], [0.3, 0.02, 0.001])
    count = preview.write_series(schedule, 20_000, str(tmp_path), tag="lr", max_points=100)
    points = _read(tmp_path, "lr")
    # Every 200th step (k = ceil(20000 / 100)), the last step, each breakpoint and the step
    # before it: 100 + 1 + 6 steps.
    expected = sorted({*range(0, 20_000, 200), 19_999, 1233, 1234, 1235, 5677, 5678, 5679})
    assert schedule.breakpoints(20_000) == (1234, 1235, 5678, 5679)
    assert count == len(points) == len(expected) == 107
    assert [step for step, _ in points] == expected
    assert all(value == _f32(schedule(step)) for step, value in points)

    staircase = schedules.exponential_decay(0.1, 997, 0.5, staircase=True)
    assert preview.series_steps(staircase, 5000, 10) == sorted(
        {*range(0, 5000, 500), 4999, *(s for k in range(1, 6) for s in (997 * k - 1, 997 * k))})


def test_write_series_never_reuses_an_event_file(tmp_path):
    preview.write_series(PIECEWISE, 30, str(tmp_path))
    [first] = os.listdir(tmp_path)
    size = os.path.getsize(tmp_path / first)
    preview.write_series(PIECEWISE, 30, str(tmp_path))
    assert len(os.listdir(tmp_path)) == 2 and os.path.getsize(tmp_path / first) == size


def test_write_series_errors(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(OSError, match="cannot write an event file"):
        preview.write_series(PIECEWISE, 30, str(tmp_path / "file"))
    with pytest.raises(ValueError, match=r"gave inf at step \d+; a learning rate must be "):
        # before any file is made
        preview.write_series(schedules.exponential_decay(1.0, 1, 10.0), 400, str(tmp_path / "x"))
    assert not (tmp_path / "x").exists()


# ---------------------------------------------------------------------------- the command line

def _cli(*args, cwd=REPO_ROOT):
    return programs.run(programs.python_module("lrhooks.preview", *args), cwd=cwd,
                        timeout=120)


PIECEWISE_FLAGS = ["--lr_schedule=piecewise_constant", "--lr_boundaries=10,20",
                   "--lr_values=0.1,0.01,0.001"]


def test_cli_prints_chart_and_key_points():
    result = _cli(*PIECEWISE_FLAGS, "--steps=30", "--width=30", "--height=12")
    assert result.returncode == 0, result.stderr
    assert repr(PIECEWISE) in result.stdout and "schedule(s)" in result.stdout
    assert preview.render_chart(PIECEWISE, 30, width=30, height=12) in result.stdout
    assert preview.format_key_points(preview.key_points(PIECEWISE, 30)) in result.stdout
    assert "Traceback" not in result.stderr


def test_cli_log_scale_and_defaults():
    schedule = schedules.exponential_decay(0.1, 100, 0.1)
    result = _cli("--lr_schedule=exponential_decay", "--lr_decay_steps=100",
                  "--lr_decay_rate=0.1", "--steps=1000", "--log_scale")
    assert result.returncode == 0, result.stderr
    assert preview.render_chart(schedule, 1000, log_scale=True) in result.stdout


@pytest.mark.slow  # the program imports TensorFlow to write
def test_cli_logdir(tmp_path):
    result = _cli(*PIECEWISE_FLAGS, "--steps=30", f"--logdir={tmp_path / 'preview'}")
    assert result.returncode == 0, result.stderr
    [name] = os.listdir(tmp_path / "preview")
    assert name.startswith("events.out.tfevents.")
    assert f"wrote 30 points of 'learning_rate' to {tmp_path / 'preview' / name}" in result.stdout
    assert _read(tmp_path / "preview") == [(s, _f32(PIECEWISE(s))) for s in range(30)]


@pytest.mark.slow  # the program imports TensorFlow to write
def test_cli_logdir_prints_no_tensorflow_banner(tmp_path):
    """Importing TensorFlow to write prints its C++ banner, unless asked (--verbose)."""
    args = programs.python_module("lrhooks.preview", *PIECEWISE_FLAGS, "--steps=30")
    quiet = programs.run([*args, f"--logdir={tmp_path / 'a'}"],
                         env=programs.environment(tf_log_level=None), timeout=120)
    assert quiet.returncode == 0 and quiet.stderr == ""
    assert "wrote 30 points of 'learning_rate'" in quiet.stdout


def test_cli_trainer_flagfile(tmp_path):
    (tmp_path / "base.flags").write_text("--lr_decay_rate=0.5\n--optimizer=adam\n")
    (tmp_path / "train.flags").write_text(
        "# a trainer flagfile\n--train_dir=runs/x\n--model=cnn\n--batch_size=64\n"
        f"--flagfile={tmp_path / 'base.flags'}\n--train_steps=40\n"
        "--lr_schedule=exponential_decay\n--learning_rate=0.5\n--lr_decay_steps=10\n"
        "--lr_staircase\n--save_summaries_steps=10\n")
    result = _cli(f"--trainer_flagfile={tmp_path / 'train.flags'}")
    assert result.returncode == 0, result.stderr
    schedule = schedules.exponential_decay(0.5, 10, 0.5, staircase=True)
    assert f"{schedule!r} over steps 0..39" in result.stdout  # --steps from --train_steps
    assert preview.format_key_points(preview.key_points(schedule, 40)) in result.stdout

    result = _cli("--trainer_flagfile", str(tmp_path / "train.flags"), "--learning_rate=0.2",
                  "--nolr_staircase", "--steps=25")  # the command line wins
    assert result.returncode == 0, result.stderr
    assert f"{schedules.exponential_decay(0.2, 10, 0.5)!r} over steps 0..24" in result.stdout


def test_cli_full_spec_on_the_command_line_replaces_the_trainer_flagfiles_schedule(tmp_path):
    (tmp_path / "train.flags").write_text(
        "--model=cnn\n--train_steps=40\n--lr_schedule=exponential_decay\n"
        "--learning_rate=0.5\n--lr_decay_steps=10\n--lr_decay_rate=0.5\n--lr_staircase\n")
    for spec_args in (["--lr_schedule=cosine_decay(0.1, 100)"],
                      ["--lr_schedule", "cosine_decay(0.1, 100)"]):
        result = _cli(f"--trainer_flagfile={tmp_path / 'train.flags'}", *spec_args)
        assert result.returncode == 0, result.stderr
        assert f"{schedules.cosine_decay(0.1, 100)!r} over steps 0..39" in result.stdout


def test_cli_stray_argument_is_one_line_not_the_help():
    result = _cli(*PIECEWISE_FLAGS, "--steps=30", "--log_scale", "true")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "preview: error: unexpected arguments: true (every argument is a flag, --name=value; "
        "--help lists them)"]
    assert result.stdout == ""


def test_flagfile_schedule_args_keeps_schedule_flags_and_train_steps_only():
    fv = flags.FlagValues()
    preview_cli.define_flags(fv)
    lines = ["--model=cnn", "--lr_values", "0.1,0.01", "--nolr_staircase", "--train_steps",
             "300", "--data_dir=x", "--lr_schedule=piecewise_constant", "--use_bottleneck"]
    assert preview_cli.flagfile_schedule_args(lines, fv) == (
        ["--lr_values", "0.1,0.01", "--nolr_staircase", "--lr_schedule=piecewise_constant"],
        "300")
    assert preview_cli.flagfile_schedule_args(["--anything=1", "--lr_power", "2"], fv) == (
        ["--lr_power", "2"], None)  # no --train_steps: None


def test_library_functions_import_without_absl_or_tensorflow():
    code = ("import sys; from lrhooks.preview import render_chart, key_points; "
            "from lrhooks import schedules; "
            "print(render_chart(schedules.constant(0.1), 10)); "
            "bad = [m for m in ('absl', 'tensorflow') if m in sys.modules]; assert not bad, bad")
    result = programs.run(programs.python_code(code), timeout=120)
    assert result.returncode == 0, result.stderr


def test_old_cli_names_are_reachable_from_the_package():
    assert preview.trainer_args is preview_cli.flagfile_schedule_args
    assert preview.define_flags is preview_cli.define_flags and preview.main is preview_cli.main


def test_cli_shipped_trainer_flagfiles():
    configs = sorted((REPO_ROOT / "models" / "resnet_mnist" / "configs").glob("*.flags"))
    if not configs:
        pytest.skip("no trainer flagfiles")
    for config in configs:
        result = _cli(f"--trainer_flagfile={config.relative_to(REPO_ROOT)}", "--steps=100")
        assert result.returncode == 0, (config, result.stderr)
        assert "over steps 0..99" in result.stdout


def _assert_one_line_error(result, *words):
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    [line] = [line for line in result.stderr.splitlines() if all(w in line for w in words)]
    assert line.startswith(("FATAL Flags parsing error: ", "preview: error: ")), line


@pytest.mark.parametrize("args, words", [
    (["--lr_schedule=exponential_decay", "--lr_decay_steps=-3", "--lr_decay_rate=0.5",
      "--steps=10"], ["decay_steps", "--lr_decay_steps"]),
    (["--lr_schedule=piecewise_constant", "--lr_boundaries=10", "--steps=10"], ["--lr_values"]),
    ([*PIECEWISE_FLAGS, "--steps=0"], ["--steps"]),
    ([*PIECEWISE_FLAGS], ["--steps"]),
    ([*PIECEWISE_FLAGS, "--steps=5", "--width=3"], ["--width"]),
    ([*PIECEWISE_FLAGS, "--trainer_flagfile=no/such.flags"], ["no/such.flags"]),
    (["--lr_schedule=exponential_decay", "--lr_decay_steps=1", "--lr_decay_rate=10",
      "--steps=400"], ["inf", "step"]),
])
def test_cli_errors(args, words):
    _assert_one_line_error(_cli(*args), *words)


@pytest.mark.slow  # the program imports TensorFlow to write
def test_cli_unwritable_logdir(tmp_path):
    (tmp_path / "file").write_text("")
    _assert_one_line_error(_cli(*PIECEWISE_FLAGS, "--steps=5", f"--logdir={tmp_path / 'file'}"),
                           "cannot write")


@pytest.mark.slow
def test_cli_resolves_a_template_with_train_steps_and_warns_on_a_fixed_horizon(tmp_path):
    result = _cli("--lr_schedule=one_cycle(0.2, total_steps=train_steps)", "--train_steps=200",
                  "--height=4")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(
        "one_cycle(0.2, total_steps=train_steps) with train_steps=200:\n"
        f"{schedules.one_cycle(0.2, 200)!r} over steps 0..199\n")
    assert "warning:" not in result.stdout
    result = _cli("--lr_schedule=one_cycle(0.2, 3500)", "--train_steps=200", "--height=4")
    assert result.returncode == 0, result.stderr
    assert ("\nwarning: the schedule ends at step 3500 but --train_steps=200: only its first "
            "200 steps run") in result.stdout
    flagfile = tmp_path / "run.flags"  # a trainer's flagfile: its --train_steps resolves it
    flagfile.write_text("--model=cnn\n--train_steps=40\n"
                        "--lr_schedule=cosine_decay(0.1, decay_steps=train_steps/2)\n")
    result = _cli(f"--trainer_flagfile={flagfile}", "--height=4")
    assert result.returncode == 0, result.stderr
    assert f"{schedules.cosine_decay(0.1, 20)!r} over steps 0..39" in result.stdout
    assert "warning: the schedule ends at step 20 but --train_steps=40" in result.stdout


@pytest.mark.slow
def test_cli_template_without_train_steps_is_one_line():
    result = _cli("--lr_schedule=one_cycle(0.2, total_steps=train_steps)", "--steps=30")
    _assert_one_line_error(result, "`total_steps=train_steps` at column 28 needs the run's "
                                   "length: give --train_steps=N")
