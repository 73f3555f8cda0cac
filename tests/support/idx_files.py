"""Writing small MNIST-shaped IDX files for tests."""

import gzip

import numpy as np


def idx_bytes(array: np.ndarray, magic=None) -> bytes:
    """Serialises a uint8 array as an IDX file (big-endian header)."""
    array = np.asarray(array, dtype=np.uint8)
    magic = (0x0800 | array.ndim) if magic is None else magic
    header = magic.to_bytes(4, "big") + b"".join(
        int(d).to_bytes(4, "big") for d in array.shape)
    return header + array.tobytes()


def write_file(path, payload: bytes, gz: bool = False):
    with open(path, "wb") as f:
        f.write(gzip.compress(payload) if gz else payload)
    return path


def write_idx(path, array, gz: bool = False, magic=None):
    return write_file(path, idx_bytes(array, magic), gz)


def make_split(n: int, seed: int = 0, size: int = 28):
    """Images whose first pixel encodes the example id; labels i % 10."""
    rng = np.random.RandomState(seed)
    images = rng.randint(0, 256, size=(n, size, size)).astype(np.uint8)
    images[:, 0, 0] = np.arange(n)
    return images, (np.arange(n) % 10).astype(np.uint8)


def write_mnist(directory, split="train", n=7, gz=True, images=None,
                labels=None):
    prefix = {"train": "train", "test": "t10k"}[split]
    ext = ".gz" if gz else ""
    if images is None:
        images, labels = make_split(n)
    write_idx(directory / f"{prefix}-images-idx3-ubyte{ext}", images, gz)
    write_idx(directory / f"{prefix}-labels-idx1-ubyte{ext}", labels, gz)
    return images, labels


def write_tiny_mnist(directory, train: int = 48, test: int = 21):
    """`train` training and `test` test examples (gzipped IDX) in `directory`; returns it."""
    write_mnist(directory, "train", n=train)
    images, labels = make_split(test, seed=1)
    write_mnist(directory, "test", images=images, labels=labels)
    return directory
