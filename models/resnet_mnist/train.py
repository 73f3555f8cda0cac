"""Trains the MNIST ResNet (or CNN) with lrhooks driving the learning rate.

    python -m models.resnet_mnist.train \\
        --flagfile=models/resnet_mnist/configs/quick.flags --data_dir=DIR --train_dir=DIR

Resumes from the latest checkpoint in `--train_dir`. See `config.py` for flags.
"""

import dataclasses
import os
import sys
import time
from typing import Dict, List, Optional, Sequence, Set

import numpy as np
import tensorflow as tf
from absl import app
from absl import flags
from absl import logging

import lrhooks
from lrhooks import event_files
from lrhooks import hparams as lrhooks_hparams
from models.resnet_mnist import cluster as cluster_lib
from models.resnet_mnist import config as config_lib
from models.resnet_mnist import data as data_lib
from models.resnet_mnist import eval as eval_lib
from models.resnet_mnist import evaluation
from models.resnet_mnist import faults
from models.resnet_mnist import model as model_lib

tf1 = tf.compat.v1
FLAGS = flags.FLAGS
# The HParams dashboard's metric: 'precision' in TRAIN_DIR/eval (final eval and eval.py).
HPARAMS_METRICS = [("precision", "eval")]


class UserError(Exception):
    """A mistake in the user's input: reported in one line, no traceback."""


@dataclasses.dataclass
class TrainResult:
    global_step: int
    final_loss: Optional[float]
    wall_seconds: float
    eval_history: List[evaluation.EvalRecord]
    final_precision: Optional[float] = None  # with config.final_eval
    stopped_by_signal: Optional[int] = None  # SIGTERM/SIGINT: stopped early, checkpoint saved


def resolve_device(device: str) -> str:
    """The device string for the model: 'auto' picks the first GPU if there is one."""
    if device == "auto":
        device = "gpu" if tf.config.list_physical_devices("GPU") else "cpu"
    return "/device:GPU:0" if device == "gpu" else "/device:CPU:0"


def resolve_data_format(data_format: str, device: str) -> str:
    if data_format != "auto":
        return data_format
    return "NCHW" if "GPU" in device else "NHWC"


def session_config(config: config_lib.TrainConfig) -> tf1.ConfigProto:
    return tf1.ConfigProto(allow_soft_placement=True,
                           log_device_placement=config.log_device_placement,
                           intra_op_parallelism_threads=config.intra_op_threads,
                           inter_op_parallelism_threads=config.inter_op_threads)


def _check_train_dir(train_dir: str) -> None:
    try:
        os.makedirs(train_dir, exist_ok=True)
        probe = os.path.join(train_dir, ".write_probe")
        with open(probe, "w") as f:
            f.write("ok")
        os.remove(probe)
    except OSError as error:
        raise UserError(f"--train_dir {train_dir!r} is not writable: {error.strerror}") from None


def _check_checkpoint(train_dir: str, built: "TrainGraph") -> None:
    """Refuses a train_dir whose checkpoint belongs to another model configuration."""
    checkpoint = tf.train.latest_checkpoint(train_dir)
    if checkpoint is None:
        return
    with built.graph.as_default():
        variables = tf1.global_variables()
    problems = faults.checkpoint_mismatches(checkpoint, variables)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise UserError(f"--train_dir {train_dir!r} holds a checkpoint of another model "
                        f"configuration: {problems[0]}{more}; use a new --train_dir or the "
                        "flags of that run")


def _restored_step(train_dir: str) -> int:
    checkpoint = tf.train.latest_checkpoint(train_dir)
    if checkpoint is None:
        return 0
    return int(tf.train.load_variable(checkpoint, "global_step"))


@dataclasses.dataclass
class TrainGraph:
    """The training graph and what the loop needs from it."""

    graph: tf.Graph
    global_step: tf.Variable
    rate: tf.Tensor
    outputs: model_lib.ModelOutputs
    hooks: List[tf1.train.SessionRunHook]
    eval_hook: Optional[evaluation.InProcessEvalHook]
    chief_hooks: List[tf1.train.SessionRunHook] = dataclasses.field(default_factory=list)


