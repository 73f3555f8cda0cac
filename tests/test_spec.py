"""Tests for `lrhooks.spec`: the schedule language, its errors, round trips and fuzzing."""

import builtins
import collections.abc
import datetime
import inspect
import typing

import hypothesis
import pytest
from hypothesis import strategies as st

from lrhooks import schedules
from lrhooks import spec as spec_lib
from lrhooks.spec import SpecError, from_spec, spec
from tests.support import programs

FUZZ = hypothesis.settings(max_examples=250, deadline=datetime.timedelta(seconds=10),
                           database=None,
                           suppress_health_check=[hypothesis.HealthCheck.too_slow])


# ---------------------------------------------------------------------------- parsing

@pytest.mark.parametrize("text, expected", [
    ("piecewise_constant([1000, 2000], [0.1, 0.01, 0.001])",
     schedules.piecewise_constant([1000, 2000], [0.1, 0.01, 0.001])),
    ("exponential_decay(learning_rate=0.1, decay_steps=1000, decay_rate=0.96, staircase=True)",
     schedules.exponential_decay(0.1, 1000, 0.96, staircase=True)),
    ("cosine_decay(1e-1, 1_000, alpha=0)", schedules.cosine_decay(0.1, 1000, 0.0)),
    ("  cosine_decay( 0.1 ,\n  decay_steps = 10 , )  \n", schedules.cosine_decay(0.1, 10)),
    ("piecewise_constant((), (5E-3,))", schedules.piecewise_constant((), (0.005,))),
    ("constant(-0.0)", schedules.constant(0.0)),
    ("polynomial_decay(0.1, 100.5, 0, power=2, cycle=False)",
     schedules.polynomial_decay(0.1, 100.5, 0.0, 2.0, False)),
])
def test_parses(text, expected):
    assert from_spec(text) == expected


def test_nested_example():
    if not hasattr(schedules, "warmup"):
        pytest.skip("lrhooks.schedules has no warmup yet")
    text = "warmup(cosine_decay(0.1, decay_steps=10000), warmup_steps=500)"
    schedule = from_spec(text)
    assert schedule == schedules.warmup(schedules.cosine_decay(0.1, decay_steps=10000),
                                        warmup_steps=500)
    assert from_spec(spec(schedule)) == schedule


def test_ints_stay_ints_and_floats_floats():
    assert from_spec("cosine_decay(1, 10)").decay_steps == 10
    assert type(from_spec("cosine_decay(1, 10)").decay_steps) is int
    assert type(from_spec("cosine_decay(1, 10.0)").decay_steps) is float


