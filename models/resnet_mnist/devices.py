"""Where the trainer's graph runs: the model's device, its conv layout, its precision, the
session config.

The one place that resolves `--device=auto`, `--data_format=auto` and `--precision` (the
only reader of the CPU's flags and the GPUs' compute capabilities); training, the range
test and the benchmarks all ask `placement(config)`. `--device=gpu` on a machine without a
GPU is the CPU (soft placement, as the classic programs have; `Placement.warning` says so)
and the conv layout follows the device the ops really get: NCHW, which the CPU's kernels
cannot run, is refused in one line before anything is built. `out_of_memory` is the one
line for a `ResourceExhaustedError` (the batch size, the device and the fix).
"""

import dataclasses
import re
from typing import Optional

import tensorflow as tf

from lrhooks.tools import precision as precision_lib
from models.resnet_mnist import config as config_lib
from models.resnet_mnist import model as model_lib

tf1 = tf.compat.v1
_OOM = re.compile(r"OOM when allocating tensor with shape\s*\[[^\]]*\]( and type \w+)?")
CPU = "/device:CPU:0"
GPU = "/device:GPU:0"


def _has_gpu() -> bool:
    return bool(tf.config.list_physical_devices("GPU"))


def resolve_device(device: str) -> str:
    """The device the model's ops get: the first GPU for 'auto' and 'gpu' if there is one,
    else the CPU."""
    return GPU if device in ("auto", "gpu") and _has_gpu() else CPU


def resolve_data_format(data_format: str, device: str) -> str:
    """'auto': NCHW on a GPU, NHWC on the CPU; else `data_format` as given.

    Raises:
      ValueError: One line: NCHW on the CPU (its convolutions and pools take NHWC only).
    """
    if data_format == "auto":
        return "NCHW" if "GPU" in device else "NHWC"
    if data_format == "NCHW" and "GPU" not in device:
        raise ValueError("`--data_format` NCHW needs a GPU and the model runs on the CPU, "
                         "whose convolutions take NHWC only; use --data_format=NHWC (or auto)")
    return data_format


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
    warning: Optional[str] = None  # e.g. a GPU asked for on a machine without one


def placement(config: config_lib.TrainConfig) -> Placement:
    """The device and the validated, resolved HParams of `config`.

    Raises:
      ValueError: Invalid hparams (one line naming the field), NCHW on the CPU, or a
        precision the model's device cannot compute in.
    """
    device = resolve_device(config.device)
    warning = None
    if config.device == "gpu" and device == CPU:
        warning = ("--device=gpu but this machine has no GPU that TensorFlow can use: "
                   "training on the CPU")
    hparams = dataclasses.replace(
        config.hparams, data_format=resolve_data_format(config.data_format, device)).validate()
    return Placement(device, hparams, resolve_precision(config.precision, device), warning)


def out_of_memory(error: BaseException, config: config_lib.TrainConfig) -> Optional[str]:
    """One line for TensorFlow running out of memory (`ResourceExhaustedError` "OOM ..."),
    naming the batch size, the device and the fix; None for any other error."""
    if not isinstance(error, tf.errors.ResourceExhaustedError) or "OOM" not in error.message:
        return None
    found = _OOM.search(error.message)
    what = found.group(0) if found else "OOM"
    device = resolve_device(config.device).replace("/device:", "")
    smaller = max(1, config.batch_size // 2)
    return (f"out of memory on {device} with --batch_size={config.batch_size} "
            f"(--eval_batch_size={config.eval_batch_size}): {what}; use a smaller "
            f"--batch_size (e.g. --batch_size={smaller}) or a device with more memory")


def session_config(config: config_lib.TrainConfig) -> tf1.ConfigProto:
    """Soft placement (a GPU request falls back to the CPU), threads, placement logging, and
    the graph rewrite of the resolved precision (`lrhooks.precision.session_config`)."""
    base = tf1.ConfigProto(allow_soft_placement=True,
                           log_device_placement=config.log_device_placement,
                           intra_op_parallelism_threads=config.intra_op_threads,
                           inter_op_parallelism_threads=config.inter_op_threads)
    precision = resolve_precision(config.precision, resolve_device(config.device))
    return precision_lib.session_config(precision, base)
