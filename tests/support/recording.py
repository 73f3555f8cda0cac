"""An optimizer whose apply ops record the hyperparameters they actually received.

`RecordingMomentum` is `tf.compat.v1.train.MomentumOptimizer` whose resource
apply op takes its `lr` and `momentum` inputs from tensors that a
`tf.numpy_function` also receives, through a control dependency in the very
run of the apply op, together with a read of the step taken in that run before
the optimizer's increment (the increment waits for the apply ops). So each
record is `(step at the start of the run, lr applied, momentum applied)` of
one real update, wherever that update runs: the training thread, a
`SyncReplicasOptimizer` chief queue runner, a worker of a cluster served in
this process.
"""

import threading
from typing import List, Optional, Tuple

import numpy as np
import tensorflow as tf

tf1 = tf.compat.v1

Record = Tuple[int, float, float]


class RecordingMomentum(tf1.train.MomentumOptimizer):
    """MomentumOptimizer that appends (step, lr, momentum) of each update to `records`."""

    def __init__(self, learning_rate, momentum, global_step,
                 step_read: Optional[tf.Tensor] = None, name: str = "RecordingMomentum"):
        """`step_read`: the step tensor to record (default: a fresh read in the apply run).

        `global_step` may be a callable returning the variable (one made after the
        optimizer, as Keras's `compile` makes `iterations`), called when applying."""
        super().__init__(learning_rate, momentum, name=name)
        self._global_step, self._step_read = global_step, step_read
        self.records: List[Record] = []
        self._lock = threading.Lock()

    def _record(self, step, lr, momentum):
        with self._lock:
            self.records.append((int(step), float(lr), float(momentum)))
        return np.int64(0)

    def _resource_apply_dense(self, grad, var):
        dtype = grad.dtype.base_dtype
        lr = tf.cast(self._learning_rate_tensor, dtype)
        momentum = tf.cast(self._momentum_tensor, dtype)
        global_step = self._global_step
        if callable(global_step) and not isinstance(global_step, tf.Variable):
            global_step = global_step()
        step = self._step_read if self._step_read is not None else global_step.read_value()
        record = tf.numpy_function(self._record, [step, lr, momentum], tf.int64, stateful=True)
        with tf.control_dependencies([record]):
            return tf.raw_ops.ResourceApplyMomentum(
                var=var.handle, accum=self.get_slot(var, "momentum").handle, lr=lr, grad=grad,
                momentum=momentum, use_locking=self._use_locking,
                use_nesterov=self._use_nesterov)

    def sorted_records(self) -> List[Record]:
        with self._lock:
            return sorted(self.records)
