"""Any lrhooks schedule in Keras (Keras 3, and tf.keras / Keras 2 on TensorFlow 2.15).

    schedule = lrhooks.keras.KerasSchedule("exponential_decay(0.001, 500, 0.5, staircase=True)",
                                           table_steps=1500)
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss=...)
    model.fit(..., callbacks=[lrhooks.keras.LearningRateLogger(log_dir)])

Keras calls a `LearningRateSchedule` with `optimizer.iterations` before it
increments it, so the batch that runs as step `k` (0-based, counting every
batch ever applied by that optimizer) trains at `schedule(k)`, as a TF1 run
with `global_step == k` does. `KerasSchedule` computes that value exactly (the
float32 rounding of the Python schedule's float64 value, or the value itself
with `dtype="float64"`):

* while executing eagerly: by calling the schedule;
* in a graph (Keras's compiled `train_step`): from a table of the first
  `table_steps` values (`tf.gather`), and by calling the schedule through
  `tf.numpy_function` for steps past the table (or always, without a table);
* under XLA (`jit_compile=True`, Keras 3's default on GPUs; Keras 2's
  optimizers on GPUs), which cannot call Python: from the table only. Without a
  table it fails in one line naming `table_steps`; past the table (and where the
  schedule refuses a step) the value is NaN, so training stops visibly (the loss
  becomes NaN), and `LearningRateLogger` refuses such a `fit` before it starts.

A stateful schedule (a plateau, alone or inside a composition) has no table:
its values change when `PlateauCallback` reports a metric, and the next step
reads them. Other scheduled hyperparameters (momentum, weight decay, Adam's
betas) are set on the optimizer as `scheduled_value(schedule, optimizer)`, a
value that each update reads in its graph at `optimizer.iterations`.
`continue_from_checkpoint` carries a TF1 run's `global_step` to the optimizer.
"""

import math
from typing import Any, Callable, Dict, Optional, Union

import numpy as np
import tensorflow as tf
from tensorflow.python.ops import control_flow_util

from lrhooks import checks
from lrhooks import schedules
from lrhooks import spec as spec_language

__all__ = ["KerasSchedule", "scheduled_value", "ScheduledValue", "LearningRateLogger",
           "PlateauCallback", "continue_from_checkpoint"]

keras = tf.keras  # Keras 3 on TensorFlow >= 2.16, Keras 2 on 2.15 (or tf_keras when chosen)

_DTYPES = ("float32", "float64")


def _in_xla_context() -> bool:
    """True while tracing a function that XLA compiles (where Python cannot be called)."""
    return control_flow_util.GraphOrParentsInXlaContext(tf.compat.v1.get_default_graph())


def _register(cls):
    saving = getattr(keras, "saving", None)
    if saving is not None and hasattr(saving, "register_keras_serializable"):
        return saving.register_keras_serializable(package="lrhooks")(cls)
    return keras.utils.register_keras_serializable(package="lrhooks")(cls)


