"""A small language for schedules: one string, e.g. for a command-line flag.

A spec is a Python-like call of a factory in `lrhooks.schedules`:

    cosine_decay(0.1, decay_steps=10000)
    piecewise_constant([1000, 2000], [0.1, 0.01, 0.001])
    warmup(cosine_decay(0.1, decay_steps=10000), warmup_steps=500)

Grammar (parsed with `ast`, never evaluated by Python):

    spec      := call
    call      := FACTORY "(" [arg ("," arg)* [","]] ")"
    arg       := value | NAME "=" value        (positional before keyword)
    value     := call | number | "-" number | True | False | None | string
               | "[" [value ("," value)* [","]] "]" | "(" [value ("," value)* [","]] ")"
    number    := an int or float literal (1000, 0.1, 1e-3, 1_000)
    steps     := term | term "+" number | term "-" number
    term      := "train_steps" | term "*" number | number "*" term | term "/" number
                                                  (factors and divisors > 0)

`steps`, the run's length, stands in for a step-count argument (one whose name
says steps: `decay_steps`, `total_steps`, `num_decay_steps`, `t_max`,
`boundaries`, ...; see `STEP_ARGUMENTS` and `lrhooks._spec_run_length`), as the
argument or an element of a list of them: `one_cycle(0.2, total_steps=train_steps)`,
`warmup_stable_decay(0.1, num_warmup_steps=100, num_stable_steps=train_steps*0.8-100,
num_decay_steps=train_steps*0.2)`. A spec that uses it is a *template*: it builds
only with the run's length (`resolve(text, train_steps=N)`, or `from_spec(text,
train_steps=N)`), each expression computed exactly (`0.1` is 1/10) and rounded to
the nearest integer, halves up, before the factory checks it like any other
value. `spec()` of the result prints the numbers; keep the template's text to
record it.

`FACTORY` is any public factory of `lrhooks.schedules`: a callable in its
`__all__` with a lower_case name, looked up when a spec is parsed (so newly
added factories work as they appear). Anything else (attributes, other names,
operators, lambdas, comprehensions, `*args`, `**kwargs`) is a `SpecError`.

`spec(schedule)` is the canonical text (the schedule's repr), and
`from_spec(spec(s)) == s` for every built-in schedule, nested ones included. A
stateful schedule (`reduce_lr_on_plateau(...)`), alone or inside a composition
(`product([reduce_lr_on_plateau(0.1), cosine_decay(1.0, 1000)])`), is its
configuration: the spec builds it fresh, with no reports, and
`spec(from_spec(spec(s))) == spec(s)`.
"""

import ast
import dataclasses
import difflib
import inspect
import re
import warnings
from typing import Any, Callable, Dict, List, Optional

from lrhooks import checks
from lrhooks import schedules
from lrhooks import _spec_run_length as run_length_lib

__all__ = ["SpecError", "from_spec", "spec", "factories", "is_template", "resolve",
           "RUN_LENGTH", "STEP_ARGUMENTS"]

RUN_LENGTH = run_length_lib.RUN_LENGTH
STEP_ARGUMENTS = run_length_lib.STEP_ARGUMENTS
is_step_argument = run_length_lib.is_step_argument

_FACTORY_NAME = re.compile(r"[a-z][a-z0-9_]*\Z")
_ALLOWED = "allowed: numbers, strings, True/False/None, lists, tuples, schedule calls"
_EXCERPT = 24  # characters of context shown in a message


class SpecError(ValueError):
    """A schedule spec that cannot be parsed or built; the message is one line.

    Attributes:
      column: The 1-based column of the problem (None if not known).
      line: The 1-based line of the problem (None if not known).
    """

    def __init__(self, message: str, line: Optional[int] = None,
                 column: Optional[int] = None):
        super().__init__(" ".join(message.split()))  # one line, whatever it quotes
        self.line = line
        self.column = column


def factories() -> Dict[str, Callable[..., Any]]:
    """The public schedule factories of `lrhooks.schedules`, by name (looked up now)."""
    found = {}
    for name in getattr(schedules, "__all__", ()):
        value = getattr(schedules, name, None)
        if _FACTORY_NAME.match(name) and callable(value) and not isinstance(value, type):
            found[name] = value
    return found


def _suggest(word: str, choices) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


