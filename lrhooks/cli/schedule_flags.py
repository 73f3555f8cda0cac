"""absl flags for choosing a schedule: one definition for every program.

The trainer (`models.resnet_mnist.train`) and the preview (`lrhooks.preview`)
both call `define_schedule_flags()` and then turn the parsed values into a
schedule with `schedule_from_flags(FLAGS.flag_values_dict())`. Library code
never reads `FLAGS`: it gets a plain mapping.

Flags (all prefixed `lr`):

  --lr_schedule        one of SCHEDULE_NAMES, its arguments from the flags below; or a full
                       spec with '(' (`lrhooks.spec`), e.g.
                       'warmup(cosine_decay(0.1, decay_steps=10000), warmup_steps=500)',
                       and then the flags below must stay at their defaults
  --learning_rate      the initial / constant rate
  --lr_boundaries      piecewise_constant boundaries (comma-separated ints)
  --lr_values          piecewise_constant values (comma-separated floats)
  --lr_decay_steps     decay_steps (first_decay_steps for cosine_decay_restarts)
  --lr_decay_rate, --lr_staircase, --lr_end_learning_rate, --lr_power,
  --lr_cycle, --lr_alpha, --lr_beta, --lr_num_periods, --lr_t_mul, --lr_m_mul

A full spec may use the run's length, `train_steps` (a template, `lrhooks.spec`):
`--lr_schedule='one_cycle(0.2, total_steps=train_steps)'` follows the program's
`--train_steps` (the flag values' `train_steps`), and is an error without it.

A bad combination fails when the flags are parsed (a validator), with a
one-line message naming the flag.
"""

import difflib
import re
from typing import Any, Dict, Iterable, Mapping, Sequence

from absl import flags

from lrhooks import schedules
from lrhooks import spec as spec_lib

# Schedule name -> {factory argument: flag name}.
_ARGUMENTS: Dict[str, Dict[str, str]] = {
    "constant": {"learning_rate": "learning_rate"},
    "piecewise_constant": {"boundaries": "lr_boundaries", "values": "lr_values"},
    "exponential_decay": {"learning_rate": "learning_rate", "decay_steps": "lr_decay_steps",
                          "decay_rate": "lr_decay_rate", "staircase": "lr_staircase"},
    "inverse_time_decay": {"learning_rate": "learning_rate", "decay_steps": "lr_decay_steps",
                           "decay_rate": "lr_decay_rate", "staircase": "lr_staircase"},
    "natural_exp_decay": {"learning_rate": "learning_rate", "decay_steps": "lr_decay_steps",
                          "decay_rate": "lr_decay_rate", "staircase": "lr_staircase"},
    "polynomial_decay": {"learning_rate": "learning_rate", "decay_steps": "lr_decay_steps",
                         "end_learning_rate": "lr_end_learning_rate", "power": "lr_power",
                         "cycle": "lr_cycle"},
    "cosine_decay": {"learning_rate": "learning_rate", "decay_steps": "lr_decay_steps",
                     "alpha": "lr_alpha"},
    "cosine_decay_restarts": {"learning_rate": "learning_rate",
                              "first_decay_steps": "lr_decay_steps", "t_mul": "lr_t_mul",
                              "m_mul": "lr_m_mul", "alpha": "lr_alpha"},
    "linear_cosine_decay": {"learning_rate": "learning_rate", "decay_steps": "lr_decay_steps",
                            "num_periods": "lr_num_periods", "alpha": "lr_alpha",
                            "beta": "lr_beta"},
}

SCHEDULE_NAMES = tuple(_ARGUMENTS)
FLAG_NAMES = ("lr_schedule", "learning_rate", "lr_boundaries", "lr_values", "lr_decay_steps",
              "lr_decay_rate", "lr_staircase", "lr_end_learning_rate", "lr_power", "lr_cycle",
              "lr_alpha", "lr_beta", "lr_num_periods", "lr_t_mul", "lr_m_mul")


# The other schedule flags' defaults: a full --lr_schedule spec needs them left alone.
_DEFAULTS: Dict[str, Any] = {
    "learning_rate": 0.1, "lr_boundaries": [], "lr_values": [], "lr_decay_steps": None,
    "lr_decay_rate": None, "lr_staircase": False, "lr_end_learning_rate": 0.0001,
    "lr_power": 1.0, "lr_cycle": False, "lr_alpha": 0.0, "lr_beta": 0.001,
    "lr_num_periods": 0.5, "lr_t_mul": 2.0, "lr_m_mul": 1.0}
