"""Training throughput (images/sec): the trainer vs a bare session loop vs Keras 3, one process.

Variants, all in one process, on the same data and the same preprocessing:

  (a) bare     the `train_op` that `graph.build_graph` builds, run as
               `session.run([train_op, loss])` in a plain `tf.compat.v1.Session`: no hooks,
               no MonitoredSession. Variables are initialized as MonitoredSession's Scaffold
               does (global + local initializers); the in-graph rate window of
               `lrhooks.learning_rate()` is filled by calling the trainer's own
               LearningRateSetterHook's `begin()` and `after_create_session()` by hand,
               before each round, outside the timing. The hook is never given to the session,
               so no hook code runs per step. The step subgraph (everything `train_op` and
               `loss` depend on) is checked to be identical to (b)'s before measuring.
  (b) trainer  the trainer's loop: `build_graph` with ALL its hooks (`hooks.training_hooks`:
               rate setter, stop-at-step,
               training log) plus the trainer's signal-stop hook, inside a
               MonitoredTrainingSession with the trainer's arguments (checkpoint and summary
               intervals from the flagfile, a temporary checkpoint_dir), running
               `session.run([train_op, loss])` as `loop.run_loop` does.
  (c) keras    the same network in Keras 3 (`bench/keras_resnet.py`), `model.fit(dataset,
               steps_per_epoch=STEPS, epochs=1, callbacks=[LearningRateScheduler], verbose=0)`
               on `data.train_dataset` (the tf.data pipeline behind the trainer's input); the
               scheduler sets the rate once per fit call, from the optimizer's step.
               `--keras_jit_compile` picks compile(jit_compile=...): auto (Keras' default;
               the table shows what it resolved to), true, false, or several, comma-separated.
  (d) input    the trainer's input pipeline alone: `data.train_input` batches fetched in a bare
               session, to show that the pipeline is not the bottleneck.
  (b) trainer PRECISION   with --precisions (e.g. fp32,bf16): (b) once more per precision other
               than fp32, its session config asking for that precision's graph rewrite
               (`lrhooks.precision.session_config`); the table adds its ratio to (b) (fp32)
               in the same round.

Each variant is built and warmed up first (graph optimisation, Keras tracing, XLA compiling);
then every round runs each variant for --steps steps, in a shuffled order. The table shows the
median over rounds of images/sec, the throughput over all timed steps together (this one
includes any checkpoint that fell inside a round), and the median over rounds of each variant's
ratio to (a) measured in the same round. The default --steps 100 equals the flagfile's summary
and log intervals, so every round of (b) holds exactly one summary step and one log step, their
amortised cost. Keras pays per round for `fit()` itself (callbacks, a new iterator over the
dataset that refills the shuffle buffer, about 0.1 s on a 2-core CPU): included, as a Keras user
pays it per epoch; it is 1-2% of a 100-step round.

The trainer flags come from --flagfile (default models/resnet_mnist/configs/resnet.flags); any
other --flag=value is a trainer flag that overrides it (e.g. --model=cnn, --batch_size=64,
--intra_op_threads=2). The data directory comes from --data_dir, else $LRHOOKS_MNIST_DIR, else
../shared/data/mnist beside the checkout.

    python bench/throughput.py [--rounds 7] [--steps 100] [--warmup 20]
        [--variants bare,trainer,keras,input] [--keras_jit_compile auto[,true,false]]
        [--precisions fp32[,bf16,fp16,auto]] [--model=cnn (any trainer flag) ...]
"""

import argparse
import contextlib
import dataclasses
import os
import pathlib
import platform
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from typing import Dict, List, Optional, Sequence

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))  # run from a checkout

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
from absl import flags  # noqa: E402

import lrhooks  # noqa: E402
from lrhooks.tools import precision as precision_lib  # noqa: E402
from lrhooks.graph import rate_tensor  # noqa: E402
from bench import keras_resnet  # noqa: E402

