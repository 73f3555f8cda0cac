"""MNIST loading (IDX or Keras ``mnist.npz``) and tf.compat.v1 input pipelines.

Loading is pure NumPy and validates everything; every bad input raises
:class:`DataError` with a one-line message naming the file. The pipelines are
graph-mode (``tf.compat.v1``) and take plain values, no flags.

The arrays are embedded in the graph zlib-compressed (MNIST compresses ~5x) and
inflated once when the iterator is initialised, so the GraphDef that
``MonitoredTrainingSession`` writes (``graph.pbtxt``, events, every ``.meta``)
stays ~6 MB instead of ~27 MB raw (~46 MB with the one-shot iterator's copy).
"""

import gzip
import os
import zipfile
import zlib
from typing import BinaryIO, NamedTuple, Optional, Tuple, Union

import numpy as np
import tensorflow as tf

PathLike = Union[str, "os.PathLike[str]"]

IMAGE_SIZE = 28
NUM_CLASSES = 10
#: Pipelines output ``uint8 * PIXEL_SCALE``, i.e. pixels in [0, 1]; no mean/std.
PIXEL_SCALE = 1.0 / 255.0
SPLITS = ("train", "test")
_PREFIX = {"train": "train", "test": "t10k"}
_GZIP_MAGIC = b"\x1f\x8b"
#: The most data one file (an IDX payload, an array of ``mnist.npz``) may declare: 1 GiB,
#: 20x MNIST's training images. Nothing larger is read, whatever the file's size.
MAX_DATA_BYTES = 1 << 30
_CHUNK = 1 << 20


class DataError(ValueError):
    """Bad MNIST input: missing, corrupt or inconsistent files or arguments."""


def _open_error(path: PathLike, error: OSError) -> DataError:
    if isinstance(error, FileNotFoundError):
        return DataError(f"{os.fspath(path)}: file not found")
    return DataError(f"{os.fspath(path)}: cannot read file: {error}")


def _gzip_error(name: str, error: Exception) -> DataError:
    if isinstance(error, EOFError):
        return DataError(f"{name}: truncated gzip data ({error}), expected a complete gzip "
                         "stream")
    return DataError(f"{name}: corrupt gzip data ({error}), expected a valid gzip stream")


def _read_up_to(stream: BinaryIO, size: int) -> bytearray:
    """At most `size` bytes of `stream` (fewer only at its end), read in bounded chunks."""
    buffer = bytearray(size)
    view, filled = memoryview(buffer), 0
    while filled < size:
        count = stream.readinto(view[filled:filled + _CHUNK])
        if not count:
            break
        filled += count
    del view
    del buffer[filled:]
    return buffer


def _too_large(name: str, size: int, dims: Tuple[int, ...]) -> DataError:
    return DataError(f"{name}: too large: its header declares {size:,} bytes of data (dims "
                     f"{dims}), more than the {MAX_DATA_BYTES:,} this reader accepts; expected "
                     "an MNIST-sized file")


def read_idx(path: PathLike, ndim: Optional[int] = None) -> np.ndarray:
    """Reads an IDX file of unsigned bytes (raw or gzip, detected by content).

    Memory is bounded by the header: the payload size it declares is checked (at most
    `MAX_DATA_BYTES`; a raw file's size must match it) before the payload is read, and a
    gzip file is decompressed as a stream that stops one byte past the declared size, so a
    file that inflates to more than its header says (a gzip bomb) is refused after reading
    no more than what was declared.

    Args:
      path: the file.
      ndim: required number of dimensions (3 for images, 1 for labels), or None
        to accept any.

    Returns:
      A uint8 array with the shape stored in the header.

    Raises:
      DataError: missing file, bad gzip, bad magic, short header, a payload larger than
        `MAX_DATA_BYTES`, or a payload that does not match the header dims (truncated or
        trailing bytes).
    """
    name = os.fspath(path)
    try:
        raw = open(path, "rb")  # pylint: disable=consider-using-with
    except OSError as error:
        raise _open_error(path, error) from None
    with raw:
        try:
            gzipped = raw.read(2) == _GZIP_MAGIC
            raw.seek(0)
            file_size = os.fstat(raw.fileno()).st_size
        except OSError as error:
            raise _open_error(path, error) from None
        stream = gzip.GzipFile(fileobj=raw, mode="rb") if gzipped else raw
        try:
            return _read_idx_stream(stream, name, ndim, None if gzipped else file_size)
        except (EOFError, gzip.BadGzipFile, zlib.error) as error:
            raise _gzip_error(name, error) from None
        except OSError as error:
            if gzipped:
                raise _gzip_error(name, error) from None
            raise _open_error(path, error) from None