def _where(line: int, column: int, multiline: bool) -> str:
    """'column C' (or 'line L, column C' in a multi-line spec), both 1-based."""
    return f"line {line}, column {column}" if multiline else f"column {column}"


def _excerpt(text: str, limit: int = _EXCERPT) -> str:
    """`text` quoted (escaped, on one line), cut to about `limit` characters."""
    return repr(text if len(text) <= limit else text[:limit - 3] + "...")


class _Builder:
    """Turns the `ast` of one spec into a schedule; knows the text for positions."""

    def __init__(self, text: str, train_steps: Optional[int] = None):
        self.text = text
        self.lines = text.split("\n")
        self.factories = factories()
        self.train_steps = train_steps
        self.resolved: List[str] = []  # "name=expression = value" of the call being built

    # ------------------------------------------------------------- positions
    def node_column(self, node: ast.AST) -> int:
        """The 1-based character column of `node` (ast counts UTF-8 bytes)."""
        line = self.lines[node.lineno - 1] if node.lineno <= len(self.lines) else ""
        prefix = line.encode("utf-8", "surrogatepass")[:node.col_offset]
        return len(prefix.decode("utf-8", "ignore")) + 1

    def at(self, node: ast.AST) -> str:
        return _where(node.lineno, self.node_column(node), len(self.lines) > 1)

    def error(self, node: ast.AST, message: str) -> SpecError:
        return SpecError(message, node.lineno, self.node_column(node))

    def source(self, node: ast.AST) -> str:
        try:
            return ast.get_source_segment(self.text, node) or type(node).__name__
        except (IndexError, UnicodeError):  # positions are off (odd whitespace): no excerpt
            return type(node).__name__

    # ------------------------------------------------------------- values
    def value(self, node: ast.AST, argument: Optional[str] = None) -> Any:
        """Evaluates an allowed node (`argument`: the factory argument it is part of)."""
        if run_length_lib.mentions_run_length(node):
            return self.run_length(node, argument)
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.Constant) and (node.value is None or type(node.value) in (
                bool, int, float, str)):
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            operand = node.operand
            if isinstance(operand, ast.Constant) and type(operand.value) in (int, float):
                return -operand.value
            raise self.error(node, f"'-' at {self.at(node)} must be followed by a number, got "
                             f"{_excerpt(self.source(operand))}")
        if isinstance(node, (ast.List, ast.Tuple)):
            items = [self.value(item, argument) for item in node.elts]
            return items if isinstance(node, ast.List) else tuple(items)
        if isinstance(node, ast.Name):
            name = node.id
            if name in self.factories:
                raise self.error(node, f"schedule {name!r} at {self.at(node)} needs its "
                                 f"arguments: {name}(...)")
            hint = {"true": "True", "false": "False", "none": "None", "null": "None"}.get(
                name.lower())
            raise self.error(node, f"unknown name {name!r} at {self.at(node)}"
                             f"{f' (did you mean {hint}?)' if hint else ''} (strings need "
                             f"quotes; {_ALLOWED})")
        raise self.error(node, f"unsupported {_excerpt(self.source(node))} at "
                         f"{self.at(node)} ({_ALLOWED})")

    # ------------------------------------------------------------- calls
    def call(self, node: ast.Call) -> Any:
        if not isinstance(node.func, ast.Name):
            raise self.error(node.func, f"unsupported call of {_excerpt(self.source(node.func))}"
                             f" at {self.at(node.func)} (only schedules can be called: "
                             f"{', '.join(sorted(self.factories))})")
        name = node.func.id
        factory = self.factories.get(name)
        if factory is None:
            hint = _suggest(name, self.factories) or (
                f" (schedules: {', '.join(sorted(self.factories))})")
            raise self.error(node, f"unknown schedule {name!r} at {self.at(node)}{hint}")
        outer, self.resolved = self.resolved, []
        try:
            return self.build(node, name, factory)
        finally:
            self.resolved = outer

    def build(self, node: ast.Call, name: str, factory) -> Any:
        """Evaluates the arguments of `name(...)` and calls its factory."""
        positional = _positional_names(factory)
        args = [self.value(arg, positional[i] if i < len(positional) else None)
                for i, arg in enumerate(node.args)]  # `*args` is unsupported there
        kwargs: Dict[str, Any] = {}
        for keyword in node.keywords:
            if keyword.arg is None:
                raise self.error(keyword, f"unsupported '**' at {self.at(keyword)} "
                                 f"({_ALLOWED})")
            if keyword.arg in kwargs:
                raise self.error(keyword, f"{name}() got keyword argument {keyword.arg!r} "
                                 f"twice, at {self.at(keyword)}")
            kwargs[keyword.arg] = self.value(keyword.value, keyword.arg)
        self.check_arguments(node, name, factory, args, kwargs)
        try:
            return factory(*args, **kwargs)
        except Exception as error:  # pylint: disable=broad-except  (a factory's own check)
            kind = "" if isinstance(error, (TypeError, ValueError)) else (
                type(error).__name__ + ": ")
            used = (f" (with train_steps={self.train_steps}: {', '.join(self.resolved)})"
                    if self.resolved else "")
            raise self.error(node, f"in {name}(...) at {self.at(node)}: {kind}{error}"
                             f"{used}") from None

    # ------------------------------------------------------------- the run's length
    def run_length(self, node: ast.AST, argument: Optional[str]) -> int:
        """The value of a `steps` expression (see the grammar) for this run's length."""
        text = self.source(node)
        if argument is None or not is_step_argument(argument):
            what = f"`{argument}`" if argument else "this position"
            raise self.error(node, f"{_excerpt(text)} at {self.at(node)}: the run's length "
                             f"`train_steps` can only be a step count (an argument such as "
                             f"decay_steps or total_steps), not {what}")
        scale, shift = run_length_lib.linear_form(node, self.source, lambda reason: self.error(
            node, f"{_excerpt(text)} at {self.at(node)}: {reason} (allowed: "
                  f"{run_length_lib.FORMS})"))
        if self.train_steps is None:
            raise self.error(node, f"`{argument}={text}` at {self.at(node)} needs the run's "
                             "length: this spec is a template, resolve it with train_steps=N "
                             "(the programs' --train_steps)")
        value = run_length_lib.rounded(scale, shift, self.train_steps)
        self.resolved.append(f"{argument}={text} = {value}")
        return value

    def check_arguments(self, node: ast.Call, name: str, factory, args: List[Any],
                        kwargs: Dict[str, Any]) -> None:
        """Matches the arguments to the factory's signature, with friendly messages."""
        try:
            signature = inspect.signature(factory)
        except (TypeError, ValueError):  # no signature to check against: the call tells
            return
        params = signature.parameters
        if not any(p.kind is p.VAR_KEYWORD for p in params.values()):
            names = [p for p, v in params.items()
                     if v.kind in (v.POSITIONAL_OR_KEYWORD, v.KEYWORD_ONLY)]
            for keyword in node.keywords:
                if keyword.arg not in names:
                    raise self.error(
                        keyword, f"{name}() got an unexpected keyword argument "
                        f"{keyword.arg!r}{_suggest(keyword.arg, names)} at {self.at(keyword)}"
                        f"; its arguments: {', '.join(names)}")
        try:
            signature.bind(*args, **kwargs)
        except TypeError as error:
            plain = signature.replace(return_annotation=signature.empty, parameters=[
                p.replace(annotation=p.empty) for p in params.values()])
            missing = re.search(r"missing a required argument: '(\w+)'", str(error))
            hint = (f" (write {missing.group(1)}=train_steps to follow the run's length)"
                    if missing and is_step_argument(missing.group(1)) else "")
            raise self.error(node, f"{name}() {error} at {self.at(node)}; its signature: "
                             f"{name}{plain}{hint}") from None


