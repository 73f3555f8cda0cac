"""The graph side of lrhooks: scheduled values in a tf.compat.v1 graph, and what the hooks
need to know about it.

Implementation modules, their public names re-exported here:
  rate_tensor      `learning_rate()` / `scheduled_value()`: the self-driving in-graph window
                   of a scheduled value, its numpy_function fallback, the rate collections
  step_binding     `run_start_step`, `learning_rate_fn`: which step a rate follows
  summaries        `rate_summary`, `scalar_summary` (exact tags), `review_layout`
  graph_lookup     `get_global_step_or_raise`: finding the global step and the rate tensor
  step_analysis    `StepTracker`: the step each run starts at, from how far a run's fetches
                   move the global step (analysed once per graph until ops are added)
  graph_state      what lrhooks keeps about a graph, the one cached step read
  function_bodies  the functions of functional control flow, for the analyses

Everything here imports TensorFlow; `import lrhooks` loads it on first use of a name.
"""

from lrhooks.graph.graph_lookup import get_global_step_or_raise
from lrhooks.graph.rate_tensor import (LEARNING_RATE_COLLECTION, SCHEDULED_VALUE_COLLECTION,
                                       StepNotIncrementedError, UnscheduledValueError,
                                       learning_rate, refused_value, scheduled_value)
from lrhooks.graph.step_analysis import StepTracker
from lrhooks.graph.step_binding import learning_rate_fn, run_start_step
from lrhooks.graph.summaries import rate_summary, review_layout, scalar_summary

__all__ = [
    "learning_rate", "scheduled_value", "learning_rate_fn", "run_start_step",
    "LEARNING_RATE_COLLECTION", "SCHEDULED_VALUE_COLLECTION", "UnscheduledValueError",
    "StepNotIncrementedError", "refused_value", "rate_summary", "scalar_summary",
    "review_layout", "get_global_step_or_raise", "StepTracker",
]