from models.resnet_mnist import config as config_lib  # noqa: E402
from models.resnet_mnist import console as console_lib  # noqa: E402
from models.resnet_mnist import data as data_lib  # noqa: E402
from models.resnet_mnist import devices  # noqa: E402
from models.resnet_mnist import faults  # noqa: E402
from models.resnet_mnist import graph as graph_lib  # noqa: E402
from models.resnet_mnist import hooks as hooks_lib  # noqa: E402
from models.resnet_mnist import loop as loop_lib  # noqa: E402
from models.resnet_mnist import model as model_lib  # noqa: E402

tf1 = tf.compat.v1

REPO = pathlib.Path(__file__).resolve().parent.parent
DEFAULT_FLAGFILE = "models/resnet_mnist/configs/resnet.flags"
VARIANTS = ("bare", "trainer", "keras", "input")
JIT_CHOICES = {"auto": "auto", "true": True, "false": False}


def default_data_dir() -> str:
    """$LRHOOKS_MNIST_DIR, else ../shared/data/mnist beside the checkout."""
    return os.environ.get("LRHOOKS_MNIST_DIR") or str(REPO.parent / "shared" / "data" / "mnist")


class Loop:
    """One variant: `run(steps)` trains `steps` steps and returns the seconds it took."""

    name: str = ""

    def run(self, steps: int) -> float:
        raise NotImplementedError

    def close(self) -> None:
        pass


def _normalized(text: str) -> str:
    """`text` without the unique suffixes TensorFlow gives function and py_func names."""
    text = re.sub(r"_make_dataset_[A-Za-z0-9_-]+", "_make_dataset", text)
    text = re.sub(r'(name: "[^"]*?)_\d+"', r'\1"', text)
    return re.sub(r"pyfunc_\d+", "pyfunc", text)


def _called(nodes, library: Dict[str, object]) -> List[str]:
    """Names of the library functions that `nodes` call (through attributes or as ops)."""
    names = []
    for node in nodes:
        if node.op in library:
            names.append(node.op)
        for value in node.attr.values():
            if value.HasField("func"):
                names.append(value.func.name)
            names.extend(f.name for f in value.list.func)
    return names


def step_graph(graph: tf.Graph, fetches: Sequence) -> List[str]:
    """What running `fetches` executes: the nodes they depend on and the functions those call,
    as sorted normalized text (equal for two graphs that run the same step)."""
    names = [f.op.name if hasattr(f, "op") else f.name for f in fetches]
    graph_def = graph.as_graph_def()
    sub = tf1.graph_util.extract_sub_graph(graph_def, names)
    library = {f.signature.name: f for f in graph_def.library.function}
    used, pending = set(), _called(sub.node, library)
    while pending:
        name = pending.pop()
        if name in used or name not in library:
            continue
        used.add(name)
        pending.extend(_called(library[name].node_def, library))
    return sorted(_normalized(str(node)) for node in sub.node) + sorted(
        _normalized(str(library[name])) for name in used)


class BareLoop(Loop):
    """(a): the trainer's train_op in a plain Session, no hooks (see the module docstring)."""

    name = "(a) bare"

    def __init__(self, config: config_lib.TrainConfig, placement: devices.Placement,
                 train_data):
        self.built = graph_lib.build_graph(config, placement, train_data,
                                           shuffle_seed=config.seed)
        # A setter hook of the trainer's schedule (the rate is bound to it already), used by
        # hand only, never as a session hook: it refills the rate window between rounds.
        self._setter = lrhooks.LearningRateSetterHook(config.schedule)
        self._window = rate_tensor.source_of(self.built.rate).table_size
        graph = self.built.graph
        with graph.as_default():
            # What MonitoredSession's Scaffold runs: init_op, then local_init_op.
            init = (tf1.global_variables_initializer(), tf1.local_variables_initializer())
            self._setter.begin()  # checks the schedule bound at building (and adds a step read)
        graph.finalize()  # as MonitoredSession does
        self.fetches = [self.built.train_op, self.built.outputs.loss]
        self.session = tf1.Session(graph=graph, config=devices.session_config(config))
        for op in init:
            self.session.run(op)

    def run(self, steps: int) -> float:
        if steps > self._window:
            raise ValueError(f"(a) runs at most {self._window} steps a round (the rate window)")
        session, fetches = self.session, self.fetches
        with self.built.graph.as_default():
            # Refill the rate window from the current step (outside the timing): no step of
            # the round falls back to the Python schedule.
            self._setter.after_create_session(session, None)
            start = time.perf_counter()
            for _ in range(steps):
                session.run(fetches)
            return time.perf_counter() - start

    def close(self) -> None:
        self.session.close()


