"""The hooks of lrhooks: one module per hook, named for what it does.

Implementation modules, their hooks re-exported here:
  learning_rate_setter   `LearningRateSetterHook`: applies a schedule to a graph, exactly
  learning_rate_summary  `LearningRateSummaryHook`: the applied rate without a summary op
  summary_saver          `SummarySaverHook`: TF's summary hook, saving only on runs that train
  training_log           `TrainingLogHook`: a log line (and a live progress line) every N steps
  plateau                `PlateauHook`: reduce-on-plateau with checkpointed state
  range_test             `LRRangeTestHook`: the learning-rate range test and its analysis
  step_trigger           `PeriodicFetchHook`, `StepTrigger`: fetch-free "every N steps", the
                         base of a new periodic hook

Everything here imports TensorFlow; `import lrhooks` loads it on first use of a name.
"""

from lrhooks.hooks.learning_rate_setter import LearningRateSetterHook
from lrhooks.hooks.learning_rate_summary import LearningRateSummaryHook
from lrhooks.hooks.plateau import PlateauHook
from lrhooks.hooks.range_test import LRRangeTestHook
from lrhooks.hooks.step_trigger import PeriodicFetchHook, StepTrigger
from lrhooks.hooks.summary_saver import SummarySaverHook
from lrhooks.hooks.training_log import TrainingLogHook

__all__ = [
    "LearningRateSetterHook", "LearningRateSummaryHook", "SummarySaverHook", "TrainingLogHook",
    "PlateauHook", "LRRangeTestHook", "PeriodicFetchHook", "StepTrigger",
]
