"""Per-step cost of setting the learning rate, side by side in one process.

A tiny graph (a 64x64 matmul with a momentum update) in a `MonitoredSession`,
so that the hook's cost is as visible as it can ever be. Variants:

  no hook            a tf.constant rate, nothing else (the baseline)
  no hook (control)  the same again, built separately: its ratio shows the noise
  in-graph TF        tf.compat.v1.train.piecewise_constant(global_step, ...)
  classic hook       the hand-written hook of the classic ResNet model: feeds a
                     placeholder and fetches global_step every run (one run late)
  lrhooks graph      lrhooks.learning_rate() + LearningRateSetterHook
  self-driving no hook
                     lrhooks.learning_rate(schedule=...) and no hook at all
  floor: variable read
                     a resource variable read as the rate, no hook (one op: the
                     least any in-graph rate costs)
  floor: cond
                     the rate read from a variable inside a tf.compat.v1.cond on
                     the step (the least any lookup with a fallback branch costs)
  lrhooks variable   a tf.Variable rate, assigned when the rate changes
  lrhooks feed ...   a placeholder / tf.constant rate fed by the hook

Rounds are interleaved: every variant runs once per round, in a shuffled
order. The table shows, per variant, the median over rounds of microseconds
per step, and the median over rounds of the ratio to "no hook" measured in the
same round (robust to the machine speeding up or slowing down between rounds).
`--clock process` times the process's CPU time (all its threads) instead of
wall time: on a machine shared with other jobs it does not count the time the
process waits for a core.

    python bench/hook_overhead.py [--rounds 31] [--steps 1000] [--clock wall|process]
"""

import argparse
import random
import statistics
import sys
import time

import numpy as np
import tensorflow as tf

import lrhooks
from lrhooks import schedules

tf1 = tf.compat.v1

BOUNDARIES = [3000, 6000, 9000, 12000, 15000, 18000, 21000, 24000, 27000]
VALUES = [0.1 * 0.5 ** i for i in range(len(BOUNDARIES) + 1)]


class ClassicLearningRateSetterHook(tf1.train.SessionRunHook):
    """The hand-written hook found in TF1 codebases (tensorflow/models resnet_main.py)."""

    def __init__(self, rate_tensor, global_step, schedule):
        self._rate_tensor, self._global_step, self._schedule = rate_tensor, global_step, schedule

    def begin(self):
        self._lrn_rate = self._schedule(0)  # also after a restore: the bug

    def before_run(self, run_context):
        return tf1.train.SessionRunArgs(self._global_step,
                                        feed_dict={self._rate_tensor: self._lrn_rate})

    def after_run(self, run_context, run_values):
        self._lrn_rate = self._schedule(run_values.results)  # one run late


def build(variant, schedule, exponential):
    graph = tf.Graph()
    with graph.as_default():
        tf1.set_random_seed(0)
        global_step = tf1.train.get_or_create_global_step()
        hooks = []
        if variant in ("no hook", "no hook (control)"):
            rate = tf.constant(0.1)
        elif variant == "in-graph TF":
            rate = (tf1.train.exponential_decay(0.1, global_step, 1000, 0.5) if exponential
                    else tf1.train.piecewise_constant(global_step, BOUNDARIES, VALUES))
        elif variant == "classic hook":
            rate = tf1.placeholder(tf.float32, [])
            hooks.append(ClassicLearningRateSetterHook(rate, global_step, schedule))
        elif variant == "floor: variable read":
            rate = tf1.get_variable("lr", initializer=0.1, trainable=False,
                                    use_resource=True).read_value()
        elif variant == "floor: cond":
            stored = tf1.get_variable("lr", initializer=0.1, trainable=False, use_resource=True)
            rate = tf1.cond(global_step.read_value() < 2 ** 40, stored.read_value,
                            lambda: tf.constant(0.5))
        elif variant == "self-driving no hook":
            rate = lrhooks.learning_rate(schedule=schedule)
        elif variant == "lrhooks graph":
            rate = lrhooks.learning_rate()
            hooks.append(lrhooks.LearningRateSetterHook(schedule))
        else:
            _, kind, tracking = variant.split()
            if kind == "variable":
                rate = tf1.get_variable("lr", initializer=0.1, trainable=False)
            elif kind == "placeholder":
                rate = tf1.placeholder(tf.float32, [])
            else:
                rate = tf.constant(0.1)
            hooks.append(lrhooks.LearningRateSetterHook(schedule, rate, step_tracking=tracking))
        weight = tf1.get_variable("w", [64, 64], initializer=tf1.glorot_uniform_initializer())
        inputs = tf.constant(np.random.RandomState(0).randn(64, 64).astype(np.float32))
        loss = tf.reduce_mean(tf.square(tf.matmul(inputs, weight)))
        train_op = tf1.train.MomentumOptimizer(rate, 0.9).minimize(loss, global_step=global_step)
        session = tf1.train.MonitoredSession(hooks=hooks)
    return session, train_op


