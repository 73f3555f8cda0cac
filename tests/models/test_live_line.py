"""The trainer's live line (`--progress=always`): frames redrawn in place with `\\r`, the log
lines whole above them, the running means, one speed unit. Starts the real program."""

import re

import pytest

from tests.support import programs
from tests.support import trainer_runs
from tests.support.terminal import render_terminal

pytestmark = pytest.mark.slow

FRAME = re.compile(r"\r\x1b\[K( *(\d+)/12 epoch [^\r\n]*)")


def _means(text):
    return re.search(r"loss (\S+) +accuracy (\S+)", text).groups()


def test_the_live_line_between_whole_log_lines(data_dir, tmp_path):
    # Bytes: text mode would turn each \r into a newline.
    done = programs.run(trainer_runs.command(
        data_dir, tmp_path / "run", "--train_steps=12", "--log_every_n_steps=4",
        "--progress=always"), text=False, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    assert b"train:" not in done.stderr  # no warning, no error
    stdout = done.stdout.decode()
    frames = FRAME.findall(stdout)
    # Not a terminal behind the pipe: 100 columns; the step never goes back.
    assert frames and all(len(text) == 100 for text, _ in frames), stdout
    steps = [int(step) for _, step in frames]
    assert steps == sorted(steps) and {1, 4, 8, 12} <= set(steps)
    assert all("steps/s" in text for text, step in frames if int(step) > 1)
    assert "it/s" not in stdout
    # On the screen: every line whole; the last step was logged, so no live line is left.
    screen = render_terminal(stdout)
    assert all(line.startswith(("train: ", "  ")) for line in screen), screen
    log = [line for line in screen if line.startswith("train: step ")]
    assert [line.split("  ")[0] for line in log] == [
        "train: step 1/12 (8%)", "train: step 4/12 (33%)", "train: step 8/12 (67%)",
        "train: step 12/12 (100%)"]
    assert [re.search(r"\(mean of (\d+) steps?\)", line).group(1) for line in log] == [
        "1", "3", "4", "4"]
    assert all(re.search(r"  \S+ steps/s  \d+ ex/s  ETA ", line) for line in log[1:])
    # The frame of a logged step shows that line's means.
    for line in log:
        step = re.match(r"train: step (\d+)/", line).group(1)
        last_frame = [text for text, s in frames if s == step][-1]
        assert _means(last_frame) == _means(line)