class TrainerLoop(Loop):
    """(b): the trainer's MonitoredTrainingSession with all its hooks."""

    name = "(b) trainer"

    def __init__(self, config: config_lib.TrainConfig, placement: devices.Placement,
                 train_data, stack: contextlib.ExitStack, name: Optional[str] = None):
        if name:
            self.name = name
        self.train_dir = tempfile.mkdtemp(prefix="lrhooks-throughput-")
        stack.callback(shutil.rmtree, self.train_dir, ignore_errors=True)
        stack.callback(tf1.summary.FileWriterCache.clear)  # closes its event files first
        config = dataclasses.replace(config, train_dir=self.train_dir)
        self.built = graph_lib.build_graph(config, placement, train_data,
                                           shuffle_seed=config.seed)
        # As loop.train(): the signal-stop hook is one of the trainer's hooks.
        stop = stack.enter_context(faults.SignalStop())
        hooks = hooks_lib.training_hooks(config, self.built, stop=stop)
        with self.built.graph.as_default():
            self.session = loop_lib.monitored_session(config, hooks)
        self.fetches = [self.built.train_op, self.built.outputs.loss]

    def run(self, steps: int) -> float:
        session, fetches = self.session, self.fetches
        with self.built.graph.as_default():
            start = time.perf_counter()
            for _ in range(steps):
                session.run(fetches)
            elapsed = time.perf_counter() - start
        if session.should_stop():
            raise RuntimeError("the trainer's session asked to stop: raise --train_steps")
        return elapsed

    def close(self) -> None:
        with self.built.graph.as_default():
            self.session.close()


class KerasLoop(Loop):
    """(c): the Keras 3 twin trained with `model.fit`, one `fit` call per round."""

    def __init__(self, config: config_lib.TrainConfig, hparams: model_lib.HParams, train_data,
                 jit_compile):
        keras.utils.set_random_seed(config.seed)
        schedule = config.schedule
        self.dataset = data_lib.train_dataset(*train_data, config.batch_size, seed=config.seed,
                                              max_shift=config.max_shift)
        self.model = keras_resnet.build_keras_model(hparams)
        keras_resnet.compile_keras_model(self.model, hparams, float(schedule(0)), jit_compile)
        self.requested = jit_compile
        self.resolved = bool(self.model.jit_compile)
        model = self.model

        def rate(epoch: int, current: float) -> float:
            del epoch, current  # one epoch per fit call: the rate follows the optimizer's step
            return float(schedule(int(keras.ops.convert_to_numpy(model.optimizer.iterations))))

        self.callbacks = [keras.callbacks.LearningRateScheduler(rate)]
        requested = str(jit_compile).lower()
        self.name = f"(c) keras jit_compile={requested}" + (
            f" -> {str(self.resolved).lower()}" if jit_compile == "auto" else "")

    def run(self, steps: int) -> float:
        start = time.perf_counter()
        self.model.fit(self.dataset, steps_per_epoch=steps, epochs=1, callbacks=self.callbacks,
                       verbose=0, shuffle=False)  # the dataset shuffles (fit warns otherwise)
        return time.perf_counter() - start


class InputLoop(Loop):
    """(d): the trainer's input pipeline alone, its batches fetched in a bare session."""

    name = "(d) input only"

    def __init__(self, config: config_lib.TrainConfig, train_data):
        self.graph = tf.Graph()
        with self.graph.as_default():
            tf1.set_random_seed(config.seed)  # as build_graph
            with tf.device("/device:CPU:0"):
                self.fetches = list(data_lib.train_input(
                    *train_data, config.batch_size, seed=config.seed,
                    max_shift=config.max_shift))
        self.graph.finalize()
        self.session = tf1.Session(graph=self.graph, config=devices.session_config(config))

    def run(self, steps: int) -> float:
        session, fetches = self.session, self.fetches
        start = time.perf_counter()
        for _ in range(steps):
            session.run(fetches)
        return time.perf_counter() - start

    def close(self) -> None:
        self.session.close()


