"""Reduce the learning rate when a metric stops improving (PyTorch's `ReduceLROnPlateau`).

`ReduceLROnPlateau` is a stateful schedule: `schedule(step)` is the current rate
whatever the step, and each `report(value)` applies one metric observation with
exactly the rules of `torch.optim.lr_scheduler.ReduceLROnPlateau.step(value)`.
Its `version` changes on each reduction, so a `LearningRateSetterHook` driving it
applies the new rate from the next run on, in every mode.

`PlateauHook` reports a metric tensor every N steps and keeps the schedule's
state in a variable that the default `Saver` checkpoints, so a restarted job
continues with the reduced rate, the best value and the bad-report count::

    schedule = lrhooks.plateau.ReduceLROnPlateau(0.1, factor=0.5, patience=3)
    hooks = [lrhooks.LearningRateSetterHook(schedule),
             lrhooks.plateau.PlateauHook(schedule, metric=loss, every_n_steps=100)]

A program can also call `schedule.report(value)` itself, e.g. with the result
of an evaluation, between runs of a session that has the `PlateauHook` (built
with `metric=None`): the hook stores the new state before the next run.

Checkpoint timing: in `MonitoredTrainingSession(hooks=...)` the checkpoint saver
runs before user hooks, so a checkpoint written at the very step of a report
holds the state just before that report (the final checkpoint at the end of the
session is complete). Pass the `PlateauHook` in `chief_only_hooks` (which come
first) to have every checkpoint include the report of its own step.
"""

import math
import numbers
from typing import Any, Dict, Union

import numpy as np
import tensorflow as tf

from lrhooks import graph_lookup
from lrhooks import schedules
from lrhooks.step_writes import StepTracker

tf1 = tf.compat.v1

MODES = ("min", "max")
THRESHOLD_MODES = ("rel", "abs")
STATE_KEYS = ("best", "num_bad", "cooldown_counter", "rate", "reports")