def test_never_evaluates_python(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("eval/exec must not be used")
    for name in ("eval", "exec"):  # (ast.parse itself calls compile)
        monkeypatch.setattr(builtins, name, forbidden)
    assert from_spec("cosine_decay(0.1, 10)") == schedules.cosine_decay(0.1, 10)
    with pytest.raises(SpecError, match="unsupported call"):
        from_spec("__import__('os').system('echo hacked')")


def test_factories_are_discovered_when_parsing(monkeypatch):
    def halved(learning_rate: float) -> schedules.Schedule:
        return schedules.constant(learning_rate / 2)
    with pytest.raises(SpecError, match="unknown schedule 'halved'"):
        from_spec("halved(0.5)")
    monkeypatch.setattr(schedules, "halved", halved, raising=False)
    monkeypatch.setattr(schedules, "__all__", [*schedules.__all__, "halved"])
    assert "halved" in spec_lib.factories()
    assert from_spec("halved(0.5)") == schedules.constant(0.25)
    assert from_spec("halved(learning_rate=1)") == schedules.constant(0.5)


def test_factories_are_the_lower_case_callables_of_all():
    names = spec_lib.factories()
    assert {"constant", "piecewise_constant", "cosine_decay", "linear_cosine_decay"} <= set(names)
    assert all(name.islower() and not name.startswith("_") for name in names)
    assert "Schedule" not in names and "CosineDecay" not in names


# ---------------------------------------------------------------------------- errors

@pytest.mark.parametrize("text, message, column", [
    ("cosine_decy(0.1, 10)", "unknown schedule 'cosine_decy' at column 1 "
     "(did you mean cosine_decay?)", 1),
    ("cosine_decay(0.1, 100))", "unexpected ')' at column 23 (after 'cosine_decay(0.1, 100)')",
     23),
    ("cosine_decay(0.1, 100", "'(' at column 13 was never closed", 13),
    ("cosine_decay(0.1, decay_step=10)", "cosine_decay() got an unexpected keyword argument "
     "'decay_step' (did you mean decay_steps?) at column 19", 19),
    ("constant(cosine_decay(0.1, decay_steps=-3))", "in cosine_decay(...) at column 10: "
     "`decay_steps` must be an integer > 0 or a finite float > 0, got -3", 10),
    ("cosine_decay(0.1)", "cosine_decay() missing a required argument: 'decay_steps' at "
     "column 1; its signature: cosine_decay(learning_rate, decay_steps, alpha=0.0)", 1),
    ("cosine_decay(0.1, 10, 0.0, 4)", "cosine_decay() too many positional arguments", 1),
    ("cosine_decay(0.1, 10, alpha=0, alpha=0)", "got keyword argument 'alpha' twice", 32),
    ("cosine_decay(0.1, 10, math.pi)", "unsupported 'math.pi' at column 23", 23),
    ("cosine_decay(0.1, steps)", "unknown name 'steps' at column 19", 19),
    ("cosine_decay(0.1, 10, alpha=true)", "unknown name 'true' at column 29 (did you mean "
     "True?)", 29),
    ("cosine_decay(0.1, 5 * 2)", "unsupported '5 * 2' at column 19", 19),
    ("cosine_decay(0.1, --2)", "'-' at column 19 must be followed by a number", 19),
    ("cosine_decay(0.1, -'x')", "'-' at column 19 must be followed by a number", 19),
    ("cosine_decay(lambda: 0.1, 2)", "unsupported 'lambda: 0.1' at column 14", 14),
    ("cosine_decay(0.1, [s for s in 'ab'])", "unsupported \"[s for s in 'ab']\"", 19),
    ("cosine_decay(*[0.1, 2])", "unsupported '*[0.1, 2]' at column 14", 14),
    ("cosine_decay(**{'a': 1})", "unsupported '**' at column 14", 14),
    ("cosine_decay(0.1, {2})", "unsupported '{2}' at column 19", 19),
    ("cosine_decay(0.1, 2j)", "unsupported '2j' at column 19", 19),
    ("cosine_decay(0.1, b'2')", "unsupported \"b'2'\"", 19),
    ("schedules.cosine_decay(0.1, 2)", "unsupported call of 'schedules.cosine_decay'", 1),
    ("CosineDecay(0.1, 2)", "unknown schedule 'CosineDecay'", 1),
    ("_check_step(1)", "unknown schedule '_check_step'", 1),
    ("cosine_decay(0.1, 10)(5)", "unsupported call of 'cosine_decay(0.1, 10)'", 1),
    ("cosine_decay", "schedule 'cosine_decay' at column 1 needs its arguments", 1),
    ("constant(cosine_decay)", "schedule 'cosine_decay' at column 10 needs its arguments", 10),
    ("0.1", "expected a schedule such as cosine_decay(0.1, decay_steps=1000), got '0.1'", 1),
    ("[constant(1)]", "expected a schedule", 1),
    ("cosine_decay(0.1 10)", "missing a comma in '0.1 10' at column 14", 14),
    ("cosine_decay(0.1, 10,,)", "unexpected ',' at column 22", 22),
    ("cosine_decay(0.1, 10) x", "unexpected 'x' at column 23", 23),
    ("cosine_decay(0.1, 10, x=1, 2)", "positional argument follows keyword argument", None),
    ("cosine_decay(0.1, 'ab", "unterminated string literal at column 19", 19),
    ("cosine_decay(0.1,\n x)", "unknown name 'x' at line 2, column 2", 2),
    ("\n  cosine_decay(0.1, x)", "unknown name 'x' at line 2, column 21", 21),
    ("  cosine_decy(1, 2)", "unknown schedule 'cosine_decy' at column 3", 3),
    ("cosine_decay('é', x)", "unknown name 'x' at column 19", 19),
    ("polynomial_decay(0.1, 10, cycle=1)", "in polynomial_decay(...) at column 1: `cycle` must "
     "be a bool (True or False), got 1", 1),
    ("cosine_decay(0.1, 1e400)", "got inf", 1),
    ("cosine_decay(0.1, 0x" + "f" * 400 + ")", "OverflowError: int too large", 1),
    ("", "empty schedule spec", None),
    ("cosine_decay(0.1, 10)\0", "null bytes", None),
    ("cosine_decay(" * 250 + ")" * 250, "too many nested parentheses", None),
    ("constant(" + "-" * 100_000 + "1)", "nested too deeply", None),
])
def test_errors(text, message, column):
    with pytest.raises(SpecError) as raised:
        from_spec(text)
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)
    if column is not None:
        assert raised.value.column == column


