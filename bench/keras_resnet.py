"""Keras 3 twins of the trainer's models (`models/resnet_mnist/model.py`), for benchmarks.

`build_keras_resnet` and `build_keras_cnn` build, with the Keras 3 functional API, the same
networks as the raw `tf.compat.v1` models, layer for layer, from the same `HParams`:

* ResNet: 3x3 `init_conv`, 3 stages of `num_residual_units` pre-activation units (batch norm
  -> leaky ReLU -> conv; plain 3x3-3x3 or 1x1-3x3-1x1 bottleneck units; strides 1/2/2; the
  first unit of the first stage shares its activation with the shortcut), shortcuts by
  stride x stride average pooling + zero channel padding (bottleneck: a strided 1x1 conv),
  a final batch norm + leaky ReLU, global average pooling and a dense logit layer. Convs have
  no bias. Same initializers (He normal with n = k * k * out_filters, uniform unit scaling for
  the dense layer) and batch-norm decay / epsilon.
* CNN: three 3x3 conv (bias) + ReLU + 2x2 max-pool layers, a ReLU hidden dense layer, dropout
  and a dense logit layer.

Weight decay: the TF1 models add `weight_decay_rate * sum(tf.nn.l2_loss(w))` over the conv and
dense kernels, i.e. `weight_decay_rate / 2 * sum(w ** 2)`; here every kernel gets
`keras.regularizers.L2(weight_decay_rate / 2)`, the same term.

What differs, by Keras design: Keras 3 batch normalization is not fused (`tf.nn.moments` +
`tf.nn.batch_normalization` on the TensorFlow backend); Keras' momentum SGD applies
`v = m * v - lr * g; w += v` (the same update as `tf.compat.v1.train.MomentumOptimizer` at a
constant rate); Keras' Adam puts epsilon outside the bias correction; there is no in-graph
finiteness check of the gradients.

Inputs are NHWC float32 [B, 28, 28, 1] (what `models.resnet_mnist.data.train_dataset`
yields); with `hparams.data_format == "NCHW"` they are transposed once and the layers run
channels_first, as the TF1 model does.
"""

import math
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402  (after choosing the backend)

from models.resnet_mnist import model as model_lib  # noqa: E402

if int(keras.__version__.split(".")[0]) < 3:
    raise ImportError(f"bench/keras_resnet.py needs Keras 3 (TensorFlow >= 2.16), "
                      f"found Keras {keras.__version__}")

IMAGE_SHAPE = (28, 28, 1)


@keras.saving.register_keras_serializable(package="lrhooks_bench")
class ChannelPad(keras.layers.Layer):
    """Zero-pads the channel axis with `before` and `after` channels (the classic shortcut)."""

    def __init__(self, before: int, after: int, channel_axis: int = -1, **kwargs):
        super().__init__(**kwargs)
        self.before, self.after, self.channel_axis = before, after, channel_axis

    def call(self, inputs):
        pad = [[0, 0]] * len(inputs.shape)
        pad[self.channel_axis] = [self.before, self.after]
        return keras.ops.pad(inputs, pad)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        if shape[self.channel_axis] is not None:
            shape[self.channel_axis] += self.before + self.after
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "before": self.before, "after": self.after,
                "channel_axis": self.channel_axis}


