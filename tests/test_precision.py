"""lrhooks.precision: the session config of each precision, and choosing one for a machine."""

import pytest
import tensorflow as tf
from tensorflow.core.protobuf import rewriter_config_pb2

import lrhooks
from lrhooks.tools import precision

tf1 = tf.compat.v1
ON = rewriter_config_pb2.RewriterConfig.ON
DEFAULT = rewriter_config_pb2.RewriterConfig.DEFAULT


def _rewrites(config):
    rewrite = config.graph_options.rewrite_options
    return (rewrite.auto_mixed_precision_onednn_bfloat16, rewrite.auto_mixed_precision)


@pytest.mark.parametrize("name, expected", [
    ("fp32", (DEFAULT, DEFAULT)),
    ("bf16", (ON, DEFAULT)),
    ("fp16", (DEFAULT, ON)),
])
def test_session_config_asks_for_the_rewrite(name, expected):
    assert _rewrites(precision.session_config(name)) == expected


def test_session_config_copies_the_base_config_and_leaves_it_alone():
    base = tf1.ConfigProto(allow_soft_placement=True, intra_op_parallelism_threads=3)
    config = precision.session_config("bf16", base_config=base)
    assert config.allow_soft_placement and config.intra_op_parallelism_threads == 3
    assert _rewrites(config) == (ON, DEFAULT)
    assert _rewrites(base) == (DEFAULT, DEFAULT)  # not modified
    assert config is not base


@pytest.mark.parametrize("name, match", [
    ("auto", r"^`precision` must be one of fp32, bf16, fp16 \(resolve 'auto' with "
             r"lrhooks\.precision\.resolve\), got 'auto'$"),
    ("float16", r"^`precision` must be one of fp32, bf16, fp16 .*, got 'float16'$"),
])
def test_session_config_refuses_what_is_not_a_precision(name, match):
    with pytest.raises(ValueError, match=match):
        precision.session_config(name)


def test_the_package_exposes_the_module_lazily():
    assert lrhooks.precision is precision


def test_read_cpu_flags_reads_the_flags_line(tmp_path):
    path = tmp_path / "cpuinfo"
    path.write_text("processor\t: 0\nmodel name\t: Some CPU\n"
                    "flags\t\t: fpu avx512f avx512_bf16 sse2\nbugs\t\t: none\n")
    assert precision.read_cpu_flags(str(path)) == {"fpu", "avx512f", "avx512_bf16", "sse2"}


def test_read_cpu_flags_of_a_missing_file_is_empty(tmp_path):
    assert precision.read_cpu_flags(str(tmp_path / "absent")) == frozenset()


@pytest.mark.parametrize("flags, expected", [
    ({"avx512f", "avx512_bf16"}, True),
    ({"amx_tile", "amx_bf16"}, True),
    ({"avx512f", "avx2"}, False),
    (set(), False),
])
def test_cpu_has_bf16(flags, expected):
    assert precision.cpu_has_bf16(flags) is expected


BF16_CPU = {"avx512f", "avx512_bf16"}
PLAIN_CPU = {"avx2"}


@pytest.mark.parametrize("requested, cpu_flags, gpus, on_gpu, expected", [
    # auto: the fastest the model's device supports.
    ("auto", BF16_CPU, [], False, "bf16"),
    ("auto", PLAIN_CPU, [], False, "fp32"),
    ("auto", BF16_CPU, [(8, 0)], True, "fp16"),
    ("auto", BF16_CPU, [(7, 0)], True, "fp16"),
    ("auto", BF16_CPU, [(6, 1)], True, "fp32"),  # no tensor cores; bf16 is a CPU rewrite
    ("auto", PLAIN_CPU, [(8, 0)], False, "fp32"),  # a GPU the model does not run on
    # Explicit requests the hardware supports, as given.
    ("fp32", PLAIN_CPU, [], False, "fp32"),
    ("fp32", BF16_CPU, [(8, 0)], True, "fp32"),
    ("bf16", BF16_CPU, [], False, "bf16"),
    ("fp16", PLAIN_CPU, [(6, 1), (7, 5)], True, "fp16"),
])
def test_resolve(requested, cpu_flags, gpus, on_gpu, expected):
    assert precision.resolve(requested, cpu_flags=cpu_flags, gpu_capabilities=gpus,
                             on_gpu=on_gpu) == expected


@pytest.mark.parametrize("requested, cpu_flags, gpus, on_gpu, match", [
    ("fp16", BF16_CPU, [], False,
     r"^`precision` 'fp16' needs a GPU of compute capability >= 7\.0, but the model runs on "
     r"the CPU: use 'bf16' \(CPUs with AVX512-BF16 or AMX\), 'fp32' or 'auto'$"),
    ("fp16", BF16_CPU, [(6, 1)], True,
     r"^`precision` 'fp16' needs .*, but no GPU has compute capability >= 7\.0 \(found 6\.1\)"),
    ("bf16", PLAIN_CPU, [], False,
     r"^`precision` 'bf16' is the oneDNN CPU rewrite, but this CPU has neither AVX512-BF16 nor "
     r"AMX \(no avx512_bf16 or amx_bf16 flag\): use 'fp32' or 'auto'$"),
    ("bf16", BF16_CPU, [(8, 0)], True,
     r"^`precision` 'bf16' is the oneDNN CPU rewrite, but the model runs on a GPU \(use "
     r"'fp16' there\)"),
    ("half", BF16_CPU, [], False,
     r"^`precision` must be one of fp32, bf16, fp16, auto, got 'half'$"),
])
def test_resolve_refuses_what_the_hardware_cannot_do(requested, cpu_flags, gpus, on_gpu,
                                                     match):
    with pytest.raises(ValueError, match=match):
        precision.resolve(requested, cpu_flags=cpu_flags, gpu_capabilities=gpus,
                          on_gpu=on_gpu)


def test_gpu_compute_capabilities_lists_one_pair_per_visible_gpu():
    capabilities = precision.gpu_compute_capabilities()
    assert len(capabilities) == len(tf.config.list_physical_devices("GPU"))
    assert all(len(c) == 2 and all(isinstance(v, int) for v in c) for c in capabilities)