def test_unknown_schedule_without_a_close_match_lists_the_schedules():
    with pytest.raises(SpecError, match=r"unknown schedule 'zzz' at column 1 \(schedules: "
                                        r"chained_scheduler, constant, constant_lr, "
                                        r"constant_schedule_with_warmup, "):
        from_spec("zzz(1)")


def test_long_excerpts_are_cut():
    with pytest.raises(SpecError) as raised:
        from_spec("cosine_decay(0.1, 10, alpha=1.0)" + " " + "x" * 200)
    assert "x" * 30 not in str(raised.value) and len(str(raised.value)) < 200


def test_spec_error_is_a_value_error():
    assert issubclass(SpecError, ValueError)
    with pytest.raises(SpecError, match="must be a string"):
        from_spec(None)


# ---------------------------------------------------------------------------- spec()

def test_spec_is_the_repr_and_round_trips():
    schedule = schedules.exponential_decay(0.1, 1000, 0.96, staircase=True)
    assert spec(schedule) == ("exponential_decay(learning_rate=0.1, decay_steps=1000, "
                              "decay_rate=0.96, staircase=True)")
    assert from_spec(spec(schedule)) == schedule


def test_spec_rejects_what_has_no_spec():
    class Custom(schedules.Schedule):
        def _value(self, step):
            return 0.0
    with pytest.raises(SpecError, match="Custom has no spec form"):
        spec(Custom())
    with pytest.raises(TypeError):
        spec("cosine_decay(0.1, 10)")


# ---------------------------------------------------------------------------- fuzzing

_RATES = st.one_of(st.floats(0.0, 10.0), st.sampled_from([0, 1, 1e-300, 5e-324, 1e300]))
_STEPS = st.one_of(st.integers(1, 10**12), st.floats(1e-3, 1e9))
_FRACTIONS = st.floats(0.0, 1.0)
_BOUNDARIES = st.lists(st.integers(0, 10**9), unique=True, max_size=6).map(sorted)

BASE_SCHEDULES = st.one_of(
    st.builds(schedules.constant, _RATES),
    _BOUNDARIES.flatmap(lambda b: st.builds(
        schedules.piecewise_constant, st.just(b),
        st.lists(_RATES, min_size=len(b) + 1, max_size=len(b) + 1))),
    *(st.builds(getattr(schedules, name), _RATES, _STEPS, st.floats(0.0, 100.0), st.booleans())
      for name in ("exponential_decay", "inverse_time_decay", "natural_exp_decay")),
    st.builds(schedules.polynomial_decay, _RATES, _STEPS, _RATES, st.floats(0.01, 10.0),
              st.booleans()),
    st.builds(schedules.cosine_decay, _RATES, _STEPS, _FRACTIONS),
    st.builds(schedules.cosine_decay_restarts, _RATES, _STEPS, st.floats(0.01, 10.0),
              _RATES, _FRACTIONS),
    st.builds(schedules.linear_cosine_decay, _RATES, _STEPS, st.floats(0.0, 10.0), _FRACTIONS,
              _FRACTIONS))
