"""Test helpers for the reference trainer (`models/resnet_mnist`)."""

import dataclasses
import os
from typing import Dict, Optional, Set, Tuple

import numpy as np

from models.resnet_mnist import config as config_lib
from models.resnet_mnist import data as data_lib
from models.resnet_mnist import devices
from models.resnet_mnist import graph as graph_lib


@dataclasses.dataclass(frozen=True, eq=False)
class MnistData:
    """One validated MNIST split: uint8 images [N, 28, 28], uint8 labels [N]."""

    images: np.ndarray
    labels: np.ndarray

    @property
    def num_examples(self) -> int:
        """N, as read from the files."""
        return int(self.images.shape[0])

    @classmethod
    def load(cls, data_dir, split: str) -> "MnistData":
        """`data.load_mnist(data_dir, split)`, wrapped."""
        return cls(*data_lib.load_mnist(data_dir, split))


def graph_devices(config: config_lib.TrainConfig) -> Dict[str, Set[str]]:
    """Device requests of the input and model ops (for checking placement without a GPU)."""
    placement = devices.placement(config)
    fake = (np.zeros((config.batch_size, 28, 28), np.uint8),
            np.zeros((config.batch_size,), np.uint8))
    built = graph_lib.build_graph(config, placement, fake)
    ops = built.graph.get_operations()
    model_scope = placement.hparams.model + "/"
    return {"input": {op.device for op in ops if op.type == "IteratorGetNext"},
            "model": {op.device for op in ops if op.name.startswith(model_scope)}}


def tree_snapshot(directory) -> Dict[str, Tuple[Optional[bytes], int]]:
    """{relative path: (bytes or None for a directory, mtime_ns)} of `directory` (".") and of
    every file and directory below it: equal snapshots mean nothing was written."""
    state = {".": (None, os.stat(directory).st_mtime_ns)}
    for root, dirs, files in os.walk(directory):
        for name in dirs + files:
            path = os.path.join(root, name)
            content = None
            if os.path.isfile(path):
                with open(path, "rb") as f:
                    content = f.read()
            state[os.path.relpath(path, directory)] = (content, os.stat(path).st_mtime_ns)
    return state