def _positional_names(factory) -> List[str]:
    """The names of `factory`'s parameters that positional arguments fill, in order."""
    try:
        params = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def _before(source: str, offset: int) -> str:
    """' (after '...text')': the text before 1-based `offset` on its line, if any."""
    before = source[:offset - 1].rstrip()
    before = before if len(before) <= _EXCERPT else "..." + before[-(_EXCERPT - 3):]
    return f" (after {before!r})" if before else ""


def _syntax_error(text: str, error: SyntaxError) -> SpecError:
    """A one-line SpecError for Python's SyntaxError on `text` (positions in `text`)."""
    message = (error.msg or "invalid syntax").split(" (detected at")[0]
    lines = text.split("\n")
    line, offset = error.lineno, error.offset
    if not line or not offset:
        return SpecError(message)
    line = min(line, len(lines))
    source = lines[line - 1]
    where = _where(line, offset, len(lines) > 1)
    if message.startswith("unmatched "):  # unmatched ')'
        message = "unexpected " + message[len("unmatched "):]
    elif message.endswith(" was never closed"):
        return SpecError(f"{message[:-len(' was never closed')]} at {where} was never closed",
                         line, offset)
    elif message.startswith("expression cannot contain assignment"):
        message = "invalid keyword argument (only a plain name can come before '=')"
    elif message.startswith("invalid syntax"):
        end = error.end_offset if error.end_offset and error.end_offset > offset else offset + 1
        token = source[offset - 1:end - 1]
        if not token.strip():
            return SpecError(f"unexpected end of spec at {where}{_before(source, offset)}",
                             line, offset)
        message = (f"missing a comma in {_excerpt(token)}" if "comma" in message
                   else f"unexpected {_excerpt(token)}")
    return SpecError(f"{message} at {where}{_before(source, offset)}", line, offset)


