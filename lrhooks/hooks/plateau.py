"""Reduce the learning rate when a metric stops improving (PyTorch's `ReduceLROnPlateau`).

`ReduceLROnPlateau` (defined in `lrhooks.schedules`, TensorFlow-free, and
re-exported here) is a stateful schedule: `schedule(step)` is the current rate
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

from typing import Any, Union

import numpy as np
import tensorflow as tf

from lrhooks import checks
from lrhooks.graph import graph_lookup
from lrhooks.graph import rate_tensor
from lrhooks.graph.step_analysis import StepTracker
from lrhooks.schedules import ReduceLROnPlateau, Schedule, stateful_parts

tf1 = tf.compat.v1

__all__ = ["ReduceLROnPlateau", "PlateauHook", "MODES", "THRESHOLD_MODES", "STATE_KEYS"]

MODES = ReduceLROnPlateau.MODES
THRESHOLD_MODES = ReduceLROnPlateau.THRESHOLD_MODES
STATE_KEYS = ReduceLROnPlateau.STATE_KEYS


def _plateau_in(schedule: Schedule) -> ReduceLROnPlateau:
    """The `ReduceLROnPlateau` that `schedule` is, or the only stateful schedule it holds."""
    if isinstance(schedule, ReduceLROnPlateau):
        return schedule
    parts = stateful_parts(schedule) if isinstance(schedule, Schedule) else ()
    if len(parts) == 1 and isinstance(parts[0], ReduceLROnPlateau):
        return parts[0]
    held = f" (it holds {len(parts)} stateful schedules)" if len(parts) > 1 else ""
    raise TypeError(f"`schedule` must be a lrhooks.plateau.ReduceLROnPlateau or a schedule "
                    f"holding exactly one, got {schedule!r}{held}")


class PlateauHook(tf1.train.SessionRunHook):
    """Reports a metric to a `ReduceLROnPlateau` every N steps; checkpoints its state.

    Put it in the same session as the `LearningRateSetterHook` that drives the
    schedule (in any order). In `begin()` it creates a non-trainable float64
    variable `<name>/state` in GLOBAL_VARIABLES, which the default `Saver`
    checkpoints; after each report it stores the state there, and on session
    creation it loads a saved state (a restart continues where it stopped).

    With a `metric`, the hook reads the global step once per session and then
    counts how far each run moves it (as `LearningRateSetterHook` does, see
    `lrhooks.graph.step_analysis`; a fetched step would race with the optimizer's
    increment). It fetches the metric only with the runs that move the step to a
    multiple of `every_n_steps`; other runs, and runs that cannot train, cost nothing.
    """

    def __init__(self, schedule: Schedule,
                 metric: Union[None, str, tf.Tensor, tf.Variable] = None,
                 every_n_steps: int = 100, *, name: str = "lrhooks_plateau"):
        """Builds the hook; a metric given by name is resolved in `begin()`.

        Args:
          schedule: The `ReduceLROnPlateau` to report to, or a composition holding
            exactly one (`product([reduce_lr_on_plateau(...), ...])`, e.g. from a spec):
            the hook reports to that one.
          metric: A real scalar tensor or variable (or its name) to fetch and report
            with the runs that move the global step to a multiple of `every_n_steps`;
            None: the program calls `schedule.report(value)` itself.
          every_n_steps: Report every this many global steps (an integer > 0).
          name: Name scope of the state variable (one hook per name in a graph).
        """
        schedule = _plateau_in(schedule)
        if metric is not None and not isinstance(metric, (str, tf.Tensor, tf.Variable)):
            raise TypeError("`metric` must be a tf.Tensor, a tf.Variable, a tensor name or "
                            f"None, got {type(metric).__name__}: {metric!r}")
        self._every = checks.every_n_steps(every_n_steps)
        self._name = checks.non_empty_string("name", name)
        self._schedule = schedule
        self._metric_arg = metric
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
            self._tracker = StepTracker(global_step)
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
        """Writes the schedule's state into the variable if it changed since the last write.

        Also empties the in-graph window of every value bound to the schedule
        whose rate changed (`lrhooks.learning_rate(schedule=...)`), so the next
        run applies the new rate.
        """
        rate_tensor.invalidate_windows(self._schedule, session)
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
