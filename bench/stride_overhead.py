"""Per-run cost of a self-driving rate when the step moves by more than one per run.

The sibling of `hook_overhead.py` for programs whose step is a frame counter
(IMPALA's learner adds the frames of a batch, 80 to 12,800, after each update):
the same tiny graph (a 64x64 matmul with a momentum update), but the update
leaves the step alone and an `assign_add(stride)` that waits for it moves the
step, as IMPALA's learner does. Variants, each its own session:

  constant            a tf.constant rate (the floor)
  TF decay            tf.compat.v1.train.polynomial_decay(global_step) in the graph
  lrhooks             lrhooks.learning_rate(schedule=schedules.polynomial_decay(...)):
                      the window follows the learned stride
  lrhooks stride 1    the same with the window kept at steps of one (the code before
                      windows followed the stride: every strided run calls Python)

`--setting tiny`: one `MonitoredSession` per variant in this process.
`--setting cluster`: 1 ps + 2 workers served in this process on 127.0.0.1, each
worker its own graph per variant under `replica_device_setter` (between-graph),
both workers training at once. lrhooks puts each worker's window on that
worker; `lrhooks window on ps` moves it where the setter puts tables (the ps),
as lrhooks did before. The workers share the
step, so each sees it move by `--stride` per run of either worker.

Rounds are interleaved: every variant runs once per round, in a shuffled
order. The table shows per variant the median over rounds of microseconds per
run (per worker run in the cluster), the median ratio to `TF decay` measured in
the same round, and that ratio's smallest and largest values over the rounds.

    python bench/stride_overhead.py [--setting tiny|cluster] [--stride 12800] [--rounds 15]
        [--steps 1000] [--clock wall|process] [--variants "constant,lrhooks"]
"""

import argparse
import random
import socket
import statistics
import sys
import threading
import time

import numpy as np
import tensorflow as tf

import lrhooks
from lrhooks import schedules
from lrhooks.graph import rate_tensor

tf1 = tf.compat.v1

DECAY_STEPS = 10 ** 12  # far beyond any run here: the rate changes at every step
TINY = ["constant", "TF decay", "lrhooks", "lrhooks stride 1"]
CLUSTER = ["constant", "TF decay", "lrhooks", "lrhooks window on ps", "lrhooks stride 1"]


def make_rate(variant, global_step):
    """The rate tensor of `variant` (the window's stride pinned to 1 for `lrhooks stride 1`)."""
    if variant == "constant":
        return tf.constant(0.1)
    if variant == "TF decay":
        return tf1.train.polynomial_decay(0.1, global_step, DECAY_STEPS, 0.001)
    schedule = schedules.polynomial_decay(0.1, DECAY_STEPS, 0.001)
    rate = lrhooks.learning_rate(schedule=schedule, global_step=global_step)
    source = rate_tensor.source_of(rate)
    if variant == "lrhooks stride 1":
        source.learn_stride = lambda step: 1
    if variant == "lrhooks window on ps":  # where the setter put the table before
        source.table.op._set_device("/job:ps/task:0/device:CPU:0")  # pylint: disable=protected-access
    return rate


def build_train_op(variant, stride):
    """The tiny model on the default graph; returns the op that trains and moves the step."""
    global_step = tf1.train.get_or_create_global_step()
    rate = make_rate(variant, global_step)
    weight = tf1.get_variable("w", [64, 64], initializer=tf1.glorot_uniform_initializer())
    inputs = tf.constant(np.random.RandomState(0).randn(64, 64).astype(np.float32))
    loss = tf.reduce_mean(tf.square(tf.matmul(inputs, weight)))
    update = tf1.train.MomentumOptimizer(rate, 0.9).minimize(loss)
    with tf.control_dependencies([update]):  # as IMPALA's learner moves its frame counter
        return global_step.assign_add(stride).op


def interleave(variants, run_variant, rounds, seed=0):
    """{variant: [seconds per run, one per round]}, the variants shuffled in each round."""
    times = {v: [] for v in variants}
    order = list(variants)
    rng = random.Random(seed)
    for _ in range(rounds):
        rng.shuffle(order)
        for variant in order:
            times[variant].append(run_variant(variant))
    return times


def tiny(args, clock):
    variants = [v for v in TINY if v in args.variants]
    built = {}
    for variant in variants:
        with tf.Graph().as_default():
            train_op = build_train_op(variant, args.stride)
            built[variant] = (tf1.train.MonitoredSession(), train_op)

    def run_variant(variant, steps=args.steps):
        session, train_op = built[variant]
        start = clock()
        for _ in range(steps):
            session.run(train_op)
        return (clock() - start) / steps

    for variant in variants:
        run_variant(variant, 300)  # warm-up
    times = interleave(variants, run_variant, args.rounds)
    calls = {v: rate_tensor.sources(built[v][0].graph)[0].fallback_count
             for v in variants if v.startswith("lrhooks")}
    for session, _ in built.values():
        session.close()
    return times, calls


