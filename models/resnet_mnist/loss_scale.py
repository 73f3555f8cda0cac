"""Dynamic loss scaling for float16 mixed precision (`--precision=fp16`).

float16 gradients of small losses underflow to zero. The loss is multiplied by a
scale before differentiation and the gradients are divided by it afterwards, in
float32. The scale adapts, as in `tf.keras.mixed_precision.LossScaleOptimizer`:

    scale starts at `initial_scale` (2**15)
    a step whose unscaled gradients are all finite: applied; after `growth_steps`
        (2000) such steps in a row the scale doubles
    a step with a non-finite gradient: skipped (the weights and optimizer slots do
        not change; the global step still advances, so the rate schedule and
        `--train_steps` count it), the scale halves, not below `min_scale` (1)

The scale and its counter are float32 / int64 variables (saved in checkpoints).
The loss and the gradients seen by the finiteness check stay float32; the check
tolerates non-finite gradients while the scale can still halve (`can_skip`).
"""

import tensorflow as tf

tf1 = tf.compat.v1

SCOPE = "loss_scale"


class DynamicLossScale:
    """The scale variables and the ops that use and update them (build inside a graph)."""

    def __init__(self, initial_scale: float = 2.0 ** 15, growth_steps: int = 2000,
                 min_scale: float = 1.0):
        if not initial_scale >= min_scale > 0:
            raise ValueError(f"`initial_scale` must be >= `min_scale` > 0, got {initial_scale!r}"
                             f" and {min_scale!r}")
        if growth_steps < 1:
            raise ValueError(f"`growth_steps` must be an integer > 0, got {growth_steps!r}")
        self.growth_steps = growth_steps
        self.min_scale = float(min_scale)
        with tf1.variable_scope(SCOPE):
            self.scale = tf1.get_variable("scale", [], tf.float32,
                                          tf1.constant_initializer(float(initial_scale)),
                                          trainable=False)
            self.good_steps = tf1.get_variable("good_steps", [], tf.int64,
                                               tf1.zeros_initializer(), trainable=False)

    def gradients(self, loss: tf.Tensor, variables):
        """(unscaled float32 gradients of `loss`, whether all of them are finite)."""
        scale = self.scale.read_value()
        scaled = tf.gradients(loss * scale, variables)
        grads = [None if g is None else g / scale for g in scaled]
        present = [g for g in grads if g is not None]
        finite = tf.reduce_all([tf.reduce_all(tf.math.is_finite(g)) for g in present])
        return grads, finite

    def can_skip(self) -> tf.Tensor:
        """Whether a step with non-finite gradients is a scale overflow (the scale can
        still halve), rather than a divergence."""
        return self.scale.read_value() > self.min_scale

    def update(self, finite: tf.Tensor) -> tf.Operation:
        """The scale's update after a step whose gradients were `finite` (or not)."""
        good = self.good_steps.read_value() + 1
        grow = tf.logical_and(finite, good >= self.growth_steps)
        scale = self.scale.read_value()
        new_scale = tf.where(finite, tf.where(grow, scale * 2.0, scale),
                             tf.maximum(scale / 2.0, self.min_scale))
        new_good = tf.where(tf.logical_and(finite, tf.logical_not(grow)), good,
                            tf.zeros_like(good))
        return tf.group(self.scale.assign(new_scale, read_value=False),
                        self.good_steps.assign(new_good, read_value=False),
                        name="loss_scale_update")

    def apply(self, finite: tf.Tensor, apply_fn, global_step: tf.Variable) -> tf.Operation:
        """`apply_fn()` (which must advance `global_step`) when `finite`, else only
        `global_step += 1`; then the scale's update."""
        def skip():
            with tf.control_dependencies([global_step.assign_add(1, read_value=False)]):
                return tf.constant(False)

        def applied():
            with tf.control_dependencies([apply_fn()]):
                return tf.constant(True)

        step = tf.cond(finite, applied, skip, name="apply_or_skip")
        with tf.control_dependencies([step]):
            return self.update(finite)
