"""Writes the peer values of PyTorch's chained and multistep schedulers and timm's tanh and
multistep schedulers, by running the peers' code (run by hand; no test imports it).

    python3.11 -m venv .venv-peers     # from the repository root
    .venv-peers/bin/pip install 'torch==2.14.1' 'timm==1.0.31'
    .venv-peers/bin/python tests/data/peer_values/generate.py

Pinned: Python 3.11, torch 2.14.1 (CPU use of the PyPI wheel), timm 1.0.31. The run is
seeded and writes gzip without a timestamp, so the pinned versions should write the
committed files again (`git status` shows any difference). It imports nothing of lrhooks
and needs no TensorFlow. Each file is
`{"factory", "peer", "rtol", "atol", "cases": [[arguments, [[step, value], ...]], ...]}`,
`arguments` the factory's arguments in the flag language (see tests/test_catalogue.py).
A value is the rate the peer's optimizer holds at a step:

- chained_scheduler: `ChainedScheduler` of random chains of the chainable schedulers on
  one SGD optimizer, after `step` calls of `optimizer.step(); chained.step()`.
- multistep_decay: `MultiStepLR` with repeated and unsorted milestones, stepped likewise.
- timm_tanh, timm_multistep: timm's scheduler built on an SGD optimizer; step 0 is the rate
  the optimizer holds after the construction, step `t > 0` the rate after `step(t)`.
"""

import gzip
import json
import pathlib
import random
import warnings

import torch
from timm.scheduler import MultiStepLRScheduler, TanhLRScheduler

OUT = pathlib.Path(__file__).resolve().parent
GROUPS = 250  # argument sets per file, each with several steps (>= 1,000 cases)


def _r(low, high, digits=4):
    return round(random.uniform(low, high), digits)


def _optimizer(lr):
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)


def _steps(most):
    steps = sorted(random.sample(range(1, most + 1), 4))
    return [0] + steps if random.random() < 0.4 else steps


def _write(name, peer, rtol, atol, cases):
    doc = {"factory": name, "peer": peer, "rtol": rtol, "atol": atol, "cases": cases}
    (OUT / f"{name}.json.gz").write_bytes(
        gzip.compress(json.dumps(doc, separators=(",", ":")).encode(), mtime=0))


def _run_torch(lr, build, steps):
    """The optimizer's rate at each of `steps` (sorted) of the scheduler `build(opt)` makes."""
    optimizer = _optimizer(lr)
    scheduler = build(optimizer)
    values, step = [], 0
    for wanted in steps:
        while step < wanted:
            optimizer.step()
            scheduler.step()
            step += 1
        values.append([wanted, optimizer.param_groups[0]["lr"]])
    return values


def _chainable(lr):
    """One random chainable scheduler: (its lrhooks twin's text, its PyTorch builder)."""
    kind = random.choice(["constant", "linear", "exponential", "step", "multistep",
                          "polynomial", "cosine"])
    sched = torch.optim.lr_scheduler
    if kind == "constant":
        factor, total = _r(0.05, 1.0), random.randint(1, 30)
        return (f"constant_lr({lr!r}, {factor!r}, {total})",
                lambda o: sched.ConstantLR(o, factor, total))
    if kind == "linear":
        start, end, total = _r(0.05, 1.0), _r(0.0, 1.0), random.randint(1, 30)
        return (f"linear_lr({lr!r}, {start!r}, {end!r}, {total})",
                lambda o: sched.LinearLR(o, start, end, total))
    if kind == "exponential":
        gamma = _r(0.8, 1.0)
        return f"exponential_decay({lr!r}, 1, {gamma!r})", lambda o: sched.ExponentialLR(o, gamma)
    if kind == "step":
        size, gamma = random.randint(1, 20), _r(0.1, 1.0)
        return (f"step_decay({lr!r}, {size}, {gamma!r})",
                lambda o: sched.StepLR(o, size, gamma))
    if kind == "multistep":
        milestones, gamma = _milestones(60), _r(0.1, 1.0)
        return (f"multistep_decay({lr!r}, {milestones!r}, {gamma!r})",
                lambda o: sched.MultiStepLR(o, milestones, gamma))
    if kind == "polynomial":
        total, power = random.randint(1, 50), _r(0.5, 3.0)
        return (f"polynomial_decay({lr!r}, {total}, 0.0, {power!r})",
                lambda o: sched.PolynomialLR(o, total, power))
    t_max, eta_min = random.randint(1, 40), _r(0.0, lr, 6)
    return (f"cosine_annealing({lr!r}, {t_max}, {eta_min!r})",
            lambda o: sched.CosineAnnealingLR(o, t_max, eta_min))


