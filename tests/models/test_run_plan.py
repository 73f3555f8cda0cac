"""Tests for `models.resnet_mnist.run_plan`: the run's schedule, as pure code."""

import pytest
from absl import flags

from lrhooks import schedules as S
from lrhooks import spec as spec_lib
from models.resnet_mnist import config as config_lib
from models.resnet_mnist import run_plan
from models.resnet_mnist.run_plan import RunDir, RunPlanError, RunSettings, plan_run

WSD = "warmup_stable_decay(0.1, 100, num_stable_steps=train_steps-300, num_decay_steps=200)"
ONE_CYCLE = "one_cycle(0.2, total_steps=train_steps)"


def _recorded(template, train_steps, **extra):
    """A train_config.json as a run of `template` for `train_steps` steps wrote it."""
    return plan_run(RunSettings(template, train_steps)).record | extra


def test_a_fresh_template_run_prints_and_records_its_resolution():
    decision = plan_run(RunSettings(ONE_CYCLE, 200))
    assert decision.schedule == S.one_cycle(0.2, 200)
    assert decision.lines == (f"schedule: {ONE_CYCLE} with train_steps=200: "
                              f"{spec_lib.spec(S.one_cycle(0.2, 200))}",)
    assert decision.record == {"schedule": spec_lib.spec(S.one_cycle(0.2, 200)),
                               "schedule_template": ONE_CYCLE, "train_steps": 200,
                               "parent": None, "replans": []}


def test_a_fresh_run_whose_fixed_schedule_ends_elsewhere_warns():
    decision = plan_run(RunSettings("one_cycle(0.2, 3500)", 200))
    [line] = decision.lines
    assert line.startswith("warning: the schedule ends at step 3500 but --train_steps=200: "
                           "only its first 200 steps run")
    assert plan_run(RunSettings("one_cycle(0.2, 3500)", 3500)).lines == ()


def test_a_bad_spec_or_template_without_length_is_one_line_naming_the_flag():
    with pytest.raises(RunPlanError, match=r"^--lr_schedule: unknown schedule 'cosine_decy'"):
        plan_run(RunSettings("cosine_decy(0.1, 10)", 100))
    with pytest.raises(RunPlanError, match=r"^--lr_schedule: in cosine_decay\(...\) at column "
                                           r"1: `decay_steps` must be"):
        plan_run(RunSettings("cosine_decay(0.1, train_steps-200)", 100))


def test_a_resume_with_the_recorded_settings_keeps_the_recorded_schedule():
    recorded = _recorded(WSD, 1000)
    decision = plan_run(RunSettings(WSD, 1000), RunDir(recorded, 600))
    assert decision.schedule == S.warmup_stable_decay(0.1, 100, 700, 200)
    assert decision.lines == () and decision.record == recorded
    # A fixed spec, typed differently from its recorded repr, is the same schedule.
    fixed = _recorded("one_cycle(0.2, 3500)", 3500)
    assert plan_run(RunSettings("one_cycle(max_lr=0.2, total_steps=3500)", 3500),
                    RunDir(fixed, 10)).lines == ()


def test_an_extended_wsd_run_in_its_stable_phase_is_replanned_and_recorded():
    decision = plan_run(RunSettings(WSD, 2000), RunDir(_recorded(WSD, 1000), 600))
    assert decision.schedule == S.warmup_stable_decay(0.1, 100, 1700, 200)
    assert decision.lines[0].startswith("re-planned for --train_steps=2000: ")
    assert decision.record["train_steps"] == 2000
    assert decision.record["replans"] == [{"step": 600, "train_steps": 2000,
                                           "extend": "replan"}]


def test_an_extended_cosine_run_needs_a_choice():
    template = "cosine_decay(0.1, train_steps)"
    here = RunDir(_recorded(template, 400), 400)
    with pytest.raises(RunPlanError) as raised:
        plan_run(RunSettings(template, 800), here)
    assert str(raised.value).endswith("choose --extend=restart|hold")
    with pytest.raises(RunPlanError, match=r"^--extend: `extend` must be one of"):
        plan_run(RunSettings(template, 800, extend="later"), here)
    held = plan_run(RunSettings(template, 800, extend="hold"), here)
    assert held.schedule == S.cosine_decay(0.1, 400)
    assert held.lines[0].endswith("steps 400..799 train at its end value 0")
    assert held.record["replans"] == []  # the schedule did not change


def test_a_second_resume_after_a_restart_keeps_the_restarted_schedule():
    template = "cosine_decay(0.1, train_steps)"
    restarted = plan_run(RunSettings(template, 800, extend="restart"),
                         RunDir(_recorded(template, 400), 400))
    assert restarted.schedule(400) == 0.1 and restarted.schedule(399) < 0.1
    again = plan_run(RunSettings(template, 800), RunDir(restarted.record, 600))
    assert again.schedule == restarted.schedule and again.lines == ()
    assert again.record["replans"] == [{"step": 400, "train_steps": 800, "extend": "restart"}]