def build_graph(config: config_lib.TrainConfig, hparams: model_lib.HParams, device: str,
                train_data, test_data=None, shuffle_seed: int = 0) -> TrainGraph:
    """Builds the input pipeline (on the CPU), the model (on `device`) and the hooks.

    In a cluster, variables (global step, rate window, weights) go to the ps tasks and
    everything else to this worker (`cluster.replica_scope`).
    """
    cluster = config.cluster
    graph = tf.Graph()
    with graph.as_default(), cluster_lib.replica_scope(cluster):
        tf1.set_random_seed(config.seed)
        with tf.device("/device:CPU:0"):
            global_step = tf1.train.get_or_create_global_step()
            rate = lrhooks.learning_rate()
            batch_images, batch_labels = data_lib.train_input(
                *train_data, config.batch_size, seed=shuffle_seed, max_shift=config.max_shift)
        with tf.device(device):
            outputs = model_lib.build_model(batch_images, batch_labels, hparams, mode="train",
                                            learning_rate=rate, global_step=global_step)
        chief_hooks = []
        if cluster.is_distributed:
            # SummarySaverHook labels summaries with a step read after the run, which other
            # workers move: record the rate with the exact step it was computed from instead.
            chief_hooks.append(lrhooks.LearningRateSummaryHook(
                config.train_dir, every_n_steps=config.save_summaries_steps))
        else:
            lrhooks.rate_summary(rate)  # tagged exactly "learning_rate"
        hooks = [
            lrhooks.LearningRateSetterHook(config.schedule),
            tf1.train.StopAtStepHook(last_step=config.train_steps),
            lrhooks.TrainingLogHook(
                outputs.loss, {"precision": outputs.precision},
                every_n_steps=config.log_every_n_steps, batch_size=config.batch_size,
                last_step=config.train_steps,
                output_dir=config.train_dir if cluster.is_chief else None,
                progress=config.progress),
        ]
        eval_hook = None
        if test_data is not None:
            with tf.device(device):
                tower = evaluation.build_eval_tower(*test_data, hparams, config.eval_batch_size,
                                                    reuse=True)
            eval_hook = evaluation.InProcessEvalHook(tower, config.eval_every_n_steps,
                                                     config.train_steps)
            hooks.append(eval_hook)
    return TrainGraph(graph, global_step, rate, outputs, hooks, eval_hook, chief_hooks)


def graph_devices(config: config_lib.TrainConfig) -> Dict[str, Set[str]]:
    """Device requests of the input and model ops (for checking placement without a GPU)."""
    device = resolve_device(config.device)
    hparams = dataclasses.replace(
        config.hparams, data_format=resolve_data_format(config.data_format, device))
    fake = (np.zeros((config.batch_size, 28, 28), np.uint8),
            np.zeros((config.batch_size,), np.uint8))
    built = build_graph(config, hparams, device, fake)
    ops = built.graph.get_operations()
    return {"input": {op.device for op in ops if op.type == "IteratorGetNext"},
            "model": {op.device for op in ops if op.name.startswith(hparams.model + "/")}}


def train(config: config_lib.TrainConfig,
          extra_hooks: Sequence[tf1.train.SessionRunHook] = (),
          server: Optional[tf.distribute.Server] = None) -> TrainResult:
    """Trains until `global_step == config.train_steps`, resuming from `config.train_dir`.

    `extra_hooks` join the trainer's own hooks (benchmarks and tests use them). In a cluster,
    `server` is this worker's `tf.distribute.Server`; only the chief (worker 0) checks and
    writes `train_dir`.

    Raises:
      UserError: Unreadable or invalid data, or an unwritable train_dir.
    """
    started = time.perf_counter()
    chief = config.cluster.is_chief
    try:
        train_data = data_lib.load_mnist(config.data_dir, "train")
        test_data = (data_lib.load_mnist(config.data_dir, "test")
                     if config.eval_every_n_steps and chief else None)
    except data_lib.DataError as error:
        raise UserError(str(error)) from None
    if chief:
        _check_train_dir(config.train_dir)
    device = resolve_device(config.device)
    hparams = dataclasses.replace(
        config.hparams, data_format=resolve_data_format(config.data_format, device)).validate()
    restored = _restored_step(config.train_dir) if chief else 0
    # A different shuffle after each restart (seeded by the step the run resumes from) and
    # on each worker.
    built = build_graph(config, hparams, device, train_data, test_data,
                        shuffle_seed=config.seed + restored + 7919 * config.cluster.task_index)
    if chief:
        _check_checkpoint(config.train_dir, built)
        # A run killed while writing leaves a torn last record: cut it before writing again.
        for path in event_files.truncate_torn_records(config.train_dir):
            logging.warning("cut a torn record off the end of %s", path)
        config_lib.write_config(config, hparams)
        # Before training opens its event file (see lrhooks.hparams on file order).
        lrhooks_hparams.write_session(config.train_dir,
                                      config_lib.tensorboard_hparams(config, hparams),
                                      metrics=HPARAMS_METRICS)
    final_loss = None
    status = "failure"
    try:
        with faults.SignalStop() as stop:
            built.hooks.extend([stop.hook, *extra_hooks])
            final_loss, step = _train_loop(config, built, server)
        status = "success" if stop.received is None else "unknown"
    except tf.errors.InvalidArgumentError as error:
        message = faults.non_finite_message(error)
        if message is None:
            raise
        raise faults.NonFiniteError(message) from None
    finally:
        if chief:
            lrhooks_hparams.write_session_end(config.train_dir, status)
    if stop.received is not None:
        logging.warning("stopped by signal %d at step %d; checkpoint written", stop.received,
                        step)
        return TrainResult(int(step), final_loss, time.perf_counter() - started, [], None,
                           stop.received)
    final_precision = None
    if config.final_eval and chief:
        final_precision = eval_lib.run(config.data_dir, config.train_dir, eval_once=True,
                                       batch_size=config.eval_batch_size)[1]
    return TrainResult(int(step), None if final_loss is None else float(final_loss),
                       time.perf_counter() - started,
                       built.eval_hook.history if built.eval_hook is not None else [],
                       final_precision)