def free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def cluster(args, clock):
    ports = free_ports(3)
    spec = tf1.train.ClusterSpec({"ps": [f"127.0.0.1:{ports[0]}"],
                                  "worker": [f"127.0.0.1:{p}" for p in ports[1:]]})
    servers = [tf.distribute.Server(spec, job_name="ps", task_index=0)]
    servers += [tf.distribute.Server(spec, job_name="worker", task_index=i) for i in range(2)]
    variants = [v for v in CLUSTER if v in args.variants]
    built = {v: [] for v in variants}
    for variant in variants:
        for index in range(2):
            worker = f"/job:worker/task:{index}"
            graph = tf.Graph()
            with graph.as_default():
                setter = tf1.train.replica_device_setter(cluster=spec, worker_device=worker)
                # Each variant's variables under its own name on the shared ps.
                with tf1.device(setter), tf1.variable_scope(variant.replace(" ", "_")):
                    train_op = build_train_op(variant, args.stride)
                init = tf1.global_variables_initializer()
            config = tf1.ConfigProto(device_filters=["/job:ps", worker])
            session = tf1.Session(servers[1 + index].target, graph=graph, config=config)
            if index == 0:
                session.run(init)
            built[variant].append((session, train_op))
    placed = {}
    for variant in {"lrhooks", "lrhooks window on ps"} & set(variants):
        source = rate_tensor.sources(built[variant][1][0].graph)[0]
        placed[variant] = source.table.device

    def run_variant(variant, steps=args.steps):
        barrier = threading.Barrier(3)

        def work(session, train_op):
            barrier.wait()
            for _ in range(steps):
                session.run(train_op)

        threads = [threading.Thread(target=work, args=pair) for pair in built[variant]]
        for thread in threads:
            thread.start()
        barrier.wait()
        start = clock()
        for thread in threads:
            thread.join()
        return (clock() - start) / steps

    for variant in variants:
        run_variant(variant, 100)  # warm-up
    times = interleave(variants, run_variant, args.rounds)
    calls = {v: sum(rate_tensor.sources(s.graph)[0].fallback_count for s, _ in built[v])
             for v in variants if v.startswith("lrhooks")}
    for pairs in built.values():
        for session, _ in pairs:
            session.close()
    print("window placed on: " + ", ".join(f"{v}: {d}" for v, d in placed.items()))
    return times, calls


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--setting", choices=["tiny", "cluster"], default="tiny")
    parser.add_argument("--stride", type=int, default=12_800, help="step increment per run")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--steps", type=int, default=1000, help="runs per variant per round")
    parser.add_argument("--clock", choices=["wall", "process"], default="wall",
                        help="wall time, or the process's CPU time (for a shared machine)")
    parser.add_argument("--variants", default=None,
                        help="comma-separated subset ('TF decay' is always included); "
                             f"tiny: {', '.join(TINY)}; cluster: {', '.join(CLUSTER)}")
    args = parser.parse_args(argv)
    known = TINY if args.setting == "tiny" else CLUSTER
    chosen = known if args.variants is None else args.variants.split(",")
    unknown = sorted(set(chosen) - set(known))
    if unknown:
        parser.error(f"--variants: unknown {unknown}; known: {', '.join(known)}")
    args.variants = {"TF decay", *chosen}
    clock = time.perf_counter if args.clock == "wall" else time.process_time
    print(f"TensorFlow {tf.__version__}, setting {args.setting}, stride {args.stride}, "
          f"{args.rounds} interleaved rounds x {args.steps} runs, {args.clock} time")
    times, calls = (tiny if args.setting == "tiny" else cluster)(args, clock)
    base = times["TF decay"]
    print(f"| {'variant':<20} | {'us/run':>8} | {'x TF decay':>10} | {'min':>6} | {'max':>6} "
          f"| {'Python calls':>12} |")
    print(f"|{'-' * 22}|{'-' * 10}|{'-' * 12}|{'-' * 8}|{'-' * 8}|{'-' * 14}|")
    for variant, series in times.items():
        ratios = [t / b for t, b in zip(series, base)]
        print(f"| {variant:<20} | {statistics.median(series) * 1e6:8.1f} "
              f"| {statistics.median(ratios):10.3f} | {min(ratios):6.3f} | {max(ratios):6.3f} "
              f"| {calls.get(variant, '-')!s:>12} |")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