_COUNTS = st.integers(1, 10**6)
_N0 = st.integers(0, 10**6)
_SHAPES = st.sampled_from(["linear", "cosine", "1-sqrt"])
_EXPONENTS = st.floats(-3.0, 3.0)
_TIMM = dict(lr_min=_RATES, cycle_mul=st.floats(0.1, 3.0), cycle_decay=_FRACTIONS,
             cycle_limit=st.integers(1, 5), warmup_t=st.integers(0, 100), warmup_lr_init=_RATES,
             warmup_prefix=st.booleans())
# The catalogue of other libraries' schedules, with valid arguments.
CATALOGUE_SCHEDULES = st.one_of(
    st.builds(schedules.inverse_sqrt, _RATES, _N0, st.none() | _COUNTS, _RATES),
    st.builds(schedules.noam, _COUNTS, _COUNTS, _RATES, st.integers(0, 1)),
    st.builds(schedules.rsqrt_decay, _COUNTS),
    st.builds(schedules.t2t_schedule,
              st.lists(st.sampled_from(schedules.T2TSchedule.FACTOR_NAMES), min_size=1,
                       max_size=4).map("*".join),
              _RATES, st.integers(1, 1000), _COUNTS, st.integers(1001, 10**6), _COUNTS,
              _FRACTIONS, st.booleans()),
    st.builds(schedules.warmup_stable_decay, _RATES, _N0, _N0, _N0, _SHAPES, _SHAPES,
              _FRACTIONS, st.floats(0.0, 5.0)),
    st.builds(schedules.linear_schedule_with_warmup, _RATES, _N0, _N0),
    st.builds(schedules.cosine_schedule_with_warmup, _RATES, _N0, _N0, st.floats(0.0, 5.0),
              _FRACTIONS),
    st.builds(schedules.cosine_with_hard_restarts_schedule_with_warmup, _RATES, _N0, _N0,
              st.integers(1, 10)),
    st.builds(schedules.constant_schedule_with_warmup, _RATES, _N0),
    st.builds(schedules.cosine_annealing, _RATES, _STEPS, _RATES),
    st.builds(schedules.cosine_annealing_warm_restarts, _RATES, _COUNTS, st.integers(1, 4),
              _RATES),
    st.builds(schedules.constant_lr, _RATES, _FRACTIONS, _COUNTS),
    st.builds(schedules.linear_lr, _RATES, st.floats(0.01, 1.0), _FRACTIONS, _COUNTS),
    st.builds(schedules.swalr, _RATES, _RATES, _N0, st.sampled_from(["cos", "linear"])),
    st.builds(schedules.optax_exponential_decay, _RATES, _COUNTS, st.floats(0.01, 2.0), _N0,
              st.booleans(), st.none() | _RATES),
    st.builds(schedules.cosine_decay_schedule, _RATES, _COUNTS, _FRACTIONS, st.floats(0, 4)),
    st.builds(schedules.piecewise_interpolate_schedule, st.sampled_from(["linear", "cosine"]),
              _RATES, st.dictionaries(_N0, st.floats(0.0, 2.0), max_size=4)),
    st.builds(schedules.power_and_linear_decay, _RATES, _N0, _EXPONENTS, _FRACTIONS, _N0),
    st.builds(schedules.direct_power_decay, _RATES, _EXPONENTS),
    st.builds(schedules.power_decay_with_offset, _RATES, _EXPONENTS, _N0, _RATES),
    st.builds(schedules.noisy_linear_cosine_decay, _RATES, _STEPS, _RATES, _FRACTIONS,
              st.floats(0.0, 10.0), _FRACTIONS, _FRACTIONS, _N0),
    st.builds(schedules.timm_cosine, _RATES, _COUNTS, k_decay=st.floats(0.1, 3.0), **_TIMM),
    st.builds(schedules.timm_tanh, _RATES, _COUNTS, st.floats(-10.0, -0.5),
              st.floats(0.0, 10.0), **_TIMM),
    st.builds(schedules.timm_poly, _RATES, _COUNTS, st.floats(0.0, 3.0),
              k_decay=st.floats(0.1, 3.0), **_TIMM),
    st.builds(schedules.timm_step, _RATES, _STEPS, _FRACTIONS, st.integers(0, 100), _RATES,
              st.booleans()),
    st.builds(schedules.timm_multistep, _RATES, _BOUNDARIES, _FRACTIONS, st.integers(0, 100),
              _RATES, st.booleans()),
    st.integers(1, 10**5).flatmap(lambda t: st.builds(
        schedules.timm_wsd, _RATES, st.just(t), st.integers(1, t), _RATES,
        st.sampled_from(["constant", "rsqrt", "power"]), _STEPS, st.floats(0.1, 3.0),
        st.sampled_from(["linear", "1-sqrt", "cosine", "power", "exp"]), st.floats(0.1, 3.0),
        st.floats(0.01, 0.99), st.integers(0, 100), _RATES)),
    st.builds(schedules.piecewise_constant_schedule, _RATES,
              st.dictionaries(_N0, st.floats(0.0, 2.0), max_size=4)),
    st.integers(0, 1000).flatmap(lambda w: st.builds(
        schedules.warmup_cosine_decay_schedule, _RATES, _RATES, st.just(w),
        st.integers(w + 1, w + 10**6), _RATES, st.floats(0.0, 4.0))),
    st.lists(st.builds(schedules.warmup_cosine_decay_schedule, _RATES, _RATES, st.just(10),
                       st.integers(11, 10**5)), min_size=1, max_size=3).map(
        schedules.sgdr_schedule),
    st.builds(schedules.cosine_onecycle_schedule, _COUNTS, _RATES, _FRACTIONS,
              st.floats(0.1, 100.0), st.floats(0.1, 10**5)),
    st.builds(schedules.linear_onecycle_schedule, _COUNTS, _RATES, _FRACTIONS, _FRACTIONS,
              st.floats(0.1, 100.0), st.floats(0.1, 10**5)),
    st.lists(st.integers(0, 10**6), unique=True, min_size=2, max_size=5).map(sorted).flatmap(
        lambda b: st.builds(schedules.step_cosine_decay_with_offset, st.just(b),
                            st.lists(_RATES, min_size=len(b), max_size=len(b)), _N0)),
    st.builds(schedules.with_offset, st.one_of(
        st.builds(schedules.exponential_decay, _RATES, _STEPS, st.floats(0.01, 2.0),
                  st.booleans()),
        st.builds(schedules.cosine_decay, _RATES, _STEPS, _FRACTIONS)), _N0),
    st.builds(schedules.cosine_with_min_lr_schedule_with_warmup, st.floats(0.01, 10.0), _N0,
              _N0, st.floats(0.0, 5.0), min_lr_rate=_FRACTIONS),
    st.builds(schedules.cosine_with_min_lr_schedule_with_warmup_lr_rate, st.floats(0.01, 10.0),
              _N0, _N0, st.floats(0.0, 5.0), min_lr=_RATES,
              warmup_lr_rate=st.none() | _FRACTIONS),
    st.builds(lambda s, b, m: s.momentum(b, m),
              # total_steps >= 5: `pct_start * total_steps == 1` (0.25 * 4, 0.5 * 2) is refused.
              st.builds(schedules.one_cycle, _RATES, st.integers(5, 10**5),
                        st.sampled_from([0.25, 0.3, 0.5]), st.sampled_from(["cos", "linear"])),
              _FRACTIONS, _FRACTIONS),
    st.builds(lambda s, b, m: s.momentum(b, m),
              st.builds(schedules.cyclic, st.just(0.0), _RATES, _COUNTS),
              _FRACTIONS, _FRACTIONS))
