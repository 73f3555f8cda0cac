"""Test helpers for the reference trainer (`models/resnet_mnist`)."""

import dataclasses
from typing import Dict, Set

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
