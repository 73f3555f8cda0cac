"""Random (arguments, step) cases of every conformance factory, and their Keras values.

The argument sets are the conformance REGISTRY's schedules (golden and breakpoint
examples, `tests/test_schedule_conformance.py` and `tests/support/catalogue_registry.py`);
the steps are drawn around each schedule's breakpoints, uniformly over its scale and far
past it. `keras_values` evaluates `lrhooks.keras.KerasSchedule` in one graph and one
session run, half of each schedule's steps inside its table and half past it.
"""

import random
from typing import List, Tuple

import numpy as np
import tensorflow as tf

from lrhooks import checks
from lrhooks.keras import KerasSchedule

Case = Tuple[str, object, List[int]]  # (factory, schedule, steps)


def registry_schedules() -> List[Tuple[str, object]]:
    """Every (factory name, schedule) of the conformance REGISTRY."""
    from tests.test_schedule_conformance import REGISTRY  # pylint: disable=import-outside-toplevel
    found = []
    for name, entry in REGISTRY.items():
        found += [(name, schedule) for schedule, _ in entry.golden]
        found += [(name, schedule) for schedule, _, _ in entry.breakpoints]
    return found


def _representable(schedule, step: int, dtype: str) -> bool:
    try:
        checks.schedule_rate(schedule, step, dtype)
    except (ValueError, OverflowError):  # refused, or (cyclic_momentum, triangular2) overflows
        return False
    return True


def cases(steps_per_schedule: int, seed: int = 0, dtype: str = "float32",
          table_steps: int = 64) -> List[Case]:
    """`steps_per_schedule` random steps of each schedule: half < `table_steps`, half past it."""
    rng = random.Random(seed)
    drawn = []
    for name, schedule in registry_schedules():
        scale = max([table_steps * 4, *schedule.breakpoints(table_steps * 4)])
        marks = list(schedule.breakpoints(scale * 4))
        inside, outside = [], []
        for _ in range(steps_per_schedule * 4):
            kind = rng.random()
            if kind < 0.4 and marks:
                step = rng.choice(marks) + rng.choice((-1, 0, 1))
            elif kind < 0.9:
                step = rng.randrange(0, scale * 3)
            else:
                step = rng.randrange(0, 10 ** rng.randint(3, 6))
            if step < 0 or not _representable(schedule, step, dtype):
                continue
            (inside if step < table_steps else outside).append(step)
        half = steps_per_schedule // 2
        inside += [rng.randrange(0, table_steps) for _ in range(half - len(inside[:half]))]
        inside = inside[:half]
        outside = outside[:steps_per_schedule - len(inside)]
        drawn.append((name, schedule, inside + outside))
    return drawn


def keras_values(drawn: List[Case], dtype: str = "float32", table_steps: int = 64,
                 table_every: int = 1) -> List[np.ndarray]:
    """Each case's steps through `lrhooks.keras.KerasSchedule` in one graph and one run.

    Every `table_every`-th schedule gets a table of `table_steps` steps (its steps inside
    the table are looked up, the others go through the Python fallback of the same
    `tf.cond`); the others have no table (every step calls Python). Building a `tf.cond`
    takes tens of milliseconds, hence `table_every` for the fast tests.
    """
    with tf.Graph().as_default():
        fetches = []
        for index, (_, schedule, steps) in enumerate(drawn):
            table = table_steps if index % table_every == 0 else 0
            keras_schedule = KerasSchedule(schedule, table_steps=table, dtype=dtype)
            parts = [steps]  # no table: one call
            if table:
                parts = [[step for step in steps if step < table_steps],
                         [step for step in steps if step >= table_steps]]
            fetches.append([keras_schedule(tf.constant(part, dtype=tf.int64)) for part in parts])
        with tf.compat.v1.Session() as session:
            results = session.run(fetches)
    return [np.concatenate(parts) for parts in results]


def flushed(values: np.ndarray) -> np.ndarray:
    """`values` with subnormals flushed to zero, as TensorFlow's CPU kernels may do."""
    values = np.array(values)
    values[np.abs(values) < np.finfo(values.dtype).tiny] = 0.0
    return values


def agrees(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    """Where `got` is `want` bit for bit, or 0 for a subnormal `want` (flushed)."""
    return (got == want) | (got == flushed(want))


def python_values(drawn: List[Case], dtype: str = "float32") -> List[np.ndarray]:
    """Each case's steps through the Python schedule, rounded to `dtype`."""
    return [np.array([schedule(step) for step in steps], dtype=np.float64).astype(dtype)
            for _, schedule, steps in drawn]