def _parse(text: str) -> ast.Expression:
    """`ast.parse(text, mode='eval')`, allowing leading whitespace; SpecError on failure."""
    body = text.lstrip()
    lead = text[:len(text) - len(body)]
    line_shift = lead.count("\n")
    column_shift = len(lead) - (lead.rfind("\n") + 1)  # spaces/tabs before the spec's start
    try:
        with warnings.catch_warnings():  # e.g. SyntaxWarning for '1if': no stderr noise
            warnings.simplefilter("ignore")
            tree = ast.parse(body, mode="eval")
    except SyntaxError as error:
        if error.lineno:
            if error.lineno == 1 and error.offset:
                error.offset += column_shift
                error.end_offset = (error.end_offset or 0) + column_shift
            error.lineno += line_shift
        raise _syntax_error(text, error) from None
    except (ValueError, MemoryError, RecursionError) as error:  # NUL, surrogates, depth
        reason = ("it is nested too deeply" if isinstance(error, (MemoryError, RecursionError))
                  else str(error))
        raise SpecError(f"cannot parse the schedule spec: {reason}") from None
    shift = len(lead[lead.rfind("\n") + 1:].encode("utf-8"))  # ast counts UTF-8 bytes
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) == 1:
            node.col_offset += shift
        if getattr(node, "end_lineno", None) == 1:
            node.end_col_offset += shift
    ast.increment_lineno(tree, line_shift)
    return tree


def from_spec(text: str, train_steps: Optional[int] = None) -> schedules.Schedule:
    """Parses and builds the schedule a spec describes.

    Args:
      text: A spec such as `warmup(cosine_decay(0.1, decay_steps=10000), warmup_steps=500)`
        (see the module docstring for the grammar).
      train_steps: The run's length, for a template (a spec using `train_steps`); a
        template without it is a SpecError. Ignored by a spec that does not use it.

    Returns:
      The schedule, built (and so validated) by its factory.

    Raises:
      SpecError: A one-line message with the column of the problem, e.g.
        `unknown schedule 'cosine_decy' at column 1 (did you mean cosine_decay?)`.
    """
    if not isinstance(text, str):
        raise SpecError(f"a schedule spec must be a string, got {type(text).__name__}")
    if not text.strip():
        raise SpecError("empty schedule spec (expected e.g. cosine_decay(0.1, decay_steps=1000))")
    if train_steps is not None:
        try:
            train_steps = checks.positive_count("train_steps", train_steps)
        except (TypeError, ValueError) as error:
            raise SpecError(str(error)) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # Python's line breaks, as \n
    body = _parse(text).body
    builder = _Builder(text, train_steps)
    try:
        if not isinstance(body, ast.Call):
            builder.value(body)  # reports a bad part first
            raise builder.error(body, f"expected a schedule such as cosine_decay(0.1, "
                                f"decay_steps=1000), got {_excerpt(builder.source(body))} at "
                                f"{builder.at(body)}")
        schedule = builder.call(body)
    except RecursionError:
        raise SpecError("cannot parse the schedule spec: it is nested too deeply") from None
    if not isinstance(schedule, schedules.Schedule):
        raise builder.error(body, f"{body.func.id}(...) at {builder.at(body)} is not a "
                            f"schedule (it returned a {type(schedule).__name__})")
    return schedule


