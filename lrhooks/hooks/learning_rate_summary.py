"""`LearningRateSummaryHook`: the applied rate (and every scheduled value) in TensorBoard.

Graphs that feed a placeholder often summarize nothing for the rate, or a
summary of the unfed default. This hook fetches the rate tensor in the runs it
records, so the value is the one that run applied, and writes it as the scalar
`learning_rate` to `output_dir`. Given no `learning_rate`, it writes every
scheduled value of the graph (`lrhooks.learning_rate()`,
`lrhooks.scheduled_value("momentum", ...)`, ...) under its own name.

Step labels follow TensorFlow's `SummarySaverHook`: the run that moves
`global_step` from `s` to `s + 1` is recorded at step `s + 1`, so the rate and
the loss of one run share a label. For a tensor made by
`lrhooks.learning_rate()` the step is the very read the rate was computed from.
Runs that cannot move the step (evaluations through the same session) are
never recorded.
"""

from typing import Optional, Union

import tensorflow as tf

from lrhooks import checks
from lrhooks.graph import graph_lookup
from lrhooks.hooks.step_trigger import PeriodicFetchHook

tf1 = tf.compat.v1


class LearningRateSummaryHook(PeriodicFetchHook):
    """Writes the learning rate (or every scheduled value) each recorded run applied."""

    def __init__(self, output_dir: str,
                 learning_rate: Union[None, str, tf.Tensor, tf.Variable] = None, *,
                 every_n_steps: Optional[int] = 100, every_n_secs: Optional[float] = None,
                 tag: str = "learning_rate", last_step: Optional[int] = None):
        """Builds the hook (the rate is resolved in `begin()`).

        Args:
          output_dir: The run's event directory (e.g. the train_dir).
          learning_rate: The rate tensor/variable or its name, written as `tag`;
            default: every tensor made by `lrhooks.scheduled_value()` /
            `lrhooks.learning_rate()` in the graph, each under its own name
            (the one named "learning_rate" under `tag`).
          every_n_steps: Record when the global step reaches a multiple of this.
          every_n_secs: Also (or instead) record at least this often.
          tag: The summary tag.
          last_step: Also record the run that moves the step to `last_step` (the run's last
            step, e.g. `train_steps`), so the series has a point there whatever the interval.

        Raises:
          ValueError: `output_dir` or `tag` is empty, or a bad interval or `last_step`.
        """
        if not output_dir:
            raise ValueError(f"`output_dir` must be a directory, got {output_dir!r}")
        checks.non_empty_string("tag", tag)
        super().__init__(every_n_steps, every_n_secs, owner="LearningRateSummaryHook",
                         last_step=last_step)
        self._output_dir, self._rate_arg, self._tag = output_dir, learning_rate, tag

    def begin(self) -> None:
        super().begin()
        graph = tf1.get_default_graph()
        values, step, self._exact_step_fetch = graph_lookup.telemetry_tensors(
            graph, self._rate_arg)
        if not values:
            raise RuntimeError(
                "LearningRateSummaryHook was given no `learning_rate` and the graph has no "
                "single rate tensor made by lrhooks.learning_rate() (nor any "
                "lrhooks.scheduled_value()): pass the rate tensor, variable or its name")
        self._tags = {name: self._tag if name == "learning_rate" or self._rate_arg is not None
                      else name for name in values}
        self._fetches = {"values": values, "step": step}
        self._writer = tf1.summary.FileWriterCache.get(self._output_dir)

    def _due(self, started_at, results, run_context) -> None:
        summary = tf1.Summary(value=[
            tf1.Summary.Value(tag=self._tags[name], simple_value=float(value))
            for name, value in results["values"].items()])
        self._writer.add_summary(summary, started_at + 1)

    def end(self, session) -> None:
        self._writer.flush()