def parse_config(flagfile: str, data_dir: str, overrides: Sequence[str]
                 ) -> config_lib.TrainConfig:
    """The TrainConfig of `flagfile` + `overrides` (train_dir is set per variant)."""
    values = flags.FlagValues()
    config_lib.define_flags(values)
    values(["throughput", f"--flagfile={flagfile}", *overrides, f"--data_dir={data_dir}",
            "--train_dir=unused"])
    return config_lib.config_from_flags(values.flag_values_dict())


def set_eager_threads(config: config_lib.TrainConfig) -> str:
    """Gives Keras (eager TF) the thread counts of the trainer's sessions; returns a note."""
    try:
        if config.intra_op_threads:
            tf.config.threading.set_intra_op_parallelism_threads(config.intra_op_threads)
        if config.inter_op_threads:
            tf.config.threading.set_inter_op_parallelism_threads(config.inter_op_threads)
    except RuntimeError as error:  # the eager context is already initialised
        return f" (could not apply to Keras: {error})"
    return ""


def measure(loops: Dict[str, Loop], rounds: int, steps: int, seed: int = 0
            ) -> Dict[str, List[float]]:
    """Seconds per round of each loop, rounds interleaved in a shuffled order."""
    times: Dict[str, List[float]] = {name: [] for name in loops}
    order = list(loops)
    rng = random.Random(seed)
    for index in range(rounds):
        rng.shuffle(order)
        for name in order:
            times[name].append(loops[name].run(steps))
        print(f"round {index + 1}/{rounds}: " + ", ".join(
            f"{name} {times[name][-1]:.2f} s" for name in loops), file=sys.stderr, flush=True)
    return times


def print_report(times: Dict[str, List[float]], steps: int, batch_size: int) -> None:
    """The markdown tables: images/sec per variant, and the ratios (b)/(a), (b)/(c)."""
    images = steps * batch_size
    rates = {name: [images / t for t in ts] for name, ts in times.items()}
    bare = next((n for n in rates if n.startswith("(a)")), None)
    print(f"| {'variant':<40} | {'images/s':>9} | {'ms/step':>8} | {'all rounds':>10} | "
          f"{'x (a) bare':>10} |")
    print(f"|{'-' * 42}|{'-' * 11}|{'-' * 10}|{'-' * 12}|{'-' * 12}|")
    for name, values in rates.items():
        median = statistics.median(values)
        overall = images * len(values) / sum(times[name])
        ratio = (f"{statistics.median(v / b for v, b in zip(values, rates[bare])):10.3f}"
                 if bare else f"{'':10}")
        print(f"| {name:<40} | {median:9.0f} | {batch_size / median * 1e3:8.1f} | "
              f"{overall:10.0f} | {ratio} |")
    trainer = next((n for n in rates if n.startswith("(b)")), None)
    variants = [n for n in rates if n.startswith("(b) trainer ")]
    if trainer and variants:
        print(f"\n| {'precision (median over rounds)':<40} | {'images/s':>9} | {'x fp32':>7} |")
        print(f"|{'-' * 42}|{'-' * 11}|{'-' * 9}|")
        print(f"| {trainer + ' (fp32)':<40} | {statistics.median(rates[trainer]):9.0f} | "
              f"{1.0:7.3f} |")
        for name in variants:
            ratio = statistics.median(v / t for v, t in zip(rates[name], rates[trainer]))
            print(f"| {name:<40} | {statistics.median(rates[name]):9.0f} | {ratio:7.3f} |")
    others = [n for n in rates if n.startswith(("(a)", "(c)"))]
    if trainer and others:
        print(f"\n| {'ratio of images/s (median over rounds)':<60} | {'value':>6} |")
        print(f"|{'-' * 62}|{'-' * 8}|")
        for name in others:
            ratio = statistics.median(t / o for t, o in zip(rates[trainer], rates[name]))
            print(f"| {trainer + ' / ' + name:<60} | {ratio:6.3f} |")