_EXAMPLE_SPEC = "cosine_decay(0.1, decay_steps=10000)"
RUN_LENGTH_FLAG = "train_steps"  # a program's length flag, what `train_steps` in a spec means
# Named schedules whose --lr_decay_steps is where they end (the others': a period).
_DECAY_TO_END = ("polynomial_decay", "cosine_decay", "linear_cosine_decay")



def flag_name(arg: str) -> str:
    """The flag a command-line argument names: `--lr_schedule=x` -> `lr_schedule`."""
    return arg.lstrip("-").split("=", 1)[0]


def full_spec_given(args: Sequence[str]) -> bool:
    """Whether `args` (a command line) set `--lr_schedule` to a full spec (`name(...)`)."""
    for i, arg in enumerate(args):
        if arg.startswith("-") and flag_name(arg) == "lr_schedule":
            value = arg.split("=", 1)[1] if "=" in arg else (args[i + 1:i + 2] or [""])[0]
            if "(" in value:
                return True
    return False


def define_schedule_flags(flag_values: flags.FlagValues = flags.FLAGS,
                          default_schedule: str = "piecewise_constant") -> None:
    """Defines the schedule flags on `flag_values`, with a parse-time validator."""
    fv, d = flag_values, _DEFAULTS
    flags.DEFINE_string(
        "lr_schedule", default_schedule,
        f"Learning-rate schedule: one of {', '.join(SCHEDULE_NAMES)} (arguments from the other "
        "lr flags), or a full spec (lrhooks.spec) such as 'warmup(cosine_decay(0.1, "
        "decay_steps=10000), warmup_steps=500)' with the other lr flags left unset.",
        flag_values=fv)
    flags.DEFINE_float("learning_rate", d["learning_rate"],
                       "Initial (or constant) learning rate.", flag_values=fv)
    flags.DEFINE_list("lr_boundaries", d["lr_boundaries"], "piecewise_constant: step "
                      "boundaries.", flag_values=fv)
    flags.DEFINE_list("lr_values", d["lr_values"], "piecewise_constant: one more rate than "
                      "boundaries.", flag_values=fv)
    flags.DEFINE_float("lr_decay_steps", d["lr_decay_steps"],
                       "decay_steps (first_decay_steps for cosine_decay_restarts).",
                       flag_values=fv)
    flags.DEFINE_float("lr_decay_rate", d["lr_decay_rate"],
                       "exponential/inverse_time/natural_exp: rate.", flag_values=fv)
    flags.DEFINE_bool("lr_staircase", d["lr_staircase"], "Decay in discrete steps.",
                      flag_values=fv)
    flags.DEFINE_float("lr_end_learning_rate", d["lr_end_learning_rate"],
                       "polynomial_decay: final rate.", flag_values=fv)
    flags.DEFINE_float("lr_power", d["lr_power"], "polynomial_decay: power.", flag_values=fv)
    flags.DEFINE_bool("lr_cycle", d["lr_cycle"], "polynomial_decay: cycle.", flag_values=fv)
    flags.DEFINE_float("lr_alpha", d["lr_alpha"],
                       "cosine decays: minimum as a fraction of the rate.", flag_values=fv)
    flags.DEFINE_float("lr_beta", d["lr_beta"], "linear_cosine_decay: beta.", flag_values=fv)
    flags.DEFINE_float("lr_num_periods", d["lr_num_periods"], "linear_cosine_decay: periods.",
                       flag_values=fv)
    flags.DEFINE_float("lr_t_mul", d["lr_t_mul"], "cosine_decay_restarts: period multiplier.",
                       flag_values=fv)
    flags.DEFINE_float("lr_m_mul", d["lr_m_mul"], "cosine_decay_restarts: rate multiplier.",
                       flag_values=fv)

    def check(unused_schedule: str) -> bool:
        # Registered on --lr_schedule alone so that the message stays one short line;
        # absl runs validators after every flag (flagfile included) is parsed.
        values = {name: fv[name].value for name in FLAG_NAMES}
        if RUN_LENGTH_FLAG in fv:  # the program's --train_steps: templates resolve with it
            values[RUN_LENGTH_FLAG] = fv[RUN_LENGTH_FLAG].value
        schedule_from_flags(values, explicit=[name for name in _DEFAULTS if fv[name].present])
        return True

    flags.register_validator("lr_schedule", check, flag_values=fv)