def _milestones(most):
    """Random milestones, some repeated, in any order."""
    values = [random.randint(0, most) for _ in range(random.randint(0, 4))]
    values += random.sample(values, min(len(values), random.randint(0, 2)))  # repeats
    random.shuffle(values)
    return values


def chained_scheduler():
    cases = []
    for _ in range(GROUPS):
        lr = _r(1e-4, 1.0)
        chain = [_chainable(lr) for _ in range(random.randint(1, 4))]
        build = lambda o, chain=chain: torch.optim.lr_scheduler.ChainedScheduler(
            [make(o) for _, make in chain])
        cases.append([f"[{', '.join(text for text, _ in chain)}]",
                      _run_torch(lr, build, _steps(200))])
    _write("chained_scheduler", f"torch {torch.__version__} ChainedScheduler of ConstantLR/"
           "LinearLR/ExponentialLR/StepLR/MultiStepLR/PolynomialLR/CosineAnnealingLR", 0.0,
           0.0, cases)


def multistep_decay():
    cases = []
    for _ in range(GROUPS):
        lr, milestones, gamma = _r(1e-4, 1.0), _milestones(80), _r(0.05, 1.0)
        build = lambda o, m=milestones, g=gamma: torch.optim.lr_scheduler.MultiStepLR(o, m, g)
        cases.append([f"{lr!r}, {milestones!r}, {gamma!r}", _run_torch(lr, build, _steps(100))])
    _write("multistep_decay", f"torch {torch.__version__} MultiStepLR (repeated and unsorted "
           "milestones)", 1e-12, 0.0, cases)


def _run_timm(lr, build, steps):
    optimizer = _optimizer(lr)
    try:
        scheduler = build(optimizer)
    except ValueError:  # timm's log(...) past every cycle (cycle_mul < 1): argument set dropped
        return []
    values = []
    for step in steps:
        if step > 0:
            try:
                scheduler.step(step)
            except ValueError:  # timm's log(...) past every cycle with cycle_mul < 1
                continue
        values.append([step, optimizer.param_groups[0]["lr"]])
    return values


def _warmup(lr):
    warmup_t = random.choice([0, 0, random.randint(1, 10)])
    return warmup_t, _r(0.0, lr, 6), random.random() < 0.5


def timm_tanh():
    cases = []
    while len(cases) < GROUPS:
        lr, t_initial = _r(1e-4, 0.1, 6), random.randint(1, 50)
        lb, ub = _r(-8.0, -1.0), _r(1.0, 5.0)
        lr_min = random.choice([0.0, _r(0.0, lr / 2, 7)])
        cycle_mul = random.choice([1.0, _r(0.5, 2.0)])
        cycle_decay, cycle_limit = _r(0.3, 1.0), random.randint(1, 4)
        warmup_t, warmup_lr_init, prefix = _warmup(lr)
        args = (t_initial, lb, ub, lr_min, cycle_mul, cycle_decay, cycle_limit, warmup_t,
                warmup_lr_init, prefix)
        build = lambda o, a=args: TanhLRScheduler(o, *a)
        values = _run_timm(lr, build, _steps(150))
        if values:
            cases.append([", ".join(repr(v) for v in (lr, *args)), values])
    _write("timm_tanh", "timm 1.0.31 TanhLRScheduler: the rate its optimizer holds (step 0: "
           "after the construction; t: after step(t))", 1e-12, 1e-18, cases)


def timm_multistep():
    cases = []
    for _ in range(GROUPS):
        lr, decay_t, rate = _r(1e-4, 0.1, 6), sorted(_milestones(60)), _r(0.05, 2.0)
        warmup_t, warmup_lr_init, prefix = _warmup(lr)
        build = lambda o, a=(decay_t, rate, warmup_t, warmup_lr_init, prefix): (
            MultiStepLRScheduler(o, *a))
        cases.append([f"{lr!r}, {decay_t!r}, {rate!r}, {warmup_t}, {warmup_lr_init!r}, "
                      f"{prefix!r}", _run_timm(lr, build, _steps(100))])
    _write("timm_multistep", "timm 1.0.31 MultiStepLRScheduler: the rate its optimizer holds "
           "(step 0: after the construction; t: after step(t))", 1e-12, 1e-18, cases)


def main():
    warnings.simplefilter("ignore")  # PyTorch's notes on stepping without training
    random.seed(19)
    for make in (chained_scheduler, multistep_decay, timm_tanh, timm_multistep):
        make()


if __name__ == "__main__":
    main()
