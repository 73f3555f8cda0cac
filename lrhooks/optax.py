"""lrhooks schedules in JAX / optax: `optax_schedule`, a schedule callable usable under `jax.jit`.

Install with `pip install 'lrhooks[jax]'`. `import lrhooks` never imports this module, and
this module never imports TensorFlow.

    import optax
    from lrhooks.optax import optax_schedule

    rate = optax_schedule("cosine_decay(0.1, decay_steps=1000)", num_steps=1000)
    optimizer = optax.sgd(learning_rate=rate, momentum=0.9)
    # any hyperparameter, as optax.inject_hyperparams arguments:
    optimizer = optax.inject_hyperparams(optax.sgd)(
        learning_rate=rate, momentum=optax_schedule(momentum_schedule, num_steps=1000))

Step semantics (optax's, which are TF1's): the k-th update (count `k`, from 0) applies
`schedule(k)`, as TF1's run at `global_step == k` does; a restored optimizer state holds the
count, so a resume is exact at any step.

How: the schedule's values at steps `0 .. num_steps - 1`, computed once in float64 by the Python
schedule, are a table indexed by the step (`table[clip(step, 0, num_steps - 1)]`). A step past
the table is never silently wrong: it is computed exactly by the Python schedule through
`jax.pure_callback` (a host round trip, slower; size `num_steps` to the run). The values are
float32 unless JAX's 64-bit mode is on (`jax.config.update("jax_enable_x64", True)`, set
globally: the host callback runs on another thread): then they equal the Python schedule
exactly; in float32 each is the float64 value rounded to nearest (within one float32 ulp;
XLA flushes a value below float32's smallest normal number, 1.2e-38, to 0), and a table value
beyond float32's range is an error naming the fix.
"""

from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np

from lrhooks import checks
from lrhooks import portable

__all__ = ["optax_schedule", "TableSchedule"]

ScheduleLike = portable.ScheduleLike


class TableSchedule:
    """A schedule as a jit-able function of the step: a float64-computed table, exact past it.

    Attributes:
      schedule: The lrhooks schedule.
      num_steps: How many steps (from 0) the table holds.
      start_step: The step of count 0 (a TF1 run continued from its `global_step`).
      values: The table, a float64 numpy array (`values[k] == schedule(start_step + k)`).
    """

    def __init__(self, schedule: ScheduleLike, num_steps: int, start_step: int = 0) -> None:
        self.schedule = portable.pure_schedule(schedule, "schedule",
                                               "optax.contrib.reduce_on_plateau")
        self.num_steps = checks.positive_count("num_steps", num_steps)
        self.start_step = checks.step(start_step, "start_step")
        self.values = np.array([self.schedule(self.start_step + step)
                                for step in range(self.num_steps)],
                               dtype=np.float64)
        finite = self.values[np.isfinite(self.values)]
        self._float32_overflows = bool(np.any(np.abs(finite) > np.finfo(np.float32).max))

    def __repr__(self) -> str:
        return (f"optax_schedule({self.schedule!r}, num_steps={self.num_steps}, "
                f"start_step={self.start_step})")

    def __call__(self, step: Any) -> jax.Array:
        """`schedule(start_step + step)` for an integer `step` (scalar or array, traced or not)."""
        step = jnp.asarray(step)
        if not jnp.issubdtype(step.dtype, jnp.integer):
            raise TypeError(f"`step` must be an integer (optax's count), got dtype {step.dtype}")
        dtype = jax.dtypes.canonicalize_dtype(jnp.float64)  # float32 unless jax_enable_x64
        if dtype == np.float32 and self._float32_overflows:
            raise ValueError(f"`schedule` {self.schedule!r} has values beyond float32's range "
                             "in its table: enable JAX's 64-bit mode (jax_enable_x64)")
        table = jnp.asarray(self.values, dtype=dtype)
        inside = table[jnp.clip(step, 0, self.num_steps - 1)]
        past = step >= self.num_steps
        result = jax.ShapeDtypeStruct(step.shape, dtype)

        def exact(steps):  # on the host: the Python schedule, float64, then rounded once
            steps = np.asarray(steps)
            flat = [self.schedule(self.start_step + int(s)) if s >= self.num_steps else 0.0
                    for s in steps.reshape(-1)]
            return np.asarray(flat, dtype=np.float64).reshape(steps.shape).astype(dtype)

        def beyond():
            values = jax.pure_callback(exact, result, step, vmap_method="expand_dims")
            return jnp.where(past, values, inside)

        return jax.lax.cond(jnp.any(past), beyond, lambda: inside)


def optax_schedule(schedule: ScheduleLike, num_steps: int,
                   start_step: int = 0) -> Callable[[Any], jax.Array]:
    """An optax schedule (a function of the update count) giving `schedule(start_step + count)`.

    Args:
      schedule: A `lrhooks.schedules.Schedule` or a spec string such as
        `"warmup(cosine_decay(0.1, 10000), warmup_steps=500)"`.
      num_steps: The table's length, usually the run's number of steps; a later step is
        computed exactly on the host (`jax.pure_callback`).
      start_step: The step of the first update (count 0), e.g. a TF1 checkpoint's
        `global_step` for a run continued in JAX.

    Returns:
      A `TableSchedule`: callable on an integer step (scalar or array), under `jax.jit`,
      `jax.vmap` and `optax.inject_hyperparams`.

    Raises:
      TypeError, ValueError: A one-line message naming the argument (a stateful schedule
        such as `reduce_lr_on_plateau` is refused: its rates are not a function of the step).
    """
    return TableSchedule(schedule, num_steps, start_step)
