"""ResNet and small-CNN MNIST models written with raw `tf.compat.v1` ops.

Follows the classic tensorflow/models `resnet_model.py` (pre-activation residual units, leaky
ReLU, strided stages) and the classic deep-MNIST tutorial CNN, using only
`tf.compat.v1.get_variable` and `tf.nn` ops. `build_model` builds the network, loss and
metrics into the caller's graph; everything comes in as arguments and devices are left to the
caller. The optimizer and the train op are `optimizer.py`.

Variable names are the same in train and eval mode (checkpoints written by a train graph restore
into an eval graph); training adds only the optimizer slots (and may create the global step):

* ResNet: `resnet/init/init_conv/DW`, `resnet/unit_<stage>_<i>/.../DW`, `resnet/logit/{DW,biases}`;
  batch norm `.../<bn>/{beta,gamma}` (trainable) and `.../<bn>/{moving_mean,moving_variance}`
  (non-trainable, in GLOBAL_VARIABLES and `MOVING_STATS_COLLECTION`).
* CNN: `cnn/conv{1,2,3}/{DW,biases}`, `cnn/fc1/{DW,biases}`, `cnn/logit/{DW,biases}`.

The conv/FC weights (every `DW`) are in `WEIGHT_DECAY_COLLECTION` and are the only variables in
the L2 term.
"""

import dataclasses
import math
import re
from typing import Any, List, Mapping, Optional, Sequence, Tuple

import tensorflow as tf

from models.resnet_mnist.model_hparams import (  # noqa: F401  (re-exported)
    DATA_FORMATS, MODELS, OPTIMIZERS, HParams, invalid as _invalid)

tf1 = tf.compat.v1

WEIGHT_DECAY_COLLECTION = "resnet_mnist_weights"
MOVING_STATS_COLLECTION = "resnet_mnist_batch_norm_moving_stats"
MODES = ("train", "eval")
_UNIT = re.compile(r"^resnet/unit_([123])_(\d+)/")


@dataclasses.dataclass(frozen=True)
class ModelOutputs:
    """What `build_model` returns (the train op is `optimizer.build_train_op`).

    Attributes:
      logits: float32 [B, num_classes].
      predictions: int32 [B], argmax of the logits.
      loss: float32 scalar, cross_entropy + weight decay.
      cross_entropy: float32 scalar, mean softmax cross-entropy from the logits (against the
        smoothed targets with `label_smoothing`).
      accuracy: float32 scalar, top-1 accuracy of the batch (the classic ResNet code's
        'precision').
      update_ops: Batch-norm moving-statistics updates made by this call (also added to
        GraphKeys.UPDATE_OPS); empty in eval mode and for the CNN.
      weight_decay_vars: The conv/FC weights in the L2 term.
    """

    logits: tf.Tensor
    predictions: tf.Tensor
    loss: tf.Tensor
    cross_entropy: tf.Tensor
    accuracy: tf.Tensor
    update_ops: Tuple[tf.Operation, ...] = ()
    weight_decay_vars: Tuple[tf.Variable, ...] = ()


