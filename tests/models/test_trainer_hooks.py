"""`hooks.training_hooks` is the one place that chooses the trainer's hooks: the loop and the
session add none of their own (but the session's summary saver)."""

import numpy as np
import tensorflow as tf

from models.resnet_mnist import checkpoints
from models.resnet_mnist import devices
from models.resnet_mnist import faults
from models.resnet_mnist import graph as graph_lib
from models.resnet_mnist import hooks as hooks_lib
from tests.models.test_train import tiny_config, tiny_data  # noqa: F401

tf1 = tf.compat.v1


def _built(config):
    data = (np.zeros((16, 28, 28), np.uint8), np.arange(16, dtype=np.uint8) % 10)
    return graph_lib.build_graph(config, devices.placement(config), data)


def test_every_hook_of_a_run_is_chosen_by_training_hooks(tiny_data, tmp_path):  # noqa: F811
    config = tiny_config(tiny_data, tmp_path / "run", save_checkpoints_steps=3)
    built = _built(config)
    stop, extra = faults.SignalStop(), tf1.train.SessionRunHook()
    chosen = hooks_lib.training_hooks(config, built, stop=stop, extra_hooks=[extra])
    assert stop.hook in chosen.hooks and extra in chosen.hooks
    (saver_hook,) = [h for h in chosen.chief_hooks
                     if isinstance(h, tf1.train.CheckpointSaverHook)]
    assert saver_hook._saver is chosen.saver  # pylint: disable=protected-access
    assert saver_hook._listeners == [chosen.state_check]  # pylint: disable=protected-access
    assert saver_hook._save_path.endswith(checkpoints.BASENAME)  # pylint: disable=protected-access


def test_without_checkpoint_steps_the_chief_has_no_saver_hook(tiny_data, tmp_path):  # noqa: F811
    config = tiny_config(tiny_data, tmp_path / "run", save_checkpoints_steps=None)
    chosen = hooks_lib.training_hooks(config, _built(config))
    assert chosen.saver is not None  # the Scaffold still restores with it
    assert not [h for h in chosen.chief_hooks if isinstance(h, tf1.train.CheckpointSaverHook)]