VARIANTS = ["no hook", "no hook (control)", "in-graph TF", "classic hook",
            "floor: variable read", "floor: cond", "self-driving no hook", "lrhooks graph",
            "lrhooks variable count", "lrhooks variable fetch",
            "lrhooks placeholder count", "lrhooks placeholder fetch",
            "lrhooks constant count"]


def measure(exponential, rounds, steps, variants=VARIANTS, warmup=300, seed=0,
            clock=time.perf_counter):
    schedule = (schedules.exponential_decay(0.1, 1000, 0.5) if exponential
                else schedules.piecewise_constant(BOUNDARIES, VALUES))
    built = {v: build(v, schedule, exponential) for v in variants}
    for session, train_op in built.values():
        for _ in range(warmup):
            session.run(train_op)
    times = {v: [] for v in variants}
    order = list(variants)
    rng = random.Random(seed)
    for _ in range(rounds):
        rng.shuffle(order)
        for variant in order:
            session, train_op = built[variant]
            start = clock()
            for _ in range(steps):
                session.run(train_op)
            times[variant].append((clock() - start) / steps * 1e6)
    for session, _ in built.values():
        session.close()
    base = times["no hook"]
    return {v: (statistics.median(t), statistics.median(x / b for x, b in zip(t, base)))
            for v, t in times.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=31)
    parser.add_argument("--steps", type=int, default=1000, help="steps per variant per round")
    parser.add_argument("--variants", default=",".join(VARIANTS),
                        help="comma-separated subset ('no hook' is always included)")
    parser.add_argument("--clock", choices=["wall", "process"], default="wall",
                        help="wall time, or the process's CPU time (for a shared machine)")
    args = parser.parse_args(argv)
    clock = time.perf_counter if args.clock == "wall" else time.process_time
    variants = ["no hook"] + [v for v in args.variants.split(",") if v and v != "no hook"]
    unknown = sorted(set(variants) - set(VARIANTS))
    if unknown:
        parser.error(f"--variants: unknown {unknown}; known: {', '.join(VARIANTS)}")
    print(f"TensorFlow {tf.__version__}, {args.rounds} interleaved rounds x {args.steps} steps, "
          f"{args.clock} time")
    for exponential in (False, True):
        name = ("exponential_decay(0.1, 1000, 0.5): the rate changes every step" if exponential
                else "piecewise_constant, 9 boundaries")
        medians = measure(exponential, args.rounds, args.steps, variants, clock=clock)
        print(f"\nschedule: {name}")
        print(f"| {'variant':<28} | {'us/step':>8} | {'x no hook':>9} |")
        print(f"|{'-' * 30}|{'-' * 10}|{'-' * 11}|")
        for variant in variants:
            micros, ratio = medians[variant]
            print(f"| {variant:<28} | {micros:8.1f} | {ratio:9.3f} |")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