def is_template(text: str) -> bool:
    """Whether the spec `text` uses the run's length `train_steps` (it needs `resolve`).

    Raises:
      SpecError: `text` does not parse.
    """
    if not isinstance(text, str) or "(" not in text:
        return False
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return any(isinstance(node, ast.Name) and node.id == RUN_LENGTH
               for node in ast.walk(_parse(text)))


def resolve(text: str, train_steps: int) -> schedules.Schedule:
    """The schedule of a spec for a run of `train_steps` steps (`from_spec` with it).

    Example: `resolve("one_cycle(0.2, total_steps=train_steps)", train_steps=200)` is
    `one_cycle(0.2, total_steps=200)`. A spec without `train_steps` builds as it is.

    Raises:
      SpecError: One line: a bad spec or expression, `train_steps` not an integer > 0, or an
        argument its factory refuses once resolved (naming the expression and its value).
    """
    if train_steps is None:
        raise SpecError("`train_steps` must be an integer > 0, got None")
    return from_spec(text, train_steps=train_steps)


def spec(schedule: schedules.Schedule) -> str:
    """The canonical spec of `schedule`: its repr, checked to parse back to it.

    Args:
      schedule: A schedule built by a factory of `lrhooks.schedules`.

    Returns:
      A string `s` with `from_spec(s) == schedule`, e.g.
      `cosine_decay(learning_rate=0.1, decay_steps=10000, alpha=0.0)`. For a
      `ReduceLROnPlateau`, its configuration `reduce_lr_on_plateau(...)` (a spec builds
      it fresh; its reports live in the program and the checkpoint), also inside a
      composition: `product(schedules=(reduce_lr_on_plateau(...), ...))`.

    Raises:
      TypeError: `schedule` is not a `Schedule`.
      SpecError: The schedule has no spec form (e.g. a custom subclass whose repr is not a
        factory call).
    """
    if not isinstance(schedule, schedules.Schedule):
        raise TypeError(f"expected a Schedule, got {type(schedule).__name__}")
    if schedules.stateful_parts(schedule):  # stateful, or holding one: its configuration
        try:
            text = _configuration(schedule, [])
        except SpecError as error:
            raise SpecError(f"{type(schedule).__name__} has no spec form: {error}") from None
        try:
            same = _configuration(from_spec(text), []) == text
        except SpecError as error:
            raise SpecError(f"{type(schedule).__name__} has no spec form: {error}") from None
        if not same:
            raise SpecError(f"{type(schedule).__name__} has no spec form: {text} builds a "
                            "different schedule")
        return text
    text = repr(schedule)
    try:
        same = from_spec(text) == schedule
    except SpecError as error:
        raise SpecError(f"{type(schedule).__name__} has no spec form: {error}") from None
    if not same:
        raise SpecError(f"{type(schedule).__name__} has no spec form: {text} builds a "
                        "different schedule")
    return text


def _configuration(value: Any, seen: List[Any]) -> str:
    """The spec text of a value, with each stateful schedule as its configuration.

    The schedule's repr, except that a `ReduceLROnPlateau` (also inside a
    composition, at any depth) is its `config_spec()`: the call that builds it
    fresh, without its reports. `seen` collects the stateful schedules met: one
    held twice has no spec form (a spec would build two independent ones).
    """
    if isinstance(value, schedules.ReduceLROnPlateau):
        if any(value is other for other in seen):
            raise SpecError(f"the same {type(value).__name__} is held twice, and a spec "
                            "would build two independent ones: give each place its own")
        seen.append(value)
        return value.config_spec()
    if isinstance(value, schedules.Schedule) and dataclasses.is_dataclass(value):
        return f"{value.factory_name}(" + ", ".join(
            f"{item.name}={_configuration(getattr(value, item.name), seen)}"
            for item in dataclasses.fields(value)) + ")"
    if isinstance(value, tuple):
        items = [_configuration(item, seen) for item in value]
        return f"({items[0]},)" if len(items) == 1 else "(" + ", ".join(items) + ")"
    if isinstance(value, list):
        return "[" + ", ".join(_configuration(item, seen) for item in value) + "]"
    return repr(value)
