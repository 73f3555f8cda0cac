"""Tests for `lrhooks.cli.schedule_flags`: simple names, full specs, one-line errors, the CLIs."""

import pytest
from absl import flags

from lrhooks import schedules
from lrhooks import spec as spec_lib
from lrhooks.cli import schedule_flags
from tests.support import programs
from tests.support.programs import REPO_ROOT
WARMUP_SPEC = "warmup(cosine_decay(0.1, decay_steps=10000), warmup_steps=500)"


def _parse(*args):
    """Parses `args` on fresh FlagValues; returns the schedule they describe."""
    fv = flags.FlagValues()
    schedule_flags.define_schedule_flags(fv)
    fv(["prog", *args])
    return schedule_flags.schedule_from_flags(fv.flag_values_dict())


def _error(*args) -> str:
    with pytest.raises(flags.IllegalFlagValueError) as raised:
        _parse(*args)
    message = str(raised.value)
    assert "\n" not in message
    return message


def test_names_and_flag_names_are_kept():
    assert schedule_flags.SCHEDULE_NAMES == (
        "constant", "piecewise_constant", "exponential_decay", "inverse_time_decay",
        "natural_exp_decay", "polynomial_decay", "cosine_decay", "cosine_decay_restarts",
        "linear_cosine_decay")
    assert schedule_flags.FLAG_NAMES[0] == "lr_schedule" and len(schedule_flags.FLAG_NAMES) == 15


@pytest.mark.parametrize("args, expected", [
    (["--lr_schedule=exponential_decay", "--learning_rate=0.1", "--lr_decay_steps=1000",
      "--lr_decay_rate=0.96", "--lr_staircase"],
     schedules.exponential_decay(0.1, 1000, 0.96, staircase=True)),
    (["--lr_boundaries=10,20", "--lr_values=0.1,0.01,0.001"],  # the default name
     schedules.piecewise_constant([10, 20], [0.1, 0.01, 0.001])),
    (["--lr_schedule=cosine_decay_restarts", "--lr_decay_steps=7.5", "--lr_t_mul=1.5"],
     schedules.cosine_decay_restarts(0.1, 7.5, t_mul=1.5)),
    (["--lr_schedule=constant", "--learning_rate=0.3"], schedules.constant(0.3)),
])
def test_simple_names_work_as_before(args, expected):
    assert _parse(*args) == expected


@pytest.mark.parametrize("text", [
    "cosine_decay(0.1, decay_steps=10000)",
    "piecewise_constant([1000, 2000], [0.1, 0.01, 0.001])",
    "exponential_decay(learning_rate=0.1, decay_steps=1000, decay_rate=0.96, staircase=True)",
    " linear_cosine_decay(0.1, 1e4, beta=0) ",
])
def test_full_spec(text):
    assert _parse(f"--lr_schedule={text}") == spec_lib.from_spec(text)


def test_full_spec_nested():
    if not hasattr(schedules, "warmup"):
        pytest.skip("lrhooks.schedules has no warmup yet")
    assert _parse(f"--lr_schedule={WARMUP_SPEC}") == spec_lib.from_spec(WARMUP_SPEC)


def test_full_spec_from_a_flagfile(tmp_path):
    path = tmp_path / "run.flags"
    path.write_text("--lr_schedule=cosine_decay(0.2, decay_steps=300, alpha=0.1)\n")
    assert _parse(f"--flagfile={path}") == schedules.cosine_decay(0.2, 300, 0.1)


@pytest.mark.parametrize("args, message", [
    (["--lr_boundaries=10"],
     "--lr_boundaries cannot be combined with a full --lr_schedule spec"),
    (["--learning_rate=0.5", "--lr_staircase"],
     "--learning_rate, --lr_staircase cannot be combined with a full --lr_schedule spec"),
    (["--learning_rate=0.1"],  # the default value, but given explicitly
     "--learning_rate cannot be combined with a full --lr_schedule spec"),
])
def test_full_spec_with_other_schedule_flags(args, message):
    assert message in _error("--lr_schedule=cosine_decay(0.1, 10)", *args)


def test_a_mistake_in_the_spec_is_named_before_other_schedule_flags(tmp_path):
    # A flagfile with simple schedule flags, and a spec with a typo on the command line: the
    # typo is what the user just wrote, so it is the error (not the flagfile's flags).
    path = tmp_path / "run.flags"
    path.write_text("--learning_rate=0.001\n--lr_decay_steps=500\n")
    message = _error(f"--flagfile={path}", "--lr_schedule=cosine_decya(0.1, 100)")
    assert "unknown schedule 'cosine_decya' at column 1 (did you mean cosine_decay?)" in message
    assert "cannot be combined" not in message


def test_other_schedule_flags_from_a_flagfile_name_the_fix(tmp_path):
    path = tmp_path / "run.flags"
    path.write_text("--learning_rate=0.001\n--lr_decay_steps=500\n")
    message = _error(f"--flagfile={path}", "--lr_schedule=cosine_decay(0.1, 100)")
    assert ("--learning_rate, --lr_decay_steps cannot be combined with a full --lr_schedule "
            "spec (give every argument in the spec and leave these flags out, of a flagfile "
            "too: a flagfile that sets them needs a copy without them)") in message