def _read_idx_stream(stream: BinaryIO, name: str, ndim: Optional[int],
                     file_size: Optional[int]) -> np.ndarray:
    """`read_idx` of an open (possibly decompressing) stream; `file_size`: the size of a raw
    file (None for gzip, whose decompressed size is known only by reading)."""
    data = _read_up_to(stream, 4)
    if len(data) < 4:
        raise DataError(f"{name}: file too short ({len(data)} bytes), "
                        f"expected at least a 4-byte IDX magic number")
    magic = int.from_bytes(data[:4], "big")
    found_ndim = data[3]
    if ndim is not None:
        want = 0x0800 | ndim
        kind = {3: "images", 1: "labels"}.get(ndim, f"{ndim}-D data")
        if magic != want:
            raise DataError(f"{name}: bad magic number 0x{magic:08X}, "
                            f"expected 0x{want:08X} (IDX uint8 {kind})")
    elif data[:3] != b"\x00\x00\x08" or found_ndim == 0:
        raise DataError(f"{name}: bad magic number 0x{magic:08X}, "
                        f"expected 0x000008NN (IDX uint8, NN = ndim >= 1)")
    header = 4 + 4 * found_ndim
    data += _read_up_to(stream, header - 4)
    if len(data) < header:
        raise DataError(f"{name}: file too short for IDX header "
                        f"({len(data)} bytes), expected {header} bytes for "
                        f"{found_ndim} dims")
    dims = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big")
                 for i in range(found_ndim))
    payload = 1
    for dim in dims:  # Python ints: no overflow
        payload *= dim
    expected = header + payload
    if file_size is not None and file_size != expected:  # raw: the size says it all
        what = "truncated" if file_size < expected else "trailing bytes"
        raise DataError(f"{name}: {what}: {file_size} bytes, expected "
                        f"{expected} (header {header} + payload for dims "
                        f"{dims})")
    if payload > MAX_DATA_BYTES:
        raise _too_large(name, payload, dims)
    body = _read_up_to(stream, payload)
    if len(body) < payload:
        raise DataError(f"{name}: truncated: {header + len(body)} bytes, expected "
                        f"{expected} (header {header} + payload for dims {dims})")
    if _read_up_to(stream, 1):
        raise DataError(f"{name}: trailing bytes: more than {expected} bytes, expected "
                        f"{expected} (header {header} + payload for dims {dims})")
    return np.frombuffer(body, np.uint8).reshape(dims)


def _find_idx(data_dir: str, split: str, kind: str) -> Optional[str]:
    base = os.path.join(data_dir, f"{_PREFIX[split]}-{kind}-ubyte")
    return next((c for c in (base + ".gz", base) if os.path.isfile(c)), None)


