"""lrhooks.keras against the Python schedules: >= 100,000 random (arguments, step) cases.

For every factory of the conformance registry (`tests/test_schedule_conformance.py`,
`tests/support/catalogue_registry.py`: its schedules are the argument sets), draws
`--steps_per_schedule` random steps per schedule (near its breakpoints, over its scale, and
far past it; half inside the table), evaluates `lrhooks.keras.KerasSchedule` in one graph
(a table of `--table_steps` steps and the Python fallback past it; `--no_table`: the
fallback only) and, with `--xla`, through an XLA-compiled function (a table covering every
step drawn), and compares with the Python schedule: float32 (TensorFlow flushes float32
subnormals to zero, counted apart) and float64. Prints the counts and the largest
difference in float32 ulps.

    python bench/keras_conformance.py [--steps_per_schedule 400] [--xla]
"""

import argparse
import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))  # run from a checkout

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from lrhooks.keras import KerasSchedule  # noqa: E402
from tests.support import keras_cases  # noqa: E402


def ulps(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    """|got - want| in float32 ulps of `want`."""
    spacing = np.spacing(np.abs(want.astype(np.float32))).astype(np.float64)
    return np.abs(got.astype(np.float64) - want.astype(np.float64)) / spacing


def xla_values(drawn) -> list:
    """Each case through `KerasSchedule(schedule, table_steps=max step + 1)` under XLA."""
    found = []
    for _, schedule, steps in drawn:
        keras_schedule = KerasSchedule(schedule, table_steps=max(steps) + 1)
        function = tf.function(keras_schedule, jit_compile=True)
        found.append(function(tf.constant(steps, tf.int64)).numpy())
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps_per_schedule", type=int, default=400)
    parser.add_argument("--table_steps", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--xla", action="store_true", help="also under XLA (tables up to the "
                        "largest step drawn: use a small --steps_per_schedule)")
    args = parser.parse_args()
    failures = 0
    for dtype in ("float32", "float64"):
        start = time.perf_counter()
        drawn = keras_cases.cases(args.steps_per_schedule, seed=args.seed, dtype=dtype,
                                  table_steps=args.table_steps)
        got = keras_cases.keras_values(drawn, dtype, table_steps=args.table_steps)
        want = keras_cases.python_values(drawn, dtype)
        exact = [np.array([schedule(step) for step in steps], np.float64)
                 for _, schedule, steps in drawn]
        seconds = time.perf_counter() - start
        count = sum(len(steps) for _, _, steps in drawn)
        got_all, want_all = np.concatenate(got), np.concatenate(want)
        flushed = keras_cases.flushed(want_all)
        mismatches = int(np.sum(got_all != flushed))
        subnormal = int(np.sum(flushed != want_all))
        worst = float(np.max(ulps(got_all, np.concatenate(exact)))) if dtype == "float32" else 0
        print(f"{dtype}: {count} cases ({len({n for n, _, _ in drawn})} factories, "
              f"{len(drawn)} argument sets) in {seconds:.1f} s: {mismatches} differ from the "
              f"Python value in {dtype}" + (f" (with {subnormal} subnormals flushed to 0); "
                                             f"largest error vs float64: {worst:.2f} ulp"
                                             if dtype == "float32" else " (bit for bit)"))
        failures += mismatches
        if args.xla and dtype == "float32":
            start = time.perf_counter()
            values = xla_values(drawn)
            bad = sum(int(np.sum((v != w) & (v != keras_cases.flushed(w))))
                      for v, w in zip(values, want))
            print(f"float32 under XLA: {count} cases in {time.perf_counter() - start:.1f} s: "
                  f"{bad} differ")
            failures += bad
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