class _Builder:
    """Builds one tower and records the weights and batch-norm updates it uses."""

    def __init__(self, hparams: HParams, training: bool):
        self.hps = hparams
        self.training = training
        self.nchw = hparams.data_format == "NCHW"
        self.weights: List[tf.Variable] = []
        self.update_ops: List[tf.Operation] = []

    def channels(self, x: tf.Tensor) -> int:
        return int(x.shape[1 if self.nchw else 3])

    def strides(self, stride: int) -> List[int]:
        return [1, 1, stride, stride] if self.nchw else [1, stride, stride, 1]

    def weight(self, shape: Sequence[int], initializer: Any) -> tf.Variable:
        w = tf1.get_variable("DW", shape, tf.float32, initializer)
        self.weights.append(w)
        if not any(v is w for v in tf1.get_collection(WEIGHT_DECAY_COLLECTION)):
            tf1.add_to_collection(WEIGHT_DECAY_COLLECTION, w)
        return w

    def bias(self, size: int) -> tf.Variable:
        return tf1.get_variable("biases", [size], tf.float32, tf1.zeros_initializer())

    def conv(
        self, name: str, x: tf.Tensor, size: int, out_filters: int, stride: int, bias: bool = False
    ) -> tf.Tensor:
        """size x size SAME conv; He-normal init with n = size * size * out_filters (classic)."""
        with tf1.variable_scope(name):
            stddev = math.sqrt(2.0 / (size * size * out_filters))
            init = tf1.random_normal_initializer(stddev=stddev)
            kernel = self.weight([size, size, self.channels(x), out_filters], init)
            fmt = self.hps.data_format
            y = tf.nn.conv2d(x, kernel, self.strides(stride), "SAME", data_format=fmt)
            return tf.nn.bias_add(y, self.bias(out_filters), data_format=fmt) if bias else y

    def fully_connected(self, name: str, x: tf.Tensor, out_dim: int) -> tf.Tensor:
        """FC layer; uniform unit-scaling weights, i.e. U(+-sqrt(3 / in_dim)), zero biases."""
        with tf1.variable_scope(name):
            in_dim = math.prod(int(d) for d in x.shape[1:])
            init = tf1.variance_scaling_initializer(1.0, mode="fan_in", distribution="uniform")
            w = self.weight([in_dim, out_dim], init)
            return tf1.nn.xw_plus_b(tf.reshape(x, [-1, in_dim]), w, self.bias(out_dim))

    def batch_norm(self, name: str, x: tf.Tensor) -> tf.Tensor:
        """Fused batch norm: batch statistics + moving-average updates in train mode, the
        moving statistics in eval mode."""
        hps = self.hps
        with tf1.variable_scope(name):
            shape = [self.channels(x)]
            beta = tf1.get_variable("beta", shape, tf.float32, tf1.zeros_initializer())
            gamma = tf1.get_variable("gamma", shape, tf.float32, tf1.ones_initializer())
            colls = [tf1.GraphKeys.GLOBAL_VARIABLES, MOVING_STATS_COLLECTION]
            moving = [
                tf1.get_variable(stat, shape, tf.float32, init, trainable=False, collections=colls)
                for stat, init in (
                    ("moving_mean", tf1.zeros_initializer()),
                    ("moving_variance", tf1.ones_initializer()),
                )
            ]
            kwargs = dict(epsilon=hps.batch_norm_epsilon, data_format=hps.data_format)
            if not self.training:
                y, _, _ = tf1.nn.fused_batch_norm(
                    x, gamma, beta, *moving, is_training=False, **kwargs
                )
                return y
            y, mean, variance = tf1.nn.fused_batch_norm(x, gamma, beta, is_training=True, **kwargs)
            for var, value in zip(moving, (mean, variance)):
                # assign_moving_average without zero-debias: var -= (var - value) * (1 - decay).
                delta = (var - value) * (1.0 - hps.batch_norm_decay)
                name = var.op.name.split("/")[-1] + "_update"
                op = var.assign_sub(delta, name=name, read_value=False)
                self.update_ops.append(op)
                tf1.add_to_collection(tf1.GraphKeys.UPDATE_OPS, op)
            return y

    def bn_relu(self, name: str, x: tf.Tensor) -> tf.Tensor:
        return tf.nn.leaky_relu(self.batch_norm(name, x), alpha=self.hps.relu_leakiness)

    def shortcut(self, x: tf.Tensor, out_filters: int, stride: int) -> tf.Tensor:
        """Identity, or when the shape changes: plain units use the classic parameter-free
        stride x stride avg-pool + zero channel padding; bottleneck units a strided 1x1
        'project' conv."""
        in_filters = self.channels(x)
        if in_filters == out_filters and stride == 1:
            return x
        if self.hps.use_bottleneck:
            return self.conv("project", x, 1, out_filters, stride)
        if out_filters < in_filters:
            raise ValueError(
                f"`filters` must not decrease without use_bottleneck, got {self.hps.filters!r}"
            )
        if stride > 1:
            k = self.strides(stride)
            x = tf.nn.avg_pool2d(x, k, k, "VALID", data_format=self.hps.data_format)
        diff = out_filters - in_filters
        pad = [[0, 0]] * 4
        pad[1 if self.nchw else 3] = [diff // 2, diff - diff // 2]
        return tf.pad(x, pad)

    def residual(
        self, x: tf.Tensor, out_filters: int, stride: int, activate_before_residual: bool
    ) -> tf.Tensor:
        """Pre-activation unit (BN -> leaky ReLU -> conv), plain or bottleneck."""
        if activate_before_residual:
            with tf1.variable_scope("shared_activation"):
                x = orig_x = self.bn_relu("init_bn", x)
        else:
            with tf1.variable_scope("residual_only_activation"):
                orig_x, x = x, self.bn_relu("init_bn", x)
        if self.hps.use_bottleneck:
            inner = out_filters // 4
            with tf1.variable_scope("sub1"):
                x = self.conv("conv1", x, 1, inner, stride)
            with tf1.variable_scope("sub2"):
                x = self.conv("conv2", self.bn_relu("bn2", x), 3, inner, 1)
            with tf1.variable_scope("sub3"):
                x = self.conv("conv3", self.bn_relu("bn3", x), 1, out_filters, 1)
        else:
            with tf1.variable_scope("sub1"):
                x = self.conv("conv1", x, 3, out_filters, stride)
            with tf1.variable_scope("sub2"):
                x = self.conv("conv2", self.bn_relu("bn2", x), 3, out_filters, 1)
        with tf1.variable_scope("sub_add"):
            return x + self.shortcut(orig_x, out_filters, stride)

    def resnet(self, x: tf.Tensor) -> tf.Tensor:
        hps = self.hps
        with tf1.variable_scope("init"):
            x = self.conv("init_conv", x, 3, hps.filters[0], 1)
        width = 4 if hps.use_bottleneck else 1
        for stage, stride in enumerate((1, 2, 2)):
            for i in range(hps.num_residual_units):
                with tf1.variable_scope(f"unit_{stage + 1}_{i}"):
                    x = self.residual(
                        x, hps.filters[stage + 1] * width, stride if i == 0 else 1, stage + i == 0
                    )
        with tf1.variable_scope("unit_last"):
            x = self.bn_relu("final_bn", x)
            x = tf.reduce_mean(x, axis=[2, 3] if self.nchw else [1, 2])  # global average pool
        return self.fully_connected("logit", x, hps.num_classes)

    def cnn(self, x: tf.Tensor) -> tf.Tensor:
        hps = self.hps
        for i, filters in enumerate(hps.cnn_filters):
            x = tf.nn.relu(self.conv(f"conv{i + 1}", x, 3, filters, 1, bias=True))
            k = self.strides(2)
            x = tf.nn.max_pool2d(x, k, k, "SAME", data_format=hps.data_format)
        if self.nchw:  # Flatten in NHWC order so that fc1/DW is the same for both formats.
            x = tf.transpose(x, [0, 2, 3, 1])
        x = tf.nn.relu(self.fully_connected("fc1", x, hps.cnn_fc_units))
        if self.training and hps.dropout_rate > 0:
            x = tf.nn.dropout(x, rate=hps.dropout_rate)
        return self.fully_connected("logit", x, hps.num_classes)


def smoothed_targets(labels: tf.Tensor, num_classes: int, label_smoothing: float) -> tf.Tensor:
    """float32 [B, num_classes]: one-hot `labels` mixed with the uniform distribution,
    `(1 - label_smoothing) * one_hot + label_smoothing / num_classes`."""
    one_hot = tf.one_hot(labels, num_classes, dtype=tf.float32)
    return one_hot * (1.0 - label_smoothing) + label_smoothing / num_classes


def _cross_entropy(labels: tf.Tensor, logits: tf.Tensor, hparams: HParams) -> tf.Tensor:
    """Per-example cross-entropy: sparse (exactly as before) without label smoothing."""
    if not hparams.label_smoothing:
        return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    targets = smoothed_targets(labels, hparams.num_classes, hparams.label_smoothing)
    return tf.nn.softmax_cross_entropy_with_logits(labels=targets, logits=logits)


def build_model(
    images: tf.Tensor,
    labels: tf.Tensor,
    hparams: HParams,
    *,
    mode: str,
) -> ModelOutputs:
    """Builds the network, the loss and the metrics (the optimizer is `optimizer.py`).

    Variables live under the variable scope `hparams.model` ('resnet' or 'cnn') inside the
    caller's scope. To share them between a train and an eval tower of one graph, build the eval
    tower inside `tf.compat.v1.variable_scope(tf.compat.v1.get_variable_scope(), reuse=True)`.

    Args:
      images: float32 [B, H, W, C] NHWC images in [0, 1] (MNIST: [B, 28, 28, 1]).
      labels: integer [B] class ids.
      hparams: Hyper-parameters; validated here.
      mode: 'train' (batch statistics, BN updates, dropout) or 'eval' (moving statistics).

    Returns:
      ModelOutputs.

    Raises:
      ValueError: Invalid hparams or mode.
    """
    hparams.validate()
    if mode not in MODES:
        raise _invalid("mode", mode, "one of " + ", ".join(MODES))
    builder = _Builder(hparams, mode == "train")
    with tf1.variable_scope(hparams.model):
        x = tf.convert_to_tensor(images, tf.float32)
        if builder.nchw:
            x = tf.transpose(x, [0, 3, 1, 2])
        logits = getattr(builder, hparams.model)(x)

    with tf.name_scope("metrics"):
        labels = tf.cast(labels, tf.int32)
        predictions = tf.argmax(logits, axis=1, output_type=tf.int32, name="predictions")
        correct = tf.cast(tf.equal(predictions, labels), tf.float32)
        accuracy = tf.reduce_mean(correct, name="accuracy")
    with tf.name_scope("losses"):
        xent = _cross_entropy(labels, logits, hparams)
        cross_entropy = tf.reduce_mean(xent, name="cross_entropy")
        l2 = tf.add_n([tf.nn.l2_loss(w) for w in builder.weights], name="l2")
        weight_decay = tf.multiply(hparams.weight_decay_rate, l2, name="weight_decay")
        loss = tf.add(cross_entropy, weight_decay, name="total_loss")

    return ModelOutputs(
        logits, predictions, loss, cross_entropy, accuracy,
        update_ops=tuple(builder.update_ops), weight_decay_vars=tuple(builder.weights),
    )  # fmt: skip


def checkpoint_disagreement(hparams: "HParams", saved: Mapping[str, Sequence[int]]
                            ) -> Optional[str]:
    """How a checkpoint's variables (`tf.train.list_variables` as a dict) differ from the
    network `hparams` describes, read from names and shapes alone (nothing is built, so an
    edited `num_residual_units=20000` is answered at once); None when they agree on the
    model, the number of residual units per stage, the first conv and the logit layer."""
    prefix = f"{hparams.model}/"
    if not any(name.startswith(prefix) for name in saved):
        found = sorted({name.split("/")[0] for name in saved if "/" in name})
        return f"the checkpoint holds no {hparams.model!r} variables (found {found})"
    if hparams.model == "resnet":
        units = {}
        for name in saved:
            match = _UNIT.match(name)
            if match:
                stage, index = int(match.group(1)), int(match.group(2))
                units[stage] = max(units.get(stage, 0), index + 1)
        counts = [units.get(stage, 0) for stage in (1, 2, 3)]
        if counts != [hparams.num_residual_units] * 3:
            return (f"the checkpoint has {counts} residual units per stage and "
                    f"num_residual_units is {hparams.num_residual_units}")
        first, first_out = "resnet/init/init_conv/DW", hparams.filters[0]
    else:
        first, first_out = "cnn/conv1/DW", hparams.cnn_filters[0]
    expected = {first: [3, 3, 1, first_out]}
    logit = saved.get(f"{prefix}logit/DW")
    if logit is not None:
        expected[f"{prefix}logit/DW"] = [list(logit)[0], hparams.num_classes]
    for name, shape in expected.items():
        if name in saved and list(saved[name]) != shape:
            return (f"variable {name!r} has shape {list(saved[name])} in the checkpoint and "
                    f"{shape} here")
    return None