@_register
class KerasSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """A Keras `LearningRateSchedule` whose value at step `k` is `schedule(k)`, exactly.

    Attributes:
      schedule: The lrhooks schedule (or callable `step -> rate`).
      table_steps: How many values from step 0 on are kept in the graph (0: none).
      dtype: The dtype of the value, "float32" or "float64".
    """

    def __init__(self, schedule: Union[str, Callable[[int], float]], table_steps: int = 0,
                 dtype: str = "float32", name: Optional[str] = None):
        """Builds the schedule (and its table).

        Args:
          schedule: An lrhooks schedule, a schedule string (`lrhooks.spec`), or any
            callable `step -> rate` (which then has no config to save).
          table_steps: Values of steps `0 .. table_steps - 1` computed now and looked up
            in the graph; needed under XLA (`jit_compile=True`), where they must cover
            every step trained. 0: every graph step calls the schedule in Python.
          dtype: "float32" (Keras's) or "float64".
          name: The schedule's name (Keras's `name` config key).

        Raises:
          SpecError: `schedule` is a string that is not a schedule spec.
          TypeError, ValueError: Another argument is not allowed (one line).
        """
        super().__init__()
        if isinstance(schedule, str):
            schedule = spec_language.from_spec(schedule)
        if not callable(schedule):
            raise TypeError(f"`schedule` must be an lrhooks schedule, a schedule spec or a "
                            f"callable step -> rate, got {schedule!r}")
        self.schedule = schedule
        self.table_steps = checks.non_negative_count("table_steps", table_steps)
        self.dtype = checks.choice("dtype", dtype, _DTYPES)
        self.name = name
        self.stateful = bool(schedules.stateful_parts(schedule))
        if self.stateful and self.table_steps:
            raise ValueError(f"`table_steps` must be 0 for a stateful schedule (its values change "
                             f"when a metric is reported), got {self.table_steps}")
        self._table = None
        if self.table_steps:
            self._table = np.array([self._rate_or_nan(step) for step in range(self.table_steps)],
                                   dtype=np.float64).astype(self.dtype)

    def _rate(self, step: int) -> float:
        return checks.schedule_rate(self.schedule, step, self.dtype)

    def _rate_or_nan(self, step: int) -> float:
        """The table's entry: NaN where the schedule refuses the step (the fallback raises)."""
        try:
            return self._rate(step)
        except ValueError:
            return math.nan

    def values(self, steps) -> np.ndarray:
        """The schedule at `steps` (ints), in this schedule's dtype, computed in Python."""
        steps = np.asarray(steps)
        flat = [self._rate(int(step)) for step in steps.reshape(-1)]
        return np.array(flat, dtype=np.float64).astype(self.dtype).reshape(steps.shape)

    def __call__(self, step):
        """The rate at `step` (a scalar or a vector of steps), as a tensor of `dtype`."""
        if tf.executing_eagerly():
            return tf.constant(self.values(np.asarray(step)), dtype=self.dtype)
        step = tf.cast(step, tf.int64)
        if _in_xla_context():
            if self.stateful:
                raise ValueError("a stateful KerasSchedule (its values change when a metric is "
                                 "reported) cannot run under XLA: compile with jit_compile=False")
            if self._table is None:
                raise ValueError(
                    "KerasSchedule under XLA (jit_compile=True) cannot call Python: give it "
                    "`table_steps` >= the last step trained, or compile with jit_compile=False")
            table = tf.constant(self._table)
            inside = tf.logical_and(step >= 0, step < self.table_steps)
            picked = tf.gather(table, tf.clip_by_value(step, 0, self.table_steps - 1))
            return tf.where(inside, picked, tf.constant(math.nan, dtype=self.dtype))
        if self._table is None:
            return self._python_values(step)
        table = tf.constant(self._table)
        picked = tf.gather(table, tf.clip_by_value(step, 0, self.table_steps - 1))
        inside = tf.reduce_all((step >= 0) & (step < self.table_steps) & tf.math.is_finite(picked))
        return tf.cond(inside, lambda: picked, lambda: self._python_values(step))

    def _python_values(self, step: tf.Tensor) -> tf.Tensor:
        value = tf.numpy_function(self.values, [step], tf.as_dtype(self.dtype), stateful=True,
                                  name="lrhooks_schedule")
        value.set_shape(step.shape)
        return value

    def get_config(self) -> Dict[str, Any]:
        """`{"schedule": <spec string>, "table_steps", "dtype", "name"}`.

        Raises:
          TypeError: The schedule is a plain callable, not an lrhooks schedule.
        """
        if not isinstance(self.schedule, schedules.Schedule):
            raise TypeError(f"KerasSchedule of {self.schedule!r} cannot be saved: give it an "
                            "lrhooks schedule or a schedule spec string")
        return {"schedule": spec_language.spec(self.schedule), "table_steps": self.table_steps,
                "dtype": self.dtype, "name": self.name}

    @classmethod
    def from_config(cls, config: Dict[str, Any]) -> "KerasSchedule":
        return cls(**config)

    def __repr__(self) -> str:
        return f"KerasSchedule({self.schedule!r}, table_steps={self.table_steps})"


