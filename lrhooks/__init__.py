"""lrhooks: exact learning-rate schedules and training hooks for tf.compat.v1 loops.

The public API, by group. Names marked (lazy) load their module on first use,
because it imports TensorFlow (or TensorBoard); everything else is imported
with the package, which therefore never imports TensorFlow or absl itself:
`import lrhooks, lrhooks.schedules` is cheap.

Schedules (pure Python):
  schedules                the schedule values: `lrhooks.schedules.cosine_decay(...)`, ...
  Schedule                 their base class
  StatefulSchedule         the protocol of schedules whose rates change (a `version`)
  ReduceLROnPlateau        the reduce-on-plateau schedule (its hook: `plateau.PlateauHook`)
  spec, from_spec          the schedule flag language: one string per schedule
  SpecError                what `from_spec` raises
  horizons                 where a schedule finishes (`horizon`), and the warning line when
                           that is not the run's `--train_steps`
  run_plan                 a run's schedule after its length changed (`replan`, `--extend`)
  checks                   the argument checks every schedule, hook and program uses

Graph side (lazy):
  LearningRateSetterHook   applies a schedule to a graph, exactly
  learning_rate            the in-graph rate tensor: self-driving with `schedule=`, else
                           driven by the setter hook
  scheduled_value          the same for any scheduled hyperparameter (momentum, ...)
  learning_rate_fn         a self-driving rate bound to a step variable made after the
                           optimizer (Keras 2's `iterations`), for a tf.compat.v1 optimizer
  run_start_step           the step each run starts at, as the scheduled values read it: the
                           exact label (+ 1) of a summary fetched with the train op
  LEARNING_RATE_COLLECTION the graph collection of rate tensors
  SCHEDULED_VALUE_COLLECTION the graph collection of every scheduled value
  UnscheduledValueError, StepNotIncrementedError  raised (inside a run) by a scheduled value
  rate_summary             the `learning_rate` summary of a rate tensor, tagged exactly
  precision                the session config of reduced precision (bf16 on CPUs, fp16 on
                           GPUs) for any TF1 program, and what the machine supports
  scalar_summary           a scalar summary tagged exactly

Telemetry (lazy):
  TrainingLogHook          a log line (and a live progress line) every N steps
  LearningRateSummaryHook  the applied rate in TensorBoard without a summary op
  SummarySaverHook         TF's summary hook with exact labels: skips runs that do not train
  hparams                  runs for TensorBoard's HParams dashboard
  review_layout            a Custom Scalars layout: the rate first, then loss, accuracy, ...
  event_files              cutting torn records off event files

Keras (lazy; Keras 3, or Keras 2 on TensorFlow 2.15):
  keras                    schedules in Keras: `keras.KerasSchedule`, `keras.scheduled_value`,
                           `keras.LearningRateLogger`, `keras.PlateauCallback`,
                           `keras.continue_from_checkpoint` (a TF1 run's step; docs/migrating.md)
  KerasSchedule            a Keras `LearningRateSchedule` of any lrhooks schedule, exact

Tools:
  plateau, PlateauHook             reduce-on-plateau: the hook and its checkpointed state (lazy)
  range_test, LRRangeTestHook      the learning-rate range test (lazy)
  preview                          chart, key points and series of a schedule
                                   (`python -m lrhooks.preview`)
  plot                             PNG plots of the rate, loss and accuracy from event files
                                   (`python -m lrhooks.plot`; matplotlib, lazy)
"""

import importlib
from typing import TYPE_CHECKING, Any

from lrhooks import checks
from lrhooks import horizons
from lrhooks import preview
from lrhooks import run_plan
from lrhooks import schedules
from lrhooks import spec
from lrhooks.schedules import ReduceLROnPlateau, Schedule, StatefulSchedule
from lrhooks.spec import SpecError, from_spec

