"""`SummarySaverHook`: TensorFlow's summary hook, with exact step labels.

`tf.compat.v1.train.SummarySaverHook` (the one `MonitoredTrainingSession`
makes from `save_summaries_steps`) labels each summary with the global step it
reads *after* the run. For a run that trains from step `s` that is `s + 1`
(TensorFlow's convention: the point at label `L` holds values computed at step
`L - 1`). For a run that does not train (an evaluation through the same
session) it is `s`, so when its timer falls due on such a run it writes every
summary of the graph, the rate included, under a label whose convention value
is the previous step's: a point at `L` holding `schedule(L)`. Its timer then
skips the next training run. Nothing in the graph can tell a summary op whether
its run trains, so a summary of a `lrhooks.learning_rate()` tensor cannot
correct this by itself.

This hook takes the same arguments and writes the same events, but looks only
at runs that move the global step (`lrhooks.graph.step_analysis.StepTracker` reads the
run's fetches) and labels them with the exact step the run ends at, read from
the very step read the scheduled values were computed from. Use it in place of
TensorFlow's: `MonitoredTrainingSession(..., save_summaries_steps=None,
save_summaries_secs=None, hooks=[lrhooks.SummarySaverHook(save_steps=100,
output_dir=checkpoint_dir)])`.
"""

from typing import Any, Mapping, Optional

import tensorflow as tf

from lrhooks import checks
from lrhooks.graph import graph_lookup
from lrhooks.graph import graph_state
from lrhooks.graph import rate_tensor
from lrhooks.hooks.step_trigger import PeriodicFetchHook

tf1 = tf.compat.v1

class SummarySaverHook(PeriodicFetchHook):
    """Saves summaries every N steps (or seconds), only on runs that train, labelled exactly."""

    def __init__(self, save_steps: Optional[int] = None, save_secs: Optional[float] = None,
                 output_dir: Optional[str] = None, summary_writer=None,
                 scaffold: Optional[tf1.train.Scaffold] = None, summary_op=None):
        """Builds the hook; the arguments are those of `tf.compat.v1.train.SummarySaverHook`.

        Args:
          save_steps: Save when the global step reaches a multiple of this.
          save_secs: Also (or instead) save at least this often.
          output_dir: The event directory (used when `summary_writer` is None).
          summary_writer: A `tf.compat.v1.summary.FileWriter` to write to.
          scaffold: Its `summary_op` is saved when `summary_op` is None.
          summary_op: A summary tensor or a list of them; default: the
            scaffold's, else `tf.compat.v1.summary.merge_all()` in `begin()`.

        Raises:
          ValueError: Neither `output_dir` nor `summary_writer` is given, neither
            `save_steps` nor `save_secs`, or one of them is not > 0.
          TypeError: `save_steps` is not an integer.
        """
        if summary_writer is None and not output_dir:
            raise ValueError(f"`output_dir` must be a directory when `summary_writer` is None, "
                             f"got {output_dir!r}")
        if save_steps is None and save_secs is None:
            raise ValueError("one of `save_steps` and `save_secs` must be set, got both None")
        if save_steps is not None:
            checks.positive_count("save_steps", save_steps)
        if save_secs is not None:
            checks.positive("save_secs", save_secs)
        super().__init__(save_steps, save_secs, owner="SummarySaverHook")
        self._output_dir, self._writer = output_dir, summary_writer
        self._scaffold, self._summary_op = scaffold, summary_op

    def begin(self) -> None:
        super().begin()
        graph = tf1.get_default_graph()
        graph_state.mark_summaries_exact(graph)
        summary_op = self._summary_op
        if summary_op is None and self._scaffold is not None:
            summary_op = self._scaffold.summary_op
        if summary_op is None:
            summary_op = tf1.summary.merge_all()
        self._summaries = [] if summary_op is None else (
            list(summary_op) if isinstance(summary_op, (list, tuple)) else [summary_op])
        global_step = graph_lookup.get_global_step_or_raise(graph, owner="SummarySaverHook")
        # The step read is exact when the scheduled values of the graph are computed from
        # it (the optimizer's increment waits for their consumers); else the hook counts.
        self._exact_step_fetch = any(source.global_step is global_step
                                     for source in rate_tensor.sources(graph))
        self._fetches = {"summary": self._summaries, "step": self._step_read}
        if self._writer is None:
            self._writer = tf1.summary.FileWriterCache.get(self._output_dir)

    def after_create_session(self, session, coord) -> None:
        super().after_create_session(session, coord)
        # Labelled as TensorFlow's hook labels it: the step the first run ends at, so
        # TensorBoard drops only points of an earlier session past the restored step.
        self._writer.add_session_log(tf1.SessionLog(status=tf1.SessionLog.START),
                                     self._tracker.step + 1)

    def _due(self, started_at: int, results: Mapping[str, Any], run_context) -> None:
        for summary in results["summary"]:
            self._writer.add_summary(summary, started_at + 1)

    def end(self, session) -> None:
        self._writer.flush()
