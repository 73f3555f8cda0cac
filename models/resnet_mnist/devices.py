"""Where the trainer's graph runs: the model's device, its conv layout, its precision, the
session config.

The one place that resolves `--device=auto`, `--data_format=auto` and `--precision` (the
only reader of the CPU's flags and the GPUs' compute capabilities); training, the range
test and the benchmarks all ask `placement(config)`.
"""

import dataclasses

import tensorflow as tf

from lrhooks import precision as precision_lib
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


def resolve_precision(precision: str, device: str) -> str:
    """`--precision` checked against this machine, 'auto' chosen (`lrhooks.precision.resolve`).

    Raises:
      ValueError: One line: the model's device cannot compute in `precision`.
    """
    return precision_lib.resolve(precision, cpu_flags=precision_lib.read_cpu_flags(),
                                 gpu_capabilities=precision_lib.gpu_compute_capabilities(),
                                 on_gpu="GPU" in device)


@dataclasses.dataclass(frozen=True)
class Placement:
    """The model's device, its hyper-parameters with the conv layout resolved and the
    arithmetic it runs in ('fp32', 'bf16' or 'fp16')."""

    device: str
    hparams: model_lib.HParams
    precision: str = "fp32"


def placement(config: config_lib.TrainConfig) -> Placement:
    """The device and the validated, resolved HParams of `config`.

    Raises:
      ValueError: Invalid hparams (one line naming the field), or a precision the model's
        device cannot compute in.
    """
    device = resolve_device(config.device)
    hparams = dataclasses.replace(
        config.hparams, data_format=resolve_data_format(config.data_format, device)).validate()
    return Placement(device, hparams, resolve_precision(config.precision, device))


def session_config(config: config_lib.TrainConfig) -> tf1.ConfigProto:
    """Soft placement (a GPU request falls back to the CPU), threads, placement logging, and
    the graph rewrite of the resolved precision (`lrhooks.precision.session_config`)."""
    base = tf1.ConfigProto(allow_soft_placement=True,
                           log_device_placement=config.log_device_placement,
                           intra_op_parallelism_threads=config.intra_op_threads,
                           inter_op_parallelism_threads=config.inter_op_threads)
    precision = resolve_precision(config.precision, resolve_device(config.device))
    return precision_lib.session_config(precision, base)
