"""Where the trainer's graph runs: the model's device, its conv layout, the session config.

The one place that resolves `--device=auto` and `--data_format=auto`; training, the
range test and the benchmarks all ask `placement(config)`.
"""

import dataclasses

import tensorflow as tf

from models.resnet_mnist import config as config_lib
from models.resnet_mnist import model as model_lib

tf1 = tf.compat.v1
CPU = "/device:CPU:0"
GPU = "/device:GPU:0"


def resolve_device(device: str) -> str:
    """The device string for the model: 'auto' picks the first GPU if there is one."""
    if device == "auto":
        device = "gpu" if tf.config.list_physical_devices("GPU") else "cpu"
    return GPU if device == "gpu" else CPU


def resolve_data_format(data_format: str, device: str) -> str:
    """'auto': NCHW on a GPU, NHWC on the CPU; else `data_format` as given."""
    if data_format != "auto":
        return data_format
    return "NCHW" if "GPU" in device else "NHWC"


@dataclasses.dataclass(frozen=True)
class Placement:
    """The model's device and its hyper-parameters with the conv layout resolved."""

    device: str
    hparams: model_lib.HParams


def placement(config: config_lib.TrainConfig) -> Placement:
    """The device and the validated, resolved HParams of `config`.

    Raises:
      ValueError: Invalid hparams (one line naming the field).
    """
    device = resolve_device(config.device)
    hparams = dataclasses.replace(
        config.hparams, data_format=resolve_data_format(config.data_format, device)).validate()
    return Placement(device, hparams)


def session_config(config: config_lib.TrainConfig) -> tf1.ConfigProto:
    """Soft placement (a GPU request falls back to the CPU), threads, placement logging."""
    return tf1.ConfigProto(allow_soft_placement=True,
                           log_device_placement=config.log_device_placement,
                           intra_op_parallelism_threads=config.intra_op_threads,
                           inter_op_parallelism_threads=config.inter_op_threads)
