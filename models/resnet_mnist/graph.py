"""The trainer's graph: input pipeline, model, train op and (optionally) the eval tower.

`build_graph` builds tensors and ops only; which hooks drive them is `hooks.py`.
In a cluster, variables (global step, rate window, weights) go to the ps tasks and
everything else to this worker (`cluster.replica_scope`).
"""

import dataclasses
from typing import Optional, Tuple

import numpy as np
import tensorflow as tf

import lrhooks
from models.resnet_mnist import cluster as cluster_lib
from models.resnet_mnist import config as config_lib
from models.resnet_mnist import data as data_lib
from models.resnet_mnist import devices
from models.resnet_mnist import evaluation
from models.resnet_mnist import model as model_lib
from models.resnet_mnist import numerics
from models.resnet_mnist import optimizer as optimizer_lib

tf1 = tf.compat.v1
Split = Tuple[np.ndarray, np.ndarray]  # uint8 images [N, 28, 28], uint8 labels [N]


@dataclasses.dataclass(frozen=True)
class TrainGraph:
    """The training graph and the tensors the hooks and the loop need from it."""

    graph: tf.Graph
    global_step: tf.Variable
    rate: tf.Tensor
    outputs: model_lib.ModelOutputs
    train_op: tf.Operation
    finite_check: Optional[numerics.FiniteCheck]
    eval_tower: Optional[evaluation.EvalTower] = None  # with test data
    momentum: Optional[tf.Tensor] = None  # the cycled momentum (`config.momentum_schedule`)


def add_train_summaries(outputs: model_lib.ModelOutputs) -> None:
    """The 'loss', 'cross_entropy' and 'accuracy' (of the batch) summaries of a train tower."""
    tf1.summary.scalar("loss", outputs.loss)
    tf1.summary.scalar("cross_entropy", outputs.cross_entropy)
    tf1.summary.scalar("accuracy", outputs.accuracy)


def build_train_tower(images: tf.Tensor, labels: tf.Tensor, hparams: model_lib.HParams,
                      learning_rate, global_step: Optional[tf.Variable] = None, *,
                      check_finite: bool = True, record_device: str = "",
                      momentum: Optional[tf.Tensor] = None, loss_scaling: bool = False
                      ) -> Tuple[model_lib.ModelOutputs, optimizer_lib.TrainOp]:
    """The train-mode model, its summaries and its train op, into the caller's graph.

    Args and Raises: see `model.build_model` and `optimizer.build_train_op`.
    """
    if global_step is None:
        global_step = tf1.train.get_or_create_global_step()
    outputs = model_lib.build_model(images, labels, hparams, mode="train")
    add_train_summaries(outputs)
    train = optimizer_lib.build_train_op(outputs, hparams, learning_rate, global_step,
                                         check_finite=check_finite, record_device=record_device,
                                         momentum=momentum, loss_scaling=loss_scaling)
    return outputs, train


def build_graph(config: config_lib.TrainConfig, placement: devices.Placement,
                train_data: Split, test_data: Optional[Split] = None,
                shuffle_seed: int = 0) -> TrainGraph:
    """Builds the input pipeline (on the CPU), the model (on `placement.device`) and,
    with `test_data`, the eval tower sharing the model's variables."""
    cluster = config.cluster
    hparams = placement.hparams
    graph = tf.Graph()
    with graph.as_default(), cluster_lib.replica_scope(cluster):
        tf1.set_random_seed(config.seed)
        with tf.device(devices.CPU):
            global_step = tf1.train.get_or_create_global_step()
            # Both drive themselves (an in-graph window of the schedule's values): no hook.
            rate = lrhooks.learning_rate(schedule=config.schedule)
            momentum = None
            if config.momentum_schedule is not None:
                momentum = lrhooks.scheduled_value("momentum", config.momentum_schedule)
            batch_images, batch_labels = data_lib.train_input(
                *train_data, config.batch_size, seed=shuffle_seed, max_shift=config.max_shift)
        with tf.device(placement.device):
            # The check's record stays on this worker's CPU, never on a ps.
            outputs, train = build_train_tower(
                batch_images, batch_labels, hparams, rate, global_step,
                record_device=cluster.worker_device + devices.CPU, momentum=momentum,
                loss_scaling=placement.precision == "fp16")
        eval_tower = None
        if test_data is not None:
            with tf.device(placement.device):
                eval_tower = evaluation.build_eval_tower(*test_data, hparams,
                                                         config.eval_batch_size, reuse=True,
                                                         moving_average=train.moving_average)
    return TrainGraph(graph, global_step, rate, outputs, train.train_op, train.finite_check,
                      eval_tower, momentum)