class ScheduledValue:
    """An optimizer hyperparameter (momentum, weight decay, ...) that follows a schedule.

    Keras's optimizers cast their hyperparameters to tensors in each update
    (`ops.cast(self.momentum, dtype)`); this value converts to
    `KerasSchedule(schedule)(optimizer.iterations)` there, so the update of step
    `k` uses `schedule(k)`, in the same graph and with the same rules (table,
    Python fallback, XLA) as the learning rate. Read it eagerly with `float()`.
    """

    def __init__(self, schedule: Union[str, Callable[[int], float]], optimizer,
                 table_steps: int = 0):
        self.keras_schedule = KerasSchedule(schedule, table_steps=table_steps)
        self.schedule = self.keras_schedule.schedule
        self.optimizer = optimizer

    def __tf_tensor__(self, dtype=None, name=None):  # tf.convert_to_tensor's protocol
        value = self.keras_schedule(self.optimizer.iterations)
        return value if dtype is None else tf.cast(value, dtype)

    def get_config(self):
        """Refuses: an optimizer's config holds numbers only (its `from_config` checks them)."""
        raise TypeError("a scheduled optimizer value cannot be saved in the optimizer's config: "
                        "set the attribute back to a float before `model.save`, or save the "
                        "weights only")

    def __float__(self) -> float:
        return float(self.keras_schedule.values(int(self.optimizer.iterations.numpy())))

    def __repr__(self) -> str:
        return f"scheduled_value({self.schedule!r})"


def scheduled_value(schedule: Union[str, Callable[[int], float]], optimizer,
                    table_steps: int = 0) -> ScheduledValue:
    """A scheduled hyperparameter for `optimizer`, e.g. `opt.momentum = scheduled_value(S, opt)`.

    Set it before the first `fit` (the update's graph reads it when traced); for SGD's
    momentum, build the optimizer with `momentum > 0` so that it makes its momentum slots.
    The optimizer's config cannot hold it (`model.save` raises a one-line TypeError): save
    the weights, or set the attribute back to a float before saving.

    Args:
      schedule: An lrhooks schedule, a schedule spec string, or a callable `step -> value`.
      optimizer: The Keras optimizer whose `iterations` the value follows.
      table_steps: As for `KerasSchedule` (needed under XLA).

    Returns:
      A `ScheduledValue`.
    """
    return ScheduledValue(schedule, optimizer, table_steps=table_steps)


def _schedule_of(optimizer) -> Optional[KerasSchedule]:
    schedule = getattr(optimizer, "_learning_rate", None)
    return schedule if isinstance(schedule, KerasSchedule) else None


class LearningRateLogger(keras.callbacks.Callback):
    """Writes the rate each step applied as the TensorBoard scalar `learning_rate` at that step.

    The step is the optimizer's `iterations` when the batch started (the step the
    schedule was called with). With several steps per execution, every step's value
    is written (computed by the schedule, as the graph computed it).
    """

    def __init__(self, log_dir: str, tag: str = "learning_rate", every_n_steps: int = 1):
        super().__init__()
        self.log_dir = log_dir
        self.tag = tag
        self.every_n_steps = checks.positive_count("every_n_steps", every_n_steps)
        self._writer = None
        self._start = 0
        self._rate = None

    def on_train_begin(self, logs=None):
        self._writer = tf.summary.create_file_writer(self.log_dir)
        schedule = _schedule_of(self.model.optimizer)
        jit = getattr(self.model, "jit_compile", False) or getattr(
            self.model.optimizer, "jit_compile", False)
        steps, epochs = (self.params or {}).get("steps"), (self.params or {}).get("epochs")
        if schedule is not None and jit and steps and epochs:
            last = int(self.model.optimizer.iterations.numpy()) + steps * epochs - 1
            if schedule.table_steps and last >= schedule.table_steps:
                raise ValueError(f"`table_steps` must be > {last} (the last step of this fit) "
                                 f"under XLA, got {schedule.table_steps}")

    def on_train_batch_begin(self, batch, logs=None):
        self._start = int(self.model.optimizer.iterations.numpy())
        if _schedule_of(self.model.optimizer) is None:
            self._rate = float(np.asarray(self.model.optimizer.learning_rate))

    def on_train_batch_end(self, batch, logs=None):
        end = int(self.model.optimizer.iterations.numpy())
        steps = [step for step in range(self._start, end) if step % self.every_n_steps == 0]
        if not steps:
            return
        schedule = _schedule_of(self.model.optimizer)
        rates = schedule.values(steps) if schedule is not None else [self._rate] * len(steps)
        with self._writer.as_default():
            for step, rate in zip(steps, rates):
                tf.summary.scalar(self.tag, float(rate), step=step)

    def on_train_end(self, logs=None):
        if self._writer is not None:
            self._writer.flush()


