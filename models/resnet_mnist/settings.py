"""Settings as data: a dataclass field declares its command-line flag once.

A field made with `setting(default, help, ...)` is one row of the table of the programs'
settings: its name, type (from the default, or `kind`), default, help, choices or bounds,
and whether train_config.json records it. From those rows `define_flags` defines the absl
flags, `from_flags` fills the dataclass from parsed flag values and `recorded` gives what
train_config.json holds. Adding a setting is one field plus its use:

    @dataclasses.dataclass(frozen=True)
    class Example:
        steps: int = setting(100, "Train this many steps.", lower=1)

TensorFlow-free (absl only), so that `--help` never loads TensorFlow.
"""

import dataclasses
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from absl import flags

_KEY = "setting"
_RECORDED = "recorded"
KINDS = ("string", "integer", "float", "bool", "enum", "list")


@dataclasses.dataclass(frozen=True)
class Flag:
    """How a dataclass field appears on the command line (see `setting`)."""

    help: str
    default: Any = None
    flag: Optional[str] = None
    kind: Optional[str] = None
    choices: Optional[Tuple[str, ...]] = None
    lower: Optional[float] = None
    upper: Optional[float] = None
    recorded: bool = True
    parse: Optional[Callable[[Any], Any]] = None
    invalid: str = ""


def setting(default: Any, help: str, *, flag: Optional[str] = None,  # pylint: disable=redefined-builtin
            kind: Optional[str] = None, choices: Optional[Sequence[str]] = None,
            lower: Optional[float] = None, upper: Optional[float] = None,
            recorded: bool = True, required: bool = False,
            parse: Optional[Callable[[Any], Any]] = None, invalid: str = "") -> Any:
    """A dataclass field that is also a flag.

    Args:
      default: The field's default and the flag's (a tuple: a comma-separated list flag).
      help: The flag's help text.
      flag: The flag's name (default: the field's).
      kind: One of `KINDS`; default: from `default` (bool, int, float, tuple, str; a str
        with `choices` is an enum). Needed where `default` is None.
      choices: The allowed values of an enum.
      lower: The least value of a number (absl's `lower_bound`).
      upper: The greatest value of a number (absl's `upper_bound`).
      recorded: Whether train_config.json records the field.
      required: The field has no default (the flag's default is still `default`).
      parse: The flag's value -> the field's, None for a value it refuses.
      invalid: The one-line message for a value `parse` refuses.

    Returns:
      A `dataclasses.field` carrying the flag in its metadata.
    """
    if kind is None:
        kind = _kind_of(default, choices)
    if kind not in KINDS:
        raise ValueError(f"`kind` must be one of {', '.join(KINDS)}, got {kind!r}")
    if kind == "enum" and not choices:
        raise ValueError("`choices` must name the allowed values of an enum setting")
    row = Flag(help, default, flag, kind, None if choices is None else tuple(choices), lower,
               upper, recorded, parse, invalid)
    metadata = {_KEY: row, _RECORDED: recorded}
    if required:
        return dataclasses.field(metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def unrecorded(default: Any) -> Any:
    """A field that is no flag and that train_config.json does not record."""
    return dataclasses.field(default=default, metadata={_RECORDED: False})


def _kind_of(default: Any, choices: Optional[Sequence[str]]) -> str:
    if isinstance(default, bool):
        return "bool"
    if isinstance(default, int):
        return "integer"
    if isinstance(default, float):
        return "float"
    if isinstance(default, (tuple, list)):
        return "list"
    if choices:
        return "enum"
    if default is None or isinstance(default, str):
        return "string"
    raise ValueError(f"`default` {default!r} has no flag kind: pass `kind`")


def rows(cls: type) -> List[Tuple[str, dataclasses.Field, Flag]]:
    """(flag name, field, its `Flag`) of every field of `cls` that is a flag, in order."""
    return [(field.metadata[_KEY].flag or field.name, field, field.metadata[_KEY])
            for field in dataclasses.fields(cls) if _KEY in field.metadata]


def flag_names(cls: type) -> Tuple[str, ...]:
    """The names of the flags of `cls`'s fields."""
    return tuple(name for name, _, _ in rows(cls))


def define_flags(cls: type, flag_values: flags.FlagValues) -> List[str]:
    """Defines the flags of `cls`'s fields in `flag_values`; returns their names."""
    defined = []
    for name, _, row in rows(cls):
        default = row.default
        bounds = {"lower_bound": row.lower, "upper_bound": row.upper}
        if row.kind == "string":
            flags.DEFINE_string(name, default, row.help, flag_values=flag_values)
        elif row.kind == "integer":
            flags.DEFINE_integer(name, default, row.help, flag_values=flag_values, **bounds)
        elif row.kind == "float":
            flags.DEFINE_float(name, default, row.help, flag_values=flag_values, **bounds)
        elif row.kind == "bool":
            flags.DEFINE_bool(name, default, row.help, flag_values=flag_values)
        elif row.kind == "enum":
            flags.DEFINE_enum(name, default, row.choices, row.help, flag_values=flag_values)
        else:
            flags.DEFINE_list(name, [str(v) for v in default or ()], row.help,
                              flag_values=flag_values)
        if row.parse is not None:
            flags.register_validator(name, lambda value, parse=row.parse: parse(value)
                                     is not None, message=row.invalid or f"bad --{name}",
                                     flag_values=flag_values)
        defined.append(name)
    return defined


def from_flags(cls: type, values: Dict[str, Any]) -> Dict[str, Any]:
    """{field name: value} of `cls`'s flag fields, from parsed flag values (`parse` applied;
    a list flag becomes a tuple)."""
    fields = {}
    for name, field, row in rows(cls):
        value = values[name]
        if row.parse is not None:
            value = row.parse(value)
        elif row.kind == "list":
            value = tuple(value)
        fields[field.name] = value
    return fields


def recorded(instance: Any) -> Dict[str, Any]:
    """{field name: value} of the fields of a dataclass instance that train_config.json
    records (nested dataclasses as dicts)."""
    return {field.name: _plain(getattr(instance, field.name))
            for field in dataclasses.fields(instance) if field.metadata.get(_RECORDED, True)}


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return value
