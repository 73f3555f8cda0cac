"""lrhooks.keras against the Python schedules: >= 100,000 random (arguments, step) cases.

For every factory of the conformance registry (`tests/test_schedule_conformance.py`,
`tests/support/catalogue_registry.py`: its schedules are the argument sets), draws
`--steps_per_schedule` random steps per schedule (near its breakpoints, over its scale, and
far past it; half inside the table), evaluates `lrhooks.keras.KerasSchedule` in one graph
(a table of `--table_steps` steps for the inside half, the Python fallback for the rest)
and, with `--xla`, through an XLA-compiled function (the steps below 5,000, from a table of
5,000 steps), and compares with the Python schedule rounded to float32 and in float64,
bit for bit (TensorFlow's CPU kernels flush subnormals to zero: counted apart). Prints the
counts and the largest error against the float64 value in float32 ulps.

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


def ulps(got: np.ndarray, want: np.ndarray, dtype: str) -> np.ndarray:
    """|got - want| in ulps of `want` in `dtype`."""
    spacing = np.spacing(np.abs(want.astype(dtype))).astype(np.float64)
    return np.abs(got.astype(np.float64) - want.astype(np.float64)) / spacing


def xla_values(drawn, below: int = 5000) -> list:
    """`(values, steps)` of each case's steps `< below`, from a table of `below` under XLA."""
    found = []
    for _, schedule, steps in drawn:
        steps = [step for step in steps if step < below]
        keras_schedule = KerasSchedule(schedule, table_steps=below)
        function = tf.function(keras_schedule, jit_compile=True)
        found.append((function(tf.constant(steps, tf.int64)).numpy(), steps))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps_per_schedule", type=int, default=400)
    parser.add_argument("--table_steps", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--xla", action="store_true",
                        help="also under XLA (the steps below 5,000, from a table of 5,000)")
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
        mismatches = int(np.sum(~keras_cases.agrees(got_all, want_all)))
        subnormal = int(np.sum(got_all != want_all)) - mismatches
        normal = np.abs(want_all) >= np.finfo(dtype).tiny
        worst = float(np.max(ulps(got_all[normal], np.concatenate(exact)[normal], dtype)))
        print(f"{dtype}: {count} cases ({len({n for n, _, _ in drawn})} factories, "
              f"{len(drawn)} argument sets) in {seconds:.1f} s: {mismatches} differ from the "
              f"Python value in {dtype} ({subnormal} subnormals flushed to 0); largest error "
              f"vs the float64 value (normal values): {worst:.2f} {dtype} ulp")
        failures += mismatches
        if args.xla and dtype == "float32":
            start = time.perf_counter()
            found = xla_values(drawn)
            bad = sum(int(np.sum(~keras_cases.agrees(
                values, np.array([schedule(step) for step in steps], np.float32))))
                for (values, steps), (_, schedule, _) in zip(found, drawn))
            count = sum(len(steps) for _, steps in found)
            print(f"float32 under XLA (steps < 5000, table of 5000): {count} cases in "
                  f"{time.perf_counter() - start:.1f} s: {bad} differ")
            failures += bad
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