if TYPE_CHECKING:  # what the lazy names below are, for type checkers and IDEs
    from lrhooks import keras, plot
    from lrhooks.graph.rate_tensor import (LEARNING_RATE_COLLECTION, SCHEDULED_VALUE_COLLECTION,
                                           StepNotIncrementedError, UnscheduledValueError,
                                           learning_rate, refused_value, scheduled_value)
    from lrhooks.graph.step_binding import learning_rate_fn, run_start_step
    from lrhooks.graph.summaries import rate_summary, review_layout, scalar_summary
    from lrhooks.hooks import plateau, range_test
    from lrhooks.hooks.learning_rate_setter import LearningRateSetterHook
    from lrhooks.hooks.learning_rate_summary import LearningRateSummaryHook
    from lrhooks.hooks.plateau import PlateauHook
    from lrhooks.hooks.range_test import LRRangeTestHook
    from lrhooks.hooks.summary_saver import SummarySaverHook
    from lrhooks.hooks.training_log import TrainingLogHook
    from lrhooks.keras import KerasSchedule
    from lrhooks.tools import event_files, hparams, precision

__version__ = "0.1.0"

# Public name -> (module, attribute); attribute None: the module itself. Loaded on first use.
_LAZY = {
    # Graph side.
    "LearningRateSetterHook": ("lrhooks.hooks.learning_rate_setter", "LearningRateSetterHook"),
    "learning_rate": ("lrhooks.graph.rate_tensor", "learning_rate"),
    "scheduled_value": ("lrhooks.graph.rate_tensor", "scheduled_value"),
    "learning_rate_fn": ("lrhooks.graph.step_binding", "learning_rate_fn"),
    "run_start_step": ("lrhooks.graph.step_binding", "run_start_step"),
    "LEARNING_RATE_COLLECTION": ("lrhooks.graph.rate_tensor", "LEARNING_RATE_COLLECTION"),
    "SCHEDULED_VALUE_COLLECTION": ("lrhooks.graph.rate_tensor", "SCHEDULED_VALUE_COLLECTION"),
    "UnscheduledValueError": ("lrhooks.graph.rate_tensor", "UnscheduledValueError"),
    "StepNotIncrementedError": ("lrhooks.graph.rate_tensor", "StepNotIncrementedError"),
    "refused_value": ("lrhooks.graph.rate_tensor", "refused_value"),
    "rate_summary": ("lrhooks.graph.summaries", "rate_summary"),
    "scalar_summary": ("lrhooks.graph.summaries", "scalar_summary"),
    "review_layout": ("lrhooks.graph.summaries", "review_layout"),
    "precision": ("lrhooks.tools.precision", None),
    # Telemetry.
    "TrainingLogHook": ("lrhooks.hooks.training_log", "TrainingLogHook"),
    "LearningRateSummaryHook": ("lrhooks.hooks.learning_rate_summary", "LearningRateSummaryHook"),
    "SummarySaverHook": ("lrhooks.hooks.summary_saver", "SummarySaverHook"),
    "hparams": ("lrhooks.tools.hparams", None),
    "event_files": ("lrhooks.tools.event_files", None),
    # Keras.
    "keras": ("lrhooks.keras", None),
    "KerasSchedule": ("lrhooks.keras", "KerasSchedule"),
    # Tools.
    "plateau": ("lrhooks.hooks.plateau", None),
    "PlateauHook": ("lrhooks.hooks.plateau", "PlateauHook"),
    "range_test": ("lrhooks.hooks.range_test", None),
    "LRRangeTestHook": ("lrhooks.hooks.range_test", "LRRangeTestHook"),
    "plot": ("lrhooks.plot", None),
}

__all__ = [
    "__version__",
    # Schedules.
    "schedules", "Schedule", "StatefulSchedule", "ReduceLROnPlateau", "spec", "from_spec",
    "SpecError", "checks", "horizons", "run_plan",
    # Graph side, telemetry and tools (lazy).
    *_LAZY,
    "preview",
]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'lrhooks' has no attribute {name!r}")
    module_name, attribute = _LAZY[name]
    module = importlib.import_module(module_name)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value
    return value


def __dir__():
    return sorted(__all__)
