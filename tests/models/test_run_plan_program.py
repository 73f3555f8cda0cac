"""The run plan through the real trainer: resized templates, the horizon warning, --extend,
--branch_from.

Each test starts the real program on tiny IDX data (a few steps of a tiny ResNet). The rate
the optimizer received is read from the `learning_rate` summaries the trainer writes every
step (`--save_summaries_steps=1`): the value labelled s is the rate of step s - 1.
"""

import json
import shutil

import pytest

from lrhooks import schedules as S
from lrhooks import spec as spec_lib
from models.resnet_mnist import run_lock
from tests.support import trainer_runs
from tests.support.events import scalar_series

pytestmark = pytest.mark.slow  # every test starts the real trainer

TINY = ["--model=resnet", "--num_residual_units=1", "--filters=4,4,8,8", "--batch_size=8",
        "--save_summaries_steps=1", "--log_every_n_steps=50", "--progress=never",
        "--nofinal_eval", "--noplots"]
COSINE = "cosine_decay(0.1, decay_steps=train_steps)"
WSD = "warmup_stable_decay(0.1, 2, num_stable_steps=train_steps-4, num_decay_steps=2)"


def train(data_dir, train_dir, *args):
    return trainer_runs.run([*trainer_runs.command(data_dir, train_dir)[:5], *TINY, *args])


def rates(train_dir):
    """{step: rate the optimizer received at that step}."""
    return {label - 1: value for label, value in scalar_series(str(train_dir),
                                                               "learning_rate").items()}


def recorded(train_dir):
    return json.loads((train_dir / "train_config.json").read_text())


def files_but_lock(train_dir):
    return {name: data for name, data in trainer_runs.files(train_dir).items()
            if name != run_lock.LOCK_FILE}


def assert_rates(train_dir, schedule, steps):
    received = rates(train_dir)
    for step in steps:
        assert received[step] == pytest.approx(schedule(step), rel=1e-6, abs=1e-9), step


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return trainer_runs.write_tiny_mnist(tmp_path_factory.mktemp("mnist"))


@pytest.fixture(scope="module")
def cosine_run(data_dir, tmp_path_factory):
    """A finished run of the cosine template, 6 steps."""
    train_dir = tmp_path_factory.mktemp("cosine") / "run"
    done = train(data_dir, train_dir, f"--lr_schedule={COSINE}", "--train_steps=6",
                 "--save_checkpoints_steps=3")
    assert done.returncode == 0, done.stderr[-2000:]
    return train_dir


@pytest.fixture(scope="module")
def wsd_run(data_dir, tmp_path_factory):
    """A finished WSD run of 8 steps (cooldown 6..8), every checkpoint kept (0, 2, ... 8)."""
    train_dir = tmp_path_factory.mktemp("wsd") / "run"
    done = train(data_dir, train_dir, f"--lr_schedule={WSD}", "--train_steps=8",
                 "--save_checkpoints_steps=2", "--keep_checkpoints=0")
    assert done.returncode == 0, done.stderr[-2000:]
    return train_dir


def test_train_steps_alone_resizes_a_template_flagfile(data_dir, tmp_path):
    train_dir = tmp_path / "run"
    done = trainer_runs.run([
        *trainer_runs.command(data_dir, train_dir)[:3],
        "--flagfile=models/resnet_mnist/configs/quick.flags", f"--data_dir={data_dir}",
        f"--train_dir={train_dir}", "--train_steps=6", "--batch_size=8", "--precision=fp32",
        "--eval_every_n_steps=0", "--nofinal_eval", "--noplots", "--save_summaries_steps=1",
        "--progress=never"])
    assert done.returncode == 0, done.stderr[-2000:]
    resized = S.exponential_decay(0.001, 2, 0.5, staircase=True)  # train_steps/3 = 2
    assert (f"train: schedule {resized!r} (from exponential_decay(0.001, decay_steps="
            "train_steps/3, decay_rate=0.5, staircase=True) with train_steps=6)") in done.stdout
    assert_rates(train_dir, resized, range(6))
    assert recorded(train_dir)["schedule"] == spec_lib.spec(resized)


def test_a_fixed_horizon_other_than_train_steps_warns_once_at_the_start(data_dir, tmp_path):
    done = train(data_dir, tmp_path / "run", "--lr_schedule=cosine_decay(0.1, 50)",
                 "--train_steps=3")
    assert done.returncode == 0, done.stderr[-2000:]
    warnings = [line for line in done.stderr.splitlines() if line.startswith("train: warning:")]
    assert len(warnings) == 1
    assert warnings[0].startswith("train: warning: the schedule ends at step 50 but "
                                  "--train_steps=3")


def test_a_finished_tied_cosine_is_not_stretched_silently(data_dir, cosine_run, tmp_path):
    run = trainer_runs.copy_run(cosine_run, tmp_path)
    before = files_but_lock(run)
    done = train(data_dir, run, f"--lr_schedule={COSINE}", "--train_steps=9")
    assert done.returncode == 1
    (error,) = trainer_runs.error_lines(done.stderr)
    assert "choose --extend=restart|hold" in error and "Traceback" not in done.stderr
    assert files_but_lock(run) == before


