"""The optimizer and the train op: gradients, the finiteness check, the update, batch norm.

`build_train_op` turns a train-mode `model.ModelOutputs` into the op one training step
runs: the gradients of the loss, gated on `numerics.checked_gradients`, applied with
the global step ('train_step'), grouped with the batch-norm moving-statistics updates
('train_op').
"""

import dataclasses
from typing import Optional

import tensorflow as tf

from models.resnet_mnist import model as model_lib
from models.resnet_mnist import numerics

tf1 = tf.compat.v1


def make_optimizer(hparams: model_lib.HParams, learning_rate: tf.Tensor,
                   momentum: Optional[tf.Tensor] = None) -> tf1.train.Optimizer:
    """Returns the `tf.compat.v1.train` optimizer named by `hparams.optimizer`.

    Args:
      hparams: Hyper-parameters.
      learning_rate: float32 scalar tensor (a variable or float also works).
      momentum: For mom/nesterov, a scheduled momentum tensor used instead of
        `hparams.momentum` (e.g. `lrhooks.scheduled_value("momentum", ...)`); None: the
        constant `hparams.momentum`.

    Raises:
      ValueError: Unknown optimizer name.
    """
    name = hparams.optimizer
    if name == "sgd":
        return tf1.train.GradientDescentOptimizer(learning_rate)
    if name in ("mom", "nesterov"):
        nesterov = name == "nesterov"
        value = hparams.momentum if momentum is None else momentum
        return tf1.train.MomentumOptimizer(learning_rate, value, use_nesterov=nesterov)
    if name == "adam":
        return tf1.train.AdamOptimizer(
            learning_rate, hparams.adam_beta1, hparams.adam_beta2, hparams.adam_epsilon
        )
    raise ValueError(f"`optimizer` must be one of {', '.join(model_lib.OPTIMIZERS)}, "
                     f"got {name!r}")


@dataclasses.dataclass(frozen=True)
class TrainOp:
    """What `build_train_op` returns.

    Attributes:
      train_op: Groups the 'train_step' apply op and the batch-norm updates.
      global_step: The step variable the apply op increments.
      finite_check: Reads back the values of a run that failed the finiteness check;
        None when the check is off.
    """

    train_op: tf.Operation
    global_step: tf.Variable
    finite_check: Optional[numerics.FiniteCheck]


def build_train_op(outputs: model_lib.ModelOutputs, hparams: model_lib.HParams,
                   learning_rate: Optional[tf.Tensor],
                   global_step: Optional[tf.Variable] = None, *, check_finite: bool = True,
                   record_device: str = "", momentum: Optional[tf.Tensor] = None) -> TrainOp:
    """Builds the training step of a train-mode tower into the caller's graph.

    Args:
      outputs: `model.build_model(..., mode="train")`.
      hparams: Hyper-parameters (the optimizer).
      learning_rate: float32 scalar tensor made by the caller.
      global_step: Step variable the train op increments; default
        `tf.compat.v1.train.get_or_create_global_step()`.
      check_finite: Abort a run whose loss or gradient norm is NaN or infinite before it
        updates any variable (see `numerics.checked_gradients`).
      record_device: Where the finiteness check keeps its record (see there).
      momentum: A scheduled momentum for mom/nesterov (see `make_optimizer`), or None.

    Raises:
      ValueError: No learning_rate, or an unknown optimizer.
    """
    if learning_rate is None:
        raise ValueError("`learning_rate` must be a float32 scalar tensor in train mode, got None")
    if global_step is None:
        global_step = tf1.train.get_or_create_global_step()
    optimizer = make_optimizer(hparams, learning_rate, momentum)
    trainable = tf1.trainable_variables()
    grads = tf.gradients(outputs.loss, trainable)
    check = None
    if check_finite:
        grads, check = numerics.checked_gradients(grads, outputs.loss, global_step,
                                                  learning_rate, record_device)
    apply_op = optimizer.apply_gradients(
        zip(grads, trainable), global_step=global_step, name="train_step"
    )
    train_op = tf.group(apply_op, *outputs.update_ops, name="train_op")
    return TrainOp(train_op, global_step, check)