BASE_SCHEDULES = st.one_of(BASE_SCHEDULES, CATALOGUE_SCHEDULES)
_BASE_NAMES = {"constant", "piecewise_constant", "exponential_decay", "inverse_time_decay",
               "natural_exp_decay", "polynomial_decay", "cosine_decay",
               "cosine_decay_restarts", "linear_cosine_decay", "inverse_sqrt", "noam",
               "rsqrt_decay", "t2t_schedule", "warmup_stable_decay",
               "linear_schedule_with_warmup", "cosine_schedule_with_warmup",
               "cosine_with_hard_restarts_schedule_with_warmup", "constant_schedule_with_warmup",
               "cosine_annealing", "cosine_annealing_warm_restarts", "constant_lr", "linear_lr",
               "swalr", "optax_exponential_decay", "cosine_decay_schedule",
               "piecewise_interpolate_schedule", "power_and_linear_decay", "direct_power_decay",
               "power_decay_with_offset", "noisy_linear_cosine_decay", "timm_cosine",
               "timm_tanh", "timm_poly", "one_cycle_momentum", "cyclic_momentum",
               "timm_step", "timm_multistep", "timm_wsd", "piecewise_constant_schedule",
               "warmup_cosine_decay_schedule", "sgdr_schedule", "cosine_onecycle_schedule",
               "linear_onecycle_schedule", "step_cosine_decay_with_offset", "with_offset",
               "cosine_with_min_lr_schedule_with_warmup",
               "cosine_with_min_lr_schedule_with_warmup_lr_rate",
               # Stateful (equal only to itself): their spec forms are tested in test_catalogue.
               "reduce_lr_on_plateau", "timm_plateau"}