def monitored_session(config: config_lib.TrainConfig, built: TrainGraph,
                      server: Optional[tf.distribute.Server] = None
                      ) -> tf1.train.MonitoredSession:
    """The trainer's MonitoredTrainingSession for `built` (call inside `built.graph`).

    Checkpoints and summaries are written by the chief only (MonitoredTrainingSession's
    own hooks are chief-only); the rate hook runs on every worker.
    """
    cluster = config.cluster
    return tf1.train.MonitoredTrainingSession(
        master=server.target if server is not None else "", is_chief=cluster.is_chief,
        checkpoint_dir=config.train_dir if cluster.is_chief else None,
        hooks=built.hooks, chief_only_hooks=built.chief_hooks,
        save_checkpoint_steps=config.save_checkpoints_steps, save_checkpoint_secs=None,
        save_summaries_steps=config.save_summaries_steps,
        log_step_count_steps=None,  # TrainingLogHook reports the speed
        config=cluster_lib.server_config(cluster, session_config(config)))


def _train_loop(config: config_lib.TrainConfig, built: TrainGraph,
                server: Optional[tf.distribute.Server] = None):
    """Runs the MonitoredTrainingSession; returns (last loss, final global step)."""
    final_loss = None
    with built.graph.as_default():
        if server is not None:
            cluster_lib.wait_for_chief(server, config.cluster)
        with monitored_session(config, built, server) as session:
            while not session.should_stop():
                _, final_loss = session.run([built.outputs.train_op, built.outputs.loss])
            step = session.run_step_fn(
                lambda step_context: step_context.session.run(built.global_step))
        if config.cluster.is_chief:
            tf1.summary.FileWriterCache.get(config.train_dir).flush()
    return final_loss, step


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    config_lib.setup_logging()
    try:
        config = config_lib.config_from_flags(FLAGS.flag_values_dict())
    except ValueError as error:  # a flag combination the validators could not see
        print(f"train: error: {error}", file=sys.stderr)
        return 1
    if FLAGS.lr_range_test:
        # Imported here: range_test imports this module.
        from models.resnet_mnist import range_test  # pylint: disable=import-outside-toplevel
        try:
            range_test.run_range_test(config, FLAGS.range_test_min_lr, FLAGS.range_test_max_lr,
                                      FLAGS.range_test_steps, FLAGS.range_test_dir)
        except range_test.RangeTestError as error:
            print(f"train: error: {error}", file=sys.stderr)
            return faults.EXIT_BAD_INPUT
        return 0
    cluster = config.cluster
    server = cluster_lib.start_server(cluster) if cluster.is_distributed else None
    if cluster.job_name == "ps":
        return cluster_lib.run_ps(server, cluster, timeout_secs=FLAGS.ps_timeout_secs)
    try:
        with cluster_lib.done_signal(server, cluster):  # lets the ps tasks exit
            result = train(config, server=server)
    except UserError as error:
        print(f"train: error: {error}", file=sys.stderr)
        return faults.EXIT_BAD_INPUT
    except faults.NonFiniteError as error:
        print(f"train: error: {error}", file=sys.stderr)
        return faults.EXIT_NON_FINITE
    if result.stopped_by_signal is not None:
        print(f"train: stopped by signal {result.stopped_by_signal} at step "
              f"{result.global_step}; a checkpoint was written: run the same command to "
              "continue", file=sys.stderr)
        return 128 + result.stopped_by_signal
    logging.info("done: global_step %d, loss %s, %.1f s", result.global_step, result.final_loss,
                 result.wall_seconds)
    return 0


if __name__ == "__main__":
    config_lib.define_flags()
    app.run(main)