def build_loops(config: config_lib.TrainConfig, placement: devices.Placement, train_data, variants: Sequence[str], jits: Sequence[str],
                stack: contextlib.ExitStack, precisions: Sequence[str] = ("fp32",)
                ) -> Dict[str, Loop]:
    """The loops of `variants` (one (c) per `jits` entry, one more (b) per precision of
    `precisions` other than fp32), closed when `stack` exits.

    Raises:
      RuntimeError: (a) and (b) would not run the same step graph.
    """
    loops: Dict[str, Loop] = {}
    if "bare" in variants:
        loops["bare"] = BareLoop(config, placement, train_data)
    if "trainer" in variants:
        loops["trainer"] = TrainerLoop(config, placement, train_data, stack)
        for name in precisions:
            if name == "fp32":
                continue
            variant = dataclasses.replace(config, precision=name)
            resolved = devices.placement(variant).precision
            loops[f"trainer:{name}"] = TrainerLoop(
                variant, devices.placement(variant), train_data, stack,
                name=f"(b) trainer {name}" + (f" -> {resolved}" if name == "auto" else ""))
    if "bare" in loops and "trainer" in loops:
        bare, trainer = loops["bare"].built, loops["trainer"].built
        if (step_graph(bare.graph, [bare.train_op, bare.outputs.loss])
                != step_graph(trainer.graph, [trainer.train_op, trainer.outputs.loss])):
            raise RuntimeError("(a) and (b) do not run the same step graph")
    if "keras" in variants:
        for jit in jits:
            loops[f"keras:{jit}"] = KerasLoop(config, placement.hparams, train_data,
                                              JIT_CHOICES[jit])
    if "input" in variants:
        loops["input"] = InputLoop(config, train_data)
    for loop in loops.values():
        stack.callback(loop.close)
    return loops