def _load_npz(path: str, split: str
              ) -> Tuple[np.ndarray, np.ndarray, str, str]:
    """Returns (images, labels, images_name, labels_name) from mnist.npz.

    Each array's ``.npy`` header is read first: an object array or one declaring more than
    `MAX_DATA_BYTES` is refused before its data is read, and no more than the declared data
    is ever inflated.
    """
    keys = (f"x_{split}", f"y_{split}")
    try:
        with zipfile.ZipFile(path) as archive:
            members = {name[:-4]: name for name in archive.namelist()
                       if name.endswith(".npy")}
            missing = [k for k in keys if k not in members]
            if missing:
                raise DataError(f"{path}: missing keys {missing}, found "
                                f"{sorted(members)}, expected {list(keys)}")
            images, labels = (_read_npy(archive, members[key], f"{path}[{key}]")
                              for key in keys)
    except DataError:
        raise
    except Exception as e:  # zipfile.BadZipFile, ValueError, OSError, ...
        raise DataError(f"{path}: cannot read npz ({type(e).__name__}: {e}), "
                        f"expected a Keras-style mnist.npz") from None
    return images, labels, f"{path}[{keys[0]}]", f"{path}[{keys[1]}]"


def _read_npy(archive: zipfile.ZipFile, member: str, name: str) -> np.ndarray:
    """One array of an npz, its declared size checked before its data is read."""
    with archive.open(member) as stream:
        version = np.lib.format.read_magic(stream)
        read_header = {(1, 0): np.lib.format.read_array_header_1_0,
                       (2, 0): np.lib.format.read_array_header_2_0}.get(version)
        if read_header is None:
            raise DataError(f"{name}: .npy format version {version}, expected 1.0 or 2.0")
        shape, fortran, dtype = read_header(stream)
        if dtype.hasobject:
            raise DataError(f"{name}: an array of Python objects, expected numbers")
        size = dtype.itemsize
        for dim in shape:
            size *= dim
        if size > MAX_DATA_BYTES:
            raise _too_large(name, size, tuple(shape))
        data = _read_up_to(stream, size)
        if len(data) < size:
            raise DataError(f"{name}: truncated: {len(data)} bytes of data, expected {size} "
                            f"for shape {tuple(shape)} {dtype}")
        if _read_up_to(stream, 1):
            raise DataError(f"{name}: trailing bytes: more than the {size} bytes of data of "
                            f"shape {tuple(shape)} {dtype}")
    array = np.frombuffer(data, dtype)
    return (array.reshape(shape[::-1]).transpose() if fortran else array.reshape(shape))


def load_mnist(data_dir: PathLike, split: str) -> Tuple[np.ndarray, np.ndarray]:
    """Loads one MNIST split from IDX files (raw or .gz) or ``mnist.npz``.

    Counts come from the files, never assumed. IDX files win over ``mnist.npz``.

    Args:
      data_dir: directory holding ``{train,t10k}-images-idx3-ubyte`` and
        ``{train,t10k}-labels-idx1-ubyte`` (each optionally ``.gz``), or a
        Keras ``mnist.npz`` (keys x_train, y_train, x_test, y_test).
      split: ``'train'`` or ``'test'``.

    Returns:
      ``(images, labels)``: uint8 ``[N, 28, 28]`` and uint8 ``[N]`` in 0..9.

    Raises:
      DataError: bad split, missing/empty directory, missing or invalid files,
        wrong image size, count mismatch, labels out of range.
    """
    if split not in SPLITS:
        raise DataError(f"bad split {split!r}, expected one of {list(SPLITS)}")
    data_dir = os.fspath(data_dir)
    if not os.path.exists(data_dir):
        raise DataError(f"{data_dir}: MNIST directory not found")
    if not os.path.isdir(data_dir):
        raise DataError(f"{data_dir}: not a directory, expected the MNIST "
                        f"directory")
    p = _PREFIX[split]
    wanted = (f"{p}-images-idx3-ubyte[.gz] + {p}-labels-idx1-ubyte[.gz] or "
              f"mnist.npz")
    present = sorted(os.listdir(data_dir))
    if not present:
        raise DataError(f"{data_dir}: MNIST directory is empty, expected "
                        f"{wanted}")
    img_path = _find_idx(data_dir, split, "images-idx3")
    lbl_path = _find_idx(data_dir, split, "labels-idx1")
    npz_path = os.path.join(data_dir, "mnist.npz")
    if img_path or lbl_path or not os.path.isfile(npz_path):
        if not (img_path and lbl_path):
            shown = ", ".join(present[:10])
            shown += ", ..." if len(present) > 10 else ""
            raise DataError(f"{data_dir}: no MNIST {split} files found, "
                            f"expected {wanted}; found: {shown}")
        images, labels = read_idx(img_path, 3), read_idx(lbl_path, 1)
        img_name, lbl_name = img_path, lbl_path
    else:
        images, labels, img_name, lbl_name = _load_npz(npz_path, split)
    _validate(images, labels, img_name, lbl_name)
    return images, labels.astype(np.uint8)


