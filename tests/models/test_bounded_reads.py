"""The MNIST readers hold no more than a file's header declares (models/resnet_mnist/data.py).

The readers run in a subprocess whose address space is capped (`RLIMIT_AS`) a few hundred MB
above what it uses after its imports: a reader that inflated a gzip bomb, or read a sparse
100 GB file, would fail there with MemoryError instead of giving its one-line error.
"""

import io
import json
import os
import zipfile
import zlib

import numpy as np
import pytest

from tests.support import programs
from tests.support.idx_files import idx_bytes, make_split

pytestmark = pytest.mark.slow  # readers in subprocesses with capped memory

HEADROOM = 200 << 20  # bytes of address space allowed above the baseline
# Reads each file with `read_idx` (IDX) or `load_mnist` (a directory with mnist.npz) under the
# cap; prints one JSON object per file: the error's message, or the shape read.
_READER = r"""
import json, resource, sys
from models.resnet_mnist import data
with open("/proc/self/statm") as f:
    used = int(f.read().split()[0]) * resource.getpagesize()
resource.setrlimit(resource.RLIMIT_AS, (used + int(sys.argv[1]), resource.RLIM_INFINITY))
for path in sys.argv[2:]:
    try:
        got = (data.read_idx(path) if not path.endswith("/") else data.load_mnist(path, "train"))
        print(json.dumps({"read": str(getattr(got, "shape", None))}))
    except data.DataError as error:
        print(json.dumps({"error": str(error)}))
"""


def _read_capped(*paths):
    done = programs.run(programs.python_code(_READER, HEADROOM, *paths), timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return [json.loads(line) for line in done.stdout.splitlines()]


def _gzip_bomb(path, header: bytes, inflated: int):
    """A gzip file: `header`, then `inflated` zero bytes (1 GB of zeros is ~1 MB of gzip)."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: a gzip container
    chunk = bytes(1 << 20)
    with open(path, "wb") as f:
        f.write(deflate.compress(header))
        for _ in range(inflated // len(chunk)):
            f.write(deflate.compress(chunk))
        f.write(deflate.flush())


def _npy(shape, dtype, data: bytes) -> bytes:
    out = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        out, {"descr": np.dtype(dtype).str, "fortran_order": False, "shape": shape})
    return out.getvalue() + data


@pytest.fixture(scope="module")
def capped_reads(tmp_path_factory):
    """{name: (path, result)} of each crafted file read in one capped subprocess."""
    tmp_path = tmp_path_factory.mktemp("bounded")
    images, labels = make_split(64)
    bomb = tmp_path / "bomb-images-idx3-ubyte.gz"  # "64 images of 28x28", inflating to 512 MB
    _gzip_bomb(bomb, idx_bytes(images)[:16], 512 << 20)
    sparse = tmp_path / "sparse-images-idx3-ubyte"  # the same header, 100 GB long
    sparse.write_bytes(idx_bytes(images))
    os.truncate(sparse, 100 << 30)
    huge = tmp_path / "huge-images-idx3-ubyte"  # declares 2^28 images, and is that long
    huge.write_bytes((0x803).to_bytes(4, "big") + (1 << 28).to_bytes(4, "big")
                     + (28).to_bytes(4, "big") * 2)
    os.truncate(huge, 16 + (1 << 28) * 784)
    good = tmp_path / "good-labels-idx1-ubyte"
    good.write_bytes(idx_bytes(labels))
    paths = {"bomb": bomb, "sparse": sparse, "huge": huge, "good": good}
    images, labels = images[:8], labels[:8]
    for name, x_train, extra in (
            # 2^31 images declared (1.7 TB): refused from the header
            ("npz_declared", _npy((1 << 31, 28, 28), "u1", b""), 0),
            # 8 images declared, 512 MB of data follow them
            ("npz_bomb", _npy((8, 28, 28), "u1", images.tobytes()), 512),
            ("npz_good", _npy((8, 28, 28), "u1", images.tobytes()), 0)):
        directory = tmp_path / name
        directory.mkdir()
        with zipfile.ZipFile(directory / "mnist.npz", "w", zipfile.ZIP_DEFLATED) as archive:
            with archive.open("x_train.npy", "w", force_zip64=True) as member:
                member.write(x_train)
                for _ in range(extra):
                    member.write(bytes(1 << 20))
            archive.writestr("y_train.npy", _npy((8,), "u1", labels.tobytes()))
        paths[name] = directory / "mnist.npz"
    assert bomb.stat().st_size < 8 << 20 and paths["npz_bomb"].stat().st_size < 8 << 20
    results = _read_capped(*(f"{p.parent}/" if name.startswith("npz") else p
                             for name, p in paths.items()))
    return {name: (paths[name], result) for name, result in zip(paths, results)}


def test_a_gzip_bomb_and_sparse_files_are_refused_in_one_line_within_bounded_memory(
        capped_reads):
    (bomb, bomb_result), (sparse, sparse_result), (huge, huge_result) = (
        capped_reads[name] for name in ("bomb", "sparse", "huge"))
    assert bomb_result["error"].startswith(
        f"{bomb}: trailing bytes: more than 50192 bytes, expected 50192")
    assert sparse_result["error"].startswith(
        f"{sparse}: trailing bytes: {100 << 30} bytes, expected 50192")
    assert huge_result["error"].startswith(
        f"{huge}: too large: its header declares {(1 << 28) * 784:,} bytes")
    assert all("\n" not in r["error"] for r in (bomb_result, sparse_result, huge_result))
    assert capped_reads["good"][1] == {"read": "(64,)"}


def test_an_npz_array_is_read_no_further_than_its_header_declares(capped_reads):
    npz, result = capped_reads["npz_declared"]
    assert result["error"].startswith(f"{npz}[x_train]: too large: its header declares "
                                      f"{(1 << 31) * 784:,} bytes")
    npz, result = capped_reads["npz_bomb"]
    assert result["error"].startswith(f"{npz}[x_train]: trailing bytes")
    assert capped_reads["npz_good"][1] == {"read": "None"}  # load_mnist returns a tuple
