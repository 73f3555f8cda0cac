"""Reduced precision for any tf.compat.v1 program: the session config that asks for it.

TensorFlow's graph optimizer (grappler) rewrites a float32 graph to compute in a
narrower type where it is safe, keeping float32 for what needs it (losses,
softmax, reductions, variables and their updates):

  bf16  `RewriterConfig.auto_mixed_precision_onednn_bfloat16`: the oneDNN rewrite of
        the ops that run on the CPU (convolutions, matmuls, batch norm and the
        element-wise ops between them) to bfloat16. Worth it on CPUs with native
        bfloat16 arithmetic (AVX512-BF16 or AMX); bfloat16 keeps float32's exponent
        range, so no loss scaling is needed.
  fp16  `RewriterConfig.auto_mixed_precision`: the CUDA rewrite to float16 (tensor
        cores, compute capability >= 7.0). float16 gradients underflow: the program
        must scale the loss (e.g. wrap its optimizer in
        `tf.compat.v1.mixed_precision.MixedPrecisionLossScaleOptimizer`).
  fp32  no rewrite.

Usage in any TF1 program::

    from lrhooks.tools import precision
    chosen = precision.resolve("auto", cpu_flags=precision.read_cpu_flags(),
                               gpu_capabilities=precision.gpu_compute_capabilities(),
                               on_gpu=False)
    config = precision.session_config(chosen, base_config=my_config)
    with tf.compat.v1.Session(config=config): ...

Nothing here looks at the machine unless called to: `read_cpu_flags` and
`gpu_compute_capabilities` are the only functions that do, and `resolve` takes
what they return as arguments.
"""

from typing import FrozenSet, Iterable, List, Optional, Sequence, Tuple

import tensorflow as tf
from tensorflow.core.protobuf import rewriter_config_pb2

tf1 = tf.compat.v1

PRECISIONS = ("fp32", "bf16", "fp16")
CHOICES = PRECISIONS + ("auto",)  # what a program's flag may ask for
BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")  # /proc/cpuinfo flags of native bfloat16
MIN_FP16_CAPABILITY = (7, 0)  # tensor cores (Volta)
CPUINFO = "/proc/cpuinfo"
_ON = rewriter_config_pb2.RewriterConfig.ON


def _check_choice(precision: str, allowed: Sequence[str], hint: str = "") -> str:
    if precision not in allowed:
        raise ValueError(f"`precision` must be one of {', '.join(allowed)}{hint}, "
                         f"got {precision!r}")
    return precision


def session_config(precision: str,
                   base_config: Optional[tf1.ConfigProto] = None) -> tf1.ConfigProto:
    """A copy of `base_config` (default: an empty ConfigProto) asking for `precision`.

    Args:
      precision: 'fp32' (the copy, unchanged), 'bf16' (the oneDNN bfloat16 rewrite
        on) or 'fp16' (the CUDA float16 rewrite on). 'auto' is not a precision: pass
        it to `resolve` first.
      base_config: The program's session config; never modified.

    Returns:
      A new `tf.compat.v1.ConfigProto`.

    Raises:
      ValueError: `precision` is not fp32, bf16 or fp16.
    """
    _check_choice(precision, PRECISIONS, " (resolve 'auto' with lrhooks.precision.resolve)")
    config = tf1.ConfigProto()
    if base_config is not None:
        config.CopyFrom(base_config)
    rewrite = config.graph_options.rewrite_options
    if precision == "bf16":
        rewrite.auto_mixed_precision_onednn_bfloat16 = _ON
    elif precision == "fp16":
        rewrite.auto_mixed_precision = _ON
    return config


def read_cpu_flags(path: str = CPUINFO) -> FrozenSet[str]:
    """The CPU feature flags listed in `path` (Linux /proc/cpuinfo); empty if unreadable."""
    try:
        with open(path) as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() == "flags":
                    return frozenset(value.split())
    except OSError:
        pass
    return frozenset()


def gpu_compute_capabilities() -> List[Tuple[int, int]]:
    """(major, minor) compute capability of each GPU TensorFlow sees ((0, 0): unknown)."""
    capabilities = []
    for device in tf.config.list_physical_devices("GPU"):
        details = tf.config.experimental.get_device_details(device)
        capabilities.append(tuple(details.get("compute_capability", (0, 0))))
    return capabilities


def cpu_has_bf16(cpu_flags: Iterable[str]) -> bool:
    """Whether `cpu_flags` (see `read_cpu_flags`) show native bfloat16 arithmetic."""
    flags = set(cpu_flags)
    return any(flag in flags for flag in BF16_CPU_FLAGS)


def resolve(precision: str, *, cpu_flags: Iterable[str],
            gpu_capabilities: Sequence[Tuple[int, int]], on_gpu: bool) -> str:
    """The precision to use: `precision`, checked against the hardware; 'auto' chosen.

    'auto' is fp16 when the model runs on a GPU of compute capability >= 7.0, bf16
    when it runs on a CPU with AVX512-BF16 or AMX, else fp32. An explicit request the
    hardware cannot honour is an error, never a silent fallback.

    Args:
      precision: 'fp32', 'bf16', 'fp16' or 'auto'.
      cpu_flags: The CPU's feature flags (`read_cpu_flags()`).
      gpu_capabilities: The GPUs' compute capabilities (`gpu_compute_capabilities()`).
      on_gpu: Whether the model's ops are placed on a GPU.

    Raises:
      ValueError: One line: an unknown precision, fp16 without a GPU of compute
        capability >= 7.0 under the model, or bf16 with the model on a GPU or on a
        CPU without native bfloat16.
    """
    _check_choice(precision, CHOICES)
    fp16_ok = on_gpu and any(tuple(c) >= MIN_FP16_CAPABILITY for c in gpu_capabilities)
    bf16_ok = not on_gpu and cpu_has_bf16(cpu_flags)
    if precision == "auto":
        return "fp16" if fp16_ok else "bf16" if bf16_ok else "fp32"
    if precision == "fp16" and not fp16_ok:
        where = ("the model runs on the CPU" if not on_gpu else
                 "no GPU has compute capability >= 7.0 (found "
                 + ", ".join(f"{c[0]}.{c[1]}" for c in gpu_capabilities) + ")")
        raise ValueError(f"`precision` 'fp16' needs a GPU of compute capability >= 7.0, but "
                         f"{where}: use 'bf16' (CPUs with AVX512-BF16 or AMX), 'fp32' or "
                         "'auto'")
    if precision == "bf16" and not bf16_ok:
        where = ("the model runs on a GPU (use 'fp16' there)" if on_gpu else
                 "this CPU has neither AVX512-BF16 nor AMX (no avx512_bf16 or amx_bf16 flag)")
        raise ValueError(f"`precision` 'bf16' is the oneDNN CPU rewrite, but {where}: use "
                         "'fp32' or 'auto'")
    return precision