def _validate(images: np.ndarray, labels: np.ndarray, img_name: str,
              lbl_name: str) -> None:
    """Checks shapes, dtypes, counts and label range of one split."""
    if images.dtype != np.uint8:
        raise DataError(f"{img_name}: images dtype {images.dtype}, expected "
                        f"uint8")
    if images.ndim != 3 or images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
        found = "x".join(map(str, images.shape[1:])) if images.ndim == 3 else (
            f"shape {images.shape}")
        raise DataError(f"{img_name}: wrong image size {found}, expected "
                        f"{IMAGE_SIZE}x{IMAGE_SIZE}")
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise DataError(f"{lbl_name}: labels shape {labels.shape} dtype "
                        f"{labels.dtype}, expected a 1-D integer array")
    if images.shape[0] != labels.shape[0]:
        raise DataError(f"{img_name}: image count {images.shape[0]} != label "
                        f"count {labels.shape[0]} in "
                        f"{os.path.basename(lbl_name)}, expected equal counts")
    if images.shape[0] == 0:
        raise DataError(f"{img_name}: no examples, expected at least one")
    bad = np.flatnonzero((labels < 0) | (labels >= NUM_CLASSES))
    if bad.size:
        i = int(bad[0])
        raise DataError(f"{lbl_name}: label out of range at index {i}: "
                        f"{int(labels[i])}, expected 0..{NUM_CLASSES - 1} "
                        f"({bad.size} bad labels)")


def _check_arrays(images: np.ndarray, labels: np.ndarray,
                  batch_size: int) -> Tuple[np.ndarray, np.ndarray]:
    """Validates pipeline inputs; returns C-contiguous uint8/int32 copies."""
    images, labels = np.asarray(images), np.asarray(labels)
    if images.dtype != np.uint8 or images.ndim != 3 or (
            images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE)):
        raise DataError(f"images {images.dtype} {images.shape}, expected uint8 "
                        f"[N, 28, 28]")
    if (labels.shape != images.shape[:1] or images.shape[0] == 0
            or not np.issubdtype(labels.dtype, np.integer)):
        raise DataError(f"labels {labels.dtype} {labels.shape} for images "
                        f"{images.shape}, expected integer [N], N >= 1")
    if (isinstance(batch_size, bool)
            or not isinstance(batch_size, (int, np.integer)) or batch_size < 1):
        raise DataError(f"bad batch_size {batch_size!r}, expected an integer "
                        f">= 1")
    return (np.ascontiguousarray(images),
            np.ascontiguousarray(labels, dtype=np.int32))


def _embedded(array: np.ndarray) -> tf.Tensor:
    """A tensor equal to ``array``, stored once, zlib-compressed, in the graph.

    The blob lives in a graph function, so the one-shot iterator (which copies
    the dataset's captured ops into its own function) does not duplicate it.
    """
    blob = zlib.compress(array.tobytes(), 6)

    @tf.function(autograph=False, input_signature=[])
    def inflate() -> tf.Tensor:
        raw = tf.io.decode_compressed(tf.constant(blob), "ZLIB")
        flat = tf.io.decode_raw(raw, tf.as_dtype(array.dtype))
        return tf.reshape(flat, array.shape)

    return inflate()


