"""WSD budgets: a finished run extended vs one planned long, and cooldown branches.

Runs the trainer as a user does (`python -m models.resnet_mnist.train --flagfile=...`, one
subprocess per run, each in a fresh temporary train_dir) with a warmup-stable-decay template
(a `--lr_schedule` written with `train_steps`), over `--seeds`, and prints two tables of the
final test accuracy (mean and min-max over the seeds) and the training and wall time:

(a) extend vs planned: a run planned for `--steps` (1500), finished, then the same command
    with `--train_steps=--extended` (3000) and `--extend` (reheat: back to the stable rate,
    the cooldown moved to the new end), against a run planned for `--extended` from the
    start. Target: the extended run within 0.1 points (mean) of the planned one.
(b) branching budgets: one stable run to the cooldown start of the longest of `--budgets`
    (its plan resolved, stopped where its cooldown starts, a checkpoint at every budget's
    cooldown start), then one cooldown branch per budget (`--branch_from=DIR@STEP`), each
    against a run planned for its budget. Cost: the steps (and times) of the stable run and
    the branches over those of the longest budget's planned run. Target: <= 1.6x.

Evaluation runs only at the end of a run (`--eval_every_n_steps=0`, the final evaluation on
the 10,000 test images; none for the stable run). Training time is the trainer's own (steps
trained / its steps/s, evaluation excluded); wall time is the whole subprocess (TensorFlow's
import, graph building, the final evaluation). The data directory comes from --data_dir, else
$LRHOOKS_MNIST_DIR, else ../shared/data/mnist beside the checkout.

    python bench/wsd_budgets.py [--flagfile models/resnet_mnist/configs/quick_wsd.flags]
        [--seeds 0,1,2] [--steps 1500 --extended 3000 --extend reheat]
        [--budgets 1000,2000,3000] [--measure a,b] [--results runs.jsonl] [--logs DIR]
        [--dry_run]
        [--precision=fp32 (any trainer flag) ...]

`--results FILE` keeps each finished run's numbers (one JSON line per run) and reuses them
when the same run (label, seed, flags) is asked for again, so that a long bench interrupted
can go on where it stopped.
"""

import argparse
import dataclasses
import json
import math
import os
import pathlib
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Callable, Dict, List, Optional, Sequence

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # run from a checkout

from lrhooks import schedules  # noqa: E402  (after the path)
from lrhooks import spec as spec_lib  # noqa: E402

DEFAULT_FLAGFILE = "models/resnet_mnist/configs/quick_wsd.flags"
# What every run adds to its flagfile: evaluation only at the end, no plots, log lines.
COMMON_FLAGS = ("--eval_every_n_steps=0", "--noplots", "--progress=never")
DONE_LINE = re.compile(r"done: step (\d+) of (\d+) in [^,]+, ([0-9.e+-]+) steps/s")
ACCURACY_LINE = re.compile(r"test accuracy\s+([0-9.]+) at step (\d+)")


def default_data_dir() -> str:
    return os.environ.get("LRHOOKS_MNIST_DIR") or str(REPO.parent / "shared" / "data" / "mnist")


@dataclasses.dataclass(frozen=True)
class RunResult:
    """One trainer run: what it trained, how long, and its final test accuracy."""

    label: str
    seed: int
    steps_trained: int
    train_seconds: float
    wall_seconds: float
    accuracy: Optional[float]  # None: no final evaluation


def flagfile_schedule(flagfile: str, overrides: Sequence[str]) -> str:
    """The `--lr_schedule` a run of `flagfile` with `overrides` gets (the last one given)."""
    found = None
    lines = pathlib.Path(flagfile).read_text().splitlines()
    for line in [*lines, *overrides]:
        line = line.strip()
        if line.startswith("--lr_schedule="):
            found = line[len("--lr_schedule="):].strip("'\"")
    if found is None or not spec_lib.is_template(found):
        raise SystemExit(f"{flagfile}: its --lr_schedule must be a warmup_stable_decay template "
                         f"written with train_steps, got {found!r}")
    return found


def cooldown_start(template: str, train_steps: int) -> int:
    """Where the WSD plan of `train_steps` steps starts its cooldown."""
    schedule = spec_lib.resolve(template, train_steps)
    if not isinstance(schedule, schedules.WarmupStableDecay):
        raise SystemExit(f"--lr_schedule must be warmup_stable_decay, got {schedule.factory_name}")
    return schedule.num_warmup_steps + schedule.num_stable_steps