def _real(name: str, value, allowed: str = "a finite number >= 0",
          ok=lambda v: v >= 0) -> float:
    """A finite real number for which `ok` holds, as a float (one-line errors)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{name}` must be {allowed}, got {value!r}")
    value = float(value)
    if not (math.isfinite(value) and ok(value)):
        raise ValueError(f"`{name}` must be {allowed}, got {value!r}")
    return value


def _count(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"`{name}` must be an integer >= 0, got {value!r}")
    if value < 0:
        raise ValueError(f"`{name}` must be an integer >= 0, got {value!r}")
    return int(value)


def _choice(name: str, value, allowed) -> str:
    if value not in allowed:
        raise ValueError(f"`{name}` must be one of {', '.join(map(repr, allowed))}, "
                         f"got {value!r}")
    return value


def _state_count(key: str, value) -> int:
    """A count read back from a state dict (possibly as a float64), as an int >= 0."""
    number = float(value)
    if not (number >= 0 and number.is_integer()):
        raise ValueError(f"`state` {key} must be an integer >= 0, got {value!r}")
    return int(number)


class ReduceLROnPlateau(schedules.Schedule):
    """A rate that is multiplied by `factor` when a reported metric stops improving.

    `report(value)` follows PyTorch's `ReduceLROnPlateau.step` exactly: a value is
    better than `best` when (mode, threshold_mode) = (min, rel): `value < best *
    (1 - threshold)`; (min, abs): `value < best - threshold`; (max, rel): `value >
    best * (1 + threshold)`; (max, abs): `value > best + threshold`. A better value
    becomes `best` and clears `num_bad`, otherwise `num_bad += 1`. During cooldown
    (`cooldown_counter > 0`) the counter counts down and `num_bad` is reset to 0.
    When `num_bad > patience` the rate becomes `max(rate * factor, min_lr)` (kept
    only if it drops by more than `eps`), then `cooldown_counter = cooldown` and
    `num_bad = 0`. A NaN value is never better, so it counts as a bad report.

    Attributes:
      version: Incremented on each reduction and each `load_state`, for
        `LearningRateSetterHook`.
    """

    def __init__(self, learning_rate: float, mode: str = "min", factor: float = 0.1,
                 patience: int = 10, threshold: float = 1e-4, threshold_mode: str = "rel",
                 cooldown: int = 0, min_lr: float = 0.0, eps: float = 1e-8):
        """Validates the arguments (one-line TypeError/ValueError naming the argument).

        Args:
          learning_rate: The initial rate, a finite number >= 0.
          mode: "min" (lower is better, e.g. a loss) or "max" (e.g. accuracy).
          factor: Multiplier of the rate on a reduction, 0 < factor < 1.
          patience: Bad reports tolerated before reducing (an integer >= 0).
          threshold: Minimum improvement that counts as better (>= 0).
          threshold_mode: "rel" (relative to `best`) or "abs".
          cooldown: Reports to wait after a reduction before counting bad ones.
          min_lr: Lower bound of the rate (>= 0).
          eps: Reductions of the rate by at most `eps` are skipped (>= 0).
        """
        self.initial_rate = _real("learning_rate", learning_rate)
        self.mode = _choice("mode", mode, MODES)
        self.factor = _real("factor", factor, "a number in (0, 1)", lambda v: 0 < v < 1)
        self.patience = _count("patience", patience)
        self.threshold = _real("threshold", threshold)
        self.threshold_mode = _choice("threshold_mode", threshold_mode, THRESHOLD_MODES)
        self.cooldown = _count("cooldown", cooldown)
        self.min_lr = _real("min_lr", min_lr)
        self.eps = _real("eps", eps)
        self.version = 0
        self.rate = self.initial_rate
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad = 0
        self.cooldown_counter = 0
        self.reports = 0

    def _value(self, step: int) -> float:
        return self.rate

    def is_better(self, value: float, best: float) -> bool:
        """PyTorch's `_is_better` for this mode and threshold mode."""
        if self.mode == "min":
            if self.threshold_mode == "rel":
                return value < best * (1.0 - self.threshold)
            return value < best - self.threshold
        if self.threshold_mode == "rel":
            return value > best * (self.threshold + 1.0)
        return value > best + self.threshold

    @property
    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def report(self, value: float) -> bool:
        """Applies one observation of the metric; returns True when the rate was reduced.

        Raises:
          TypeError: `value` is not a real number.
        """
        if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.ndarray)):
            raise TypeError(f"`value` must be a real number, got {value!r}")
        value = float(value)
        self.reports += 1
        if self.is_better(value, self.best):
            self.best = value
            self.num_bad = 0
        else:
            self.num_bad += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad = 0  # bad reports during cooldown are ignored
        reduced = False
        if self.num_bad > self.patience:
            new_rate = max(self.rate * self.factor, self.min_lr)
            if self.rate - new_rate > self.eps:
                self.rate = new_rate
                self.version += 1
                reduced = True
            self.cooldown_counter = self.cooldown
            self.num_bad = 0
        return reduced

    def state(self) -> Dict[str, float]:
        """The mutable state: best, num_bad, cooldown_counter, rate, reports."""
        return {"best": self.best, "num_bad": self.num_bad,
                "cooldown_counter": self.cooldown_counter, "rate": self.rate,
                "reports": self.reports}

    def load_state(self, state: Dict[str, Any]) -> None:
        """Restores a `state()`; bumps `version` so that the setter hook re-applies the rate.

        Raises:
          ValueError: A key is missing or a value is out of range.
        """
        missing = [key for key in STATE_KEYS if key not in state]
        if missing:
            raise ValueError(f"`state` lacks {', '.join(missing)}; expected the keys "
                             f"{', '.join(STATE_KEYS)}")
        best = float(state["best"])
        if math.isnan(best):
            raise ValueError(f"`state` best must be a number or an infinity, got {best!r}")
        counts = {key: _state_count(key, state[key])
                  for key in ("num_bad", "cooldown_counter", "reports")}
        self.rate = _real("state rate", state["rate"])
        self.best = best
        self.num_bad = counts["num_bad"]
        self.cooldown_counter = counts["cooldown_counter"]
        self.reports = counts["reports"]
        self.version += 1

    def __repr__(self) -> str:
        return (f"ReduceLROnPlateau(learning_rate={self.initial_rate!r}, mode={self.mode!r}, "
                f"factor={self.factor!r}, patience={self.patience!r}, "
                f"threshold={self.threshold!r}, threshold_mode={self.threshold_mode!r}, "
                f"cooldown={self.cooldown!r}, min_lr={self.min_lr!r}, eps={self.eps!r}) "
                f"[rate={self.rate!r}, best={self.best!r}, num_bad={self.num_bad}, "
                f"cooldown_counter={self.cooldown_counter}, reports={self.reports}]")