def _without_autotune_thread(ds: tf.data.Dataset) -> tf.data.Dataset:
    """`ds` with tf.data's autotuning off, so its iterator starts no model thread.

    The autotune model thread (`Model::OptimizeLoop`) sleeps between optimizations for a
    period that doubles up to 60 s, and closing the session joins it (the iterator's
    destructor). Its wake-up on cancellation can be lost, so after a long run `Session.close`
    waited out the rest of that sleep: 12-30 s after the last step or a Ctrl-C. Without
    autotuning `AUTOTUNE` still works: parallel maps use one call per core and `prefetch`
    its own buffer autotuner; nothing waits at close (BENCHMARKS.md, `bench/close_time.py`).
    """
    options = tf.data.Options()
    options.autotune.enabled = False
    return ds.with_options(options)


def _source(images: np.ndarray, labels: np.ndarray) -> tf.data.Dataset:
    return tf.data.Dataset.from_tensor_slices(
        (_embedded(images), _embedded(labels)))


def _scale(images: tf.Tensor,
           labels: tf.Tensor) -> Tuple[tf.Tensor, tf.Tensor]:
    """uint8 [B, 28, 28] -> float32 [B, 28, 28, 1] in [0, 1], vectorised."""
    images = tf.cast(images, tf.float32) * PIXEL_SCALE
    return tf.expand_dims(images, -1), labels


def _random_shift(max_shift: int, seed: Optional[int]):
    """A batch map: each image moved by up to `max_shift` pixels in x and y (zero fill)."""
    def shift(images: tf.Tensor, labels: tf.Tensor):
        batch = tf.shape(images)[0]
        offsets = tf.random.uniform([batch, 2], -max_shift, max_shift + 1, dtype=tf.int32,
                                    seed=seed)
        offsets = tf.cast(offsets, tf.float32)
        ones, zeros = tf.ones([batch, 1]), tf.zeros([batch, 1])
        # Projective transforms [a0 a1 a2 b0 b1 b2 c0 c1]: output(x, y) = input(x + dx, y + dy).
        transforms = tf.concat([ones, zeros, offsets[:, :1], zeros, ones, offsets[:, 1:],
                                zeros, zeros], axis=1)
        moved = tf.raw_ops.ImageProjectiveTransformV3(
            images=images, transforms=transforms, output_shape=tf.shape(images)[1:3],
            fill_value=0.0, interpolation="NEAREST", fill_mode="CONSTANT")
        return tf.ensure_shape(moved, images.shape), labels
    return shift


def train_dataset(images: np.ndarray, labels: np.ndarray, batch_size: int, *,
                  seed: Optional[int] = None,
                  shuffle_buffer: Optional[int] = None,
                  num_parallel_calls: int = tf.data.AUTOTUNE,
                  max_shift: int = 0,
                  ) -> tf.data.Dataset:
    """The dataset behind :func:`train_input` (same arguments).

    Shuffle (reshuffled every epoch) -> repeat -> batch(drop_remainder) -> scale
    -> random shift by up to `max_shift` pixels (augmentation; 0: none)
    -> prefetch: infinite ``(float32 [B, 28, 28, 1] in [0, 1], int32 [B])``
    batches with static shapes; batches span epoch boundaries. Autotuning is off
    (`_without_autotune_thread`).
    """
    images, labels = _check_arrays(images, labels, batch_size)
    n = images.shape[0]
    buffer = n if shuffle_buffer is None else int(shuffle_buffer)
    if isinstance(max_shift, bool) or not isinstance(max_shift, int) or not 0 <= max_shift <= 8:
        raise DataError(f"bad max_shift {max_shift!r}, expected an integer in 0..8")
    if buffer < 1:
        raise DataError(f"bad shuffle_buffer {shuffle_buffer!r}, "
                        f"expected >= 1")
    ds = _source(images, labels).shuffle(min(buffer, n), seed=seed,
                                         reshuffle_each_iteration=True)
    ds = ds.repeat().batch(int(batch_size), drop_remainder=True)
    ds = ds.map(_scale, num_parallel_calls=num_parallel_calls)
    if max_shift:
        ds = ds.map(_random_shift(max_shift, seed), num_parallel_calls=num_parallel_calls)
    return _without_autotune_thread(ds.prefetch(tf.data.AUTOTUNE))


