"""Deciding, without a fetch, which runs a periodic hook should look at.

A run is due when the step it moves to (the step it started at + 1) reaches a
multiple of `every_n_steps`, so a hook logging every 100 steps reports steps
100, 200, ... (and the first run of each session, and with `last_step` the run
that moves the step to `last_step`, so that a series ends at the last step).

A hook that logs every N steps needs the step only on the runs it logs. It reads
the step once per session, estimates it afterwards as `last known + runs since`
(an upper bound when some runs do not train), and fetches the real step only on
the runs the estimate selects, re-synchronising there. Other runs cost nothing.
"""

import time
from typing import Any, Mapping, Optional

import tensorflow as tf

from lrhooks import checks
from lrhooks.graph import graph_lookup
from lrhooks.graph.step_analysis import StepTracker

tf1 = tf.compat.v1


class StepTrigger:
    """Fires every `every_n_steps` global steps and/or every `every_n_secs` seconds, and on the
    run that moves the step to `last_step` (if given)."""

    def __init__(self, every_n_steps: Optional[int] = None, every_n_secs: Optional[float] = None,
                 last_step: Optional[int] = None):
        if every_n_steps is None and every_n_secs is None:
            raise ValueError("one of `every_n_steps` and `every_n_secs` must be set")
        self.every_n_steps = checks.every_n_steps(every_n_steps, allow_none=True)
        self.every_n_secs = (None if every_n_secs is None
                             else checks.positive("every_n_secs", every_n_secs))
        self.last_step = None if last_step is None else checks.positive_count("last_step",
                                                                               last_step)
        self._known: Optional[int] = None
        self._runs_since = 0
        self._next_step: Optional[int] = None
        self._next_time = 0.0

    def reset(self, step: int) -> None:
        """Starts from a known step (a new session); the first run is due."""
        self._known, self._runs_since = step, 0
        self._next_step = step + 1 if self.every_n_steps is not None else None
        self._next_time = 0.0

    def should_fetch(self) -> bool:
        """Whether the coming run may be due: fetch the step with it, then `observe`."""
        if self._known is None:
            return True
        if (self.every_n_steps is not None and
                self._known + self._runs_since + 1 >= self._next_step):
            return True
        if (self.last_step is not None and
                self._known < self.last_step <= self._known + self._runs_since + 1):
            return True
        return self.every_n_secs is not None and time.monotonic() >= self._next_time

    def skip(self) -> None:
        """Records a run that was not looked at."""
        self._runs_since += 1

    def observe(self, step: int) -> bool:
        """Records a looked-at run that started at `step`; True if it is due."""
        self._known, self._runs_since = step + 1, 0
        due = self.every_n_steps is not None and (self._next_step is None or
                                                  step + 1 >= self._next_step)
        now = time.monotonic()
        if self.every_n_secs is not None and now >= self._next_time:
            due = True
        if self.last_step is not None and step + 1 == self.last_step:
            due = True
        if due:
            if self.every_n_steps is not None:
                n = self.every_n_steps
                self._next_step = ((step + 1) // n + 1) * n
            if self.every_n_secs is not None:
                self._next_time = now + self.every_n_secs
        return due


class PeriodicFetchHook(tf1.train.SessionRunHook):
    """Base of hooks that fetch something on every N-th step only.

    Subclasses set `self._fetches` (a dict holding "step") in `begin()` after
    calling `super().begin()`, set `self._exact_step_fetch = True` when that
    "step" is the very read the run's computation used (the step behind a
    `lrhooks.learning_rate()` tensor), and implement
    `_due(started_at, results, run_context)`, called for the runs due. A subclass that
    needs something from every run that trains (a running mean) returns it from
    `_every_run_fetches()` and gets it in `_each_run`.

    Which step a run starts at: a plain fetch of `global_step` races with the
    optimizer's increment in the same run, so unless the fetched step is exact,
    the hook counts instead, as `LearningRateSetterHook` does: it reads the
    step once per session and adds what each run's fetches increment
    (`lrhooks.graph.step_analysis`), reading it after a run whose writes it cannot count.
    """

    def __init__(self, every_n_steps: Optional[int], every_n_secs: Optional[float], owner: str,
                 last_step: Optional[int] = None):
        self._trigger = StepTrigger(every_n_steps, every_n_secs, last_step)
        self._owner = owner
        self._fetches: Mapping[str, Any] = {}
        self._exact_step_fetch = False

    def begin(self) -> None:
        graph = tf1.get_default_graph()
        global_step = graph_lookup.get_global_step_or_raise(graph, owner=self._owner)
        self._tracker = StepTracker(global_step)
        self._step_read = self._tracker.read

    def after_create_session(self, session, coord) -> None:
        self._trigger.reset(self._tracker.reset(session))

    def before_run(self, run_context):
        self._tracker.before_run(run_context.original_args.fetches)
        # A run that cannot move the step (an evaluation through the same session)
        # is never looked at: it would label its values with a step it did not train.
        trains = self._tracker.pending != 0
        self._fetching = trains and self._trigger.should_fetch()
        every_run = self._every_run_fetches() if trains else None
        self._every_run_only = every_run is not None and not self._fetching
        if every_run is None:
            return tf1.train.SessionRunArgs(self._fetches) if self._fetching else None
        if self._fetching:
            return tf1.train.SessionRunArgs(dict(self._fetches, every_run=every_run))
        if self._exact_step_fetch:
            return tf1.train.SessionRunArgs([self._fetches["step"], every_run])
        return tf1.train.SessionRunArgs(every_run)  # the cheapest fetch: no structure

    def after_run(self, run_context, run_values) -> None:
        results, every_run = run_values.results, None
        if self._every_run_only and self._exact_step_fetch:
            results, every_run = {"step": results[0]}, results[1]
        elif self._every_run_only:
            results, every_run = {}, results
        elif results is not None:
            every_run = results.get("every_run")
        started_at = self._tracker.step
        if self._exact_step_fetch and results and "step" in results:
            started_at = int(results["step"])
        trains = self._tracker.pending != 0
        self._tracker.after_run(run_context.session, started_at=started_at)
        if trains and every_run is not None:
            self._each_run(started_at, every_run)
        if not self._fetching:
            if trains:
                self._trigger.skip()
            return
        if self._trigger.observe(started_at):
            self._due(started_at, run_values.results, run_context)

    def _every_run_fetches(self) -> Any:
        """What every run that trains fetches, due or not (a fetch: a tensor is the cheapest);
        None (the default, the promise of most periodic hooks): nothing. `_each_run` gets it."""
        return None

    def _each_run(self, started_at: int, results: Any) -> None:
        """Called after every run that trains with what `_every_run_fetches` fetched (before
        `_due` when the run is due)."""

    def _due(self, started_at: int, results: Mapping[str, Any], run_context) -> None:
        raise NotImplementedError