def parse_output(stdout: str, label: str) -> Dict[str, float]:
    """Steps trained, training seconds and final accuracy from the trainer's summary block."""
    done = DONE_LINE.search(stdout)
    if done is None:
        raise SystemExit(f"{label}: no 'done: step ...' line in the trainer's output:\n{stdout}")
    accuracy = ACCURACY_LINE.search(stdout)
    if accuracy and accuracy.group(2) != done.group(1):
        raise SystemExit(f"{label}: the final evaluation is of step {accuracy.group(2)}, not of "
                         f"the last step {done.group(1)}")
    return {"step": int(done.group(1)), "speed": float(done.group(3)),
            "accuracy": float(accuracy.group(1)) if accuracy else None}


class Bench:
    """Runs the trainer, one subprocess per run, and keeps the results."""

    def __init__(self, args, template: str, overrides: Sequence[str]):
        self.args = args
        self.template = template
        self.overrides = list(overrides)
        self.cache: Dict[str, dict] = {}
        self.trained = 0  # runs this invocation trained (the others came from --results)
        self.tmp = tempfile.mkdtemp(prefix="lrhooks-wsd-")
        if args.results and os.path.exists(args.results):
            with open(args.results) as f:
                for line in f:
                    row = json.loads(line)
                    self.cache[row["key"]] = row
            print(f"reusing the runs kept in {args.results} ({len(self.cache)} groups)",
                  file=sys.stderr)

    def close(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def new_dir(self, label: str, seed: int) -> str:
        return tempfile.mkdtemp(prefix=f"{re.sub(r'[^a-z0-9]+', '_', label)}-s{seed}-",
                                dir=self.tmp)

    def train(self, label: str, seed: int, train_dir: str, flags: Sequence[str],
              start_step: int = 0) -> RunResult:
        """One trainer run into `train_dir` (new or resumed from `start_step`)."""
        command = [sys.executable, "-m", "models.resnet_mnist.train",
                   f"--flagfile={self.args.flagfile}", f"--data_dir={self.args.data_dir}",
                   f"--train_dir={train_dir}", f"--seed={seed}", *COMMON_FLAGS,
                   *self.overrides, *flags]
        print(f"  [{label}, seed {seed}] python {' '.join(command[1:])}", file=sys.stderr, flush=True)
        if self.args.dry_run:
            return RunResult(label, seed, 0, 0.0, 0.0, None)
        self.trained += 1
        started = time.perf_counter()
        done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - started
        if self.args.logs:
            os.makedirs(self.args.logs, exist_ok=True)
            name = f"{re.sub(r'[^a-z0-9]+', '_', label)}-seed{seed}.log"
            with open(os.path.join(self.args.logs, name), "w") as f:
                f.write(" ".join(command) + "\n" + done.stdout + done.stderr)
        if done.returncode != 0:
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
            raise SystemExit(f"{label}, seed {seed}: the trainer exited {done.returncode}:\n{tail}")
        out = parse_output(done.stdout, label)
        trained = out["step"] - start_step
        result = RunResult(label, seed, trained, trained / out["speed"], wall, out["accuracy"])
        accuracy = "-" if result.accuracy is None else f"{result.accuracy:.4f}"
        print(f"    {trained} steps, train {result.train_seconds:.1f} s, wall {wall:.1f} s, "
              f"test accuracy {accuracy}", file=sys.stderr, flush=True)
        return result

    def group(self, name: str, seed: int, runs: Callable[[], Dict[str, RunResult]]
              ) -> Dict[str, RunResult]:
        """`runs()` (runs that depend on each other), or their results kept in --results."""
        key = json.dumps([name, seed, self.args.flagfile, self.template, self.overrides])
        if key in self.cache:
            return {k: RunResult(**v) for k, v in self.cache[key]["runs"].items()}
        results = runs()
        self.cache[key] = {"key": key, "runs": {k: dataclasses.asdict(v)
                                                for k, v in results.items()}}
        if self.args.results and not self.args.dry_run:
            with open(self.args.results, "a") as f:
                f.write(json.dumps(self.cache[key]) + "\n")
        return results

    def planned(self, steps: int, seed: int) -> RunResult:
        """A run planned for `steps` steps from its start (run once per seed)."""
        label = f"planned {steps}"
        return self.group(label, seed, lambda: {label: self.train(
            label, seed, self.new_dir(label, seed), [f"--train_steps={steps}"])})[label]


def measure_extend(bench: Bench, seed: int) -> Dict[str, RunResult]:
    """(a) A finished run of --steps extended to --extended, and the planned --extended run."""
    args = bench.args

    def extend():
        short = f"planned {args.steps}"
        train_dir = bench.new_dir(short, seed)
        first = bench.train(short, seed, train_dir, [f"--train_steps={args.steps}"])
        more = bench.train(f"{args.steps} extended to {args.extended}", seed, train_dir,
                           [f"--train_steps={args.extended}", f"--extend={args.extend}"],
                           start_step=args.steps)
        return {"first": first, "extended": more}

    results = bench.group(f"extend {args.steps} -> {args.extended} ({args.extend})", seed,
                          extend)
    return {**results, "planned": bench.planned(args.extended, seed)}


def measure_branches(bench: Bench, seed: int, template: str) -> Dict[str, RunResult]:
    """(b) One stable run to the longest budget's cooldown start, a cooldown branch per budget."""
    budgets = bench.args.budgets
    starts = {b: cooldown_start(template, b) for b in budgets}
    longest = max(budgets)
    every = math.gcd(*starts.values())
    # The longest budget's plan, resolved (fixed numbers), stopped where its cooldown starts:
    # every step it trains is a step of each budget's plan (the trainer warns that the
    # schedule ends later than --train_steps; that is the point).
    stable_spec = spec_lib.spec(spec_lib.resolve(template, longest))

    def branches():
        stable_dir = bench.new_dir("stable", seed)
        results = {"stable": bench.train(
            "stable", seed, stable_dir,
            [f"--lr_schedule={stable_spec}", f"--train_steps={starts[longest]}",
             f"--save_checkpoints_steps={every}", "--keep_checkpoints=0", "--nofinal_eval"])}
        for budget in budgets:
            checkpoint = os.path.join(stable_dir, f"model.ckpt-{starts[budget]}.index")
            if not os.path.exists(checkpoint) and not bench.args.dry_run:
                raise SystemExit(f"the stable run has no checkpoint at step {starts[budget]} "
                                 f"(it saved every {every} steps and kept them all)")
            results[f"branch {budget}"] = bench.train(
                f"branch {budget}", seed, bench.new_dir(f"branch {budget}", seed),
                [f"--train_steps={budget}", f"--branch_from={stable_dir}@{starts[budget]}"],
                start_step=starts[budget])
        return results

    results = bench.group(f"branches {','.join(map(str, budgets))}", seed, branches)
    return {**results, **{f"planned {b}": bench.planned(b, seed) for b in budgets}}

def spread(values: List[Optional[float]], scale: float = 1.0, digits: int = 2) -> str:
    """'mean [min-max]' of the values (accuracies as percent with scale=100)."""
    values = [v * scale for v in values if v is not None]
    if not values:
        return "-"
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return (f"{statistics.mean(values):.{digits}f} [{min(values):.{digits}f}-"
            f"{max(values):.{digits}f}]")


def mean(values: List[float]) -> float:
    return statistics.mean(values)


def row(name: str, steps: str, runs: List[RunResult]) -> str:
    return (f"| {name} | {steps} | {spread([r.accuracy for r in runs], 100)} | "
            f"{spread([r.train_seconds for r in runs], digits=1)} | "
            f"{spread([r.wall_seconds for r in runs], digits=1)} |")


HEADER = ("| run | steps trained | final test acc % (mean [min-max]) | train s | wall s |\n"
          "|---|---|---|---|---|")


def report_extend(args, per_seed: List[Dict[str, RunResult]]) -> None:
    pick = lambda name: [r[name] for r in per_seed]  # noqa: E731
    print(f"\n(a) extend vs planned: {args.steps} steps, finished, then --train_steps="
          f"{args.extended} --extend={args.extend}; seeds {args.seed_text}")
    print(HEADER)
    print(row(f"planned {args.steps} (the first run)", str(args.steps), pick("first")))
    print(row(f"its extension to {args.extended}", str(args.extended - args.steps),
              pick("extended")))
    print(row(f"planned {args.extended}", str(args.extended), pick("planned")))
    gaps = [(r["extended"].accuracy - r["planned"].accuracy) * 100 for r in per_seed]
    total = [r["first"].train_seconds + r["extended"].train_seconds for r in per_seed]
    print(f"\nextended - planned {args.extended}: {mean(gaps):+.2f} points (mean; per seed "
          f"{', '.join(f'{g:+.2f}' for g in gaps)}); target |mean| <= 0.10: "
          f"{'met' if abs(mean(gaps)) <= 0.1 else 'MISSED'}")
    print(f"train s of {args.steps} + extension: {mean(total):.1f} vs planned "
          f"{mean([r['planned'].train_seconds for r in per_seed]):.1f}")


def report_branches(args, template: str, per_seed: List[Dict[str, RunResult]]) -> None:
    pick = lambda name: [r[name] for r in per_seed]  # noqa: E731
    starts = {b: cooldown_start(template, b) for b in args.budgets}
    longest = max(args.budgets)
    print(f"\n(b) branching budgets {', '.join(map(str, args.budgets))}: one stable run to step "
          f"{starts[longest]}, a cooldown branch per budget; seeds {args.seed_text}")
    print(HEADER)
    print(row(f"stable run (no evaluation)", str(starts[longest]), pick("stable")))
    for budget in args.budgets:
        print(row(f"branch @{starts[budget]} -> {budget}", str(budget - starts[budget]),
                  pick(f"branch {budget}")))
        print(row(f"planned {budget}", str(budget), pick(f"planned {budget}")))
    names = ["stable"] + [f"branch {b}" for b in args.budgets]
    steps = sum(per_seed[0][n].steps_trained for n in names)
    planned = per_seed[0][f"planned {longest}"].steps_trained
    ratio = lambda attr: mean([sum(getattr(r[n], attr) for n in names)  # noqa: E731
                               / getattr(r[f"planned {longest}"], attr) for r in per_seed])
    print(f"\ncost of all {len(args.budgets)} budgets / planned {longest}: steps {steps} / "
          f"{planned} = {steps / planned:.2f}x; train time {ratio('train_seconds'):.2f}x; wall "
          f"time {ratio('wall_seconds'):.2f}x (means over seeds); target <= 1.6x: steps "
          f"{'met' if steps / planned <= 1.6 else 'MISSED'}, wall "
          f"{'met' if ratio('wall_seconds') <= 1.6 else 'MISSED'}")
    walls = [sum(r[n].wall_seconds for n in names) / r[f"planned {longest}"].wall_seconds
             for r in per_seed]
    print(f"wall time per seed: {', '.join(f'{w:.2f}x' for w in walls)}")
    for budget in args.budgets:
        gaps = [(r[f"branch {budget}"].accuracy - r[f"planned {budget}"].accuracy) * 100
                for r in per_seed]
        print(f"branch - planned {budget}: {mean(gaps):+.2f} points (per seed "
              f"{', '.join(f'{g:+.2f}' for g in gaps)})")


def integers(text: str) -> List[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"a comma-separated list of integers, got {text!r}")
    if not values:
        raise argparse.ArgumentTypeError("at least one integer")
    return values


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flagfile", default=DEFAULT_FLAGFILE)
    parser.add_argument("--data_dir", default=default_data_dir())
    parser.add_argument("--seeds", type=integers, default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--extended", type=int, default=3000)
    parser.add_argument("--extend", default="reheat")
    parser.add_argument("--budgets", type=integers, default=[1000, 2000, 3000])
    parser.add_argument("--measure", default="a,b", help="a, b or a,b")
    parser.add_argument("--results", default=None)
    parser.add_argument("--logs", default=None, help="write each run's output there")
    parser.add_argument("--dry_run", action="store_true", help="print the commands only")
    # Any other --flag=value is a trainer flag that overrides the flagfile's value.
    args, overrides = parser.parse_known_args()
    args.seed_text = ",".join(map(str, args.seeds))
    measures = set(args.measure.split(","))
    if not measures or measures - {"a", "b"}:
        parser.error(f"--measure must be a, b or a,b, got {args.measure!r}")
    if not os.path.exists(args.flagfile):
        parser.error(f"--flagfile {args.flagfile!r} does not exist")
    args.flagfile, args.data_dir = os.path.abspath(args.flagfile), os.path.abspath(args.data_dir)
    template = flagfile_schedule(args.flagfile, overrides)
    bench = Bench(args, template, overrides)
    started = time.perf_counter()
    try:
        extend_runs, branch_runs = [], []
        for seed in args.seeds:
            print(f"seed {seed}:", file=sys.stderr, flush=True)
            if "a" in measures:
                extend_runs.append(measure_extend(bench, seed))
            if "b" in measures:
                branch_runs.append(measure_branches(bench, seed, template))
    finally:
        bench.close()
    if args.dry_run:
        return
    print(f"\n{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; "
          f"{args.flagfile} {' '.join(overrides)}; --lr_schedule={template}; "
          f"{bench.trained} runs trained in {time.perf_counter() - started:.0f} s")
    if extend_runs:
        report_extend(args, extend_runs)
    if branch_runs:
        report_branches(args, template, branch_runs)


if __name__ == "__main__":
    main()
