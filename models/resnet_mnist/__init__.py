"""ResNet-style and small-CNN MNIST trainer built on raw tf.compat.v1 ops."""