class _Builder:
    """Keras layers matching `model_lib._Builder`, one method per building block."""

    def __init__(self, hparams: model_lib.HParams):
        self.hps = hparams
        self.nchw = hparams.data_format == "NCHW"
        self.data_format = "channels_first" if self.nchw else "channels_last"
        self.axis = 1 if self.nchw else -1
        # sum(w ** 2) * rate / 2 == rate * tf.nn.l2_loss(w): the TF1 models' weight decay.
        self.regularizer = (keras.regularizers.L2(hparams.weight_decay_rate / 2)
                            if hparams.weight_decay_rate > 0 else None)

    def channels(self, x) -> int:
        return int(x.shape[self.axis])

    def conv(self, name: str, x, size: int, out_filters: int, stride: int,
             bias: bool = False):
        """size x size SAME conv, He normal with n = size * size * out_filters (fan_out)."""
        init = keras.initializers.VarianceScaling(2.0, mode="fan_out",
                                                  distribution="untruncated_normal")
        return keras.layers.Conv2D(
            out_filters, size, strides=stride, padding="same", data_format=self.data_format,
            use_bias=bias, kernel_initializer=init, bias_initializer="zeros",
            kernel_regularizer=self.regularizer, name=name)(x)

    def dense(self, name: str, x, units: int, activation=None):
        """Dense layer, uniform unit scaling (U(+-sqrt(3 / in_dim))), zero biases."""
        init = keras.initializers.VarianceScaling(1.0, mode="fan_in", distribution="uniform")
        return keras.layers.Dense(units, activation=activation, kernel_initializer=init,
                                  bias_initializer="zeros", kernel_regularizer=self.regularizer,
                                  name=name)(x)

    def bn_relu(self, name: str, x):
        x = keras.layers.BatchNormalization(
            axis=self.axis, momentum=self.hps.batch_norm_decay,
            epsilon=self.hps.batch_norm_epsilon, name=name)(x)
        return keras.layers.LeakyReLU(negative_slope=self.hps.relu_leakiness,
                                      name=name + "_relu")(x)

    def shortcut(self, name: str, x, out_filters: int, stride: int):
        in_filters = self.channels(x)
        if in_filters == out_filters and stride == 1:
            return x
        if self.hps.use_bottleneck:
            return self.conv(name + "_project", x, 1, out_filters, stride)
        if out_filters < in_filters:
            raise ValueError(
                f"`filters` must not decrease without use_bottleneck, got {self.hps.filters!r}")
        if stride > 1:
            x = keras.layers.AveragePooling2D(stride, stride, padding="valid",
                                              data_format=self.data_format,
                                              name=name + "_pool")(x)
        diff = out_filters - in_filters
        return ChannelPad(diff // 2, diff - diff // 2, self.axis, name=name + "_pad")(x)

    def residual(self, name: str, x, out_filters: int, stride: int,
                 activate_before_residual: bool):
        if activate_before_residual:
            x = orig_x = self.bn_relu(name + "_init_bn", x)
        else:
            orig_x, x = x, self.bn_relu(name + "_init_bn", x)
        if self.hps.use_bottleneck:
            inner = out_filters // 4
            x = self.conv(name + "_conv1", x, 1, inner, stride)
            x = self.conv(name + "_conv2", self.bn_relu(name + "_bn2", x), 3, inner, 1)
            x = self.conv(name + "_conv3", self.bn_relu(name + "_bn3", x), 1, out_filters, 1)
        else:
            x = self.conv(name + "_conv1", x, 3, out_filters, stride)
            x = self.conv(name + "_conv2", self.bn_relu(name + "_bn2", x), 3, out_filters, 1)
        return keras.layers.Add(name=name + "_add")(
            [x, self.shortcut(name + "_shortcut", orig_x, out_filters, stride)])

    def inputs(self):
        images = keras.Input(IMAGE_SHAPE, name="images")
        x = keras.layers.Permute((3, 1, 2), name="to_nchw")(images) if self.nchw else images
        return images, x


def build_keras_resnet(hparams: model_lib.HParams) -> keras.Model:
    """The ResNet of `model_lib.build_model(..., hparams)` as a Keras 3 functional model.

    Args:
      hparams: The trainer's hyper-parameters (`hparams.model` is ignored).

    Returns:
      An uncompiled `keras.Model` mapping float32 [B, 28, 28, 1] images to [B, num_classes]
      logits.
    """
    hps = hparams.validate()
    builder = _Builder(hps)
    images, x = builder.inputs()
    x = builder.conv("init_conv", x, 3, hps.filters[0], 1)
    width = 4 if hps.use_bottleneck else 1
    for stage, stride in enumerate((1, 2, 2)):
        for i in range(hps.num_residual_units):
            x = builder.residual(f"unit_{stage + 1}_{i}", x, hps.filters[stage + 1] * width,
                                 stride if i == 0 else 1, stage + i == 0)
    x = builder.bn_relu("final_bn", x)
    x = keras.layers.GlobalAveragePooling2D(data_format=builder.data_format, name="pool")(x)
    logits = builder.dense("logit", x, hps.num_classes)
    return keras.Model(images, logits, name="resnet")


def build_keras_cnn(hparams: model_lib.HParams) -> keras.Model:
    """The small CNN of `model_lib.build_model(..., hparams)` as a Keras 3 functional model.

    Args:
      hparams: The trainer's hyper-parameters (`hparams.model` is ignored).

    Returns:
      An uncompiled `keras.Model` mapping float32 [B, 28, 28, 1] images to [B, num_classes]
      logits.
    """
    hps = hparams.validate()
    builder = _Builder(hps)
    images, x = builder.inputs()
    for i, filters in enumerate(hps.cnn_filters):
        x = builder.conv(f"conv{i + 1}", x, 3, filters, 1, bias=True)
        x = keras.layers.ReLU(name=f"conv{i + 1}_relu")(x)
        x = keras.layers.MaxPooling2D(2, 2, padding="same", data_format=builder.data_format,
                                      name=f"pool{i + 1}")(x)
    if builder.nchw:  # Flatten in NHWC order, as the TF1 model does.
        x = keras.layers.Permute((2, 3, 1), name="to_nhwc")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = builder.dense("fc1", x, hps.cnn_fc_units, activation="relu")
    if hps.dropout_rate > 0:
        x = keras.layers.Dropout(hps.dropout_rate, name="dropout")(x)
    logits = builder.dense("logit", x, hps.num_classes)
    return keras.Model(images, logits, name="cnn")


def build_keras_model(hparams: model_lib.HParams) -> keras.Model:
    """`build_keras_resnet` or `build_keras_cnn`, as `hparams.model` says."""
    return build_keras_resnet(hparams) if hparams.model == "resnet" else build_keras_cnn(hparams)


def make_keras_optimizer(hparams: model_lib.HParams,
                         learning_rate: float) -> keras.optimizers.Optimizer:
    """The Keras counterpart of `models.resnet_mnist.optimizer.make_optimizer`.

    Raises:
      ValueError: Unknown optimizer name.
    """
    name = hparams.optimizer
    if name == "sgd":
        return keras.optimizers.SGD(learning_rate)
    if name in ("mom", "nesterov"):
        return keras.optimizers.SGD(learning_rate, momentum=hparams.momentum,
                                    nesterov=name == "nesterov")
    if name == "adam":
        return keras.optimizers.Adam(learning_rate, beta_1=hparams.adam_beta1,
                                     beta_2=hparams.adam_beta2, epsilon=hparams.adam_epsilon)
    raise ValueError(f"`optimizer` must be one of {', '.join(model_lib.OPTIMIZERS)}, "
                     f"got {name!r}")


def compile_keras_model(model: keras.Model, hparams: model_lib.HParams, learning_rate: float,
                        jit_compile="auto") -> keras.Model:
    """Compiles `model` as the trainer trains: softmax cross-entropy (+ the kernels' L2 term,
    which Keras adds from the regularizers), the optimizer of `hparams`, batch accuracy (the
    trainer's 'accuracy').

    Args:
      model: From `build_keras_model`.
      hparams: Hyper-parameters (optimizer and its settings).
      learning_rate: Initial rate (a `LearningRateScheduler` callback moves it).
      jit_compile: Keras' `compile(jit_compile=...)`: "auto" (Keras' default), True or False.
        After compiling, `model.jit_compile` tells what "auto" resolved to.

    Returns:
      `model`, compiled.
    """
    if not math.isfinite(learning_rate) or learning_rate < 0:
        raise ValueError(f"`learning_rate` must be finite and >= 0, got {learning_rate!r}")
    model.compile(optimizer=make_keras_optimizer(hparams, learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"], jit_compile=jit_compile)
    return model