class PlateauCallback(keras.callbacks.Callback):
    """Reports `logs[monitor]` at each epoch end to the stateful schedules of the optimizer.

    The stateful parts (`lrhooks.schedules.stateful_parts`: a `ReduceLROnPlateau`,
    alone or inside a composition) of the optimizer's `KerasSchedule` (or of the
    given `schedule`) receive the value; a reduction applies from the next step on.
    """

    def __init__(self, monitor: str = "val_loss", schedule: Optional[Callable] = None):
        super().__init__()
        self.monitor = monitor
        self.schedule = schedule

    def _parts(self):
        schedule = self.schedule
        if schedule is None:
            keras_schedule = _schedule_of(self.model.optimizer)
            schedule = keras_schedule.schedule if keras_schedule is not None else None
        if isinstance(schedule, KerasSchedule):
            schedule = schedule.schedule
        parts = schedules.stateful_parts(schedule) if schedule is not None else ()
        if not parts:
            raise ValueError(f"PlateauCallback needs a stateful schedule (e.g. "
                             f"reduce_lr_on_plateau(...)), got {schedule!r}")
        return parts

    def on_train_begin(self, logs=None):
        self._parts()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.monitor not in logs:
            raise ValueError(f"`monitor` {self.monitor!r} is not in this epoch's logs: "
                             f"allowed: {sorted(logs)}")
        for part in self._parts():
            part.report(float(logs[self.monitor]))


def continue_from_checkpoint(optimizer, checkpoint: str, step_name: str = "global_step") -> int:
    """Sets `optimizer.iterations` to a TF1 checkpoint's step; returns that step.

    A TF1 run whose checkpoint holds `global_step == g` trained steps `0 .. g - 1`;
    after this call the next Keras batch trains at `schedule(g)`, as the TF1 run's
    next step would have.

    Args:
      optimizer: A Keras optimizer (Keras 3, or Keras 2's `tf.keras.optimizers`).
      checkpoint: A checkpoint prefix or a directory (its latest checkpoint).
      step_name: The step variable's name in the checkpoint.

    Raises:
      ValueError: No checkpoint at `checkpoint`, or it holds no `step_name`.
    """
    path = checkpoint
    if tf.io.gfile.isdir(checkpoint):
        path = tf.train.latest_checkpoint(checkpoint)
        if path is None:
            raise ValueError(f"`checkpoint` {checkpoint!r} is a directory with no checkpoint")
    try:
        names = {name for name, _ in tf.train.list_variables(path)}
    except (tf.errors.NotFoundError, tf.errors.DataLossError, ValueError):
        raise ValueError(f"`checkpoint` {checkpoint!r} is not a TensorFlow checkpoint") from None
    if step_name not in names:
        raise ValueError(f"`step_name` {step_name!r} is not in checkpoint {path!r}: it holds "
                         f"{sorted(names)[:8]}")
    step = int(tf.train.load_variable(path, step_name))
    optimizer.iterations.assign(step)
    return step