_WORDS = st.sampled_from(["linear", "exponential", "constant", "cos", "triangular", "exp_range"])


def _argument(name: str, hint, inner):
    """A strategy for one argument of a factory `BASE_SCHEDULES` does not know (warmup,
    sequential, ...), from its type hint (or its name); `inner` draws nested schedules."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Union:
        strategy = _argument(name, next(a for a in args if a is not type(None)), inner)
        return st.none() | strategy if type(None) in args else strategy
    if isinstance(hint, type) and issubclass(hint, schedules.Schedule) or (
            hint is None and "schedule" in name):
        return inner
    if origin is tuple and args and args[-1] is not Ellipsis:
        return st.tuples(*(_argument(name, a, inner) for a in args))
    if origin in (list, tuple, collections.abc.Sequence, collections.abc.Iterable):
        item = args[0] if args else float
        if item is int:  # boundaries, milestones: increasing
            return st.lists(st.integers(1, 10**5), unique=True, min_size=1, max_size=3).map(
                sorted)
        return st.lists(_argument(name, item, inner), min_size=1, max_size=3)
    if hint is bool:
        return st.booleans()
    if hint is int or (hint is None and name.endswith(("steps", "size"))):
        return st.integers(1, 10**5)
    if hint is str:
        return _WORDS
    return st.floats(0.0, 1.0)


@st.composite
def _later_factory_schedule(draw, inner):
    """A schedule from a factory that `BASE_SCHEDULES` does not know, or a base one."""
    names = sorted(set(spec_lib.factories()) - _BASE_NAMES)
    if not names:
        return draw(inner)
    factory = spec_lib.factories()[draw(st.sampled_from(names))]
    try:
        hints = typing.get_type_hints(factory)
    except Exception:  # pylint: disable=broad-except  (unresolvable hints: guess by name)
        hints = {}
    kwargs = {}
    for param in inspect.signature(factory).parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        if param.default is not param.empty and draw(st.booleans()):
            continue
        kwargs[param.name] = draw(_argument(param.name, hints.get(param.name), inner))
    try:
        schedule = factory(**kwargs)
    except Exception:  # pylint: disable=broad-except  (a guess the factory rejects)
        return draw(inner)
    return schedule if isinstance(schedule, schedules.Schedule) else draw(inner)


ANY_SCHEDULE = st.recursive(BASE_SCHEDULES, _later_factory_schedule, max_leaves=4)


@pytest.mark.slow  # 250 drawn examples: ~5 s
@FUZZ
@hypothesis.given(ANY_SCHEDULE)
def test_round_trip(schedule):
    text = spec(schedule)
    assert from_spec(text) == schedule
    assert repr(from_spec(text)) == text


_SPEC_CHARS = st.sampled_from(list("()[],=-+.*'\" _0123456789eExjabcdz\n\t") +
                              ["True", "None", "1e400", "0x", "cosine_decay(", "lambda", "**"])


def _check_only_spec_errors(text):
    try:
        schedule = from_spec(text)
    except SpecError as error:
        message = str(error)
        assert message and "\n" not in message
        if error.column is not None:
            assert error.column >= 1
    else:
        assert isinstance(schedule, schedules.Schedule)


@FUZZ
@hypothesis.given(st.text())
def test_random_text_only_raises_spec_error(text):
    _check_only_spec_errors(text)


@FUZZ
@hypothesis.given(st.text(alphabet=_SPEC_CHARS.map(lambda s: s[0]) | st.characters(),
                          max_size=60).map(lambda t: "cosine_decay(" + t))
def test_random_arguments_only_raise_spec_error(text):
    _check_only_spec_errors(text)


@st.composite
def _mutated_spec(draw):
    text = spec(draw(ANY_SCHEDULE))
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(text)))
        edit = draw(st.sampled_from(["delete", "insert", "replace"]))
        new = draw(_SPEC_CHARS | st.characters())
        if edit == "delete":
            text = text[:i] + text[i + 1:]
        elif edit == "insert":
            text = text[:i] + new + text[i:]
        else:
            text = text[:i] + new + text[i + len(new):]
    return text


@pytest.mark.slow  # 250 drawn examples: ~5 s
@FUZZ
@hypothesis.given(_mutated_spec())
def test_mutated_specs_only_raise_spec_error(text):
    _check_only_spec_errors(text)


def test_no_tensorflow_import():
    code = ("import sys, lrhooks.spec as s; s.from_spec('cosine_decay(0.1, 10)'); "
            "sys.exit('tensorflow' in sys.modules)")
    assert programs.run(programs.python_code(code), timeout=60).returncode == 0



# ---------------------------------------------------------------------------- templates

WSD_TEMPLATE = ("warmup_stable_decay(0.1, num_warmup_steps=100, "
                "num_stable_steps=train_steps*0.8-100, num_decay_steps=train_steps*0.2)")


@pytest.mark.parametrize("text, train_steps, expected", [
    ("one_cycle(0.2, total_steps=train_steps)", 200, schedules.one_cycle(0.2, 200)),
    ("one_cycle(0.2, train_steps)", 200, schedules.one_cycle(0.2, 200)),  # positional
    (WSD_TEMPLATE, 1000, schedules.warmup_stable_decay(0.1, 100, 700, 200)),
    ("cosine_decay(0.1, decay_steps=train_steps/3)", 1000, schedules.cosine_decay(0.1, 333)),
    ("cosine_decay(0.1, decay_steps=train_steps + 5)", 10, schedules.cosine_decay(0.1, 15)),
    # Exact arithmetic, halves up: 0.7 * 5 is 3.5 (as floats, 3.4999999999999996).
    ("cosine_decay(0.1, decay_steps=0.7*train_steps)", 5, schedules.cosine_decay(0.1, 4)),
    ("piecewise_constant([train_steps/2, 3*train_steps/4], [1.0, 0.1, 0.01])", 1001,
     schedules.piecewise_constant([501, 751], [1.0, 0.1, 0.01])),
    ("warmup(cosine_decay(0.1, train_steps - 100), warmup_steps=100)", 1000,
     schedules.warmup(schedules.cosine_decay(0.1, 900), 100)),
    ("cosine_decay(0.1, decay_steps=500)", 7, schedules.cosine_decay(0.1, 500)),  # fixed
])
def test_template_resolves_with_the_run_length(text, train_steps, expected):
    assert spec_lib.resolve(text, train_steps=train_steps) == expected
    assert from_spec(text, train_steps=train_steps) == expected
    assert spec_lib.is_template(text) == ("train_steps" in text)
    resolved = spec(expected)  # the numbers, and a spec that builds it again
    assert "train_steps" not in resolved and from_spec(resolved) == expected


@pytest.mark.parametrize("text, message", [
    ("one_cycle(0.2, total_steps=train_steps)",
     "`total_steps=train_steps` at column 28 needs the run's length: this spec is a "
     "template, resolve it with train_steps=N (the programs' --train_steps)"),
    (WSD_TEMPLATE, "`num_stable_steps=train_steps*0.8-100` at column 65 needs the run's length"),
])
def test_template_without_the_run_length_is_one_line(text, message):
    with pytest.raises(SpecError) as raised:
        from_spec(text)
    assert str(raised.value).startswith(message)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize("text, message", [
    ("cosine_decay(train_steps, 100)",
     "'train_steps' at column 14: the run's length `train_steps` can only be a step count "
     "(an argument such as decay_steps or total_steps), not `learning_rate`"),
    ("cosine_decay(0.1, train_steps**2)",
     "'train_steps**2' at column 19: unsupported expression (allowed: train_steps times or "
     "divided by numbers > 0 (train_steps*0.8, 3*train_steps/4, train_steps/3), then "
     "optionally + c or - c)"),
    ("cosine_decay(0.1, 0*train_steps)", "'0*train_steps' at column 19: a factor must be > 0"),
    ("cosine_decay(0.1, train_steps/0)", "'train_steps/0' at column 19: a divisor must be > 0"),
    ("cosine_decay(0.1, train_steps*train_steps)",
     "'train_steps*train_steps' at column 19: a factor must be a number, got 'train_steps'"),
    ("cosine_decay(0.1, train_steps+x)",
     "'train_steps+x' at column 19: the added or subtracted c must be a number, got 'x'"),
    ("cosine_decay(0.1, train_steps-2000)",
     "in cosine_decay(...) at column 1: `decay_steps` must be an integer > 0 or a finite "
     "float > 0, got -1000 (with train_steps=1000: decay_steps=train_steps-2000 = -1000)"),
])
def test_template_errors_name_the_argument_and_the_expression(text, message):
    with pytest.raises(SpecError) as raised:
        spec_lib.resolve(text, train_steps=1000)
    assert str(raised.value).startswith(message), str(raised.value)


@pytest.mark.parametrize("train_steps", [0, -5, 2.5, True, None])
def test_resolve_checks_the_run_length(train_steps):
    with pytest.raises(SpecError, match=r"^`train_steps` must be an integer > 0, got "):
        spec_lib.resolve("cosine_decay(0.1, train_steps)", train_steps)


def test_a_missing_horizon_names_train_steps_as_the_fix():
    with pytest.raises(SpecError) as raised:
        from_spec("cosine_decay(0.1)")
    assert str(raised.value).endswith(
        "(write decay_steps=train_steps to follow the run's length)")
    with pytest.raises(SpecError) as raised:  # not a step count: no such hint
        from_spec("cosine_decay(decay_steps=10)")
    assert "train_steps" not in str(raised.value)


_NUMBERS = st.sampled_from(["0", "1", "2", "0.1", "0.7", "3", "1e-3", "1e308", "1_000", "-1",
                            "0.0", "True", "x", "(1)"])
_STEPS_EXPRESSIONS = st.recursive(
    st.sampled_from(["train_steps"]) | _NUMBERS,
    lambda inner: st.builds(lambda a, op, b: f"{a}{op}{b}", inner,
                            st.sampled_from(["*", "/", "+", "-", "**", "//", " * ", "%"]),
                            inner) | st.builds(lambda a: f"({a})", inner)
    | st.builds(lambda a: f"-{a}", inner),
    max_leaves=6)


@FUZZ
@hypothesis.given(_STEPS_EXPRESSIONS, st.integers(1, 10**6))
def test_fuzzed_train_steps_expressions_build_or_fail_in_one_line(expression, train_steps):
    text = f"cosine_decay(0.1, decay_steps={expression})"
    try:
        schedule = spec_lib.resolve(text, train_steps)
    except SpecError as error:
        assert "\n" not in str(error)
        return
    assert isinstance(schedule, schedules.CosineDecay)
    assert schedule.decay_steps > 0
