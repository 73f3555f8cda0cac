"""The exported schedules against the Python ones, over many random (argument set, step) cases.

For every factory of the conformance REGISTRY (its argument sets, random steps around and
past the regimes each entry checks): the rate a `lrhooks.torch.ScheduleLR` writes into a
PyTorch parameter group after a resume at the step and after the next `step()` (Python floats:
must be equal), and the value of a jitted `lrhooks.optax.optax_schedule` in float32 (must be
the float64 value rounded to nearest: within one float32 ulp; a value below float32's smallest
normal, 1.2e-38, is flushed to 0 by XLA and counted apart) and in JAX's 64-bit mode (must be
equal). A framework that is not installed is reported as skipped. Run by hand:

    python bench/export_exactness.py --cases 100000

Prints one row per framework and mode: cases, mismatches, the largest difference in float32
ulps, seconds. Exits non-zero if any case is off.
"""

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # a checkout

from tests.support import export_cases  # noqa: E402  pylint: disable=wrong-import-position


def _torch_rows(count, seed):
    try:
        import torch  # pylint: disable=import-outside-toplevel
    except ImportError:
        return [("torch", "float64 groups", "skipped: torch is not installed", "", "", "")]
    from lrhooks.torch import ScheduleLR  # pylint: disable=import-outside-toplevel
    start = time.perf_counter()
    built, bad, checked = {}, 0, 0
    for _, schedule, step in export_cases.cases(count, seed):
        key = repr(schedule)
        if key not in built:
            param = torch.zeros(1, dtype=torch.float64, requires_grad=True)
            optimizer = torch.optim.SGD([param], lr=1.0, momentum=0.5)
            scheduler = ScheduleLR(optimizer, schedule, {"momentum": schedule})
            built[key] = optimizer, scheduler, scheduler.state_dict()
        optimizer, scheduler, state = built[key]
        scheduler.load_state_dict(dict(state, step=step))
        group = optimizer.param_groups[0]
        bad += not group["lr"] == group["momentum"] == schedule(step)
        optimizer.step()
        scheduler.step()
        bad += not group["lr"] == group["momentum"] == schedule(step + 1)
        checked += 2
    return [("torch " + torch.__version__, "float64 groups (resume, next step)", checked, bad,
             "0 (equal)" if not bad else "-", f"{time.perf_counter() - start:.1f}")]


def _jax_rows(count, seed):
    try:
        import jax  # pylint: disable=import-outside-toplevel
        import jax.numpy as jnp  # pylint: disable=import-outside-toplevel
    except ImportError:
        return [("jax", "float32 / float64", "skipped: jax is not installed", "", "", "")]
    from lrhooks.optax import optax_schedule  # pylint: disable=import-outside-toplevel
    grouped = {}
    for _, schedule, step in export_cases.cases(count, seed, max_step=2**31 - 2):
        grouped.setdefault(repr(schedule), (schedule, []))[1].append(step)
    groups = list(grouped.values())
    want = [np.array([s(k) for k in steps], np.float64) for s, steps in groups]
    rows = []
    for x64 in (False, True):
        start = time.perf_counter()
        jax.config.update("jax_enable_x64", x64)
        rates = [optax_schedule(s, num_steps=max(1, min(4096, max(steps) // 2 + 1)))
                 for s, steps in groups]
        evaluate = jax.jit(lambda all_steps, rates=rates: [r(k) for r, k in zip(rates, all_steps)])
        got = [np.asarray(g) for g in
               evaluate([jnp.asarray(steps, jnp.int32) for _, steps in groups])]
        bad, worst, checked, flushed_count = 0, 0.0, 0, 0
        for values, expected in zip(got, want):
            if x64:
                bad += int(np.sum(values != expected))
            else:
                wide = values.astype(np.float64)
                # XLA flushes float32 subnormals (below 1.2e-38) to zero: counted apart.
                flushed = (values == 0) & (np.abs(expected) < np.finfo(np.float32).tiny)
                flushed_count += int(np.sum(flushed & (expected != 0)))
                with np.errstate(divide="ignore", invalid="ignore"):
                    ulps = np.abs(wide - expected) / np.spacing(np.abs(values))
                ulps = np.where((wide == expected) | flushed, 0.0, ulps)
                worst = max(worst, float(np.max(ulps)))
                bad += int(np.sum(ulps > 1.0))
            checked += len(values)
        mode = "float64 (x64)" if x64 else f"float32 ({flushed_count} subnormals flushed to 0)"
        rows.append((f"jax {jax.__version__}", mode, checked, bad,
                     "0 (equal)" if x64 and not bad else f"{worst:.3f}",
                     f"{time.perf_counter() - start:.1f}"))
    jax.config.update("jax_enable_x64", False)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=100_000, help="cases per framework")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rows = _torch_rows(args.cases, args.seed) + _jax_rows(args.cases, args.seed)
    header = ("framework", "mode", "cases", "mismatches", "max diff (f32 ulps)", "seconds")
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    for row in [header] + rows:
        print("  ".join(str(v).ljust(w) for v, w in zip(row, widths)).rstrip())
    return 1 if any(isinstance(r[3], int) and r[3] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
