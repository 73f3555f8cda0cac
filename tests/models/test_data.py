"""Tests for models/resnet_mnist/data.py (IDX/npz loading and tf.data input)."""

import gzip
import os

import numpy as np
import pytest
import tensorflow as tf
from tensorflow.core.framework import dataset_options_pb2

from models.resnet_mnist import data
from models.resnet_mnist.data import DataError

from tests.support.idx_files import idx_bytes, make_split, write_file, write_idx, write_mnist
from tests.support.trainer import MnistData

# ---------------------------------------------------------------- helpers


def raises_one_line(match, func, *args):
    """pytest.raises(DataError, match=...) plus a one-line message check."""
    with pytest.raises(DataError, match=match) as info:
        func(*args)
    assert "\n" not in str(info.value)
    return str(info.value)


# ---------------------------------------------------------------- read_idx


@pytest.mark.parametrize("gz", [True, False])
def test_read_idx_round_trip(tmp_path, gz):
    images, labels = make_split(7)
    got = data.read_idx(write_idx(tmp_path / "img", images, gz), 3)
    assert got.dtype == np.uint8 and got.shape == (7, 28, 28)
    np.testing.assert_array_equal(got, images)
    np.testing.assert_array_equal(
        data.read_idx(write_idx(tmp_path / "lbl", labels, gz), 1), labels)
    assert data.read_idx(tmp_path / "img").shape == (7, 28, 28)  # any ndim


def test_gzip_detected_by_content_not_extension(tmp_path):
    images, _ = make_split(3)
    gz_without_ext = write_idx(tmp_path / "images-idx3-ubyte", images, gz=True)
    raw_with_gz_ext = write_idx(tmp_path / "images.gz", images, gz=False)
    np.testing.assert_array_equal(data.read_idx(gz_without_ext, 3), images)
    np.testing.assert_array_equal(data.read_idx(raw_with_gz_ext, 3), images)


def test_counts_come_from_header(tmp_path):
    write_mnist(tmp_path, "train", n=7)
    images, labels = data.load_mnist(tmp_path, "train")
    assert images.shape == (7, 28, 28) and labels.shape == (7,)


def test_bad_magic(tmp_path):
    images, labels = make_split(4)
    path = write_idx(tmp_path / "train-images-idx3-ubyte.gz", images, True,
                     magic=0x00000802)
    msg = raises_one_line(r"train-images-idx3-ubyte\.gz: bad magic number "
                          r"0x00000802, expected 0x00000803 \(IDX uint8 "
                          r"images\)", data.read_idx, path, 3)
    assert str(tmp_path) in msg or "train-images" in msg
    path = write_idx(tmp_path / "lbl", labels, magic=0x00000803)
    raises_one_line(r"0x00000803, expected 0x00000801 \(IDX uint8 labels\)",
                    data.read_idx, path, 1)
    path = write_idx(tmp_path / "float", labels, magic=0x00000D01)
    raises_one_line("bad magic number 0x00000D01", data.read_idx, path)


@pytest.mark.parametrize("gz", [True, False])
def test_truncated_payload(tmp_path, gz):
    images, _ = make_split(7)
    payload = idx_bytes(images)[:-5]
    path = write_file(tmp_path / "img", payload, gz)
    raises_one_line(r"img: truncated: 5499 bytes, expected 5504 .*\(7, 28, "
                    r"28\)", data.read_idx, path, 3)


def test_trailing_bytes(tmp_path):
    _, labels = make_split(7)
    path = write_file(tmp_path / "lbl", idx_bytes(labels) + b"\0\0\0")
    raises_one_line(r"lbl: trailing bytes: 18 bytes, expected 15",
                    data.read_idx, path, 1)


def test_file_too_short(tmp_path):
    raises_one_line(r"f: file too short \(2 bytes\)", data.read_idx,
                    write_file(tmp_path / "f", b"\0\0"))
    raises_one_line(r"h: file too short for IDX header \(8 bytes\), expected "
                    r"16", data.read_idx,
                    write_file(tmp_path / "h", idx_bytes(np.zeros(
                        (1, 1, 1)))[:8]), 3)