def test_extend_hold_keeps_the_end_value_and_restart_runs_the_schedule_again(
        data_dir, cosine_run, tmp_path):
    old = spec_lib.resolve(COSINE, 6)
    held = trainer_runs.copy_run(cosine_run, tmp_path / "hold")
    done = train(data_dir, held, f"--lr_schedule={COSINE}", "--train_steps=9", "--extend=hold")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "train: --extend=hold: the schedule stays" in done.stdout
    assert_rates(held, old, range(9))  # steps 6..8 at its end value
    assert recorded(held)["train_steps"] == 9

    restarted = trainer_runs.copy_run(cosine_run, tmp_path / "restart")
    done = train(data_dir, restarted, f"--lr_schedule={COSINE}", "--train_steps=9",
                 "--extend=restart")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "train: restarted at step 6:" in done.stdout
    plan = S.sequential([(6, old)], final=spec_lib.resolve(COSINE, 3))
    assert_rates(restarted, plan, range(9))
    assert rates(restarted)[6] == pytest.approx(0.1)
    assert recorded(restarted)["replans"] == [{"step": 6, "train_steps": 9,
                                               "extend": "restart"}]


def test_wsd_extended_in_its_stable_phase_is_replanned(data_dir, wsd_run, tmp_path):
    run = trainer_runs.copy_run(wsd_run, tmp_path)
    for step in (6, 8):  # back to the stable phase: the newest checkpoint is at step 4
        for path in run.glob(f"model.ckpt-{step}.*"):
            path.unlink()
    (run / "checkpoint").unlink()
    done = train(data_dir, run, f"--lr_schedule={WSD}", "--train_steps=12")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "train: re-planned for --train_steps=12:" in done.stdout
    assert_rates(run, spec_lib.resolve(WSD, 12), range(12))  # cooldown 10..12
    assert recorded(run)["replans"] == [{"step": 4, "train_steps": 12, "extend": "replan"}]


def test_wsd_extended_after_its_cooldown_reheats_only_when_asked(data_dir, wsd_run, tmp_path):
    run = trainer_runs.copy_run(wsd_run, tmp_path)
    done = train(data_dir, run, f"--lr_schedule={WSD}", "--train_steps=12")
    assert done.returncode == 1
    (error,) = trainer_runs.error_lines(done.stderr)
    assert "its cooldown started at step 6" in error and "--extend=" in error
    done = train(data_dir, run, f"--lr_schedule={WSD}", "--train_steps=12", "--extend=reheat")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "train: reheated at step 8: rate 0 -> 0.1" in done.stdout
    new = spec_lib.resolve(WSD, 12)
    plan = S.sequential([(8, spec_lib.resolve(WSD, 8))],
                        final=S.warmup_stable_decay(0.1, 0, 2, 2))
    assert_rates(run, plan, range(12))
    assert [rates(run)[step] for step in (8, 9)] == [pytest.approx(0.1)] * 2
    assert rates(run)[11] == pytest.approx(new(11))


def test_a_branch_starts_at_its_step_with_the_cooldown_at_the_new_end(data_dir, wsd_run,
                                                                       tmp_path):
    branch = tmp_path / "branch"
    done = train(data_dir, branch, f"--lr_schedule={WSD}", "--train_steps=12",
                 f"--branch_from={wsd_run}@4", "--save_checkpoints_steps=4")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "train: resuming at step 4 of 12" in done.stdout
    record = recorded(branch)
    assert record["parent"] == {"train_dir": str(wsd_run), "step": 4}
    assert record["schedule"] == spec_lib.spec(spec_lib.resolve(WSD, 12))
    received = rates(branch)
    assert min(received) == 4  # its first step is 5 (the rate of step 4, labelled 5)
    assert_rates(branch, spec_lib.resolve(WSD, 12), range(4, 12))
    assert received[9] == pytest.approx(0.1) and received[11] < 0.1  # cooldown 10..12
    assert trainer_runs.checkpoint_step(branch) == 12
    assert (wsd_run / "model.ckpt-4.index").exists()  # the parent keeps its files


def test_a_branch_from_a_step_not_kept_is_one_line(data_dir, wsd_run, tmp_path):
    branch = tmp_path / "branch"
    done = train(data_dir, branch, f"--lr_schedule={WSD}", "--train_steps=12",
                 f"--branch_from={wsd_run}@3")
    assert done.returncode == 1
    (error,) = trainer_runs.error_lines(done.stderr)
    assert error == (f"train: error: --branch_from={wsd_run}@3: {str(wsd_run)!r} keeps no "
                     "checkpoint at step 3 (kept: 0, 2, 4, 6, 8); branch from a kept step "
                     "(--keep_checkpoints=0 keeps every one)")
    assert not list(branch.glob("model.ckpt-*")) if branch.exists() else True