def print_setup(config: config_lib.TrainConfig, hparams: model_lib.HParams, device: str,
                loops: Sequence[Loop], flagfile: str, overrides: Sequence[str],
                thread_note: str) -> None:
    """Versions, CPUs, threads, data formats, XLA and the trainer's intervals."""
    jit_level = devices.session_config(config).graph_options.optimizer_options.global_jit_level
    affinity = (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                else os.cpu_count())
    keras_loops = [loop for loop in loops if isinstance(loop, KerasLoop)]
    keras_format = "channels_first" if hparams.data_format == "NCHW" else "channels_last"
    shown = pathlib.Path(flagfile).resolve()
    shown = shown.relative_to(REPO) if shown.is_relative_to(REPO) else flagfile
    print(f"TensorFlow {tf.__version__}, Keras {keras.__version__} "
          f"(backend {keras.backend.backend()}), Python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs ({affinity} usable), "
          f"{platform.processor() or platform.machine()}; model device {device}")
    print(f"threads: TF1 sessions intra_op={config.intra_op_threads} "
          f"inter_op={config.inter_op_threads}; eager (Keras) "
          f"intra_op={tf.config.threading.get_intra_op_parallelism_threads()} "
          f"inter_op={tf.config.threading.get_inter_op_parallelism_threads()} "
          f"(0: TensorFlow's default, all cores){thread_note}")
    print(f"model: {hparams.model}, batch {config.batch_size}, max_shift {config.max_shift}, "
          f"optimizer {hparams.optimizer}; data format: TF1 {hparams.data_format}, "
          f"Keras {keras_format}")
    print(f"XLA: TF1 sessions global_jit_level="
          f"{tf1.OptimizerOptions.GlobalJitLevel.Name(jit_level)}, "
          f"TF_XLA_FLAGS={os.environ.get('TF_XLA_FLAGS', '(unset)')!r}; Keras " + (", ".join(
              f"jit_compile={str(k.requested).lower()} -> {k.resolved}" for k in keras_loops)
              or "not run"))
    print(f"flagfile {shown} {' '.join(overrides)}".rstrip() + "; trainer: checkpoint every "
          f"{config.save_checkpoints_steps} steps, summaries every "
          f"{config.save_summaries_steps}, log every {config.log_every_n_steps}")


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    parser.add_argument("--flagfile", default=None,
                        help=f"trainer flagfile (default: {DEFAULT_FLAGFILE})")
    parser.add_argument("--data_dir", default=default_data_dir())
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--steps", type=int, default=100, help="steps per variant per round")
    parser.add_argument("--warmup", type=int, default=20,
                        help="steps per variant before the rounds (Keras: its first fit call)")
    parser.add_argument("--variants", default=",".join(VARIANTS),
                        help=f"comma-separated subset of {', '.join(VARIANTS)}")
    parser.add_argument("--keras_jit_compile", default="auto",
                        help="compile(jit_compile=...) of (c): auto, true, false, or several "
                             "comma-separated (one (c) row each)")
    parser.add_argument("--precisions", default="fp32",
                        help="comma-separated precisions of (b): fp32 (always) and any of "
                             "bf16, fp16, auto (one more (b) row each)")
    parser.add_argument("--seed", type=int, default=0, help="order of the variants in rounds")
    # Any other --flag=value is a trainer flag that overrides the flagfile's value.
    args, overrides = parser.parse_known_args(argv)
    variants = [v for v in args.variants.split(",") if v]
    unknown = sorted(set(variants) - set(VARIANTS))
    if unknown or not variants:
        parser.error(f"--variants: unknown {unknown}; known: {', '.join(VARIANTS)}")
    jits = [j.strip().lower() for j in args.keras_jit_compile.split(",") if j.strip()]
    if not jits or any(j not in JIT_CHOICES for j in jits):
        parser.error(f"--keras_jit_compile: expected {', '.join(JIT_CHOICES)} (comma-separated),"
                     f" got {args.keras_jit_compile!r}")
    precisions = [p.strip() for p in args.precisions.split(",") if p.strip()]
    if any(p not in precision_lib.CHOICES for p in precisions):
        parser.error(f"--precisions: expected {', '.join(precision_lib.CHOICES)} "
                     f"(comma-separated), got {args.precisions!r}")
    if min(args.rounds, args.steps) < 1 or args.warmup < 0:
        parser.error("--rounds and --steps must be >= 1, --warmup >= 0")
    flagfile = args.flagfile or str(REPO / DEFAULT_FLAGFILE)

    console_lib.setup_logging(console_lib.Console("bench"), verbose=True)
    config = parse_config(flagfile, args.data_dir, overrides)
    if config.precision != "fp32":  # (a) and (b) are the float32 baseline; (b) PRECISION too
        if config.precision not in precisions:
            precisions.append(config.precision)
        config = dataclasses.replace(config, precision="fp32")
    # The trainer's StopAtStepHook must not stop (b) before the last round.
    needed = args.warmup + args.rounds * args.steps + 1
    config = dataclasses.replace(config, train_steps=max(config.train_steps, needed),
                                 eval_every_n_steps=0, final_eval=False)
    thread_note = set_eager_threads(config)  # before anything runs eagerly
    placement = devices.placement(config)
    try:
        train_data = data_lib.load_mnist(config.data_dir, "train")
    except data_lib.DataError as error:
        sys.exit(f"throughput: error: {error}")

    with contextlib.ExitStack() as stack:
        try:
            loops = build_loops(config, placement, train_data, variants, jits, stack,
                                precisions)
        except ValueError as error:  # a precision this machine cannot compute in
            sys.exit(f"throughput: error: {error}")
        warm = {loop.name: loop.run(args.warmup) if args.warmup else 0.0
                for loop in loops.values()}
        times = measure({loop.name: loop for loop in loops.values()}, args.rounds, args.steps,
                        args.seed)
    print()
    print_setup(config, placement.hparams, placement.device, list(loops.values()), flagfile, overrides, thread_note)
    print("warm-up: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in warm.items()))
    print(f"{args.rounds} interleaved rounds x {args.steps} steps x batch {config.batch_size}\n")
    print_report(times, args.steps, config.batch_size)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