def test_corrupt_gzip(tmp_path):
    images, _ = make_split(7)
    blob = bytearray(gzip.compress(idx_bytes(images)))
    blob[len(blob) // 2:len(blob) // 2 + 64] = b"\xff" * 64
    raises_one_line(r"bad\.gz: corrupt gzip data", data.read_idx,
                    write_file(tmp_path / "bad.gz", bytes(blob)), 3)
    # Valid gzip magic but garbage afterwards.
    raises_one_line(r"hdr\.gz: corrupt gzip data", data.read_idx,
                    write_file(tmp_path / "hdr.gz", b"\x1f\x8b" + b"x" * 40))
    # Intact deflate stream, wrong CRC in the trailer.
    good = bytearray(gzip.compress(idx_bytes(images)))
    good[-8] ^= 0xFF
    raises_one_line(r"crc\.gz: corrupt gzip data", data.read_idx,
                    write_file(tmp_path / "crc.gz", bytes(good)), 3)


def test_truncated_gzip(tmp_path):
    images, _ = make_split(7)
    blob = gzip.compress(idx_bytes(images))
    raises_one_line(r"short\.gz: truncated gzip data", data.read_idx,
                    write_file(tmp_path / "short.gz", blob[:len(blob) // 2]), 3)


def test_missing_file(tmp_path):
    raises_one_line(r"nope-idx3-ubyte: file not found", data.read_idx,
                    tmp_path / "nope-idx3-ubyte")


# ---------------------------------------------------------------- load_mnist


@pytest.mark.parametrize("gz", [True, False])
@pytest.mark.parametrize("split", ["train", "test"])
def test_load_mnist_idx(tmp_path, gz, split):
    images, labels = write_mnist(tmp_path, split, n=13, gz=gz)
    got_images, got_labels = data.load_mnist(str(tmp_path), split)
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)
    assert got_images.dtype == np.uint8 and got_labels.dtype == np.uint8
    mnist = MnistData.load(tmp_path, split)
    assert mnist.num_examples == 13 and mnist.images.shape == (13, 28, 28)


def test_load_mnist_npz(tmp_path):
    train, test = make_split(9, seed=1), make_split(4, seed=2)
    np.savez(tmp_path / "mnist.npz", x_train=train[0],
             y_train=train[1].astype(np.int64), x_test=test[0], y_test=test[1])
    for split, (images, labels) in (("train", train), ("test", test)):
        got_images, got_labels = data.load_mnist(tmp_path, split)
        np.testing.assert_array_equal(got_images, images)
        np.testing.assert_array_equal(got_labels, labels)
        assert got_labels.dtype == np.uint8


def test_npz_errors(tmp_path):
    np.savez(tmp_path / "mnist.npz", x_train=make_split(3)[0])
    raises_one_line(r"mnist\.npz: missing keys \['y_train'\]",
                    data.load_mnist, tmp_path, "train")
    write_file(tmp_path / "mnist.npz", b"PK\x03\x04 not a zip")
    raises_one_line(r"mnist\.npz: cannot read npz", data.load_mnist, tmp_path,
                    "test")
    np.savez(tmp_path / "mnist.npz", x_train=make_split(3)[0] / 255.0,
             y_train=np.zeros(3, np.uint8))
    raises_one_line(r"x_train\]: images dtype float64, expected uint8",
                    data.load_mnist, tmp_path, "train")


def test_idx_preferred_over_npz(tmp_path):
    images, _ = write_mnist(tmp_path, "train", n=5)
    np.savez(tmp_path / "mnist.npz", x_train=make_split(2)[0],
             y_train=np.zeros(2, np.uint8))
    assert data.load_mnist(tmp_path, "train")[0].shape == images.shape


def test_count_mismatch(tmp_path):
    images, labels = make_split(7)
    write_mnist(tmp_path, images=images, labels=labels[:6])
    raises_one_line(r"train-images-idx3-ubyte\.gz: image count 7 != label "
                    r"count 6 in train-labels-idx1-ubyte\.gz",
                    data.load_mnist, tmp_path, "train")


@pytest.mark.parametrize("bad", [10, 255])
def test_label_out_of_range(tmp_path, bad):
    images, labels = make_split(7)
    labels[3], labels[5] = bad, bad
    write_mnist(tmp_path, images=images, labels=labels)
    raises_one_line(rf"train-labels-idx1-ubyte\.gz: label out of range at "
                    rf"index 3: {bad}, expected 0\.\.9 \(2 bad labels\)",
                    data.load_mnist, tmp_path, "train")


def test_wrong_image_size(tmp_path):
    write_mnist(tmp_path, "test", images=make_split(3, size=32)[0],
                labels=np.zeros(3, np.uint8))
    raises_one_line(r"t10k-images-idx3-ubyte\.gz: wrong image size 32x32, "
                    r"expected 28x28", data.load_mnist, tmp_path, "test")


def test_missing_empty_and_wrong_dirs(tmp_path):
    raises_one_line(r"nowhere: MNIST directory not found", data.load_mnist,
                    tmp_path / "nowhere", "train")
    raises_one_line(r"MNIST directory is empty, expected "
                    r"train-images-idx3-ubyte\[\.gz\].*mnist\.npz",
                    data.load_mnist, tmp_path, "train")
    write_mnist(tmp_path, "train")  # test split files absent
    raises_one_line(r"no MNIST test files found, expected "
                    r"t10k-images-idx3-ubyte\[\.gz\] \+ "
                    r"t10k-labels-idx1-ubyte\[\.gz\] or mnist\.npz; found: "
                    r"train-images", data.load_mnist, tmp_path, "test")
    os.remove(tmp_path / "train-labels-idx1-ubyte.gz")
    raises_one_line(r"no MNIST train files found", data.load_mnist, tmp_path,
                    "train")
    raises_one_line(r"not a directory", data.load_mnist,
                    tmp_path / "train-images-idx3-ubyte.gz", "train")


def test_bad_split(tmp_path):
    write_mnist(tmp_path, "train")
    raises_one_line(r"bad split 'validation', expected one of \['train', "
                    r"'test'\]", data.load_mnist, tmp_path, "validation")


def test_load_propagates_file_errors(tmp_path):
    images, labels = make_split(4)
    write_mnist(tmp_path, images=images, labels=labels)
    write_file(tmp_path / "train-labels-idx1-ubyte.gz", b"\x1f\x8b\x08garbage")
    raises_one_line(r"train-labels-idx1-ubyte\.gz: (corrupt|truncated) gzip",
                    data.load_mnist, tmp_path, "train")


# ---------------------------------------------------------------- pipelines


def test_train_input_shapes_range_and_epochs():
    images, labels = make_split(10)
    with tf.Graph().as_default():
        x, y = data.train_input(images, labels, 4, seed=7)
        assert x.shape.as_list() == [4, 28, 28, 1] and x.dtype == tf.float32
        assert y.shape.as_list() == [4] and y.dtype == tf.int32
        with tf.compat.v1.Session() as sess:
            batches = [sess.run([x, y]) for _ in range(10)]  # 4 epochs
    xs = np.concatenate([b[0] for b in batches])
    ys = np.concatenate([b[1] for b in batches])
    assert xs.min() >= 0.0 and xs.max() <= 1.0
    ids = np.rint(xs[:, 0, 0, 0] * 255).astype(int)
    np.testing.assert_allclose(xs[:, :, :, 0], images[ids] / 255.0, atol=1e-6)
    np.testing.assert_array_equal(ys, labels[ids])
    for epoch in range(4):  # every epoch is a permutation (full buffer)
        assert sorted(ids[10 * epoch:10 * epoch + 10]) == list(range(10))
    assert list(ids[:10]) != list(ids[10:20])  # reshuffled each epoch


def test_train_input_seed_is_deterministic():
    images, labels = make_split(50)

    def first_ids(seed):
        with tf.Graph().as_default():
            x, _ = data.train_input(images, labels, 16, seed=seed)
            with tf.compat.v1.Session() as sess:
                return [tuple(np.rint(sess.run(x)[:, 0, 0, 0] * 255))
                        for _ in range(5)]

    assert first_ids(3) == first_ids(3)
    assert first_ids(3) != first_ids(4)


def test_train_input_in_monitored_session_and_batch_above_n(tmp_path):
    images, labels = make_split(5)
    with tf.Graph().as_default():
        tf.compat.v1.train.get_or_create_global_step()
        x, y = data.train_input(images, labels, 12, shuffle_buffer=2)
        with tf.compat.v1.train.MonitoredTrainingSession(
                checkpoint_dir=str(tmp_path)) as sess:
            xv, yv = sess.run([x, y])
    assert xv.shape == (12, 28, 28, 1) and yv.shape == (12,)


@pytest.mark.parametrize("n,batch,sizes", [(10, 4, [4, 4, 2]), (8, 4, [4, 4]),
                                           (3, 5, [3])])
def test_eval_input_covers_every_example_once(n, batch, sizes):
    images, labels = make_split(n)
    with tf.Graph().as_default():
        ev = data.eval_input(images, labels, batch)
        assert ev.images.shape.as_list() == [None, 28, 28, 1]
        assert ev.labels.shape.as_list() == [None] and ev.num_examples == n
        with tf.compat.v1.Session() as sess:
            for _ in range(2):  # re-initialisable: two full passes
                sess.run(ev.initializer)
                got_sizes, ids, ys = [], [], []
                while True:
                    try:
                        xv, yv = sess.run([ev.images, ev.labels])
                    except tf.errors.OutOfRangeError:
                        break
                    got_sizes.append(len(yv))
                    ids.extend(np.rint(xv[:, 0, 0, 0] * 255).astype(int))
                    ys.extend(yv)
                assert got_sizes == sizes
                assert ids == list(range(n))
                np.testing.assert_array_equal(ys, labels)


def test_pipeline_argument_errors():
    images, labels = make_split(4)
    with tf.Graph().as_default():
        raises_one_line(r"bad batch_size 0", data.train_input, images, labels,
                        0)
        raises_one_line(r"images float64", data.eval_input, images / 255.0,
                        labels, 2)
        raises_one_line(r"labels int64 \(3,\)", data.eval_input, images,
                        labels[:3].astype(np.int64), 2)


def _options_nodes(graph_def):
    """The OptionsDataset nodes of a GraphDef, its function library included."""
    nodes = list(graph_def.node) + [node for function in graph_def.library.function
                                    for node in function.node_def]
    return [node for node in nodes if node.op == "OptionsDataset"]


def test_pipelines_start_no_autotune_thread():
    """The cause of the stall at the end of long runs (BENCHMARKS.md, bench/close_time.py).

    With autotuning on, each iterator starts tf.data's model thread, which sleeps up to 60 s
    between optimizations; closing the session joins it and its wake-up can be lost. Both
    pipelines (and so the iterators of the trainer, the evaluator and the range test) turn
    autotuning off.
    """
    images, labels = make_split(10)
    assert data.train_dataset(images, labels, 4).options().autotune.enabled is False
    assert data.eval_dataset(images, labels, 4).options().autotune.enabled is False
    with tf.Graph().as_default() as graph:
        data.train_input(images, labels, 4)  # a one-shot iterator: its dataset is a function
        data.eval_input(images, labels, 4)
    options = [dataset_options_pb2.Options.FromString(node.attr["serialized_options"].s)
               for node in _options_nodes(graph.as_graph_def())]
    assert len(options) >= 2
    assert all(o.HasField("autotune_options") and o.autotune_options.HasField("enabled")
               and not o.autotune_options.enabled for o in options)


def test_data_stored_once_in_graph():
    """Incompressible data: the GraphDef holds about one copy, not two."""
    images, labels = make_split(1000)
    with tf.Graph().as_default() as graph:
        data.train_input(images, labels, 32)
        size = graph.as_graph_def().ByteSize()
    assert size < 1.3 * images.nbytes


# ---------------------------------------------------------------- real data


def test_real_mnist(mnist_dir):
    train = MnistData.load(mnist_dir, "train")
    test = MnistData.load(mnist_dir, "test")
    assert train.num_examples == 24345  # a prefix of the official 60,000
    assert test.num_examples == 10000
    for split in (train, test):
        assert split.images.shape == (split.num_examples, 28, 28)
        assert split.images.max() == 255 and split.images.min() == 0
        counts = np.bincount(split.labels, minlength=10)
        assert counts.size == 10
        assert (counts > 0.07 * split.num_examples).all(), counts
        assert (counts < 0.13 * split.num_examples).all(), counts
    with tf.Graph().as_default():
        ev = data.eval_input(test.images, test.labels, 128)
        with tf.compat.v1.Session() as sess:
            sess.run(ev.initializer)
            seen = label_sum = 0
            while True:
                try:
                    yv = sess.run(ev.labels)
                except tf.errors.OutOfRangeError:
                    break
                seen += len(yv)
                label_sum += int(yv.sum())
    assert seen == 10000
    assert label_sum == int(test.labels.sum(dtype=np.int64))


def test_random_shift_moves_each_image_by_at_most_max_shift():
    n = 64
    images = np.zeros((n, 28, 28), np.uint8)
    images[:, 14, 14] = 255  # one bright pixel per image
    labels = np.zeros(n, np.uint8)
    with tf.Graph().as_default():
        x, _ = data.train_input(images, labels, n, seed=3, max_shift=2)
        with tf.compat.v1.Session() as sess:
            batch = sess.run(x)[..., 0]
    rows, cols = np.nonzero(batch.reshape(n, 28, 28) > 0.5)[1:]
    assert len(rows) == n  # exactly one pixel per image survives, nothing is blurred
    shifts = set(zip(rows - 14, cols - 14))
    assert all(abs(dy) <= 2 and abs(dx) <= 2 for dy, dx in shifts)
    assert len(shifts) > 5  # shifts differ between images
    assert np.isclose(batch.sum(), n)


@pytest.mark.parametrize("max_shift", [-1, 9, 1.5, True])
def test_bad_max_shift(max_shift):
    images, labels = make_split(4)
    with pytest.raises(DataError, match=r"bad max_shift .*expected an integer in 0\.\.8"):
        data.train_dataset(images, labels, 2, max_shift=max_shift)