def test_a_changed_schedule_on_resume_applies_from_the_resume_step_and_is_named():
    """The command line wins (as over a flagfile): the steps trained stay as they were."""
    decision = plan_run(RunSettings("cosine_decay(0.2, 1000)", 1000),
                        RunDir(_recorded("cosine_decay(0.1, 1000)", 1000), 5))
    assert decision.schedule == S.cosine_decay(0.2, 1000)
    assert decision.lines == ("--lr_schedule changed at step 5: was cosine_decay(0.1, 1000); "
                              "from step 5 on: cosine_decay(learning_rate=0.2, "
                              "decay_steps=1000, alpha=0.0)",)
    assert decision.record["replans"] == [{"step": 5, "train_steps": 1000,
                                           "extend": "changed"}]
    # An explicit --extend still plans the new template against the steps trained.
    with pytest.raises(RunPlanError, match=r"nothing left to train"):
        plan_run(RunSettings("cosine_decay(0.2, 1000)", 1000, extend="restart"),
                 RunDir(_recorded("cosine_decay(0.1, 1000)", 1000), 1000))


def test_a_branch_plans_from_the_parents_checkpoint_and_records_it():
    parent = RunDir(_recorded(WSD, 1000), 1000)
    decision = plan_run(RunSettings(WSD, 3000, extend="reheat", branch_from="runs/wsd@850"),
                        RunDir(), parent)
    old = S.warmup_stable_decay(0.1, 100, 700, 200)
    assert all(decision.schedule(s) == old(s) for s in range(850))
    assert decision.schedule(850) == 0.1
    assert decision.record["parent"] == {"train_dir": "runs/wsd", "step": 850}
    # Its own resume keeps the parent in the record.
    resumed = plan_run(RunSettings(WSD, 3000), RunDir(decision.record, 900))
    assert resumed.record["parent"] == {"train_dir": "runs/wsd", "step": 850}
    assert resumed.schedule == decision.schedule


@pytest.mark.parametrize("branch, here, parent, message", [
    ("runs/wsd", RunDir(), RunDir(), "--branch_from must be DIR@STEP (a run directory and the "
                                     "step of one of its checkpoints, e.g. runs/quick@1000), "
                                     "got 'runs/wsd'"),
    ("@5", RunDir(), RunDir(), "--branch_from must be DIR@STEP"),
    ("runs/wsd@x", RunDir(), RunDir(), "--branch_from must be DIR@STEP"),
    ("runs/wsd@5", RunDir({}, 7), RunDir(), "--branch_from starts a new run, but --train_dir "
                                            "has a checkpoint at step 7: give a new "
                                            "--train_dir"),
    ("runs/wsd@5", RunDir(), RunDir(None, 10), "--branch_from=runs/wsd@5: runs/wsd has no "
                                               "train_config.json (not a run of this trainer)"),
    ("runs/wsd@50", RunDir(), RunDir({"schedule": "constant(0.1)", "train_steps": 10}, 10),
     "--branch_from=runs/wsd@50: runs/wsd has no checkpoint at step 50 (the newest is at "
     "step 10)"),
])
def test_branch_errors_are_one_line(branch, here, parent, message):
    with pytest.raises(RunPlanError) as raised:
        plan_run(RunSettings("constant(0.1)", 100, branch_from=branch), here, parent)
    assert str(raised.value).startswith(message), str(raised.value)


def test_a_damaged_record_is_one_line():
    with pytest.raises(RunPlanError, match=r"^--train_dir's train_config.json has no usable "
                                           r"schedule and train_steps \(.*\); train into a new "
                                           r"--train_dir$"):
        plan_run(RunSettings("constant(0.1)", 100),
                 RunDir({"schedule": "constant(0.1)", "train_steps": "ten"}, 5))


def test_parse_branch():
    assert run_plan.parse_branch("runs/a@b@300") == ("runs/a@b", 300)


def test_the_trainers_flags_resolve_a_template_with_its_train_steps():
    values = flags.FlagValues()
    config_lib.define_flags(values)
    values(["train", "--data_dir=d", "--train_dir=t", "--optimizer=mom", "--train_steps=200",
            f"--lr_schedule={ONE_CYCLE}"])
    config = config_lib.config_from_flags(values.flag_values_dict(), {})
    assert config.schedule == S.one_cycle(0.2, 200)
    assert config.momentum_schedule.schedule == S.one_cycle(0.2, 200)