def _number(text: str, flag: str, kind):
    try:
        return kind(text)
    except ValueError:
        raise flags.ValidationError(
            f"--{flag}: {text!r} is not a{'n integer' if kind is int else ' number'}") from None


def _steps(value: float) -> Any:
    return int(value) if value is not None and float(value).is_integer() else value


def _from_spec(text: str, values: Mapping[str, Any], explicit: Iterable[str]):
    """The schedule of a full `--lr_schedule` spec; the other flags must be unset.

    A mistake in the spec itself is reported first (it is what was just typed), then other
    schedule flags that are set, e.g. by a flagfile the spec was meant to override.
    """
    explicit = set(explicit)
    train_steps = values.get(RUN_LENGTH_FLAG)
    try:
        schedule = spec_lib.from_spec(text, train_steps=train_steps)
    except spec_lib.SpecError as error:
        head, template, _ = str(error).partition(" needs the run's length")
        if template:
            raise flags.ValidationError(f"{head} needs the run's length: give "
                                        f"--{RUN_LENGTH_FLAG}=N") from None
        raise flags.ValidationError(str(error)) from None
    clashes = [f"--{name}" for name, default in _DEFAULTS.items()
               if name in explicit or values.get(name, default) != default]
    if clashes:
        raise flags.ValidationError(
            f"{', '.join(clashes)} cannot be combined with a full --lr_schedule spec "
            "(give every argument in the spec and leave these flags out, of a flagfile too: "
            "a flagfile that sets them needs a copy without them)")
    return schedule


def _unknown_name(name: str) -> flags.ValidationError:
    if name in spec_lib.factories():
        return flags.ValidationError(
            f"{name} has no simple flags: give a full spec, --lr_schedule='{name}(...)'")
    close = difflib.get_close_matches(name, SCHEDULE_NAMES, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return flags.ValidationError(
        f"value should be one of {'|'.join(SCHEDULE_NAMES)}, or a full spec such as "
        f"'{_EXAMPLE_SPEC}'; got {name!r}{hint}")


def schedule_from_flags(values: Mapping[str, Any],
                        explicit: Iterable[str] = ()) -> schedules.Schedule:
    """Builds the schedule the flag values describe.

    Args:
      values: Flag name -> value (e.g. `FLAGS.flag_values_dict()`); its `train_steps`, if
        any, resolves a template spec (`lrhooks.spec.resolve`).
      explicit: Names of the flags given on the command line (or in a flagfile): with a full
        `--lr_schedule` spec these are errors even when they repeat the default.

    Raises:
      flags.ValidationError: A one-line message naming the flag at fault, or a `lrhooks.spec`
        message with the column of the problem in a full spec.
    """
    name = values["lr_schedule"]
    if not isinstance(name, str):
        raise flags.ValidationError(f"must be a string, got {name!r}")
    if "(" in name:
        return _from_spec(name, values, explicit)
    if name not in _ARGUMENTS:
        raise _unknown_name(name)
    kwargs = {}
    for argument, flag in _ARGUMENTS[name].items():
        value = values[flag]
        if flag == "lr_boundaries":
            value = [_number(v, flag, int) for v in value]
        elif flag == "lr_values":
            value = [_number(v, flag, float) for v in value]
            if not value:
                raise flags.ValidationError("--lr_values is required for this schedule")
        elif flag == "lr_decay_steps":
            value = _steps(value)
        if value is None:
            hint = (f" (or, to decay over the run's --{RUN_LENGTH_FLAG}, a full spec: "
                    f"--lr_schedule='{name}(...)' with {argument}=train_steps)"
                    if flag == "lr_decay_steps" and name in _DECAY_TO_END else "")
            raise flags.ValidationError(f"--{flag} is required for this schedule{hint}")
        kwargs[argument] = value
    try:
        return getattr(schedules, name)(**kwargs)
    except (TypeError, ValueError) as error:
        match = re.search(r"`(\w+)`", str(error))
        flag = _ARGUMENTS[name].get(match.group(1)) if match else None
        where = f" (set by --{flag})" if flag else ""
        raise flags.ValidationError(f"{error}{where}") from None
