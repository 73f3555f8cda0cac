"""The trainer and the evaluator as a user runs them after a first run: a schedule on the
command line over a flagfile's, the evaluator with the run's own settings, the commands the
summary prints."""

import json
import os
import shlex
import shutil

import pytest

from tests.support import events, programs
from tests.support.programs import REPO_ROOT
from tests.support.trainer_runs import TINY, eval_command, files, run

pytestmark = pytest.mark.slow  # real trainer and evaluator processes

# The README's setup: a venv that is not activated (its bin directory is not on PATH).
UNACTIVATED_PATH = "/usr/bin:/bin"


def _flagfile(tmp_path):
    """The tiny trainer's flags (their piecewise schedule included) as a flagfile."""
    path = tmp_path / "tiny.flags"
    path.write_text("\n".join(TINY + ["--noplots"]) + "\n")
    return path


def _train(data_dir, train_dir, flagfile, *args):
    return run(programs.python_module(
        "models.resnet_mnist.train", f"--flagfile={flagfile}", f"--data_dir={data_dir}",
        f"--train_dir={train_dir}", *args), PATH=UNACTIVATED_PATH)


def _runs_as_printed(command: str) -> bool:
    """Whether the program of `command` is found from REPO_ROOT with UNACTIVATED_PATH."""
    program = shlex.split(command)[0]
    if os.sep in program:
        return os.access(os.path.join(REPO_ROOT, program), os.X_OK)
    return shutil.which(program, path=UNACTIVATED_PATH) is not None


def test_a_run_then_the_evaluator_with_only_the_train_dir(data_dir, tmp_path):
    train_dir = tmp_path / "runs" / "tiny"
    flagfile = _flagfile(tmp_path)
    # A full --lr_schedule on the command line replaces the flagfile's schedule flags.
    done = _train(data_dir, train_dir, flagfile, "--train_steps=2",
                  "--lr_schedule=constant(0.0125)")
    assert done.returncode == 0, done.stderr[-3000:]
    recorded = json.loads((train_dir / "train_config.json").read_text())
    assert recorded["schedule"] == "constant(learning_rate=0.0125)"
    assert events.scalar_series(str(train_dir), "learning_rate") == {
        1: pytest.approx(0.0125), 2: pytest.approx(0.0125)}
    # --nofinal_eval: the summary names no eval directory; its commands run as printed.
    summary = {line.split(None, 1)[0]: line.split(None, 1)[1].strip()
               for line in done.stdout.splitlines() if line.startswith(("  ", "events",
                                                                          "TensorBoard", "test"))
               and len(line.split(None, 1)) == 2}
    assert summary["events"] == f"{train_dir} (training)", done.stdout
    assert not (train_dir / "eval").exists()
    assert _runs_as_printed(summary["TensorBoard"]), summary["TensorBoard"]
    evaluate = summary["test"].split("not evaluated: ", 1)[1]
    assert _runs_as_printed(evaluate), evaluate

    # The evaluator takes --data_dir and the model from train_config.json.
    first = run(eval_command(f"--train_dir={train_dir}", "--eval_once"))
    assert first.returncode == 0, first.stderr[-3000:]
    assert "step 2: accuracy" in first.stdout
    assert events.scalar_series(str(train_dir / "eval"), "accuracy").keys() == {2}
    written = files(train_dir / "eval")

    # Step 2 is evaluated already: one line says so, nothing is written.
    again = run(eval_command(f"--train_dir={train_dir}", "--eval_once"))
    assert again.returncode == 0, again.stderr[-3000:]
    assert [line for line in again.stdout.splitlines() if "step 2" in line] == [
        f"eval: step 2 is already evaluated in {train_dir / 'eval'}: "
        + first.stdout.split("step 2: ", 1)[1].split(" (", 1)[0] + " (nothing written)"]
    assert files(train_dir / "eval") == written


def test_a_schedule_flag_beside_a_full_spec_on_the_command_line_is_one_error(data_dir, tmp_path):
    done = _train(data_dir, tmp_path / "run", _flagfile(tmp_path), "--train_steps=2",
                  "--lr_schedule=constant(0.0125)", "--lr_decay_steps=5")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if "cannot be combined" in line]
    # Only the command line's own flag: the flagfile's schedule flags were replaced.
    assert len(lines) == 1 and ": --lr_decay_steps cannot be combined" in lines[0], done.stderr
    assert not (tmp_path / "run").exists()