def train_input(images: np.ndarray, labels: np.ndarray, batch_size: int, *,
                seed: Optional[int] = None,
                shuffle_buffer: Optional[int] = None,
                num_parallel_calls: int = tf.data.AUTOTUNE,
                max_shift: int = 0,
                ) -> Tuple[tf.Tensor, tf.Tensor]:
    """Graph-mode training batches from a one-shot iterator.

    Args:
      images: uint8 [N, 28, 28].
      labels: integer [N].
      batch_size: examples per batch (may exceed N; batches span epochs).
      seed: shuffle seed (None: nondeterministic unless a graph seed is set).
      shuffle_buffer: shuffle buffer size; None means N.
      num_parallel_calls: parallelism of the (per-batch) scaling map.
      max_shift: augmentation: move each image by a random whole number of
        pixels in [-max_shift, max_shift] along x and y (zero fill); 0: none.

    Returns:
      ``(images, labels)`` tensors: float32 ``[B, 28, 28, 1]`` in [0, 1] and
      int32 ``[B]``, new values on every ``session.run``; never raises
      OutOfRangeError. Build inside the graph being trained.
    """
    ds = train_dataset(images, labels, batch_size, seed=seed,
                       shuffle_buffer=shuffle_buffer,
                       num_parallel_calls=num_parallel_calls, max_shift=max_shift)
    return tf.compat.v1.data.make_one_shot_iterator(ds).get_next()


def eval_dataset(images: np.ndarray, labels: np.ndarray,
                 batch_size: int) -> tf.data.Dataset:
    """The dataset behind :func:`eval_input`: one ordered pass, no shuffle.

    Yields ``(float32 [None, 28, 28, 1] in [0, 1], int32 [None])``; the last
    partial batch is kept, so batch sizes sum to exactly N. Autotuning is off
    (`_without_autotune_thread`).
    """
    images, labels = _check_arrays(images, labels, batch_size)
    ds = _source(images, labels).batch(int(batch_size), drop_remainder=False)
    return _without_autotune_thread(ds.map(_scale).prefetch(tf.data.AUTOTUNE))


class EvalInput(NamedTuple):
    """Tensors of a re-initialisable evaluation pass; see eval_input()."""
    images: tf.Tensor  # float32 [None, 28, 28, 1]
    labels: tf.Tensor  # int32 [None]
    initializer: tf.Operation  # run before each pass
    num_examples: int


def eval_input(images: np.ndarray, labels: np.ndarray,
               batch_size: int) -> EvalInput:
    """Evaluation tensors over every example once per pass.

    Args:
      images: uint8 [N, 28, 28].
      labels: integer [N].
      batch_size: examples per batch; the last batch holds N % batch_size.

    Returns:
      An :class:`EvalInput`. Run ``initializer`` before each pass (re-runnable
      in one session), then ``images`` (float32 [None, 28, 28, 1] in [0, 1])
      and ``labels`` (int32 [None]) until ``tf.errors.OutOfRangeError``; the
      batch sizes sum to ``num_examples``.
    """
    ds = eval_dataset(images, labels, batch_size)
    it = tf.compat.v1.data.make_initializable_iterator(ds)
    batch_images, batch_labels = it.get_next()
    return EvalInput(batch_images, batch_labels, it.initializer,
                     int(np.shape(images)[0]))
