"""The optimizer and the train op: gradients, the finiteness check, the update, batch norm.

`build_train_op` turns a train-mode `model.ModelOutputs` into the op one training step
runs: the gradients of the loss (scaled with `loss_scale` under fp16), gated on
`numerics.checked_gradients`, applied with the global step ('train_step'), grouped
with the batch-norm moving-statistics updates and, with `hparams.ema_decay`, the
moving average of the weights ('train_op').
"""

import dataclasses
from typing import Dict, List, Optional

import tensorflow as tf

from models.resnet_mnist import loss_scale as loss_scale_lib
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
      moving_average: With `hparams.ema_decay`: the `ExponentialMovingAverage` of the
        weights and batch-norm statistics, updated by `train_op`; else None.
      loss_scale: With `loss_scaling`: the dynamic loss scale; else None.
    """

    train_op: tf.Operation
    global_step: tf.Variable
    finite_check: Optional[numerics.FiniteCheck]
    moving_average: Optional[tf1.train.ExponentialMovingAverage] = None
    loss_scale: Optional[loss_scale_lib.DynamicLossScale] = None


def averaged_variables() -> List[tf.Variable]:
    """What the moving average of `hparams.ema_decay` covers in the default graph: the
    trainable variables and the batch-norm moving statistics."""
    return tf1.trainable_variables() + tf1.get_collection(model_lib.MOVING_STATS_COLLECTION)


def moving_average(hparams: model_lib.HParams,
                   global_step: Optional[tf.Variable] = None
                   ) -> tf1.train.ExponentialMovingAverage:
    """The `ExponentialMovingAverage` of `hparams.ema_decay`: decay
    `min(ema_decay, (1 + step) / (10 + step))` with the step (the classic warm start),
    shadow variables named `<variable>/ExponentialMovingAverage`."""
    return tf1.train.ExponentialMovingAverage(hparams.ema_decay, num_updates=global_step)


def averages_to_restore(hparams: model_lib.HParams) -> Dict[str, tf.Variable]:
    """Checkpoint name -> variable of the default (eval) graph, reading each averaged
    variable from its moving average and every other variable from itself."""
    return moving_average(hparams).variables_to_restore(averaged_variables())


def build_train_op(outputs: model_lib.ModelOutputs, hparams: model_lib.HParams,
                   learning_rate: Optional[tf.Tensor],
                   global_step: Optional[tf.Variable] = None, *, check_finite: bool = True,
                   record_device: str = "", momentum: Optional[tf.Tensor] = None,
                   loss_scaling: bool = False) -> TrainOp:
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
      momentum: A scheduled momentum tensor for 'mom'/'nesterov' (see `make_optimizer`).
      loss_scaling: Scale the loss dynamically (`loss_scale.DynamicLossScale`; for fp16):
        a step whose gradients overflow is skipped and the scale halves.

    Raises:
      ValueError: No learning_rate, or an unknown optimizer.
    """
    if learning_rate is None:
        raise ValueError("`learning_rate` must be a float32 scalar tensor in train mode, got None")
    if global_step is None:
        global_step = tf1.train.get_or_create_global_step()
    optimizer = make_optimizer(hparams, learning_rate, momentum)
    trainable = tf1.trainable_variables()
    scale = loss_scale_lib.DynamicLossScale() if loss_scaling else None
    if scale is None:
        grads, finite = tf.gradients(outputs.loss, trainable), None
    else:
        grads, finite = scale.gradients(outputs.loss, trainable)
    check = None
    if check_finite:
        grads, check = numerics.checked_gradients(
            grads, outputs.loss, global_step, learning_rate, record_device,
            skip_allowed=None if scale is None else scale.can_skip())

    def apply():
        return optimizer.apply_gradients(zip(grads, trainable), global_step=global_step,
                                         name="train_step")

    apply_op = apply() if scale is None else scale.apply(finite, apply, global_step)
    updates = [apply_op, *outputs.update_ops]
    average = None
    if hparams.ema_decay:
        average = moving_average(hparams, global_step)
        with tf.control_dependencies(updates):  # the average of the updated values
            updates.append(average.apply(averaged_variables()))
    train_op = tf.group(*updates, name="train_op")
    return TrainOp(train_op, global_step, check, average, scale)