def test_full_spec_with_other_values_in_a_plain_mapping():
    fv = flags.FlagValues()
    schedule_flags.define_schedule_flags(fv)
    fv(["prog", "--lr_schedule=cosine_decay(0.1, 10)"])
    values = dict(fv.flag_values_dict(), lr_decay_steps=5.0)
    with pytest.raises(flags.ValidationError, match="--lr_decay_steps cannot be combined"):
        schedule_flags.schedule_from_flags(values)


@pytest.mark.parametrize("value, message", [
    ("cosine_decy(0.1, 10)", "flag --lr_schedule=cosine_decy(0.1, 10): unknown schedule "
     "'cosine_decy' at column 1 (did you mean cosine_decay?)"),
    ("cosine_decay(0.1, 100))", "unexpected ')' at column 23"),
    ("cosine_decay(0.1, decay_step=10)", "cosine_decay() got an unexpected keyword argument "
     "'decay_step' (did you mean decay_steps?) at column 19"),
    ("constant(cosine_decay(0.1, -3))", "in cosine_decay(...) at column 10: `decay_steps` must "
     "be an integer > 0 or a finite float > 0, got -3"),
    ("cosine_decay(0.1, 10, x)", "unknown name 'x' at column 23"),
    ("warmup_cosine", "value should be one of constant|piecewise_constant|"),
    ("cosine_decai", "got 'cosine_decai' (did you mean cosine_decay?)"),
    ("", "value should be one of"),
])
def test_one_line_errors(value, message):
    assert message in _error(f"--lr_schedule={value}")


def test_factory_without_simple_flags_needs_a_full_spec(monkeypatch):
    monkeypatch.setattr(schedules, "halved", lambda lr: schedules.constant(lr / 2),
                        raising=False)
    monkeypatch.setattr(schedules, "__all__", [*schedules.__all__, "halved"])
    assert "halved has no simple flags: give a full spec, --lr_schedule='halved(...)'" in (
        _error("--lr_schedule=halved"))
    assert _parse("--lr_schedule=halved(0.5)") == schedules.constant(0.25)


def test_simple_name_errors_unchanged():
    assert _error("--lr_schedule=cosine_decay").endswith(
        "--lr_decay_steps is required for this schedule (or, to decay over the run's "
        "--train_steps, a full spec: --lr_schedule='cosine_decay(...)' with "
        "decay_steps=train_steps)")
    assert _error("--lr_schedule=exponential_decay", "--lr_decay_rate=0.5").endswith(
        "--lr_decay_steps is required for this schedule")  # a period: no run-length hint
    assert "(set by --lr_decay_steps)" in _error(
        "--lr_schedule=cosine_decay", "--lr_decay_steps=-1")


def _parse_with_length(*args):
    """As `_parse`, on FlagValues that also define a program's --train_steps."""
    fv = flags.FlagValues()
    schedule_flags.define_schedule_flags(fv)
    flags.DEFINE_integer("train_steps", None, "The run's length.", flag_values=fv)
    fv(["prog", *args])
    return schedule_flags.schedule_from_flags(fv.flag_values_dict())


def test_a_template_spec_follows_the_programs_train_steps():
    template = "--lr_schedule=one_cycle(0.2, total_steps=train_steps)"
    assert _parse_with_length(template, "--train_steps=200") == schedules.one_cycle(0.2, 200)
    assert schedule_flags.schedule_from_flags(
        {"lr_schedule": "cosine_decay(0.1, train_steps/2)", "train_steps": 9}) == (
            schedules.cosine_decay(0.1, 5))


def test_a_template_spec_without_train_steps_is_one_line_naming_the_flag():
    for parse in (_parse, _parse_with_length):  # no --train_steps defined, or not given
        with pytest.raises(flags.IllegalFlagValueError) as raised:
            parse("--lr_schedule=one_cycle(0.2, total_steps=train_steps)")
        assert str(raised.value) == (
            "flag --lr_schedule=one_cycle(0.2, total_steps=train_steps): "
            "`total_steps=train_steps` at column 28 needs the run's length: give "
            "--train_steps=N")


# ---------------------------------------------------------------------------- the programs

def _run(module, *args):
    return programs.run(programs.python_module(module, *args), timeout=300)


def test_preview_accepts_a_spec():
    text = "cosine_decay_restarts(0.1, first_decay_steps=10, alpha=0.01)"
    result = _run("lrhooks.preview", f"--lr_schedule={text}", "--steps=40")
    assert result.returncode == 0, result.stderr
    assert f"{spec_lib.from_spec(text)!r} over steps 0..39" in result.stdout


@pytest.mark.slow  # the real trainer
def test_trainer_rejects_a_bad_spec_in_one_line():
    result = _run("models.resnet_mnist.train", "--data_dir=x", "--train_dir=y",
                  "--lr_schedule=cosine_decy(0.1, 10)")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    [line] = [line for line in result.stderr.splitlines() if "cosine_decy" in line]
    assert line == ("FATAL Flags parsing error: flag --lr_schedule=cosine_decy(0.1, 10): "
                    "unknown schedule 'cosine_decy' at column 1 (did you mean cosine_decay?)")
    assert not (REPO_ROOT / "y").exists()
