"""Random (argument set, step) cases over every factory of the conformance REGISTRY.

The argument sets are the REGISTRY's own schedules (its golden and breakpoint examples, one or
more per factory); the steps are drawn around them: below the largest step the entry names
(golden steps, breakpoint horizons), so that every regime of each schedule is visited, and
past it. Used by the framework export tests and `bench/export_exactness.py`.
"""

import random
from typing import Dict, List, Optional, Tuple

from lrhooks import schedules


def registry_schedules() -> List[Tuple[str, schedules.Schedule]]:
    """(factory name, schedule) for every distinct example of the REGISTRY, in order."""
    from tests.test_schedule_conformance import REGISTRY  # pylint: disable=import-outside-toplevel
    found: Dict[str, Tuple[str, schedules.Schedule]] = {}
    for name, entry in REGISTRY.items():
        for schedule, _ in entry.golden:
            found.setdefault(repr(schedule), (name, schedule))
        for schedule, _, _ in entry.breakpoints:
            found.setdefault(repr(schedule), (name, schedule))
    return list(found.values())


def horizon(name: str, schedule: schedules.Schedule) -> int:
    """A step range that covers every regime the entry checks (at least 64 steps; some
    schedules, e.g. restarts with `t_mul < 1`, end sooner: `cases` draws inside their domain)."""
    from tests.test_schedule_conformance import REGISTRY  # pylint: disable=import-outside-toplevel
    entry = REGISTRY[name]
    steps = [step for s, rows in entry.golden if s == schedule for step, _ in rows]
    steps += [total for s, total, _ in entry.breakpoints if s == schedule]
    return max([64] + [2 * step + 2 for step in steps])


def cases(count: int, seed: int, max_step: Optional[int] = None
          ) -> List[Tuple[str, schedules.Schedule, int]]:
    """`count` random (factory name, schedule, step) cases, every factory included, with steps
    below `max_step` when given (e.g. optax's int32 count)."""
    rng = random.Random(seed)
    pool = registry_schedules()
    picks = list(pool) + [rng.choice(pool) for _ in range(max(0, count - len(pool)))]
    limits = {repr(s): min(horizon(n, s), max_step or horizon(n, s)) for n, s in pool}
    return [(name, schedule, _step(rng, schedule, limits[repr(schedule)]))
            for name, schedule in picks]


def _step(rng: random.Random, schedule: schedules.Schedule, limit: int) -> int:
    """A random step where the schedule and the step after it are defined."""
    while True:
        step = rng.randrange(limit)
        try:
            schedule(step + 1)
        except ValueError:  # past a schedule's domain: draw in a smaller range
            limit = max(1, step)
            continue
        return step


def cases_one_set_per_factory(count: int, seed: int, max_step: Optional[int] = None
                              ) -> List[Tuple[str, schedules.Schedule, int]]:
    """`count` random cases over one randomly chosen argument set per factory (for frameworks
    that compile once per argument set, e.g. a jitted JAX schedule)."""
    rng = random.Random(seed)
    by_factory: Dict[str, List[schedules.Schedule]] = {}
    for name, schedule in registry_schedules():
        by_factory.setdefault(name, []).append(schedule)
    chosen = [(name, rng.choice(options)) for name, options in by_factory.items()]
    found = []
    for index in range(max(count, len(chosen))):
        name, schedule = chosen[index % len(chosen)]
        limit = horizon(name, schedule)
        found.append((name, schedule, _step(rng, schedule, min(limit, max_step or limit))))
    return found