class PlateauHook(tf1.train.SessionRunHook):
    """Reports a metric to a `ReduceLROnPlateau` every N steps; checkpoints its state.

    Put it in the same session as the `LearningRateSetterHook` that drives the
    schedule (in any order). In `begin()` it creates a non-trainable float64
    variable `<name>/state` in GLOBAL_VARIABLES, which the default `Saver`
    checkpoints; after each report it stores the state there, and on session
    creation it loads a saved state (a restart continues where it stopped).

    With a `metric`, the hook reads the global step once per session and then
    counts how far each run moves it (as `LearningRateSetterHook` does, see
    `lrhooks.step_writes`; a fetched step would race with the optimizer's
    increment). It fetches the metric only with the runs that move the step to a
    multiple of `every_n_steps`; other runs, and runs that cannot train, cost nothing.
    """

    def __init__(self, schedule: ReduceLROnPlateau,
                 metric: Union[None, str, tf.Tensor, tf.Variable] = None,
                 every_n_steps: int = 100, *, name: str = "lrhooks_plateau"):
        """Builds the hook; a metric given by name is resolved in `begin()`.

        Args:
          schedule: The `ReduceLROnPlateau` to report to.
          metric: A real scalar tensor or variable (or its name) to fetch and report
            with the runs that move the global step to a multiple of `every_n_steps`;
            None: the program calls `schedule.report(value)` itself.
          every_n_steps: Report every this many global steps (an integer >= 1).
          name: Name scope of the state variable (one hook per name in a graph).
        """
        if not isinstance(schedule, ReduceLROnPlateau):
            raise TypeError(f"`schedule` must be a lrhooks.plateau.ReduceLROnPlateau, "
                            f"got {schedule!r}")
        if metric is not None and not isinstance(metric, (str, tf.Tensor, tf.Variable)):
            raise TypeError("`metric` must be a tf.Tensor, a tf.Variable, a tensor name or "
                            f"None, got {type(metric).__name__}: {metric!r}")
        if (isinstance(every_n_steps, bool) or not isinstance(every_n_steps, numbers.Integral)
                or every_n_steps < 1):
            raise ValueError(f"`every_n_steps` must be an integer >= 1, got {every_n_steps!r}")
        if not isinstance(name, str) or not name:
            raise ValueError(f"`name` must be a non-empty string, got {name!r}")
        self._schedule = schedule
        self._metric_arg = metric
        self._every = int(every_n_steps)
        self._name = name
        self.writes = 0  # how many times the state variable was written

    @property
    def schedule(self) -> ReduceLROnPlateau:
        return self._schedule

    def begin(self) -> None:
        graph = tf1.get_default_graph()
        self._metric = None
        if self._metric_arg is not None:
            metric = graph_lookup.resolve_rate(graph, self._metric_arg, "metric")
            label = metric.op.name if isinstance(metric, tf.Variable) else metric.name
            dtype = metric.dtype.base_dtype
            if not (dtype.is_floating or dtype.is_integer) or metric.shape.rank not in (0, None):
                raise ValueError(f"`metric` {label!r} must be a real scalar, got dtype "
                                 f"{dtype.name} and shape {metric.shape}")
            self._metric = metric.read_value() if isinstance(metric, tf.Variable) else metric
            global_step = graph_lookup.get_global_step_or_raise(graph, owner="PlateauHook")
            self._tracker = StepTracker(graph, global_step,
                                        graph_lookup.read_global_step_tensor(global_step))
        variable_name = self._name + "/state"
        if graph_lookup.find_variable(graph, variable_name) is not None:
            raise ValueError(f"a variable {variable_name!r} already exists (another "
                             "PlateauHook?); pass each PlateauHook a different `name`")
        with tf1.variable_scope(self._name):
            self._state = tf1.get_variable(
                "state", initializer=tf.zeros([len(STATE_KEYS)], tf.float64), trainable=False,
                collections=[tf1.GraphKeys.GLOBAL_VARIABLES], use_resource=True)
            self._feed = tf1.placeholder(tf.float64, [len(STATE_KEYS)], name="state_feed")
            self._assign = self._state.assign(self._feed, read_value=False)
            self._read = tf.identity(self._state.read_value(), name="state_read")

    def after_create_session(self, session: tf1.Session, coord: Any) -> None:
        saved = session.run(self._read)
        if saved[STATE_KEYS.index("reports")] > 0:  # restored from a checkpoint
            self._schedule.load_state(dict(zip(STATE_KEYS, saved.tolist())))
            self._written = self._schedule.reports
        else:
            self._written = 0
        self._store(session)  # reports made before this session started
        if self._metric is not None:
            self._tracker.reset(session)

    def _store(self, session: tf1.Session) -> None:
        """Writes the schedule's state into the variable if it changed since the last write."""
        if self._schedule.reports == self._written:
            return
        state = self._schedule.state()
        session.run(self._assign, {self._feed: np.array([state[k] for k in STATE_KEYS],
                                                        np.float64)})
        self._written = self._schedule.reports
        self.writes += 1

    def _due(self, new_step: int) -> bool:
        """Whether moving from the current step to `new_step` reaches a multiple of N."""
        return new_step // self._every > self._tracker.step // self._every

    def before_run(self, run_context: tf1.train.SessionRunContext):
        self._store(run_context.session)  # the program may have called report() itself
        if self._metric is None:
            return None
        step = self._tracker.before_run(run_context.original_args.fetches)
        pending = self._tracker.pending
        # pending None: the run may move the step by an unknown amount; fetch to be safe.
        self._fetching = pending is None or (pending > 0 and self._due(step + pending))
        return tf1.train.SessionRunArgs(self._metric) if self._fetching else None

    def after_run(self, run_context: tf1.train.SessionRunContext,
                  run_values: tf1.train.SessionRunValues) -> None:
        if self._metric is None:
            return
        previous = self._tracker.step
        new_step = self._tracker.after_run(run_context.session)
        if self._fetching and new_step // self._every > previous // self._every:
            self._schedule.report(float(run_values.results))
            self._store(run_context.session)

    def end(self, session: tf1.Session) -> None:
        self._store(session)
