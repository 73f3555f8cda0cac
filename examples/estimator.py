"""lrhooks with tf.estimator (TensorFlow <= 2.15): a complete minimal example.

    python examples/estimator.py [--model_dir runs/estimator]
"""

import argparse

import numpy as np
import tensorflow as tf

import lrhooks

tf1 = tf.compat.v1
SCHEDULE = lrhooks.schedules.piecewise_constant([100, 150], [0.1, 0.01, 0.001])


def input_fn():
    rng = np.random.RandomState(0)
    features = rng.randn(256, 4).astype(np.float32)
    labels = (features.sum(axis=1) > 0).astype(np.int32)
    return tf.data.Dataset.from_tensor_slices((features, labels)).repeat().batch(32)


def model_fn(features, labels, mode):
    rate = lrhooks.learning_rate()  # instead of tf.constant(0.1)
    lrhooks.rate_summary(rate)  # 'learning_rate' in the Estimator's event files
    weights = tf1.get_variable("weights", [4, 2])
    logits = tf.matmul(features, weights)
    loss = tf.reduce_mean(
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    train_op = tf1.train.MomentumOptimizer(rate, 0.9).minimize(
        loss, global_step=tf1.train.get_global_step())
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)


def main(model_dir: str, max_steps: int = 200) -> tf.estimator.Estimator:
    estimator = tf.estimator.Estimator(model_fn, model_dir=model_dir)
    hook = lrhooks.LearningRateSetterHook(SCHEDULE)  # finds the rate in begin()
    estimator.train(input_fn, hooks=[hook], max_steps=max_steps)
    return estimator


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model_dir", default="runs/estimator")
    args = parser.parse_args()
    main(args.model_dir)
    print(f"trained; see: tensorboard --logdir={args.model_dir}")
