"""Tests for models/resnet_mnist/model.py and optimizer.py (graph mode, tiny batches, CPU)."""

import dataclasses
import re

import numpy as np
import pytest
import tensorflow as tf

from models.resnet_mnist import graph as graph_lib
from models.resnet_mnist import model
from models.resnet_mnist import numerics
from models.resnet_mnist import optimizer

tf1 = tf.compat.v1

BATCH = 8
# Small but structurally complete variants, to keep the file fast.
SMALL_RESNET = model.HParams(num_residual_units=1, filters=(8, 8, 16, 16))
SMALL_BOTTLENECK = model.HParams(num_residual_units=1, filters=(8, 4, 8, 8), use_bottleneck=True)
SMALL_CNN = model.HParams(model="cnn", cnn_filters=(8, 16, 16), cnn_fc_units=32)
VARIANTS = {"resnet": SMALL_RESNET, "bottleneck": SMALL_BOTTLENECK, "cnn": SMALL_CNN}
DEFAULT_VARIANTS = {
    "resnet": model.HParams(),
    "bottleneck": model.HParams(use_bottleneck=True),
    "cnn": model.HParams(model="cnn"),
}


def _batch(n=BATCH, seed=0):
    rng = np.random.RandomState(seed)
    images = rng.uniform(0.0, 1.0, size=(n, 28, 28, 1)).astype(np.float32)
    labels = rng.randint(0, 10, size=(n,)).astype(np.int32)
    return images, labels


def _learnable_batch(n=16, seed=5):
    """Noisy copies of one random binary template per class (random noise alone is slow to
    memorise for a pooled CNN)."""
    rng = np.random.RandomState(seed)
    templates = (rng.uniform(size=(10, 28, 28, 1)) > 0.7).astype(np.float32)
    labels = (np.arange(n) % 10).astype(np.int32)
    noise = rng.uniform(0.0, 0.4, size=(n, 28, 28, 1))
    return np.clip(0.8 * templates[labels] + noise, 0.0, 1.0).astype(np.float32), labels


def _placeholders():
    images = tf1.placeholder(tf.float32, [None, 28, 28, 1], name="images")
    labels = tf1.placeholder(tf.int32, [None], name="labels")
    return images, labels


def _train_tower(images, labels, hparams, learning_rate, global_step=None):
    """(ModelOutputs, optimizer.TrainOp) as the trainer builds them (summaries included)."""
    return graph_lib.build_train_tower(images, labels, hparams, learning_rate, global_step)


def _eval_tower(images, labels, hparams):
    with tf1.variable_scope(tf1.get_variable_scope(), reuse=True):
        return model.build_model(images, labels, hparams, mode="eval")


def _global_names():
    return {v.op.name for v in tf1.global_variables()}


@pytest.mark.parametrize("variant", sorted(DEFAULT_VARIANTS))
@pytest.mark.parametrize("mode", model.MODES)
def test_builds_with_expected_output_shapes(variant, mode):
    with tf.Graph().as_default():
        images, labels = tf.constant(_batch()[0]), tf.constant(_batch()[1])
        if mode == "train":
            out, train = _train_tower(images, labels, DEFAULT_VARIANTS[variant], tf.constant(0.1))
            assert train.global_step is tf1.train.get_global_step()
            assert train.train_op.type == "NoOp" and train.train_op.name == "train_op"
        else:
            out = model.build_model(images, labels, DEFAULT_VARIANTS[variant], mode=mode)
            assert tf1.train.get_global_step() is None  # the model alone makes no step
        assert out.logits.shape.as_list() == [BATCH, 10]
        assert out.predictions.shape.as_list() == [BATCH]
        assert out.predictions.dtype == tf.int32
        for scalar in (out.loss, out.cross_entropy, out.accuracy):
            assert scalar.shape.rank == 0 and scalar.dtype == tf.float32
        if mode == "eval" or variant == "cnn":
            assert out.update_ops == ()
        else:
            assert len(out.update_ops) > 0


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_nchw_builds_with_same_variables_as_nhwc(variant):
    names = {}
    for fmt in model.DATA_FORMATS:
        with tf.Graph().as_default():
            images, labels = _placeholders()
            hp = dataclasses.replace(VARIANTS[variant], data_format=fmt)
            out, _ = _train_tower(images, labels, hp, 0.1)
            assert out.logits.shape.as_list() == [None, 10]
            ops = tf1.get_default_graph().get_operations()
            convs = [op for op in ops if op.type == "Conv2D"]
            assert {op.get_attr("data_format").decode() for op in convs} == {fmt}
            names[fmt] = {v.op.name: v.shape.as_list() for v in tf1.global_variables()}
    assert names["NHWC"] == names["NCHW"]


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_trainable_variable_gets_nonzero_gradient(variant):
    with tf.Graph().as_default():
        tf1.set_random_seed(1)
        images, labels = _batch()
        out = model.build_model(tf.constant(images), tf.constant(labels), VARIANTS[variant],
                                mode="train")
        variables = tf1.trainable_variables()
        grads = tf.gradients(out.loss, variables)
        assert all(g is not None for g in grads), [
            v.op.name for v, g in zip(variables, grads) if g is None
        ]
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            values = sess.run(grads)
        zero = [v.op.name for v, g in zip(variables, values) if not np.any(g)]
        assert not zero


def test_train_step_and_eval_uses_moving_statistics():
    with tf.Graph().as_default():
        tf1.set_random_seed(2)
        images, labels = _placeholders()
        hp = SMALL_RESNET
        train, step = _train_tower(images, labels, hp, tf.constant(0.1))
        evaluate = _eval_tower(images, labels, hp)
        stats = tf1.get_collection(model.MOVING_STATS_COLLECTION)
        assert stats and all(v in tf1.global_variables() for v in stats)
        assert not set(stats) & set(tf1.trainable_variables())
        x, y = _batch()
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            before = sess.run(stats)
            assert sess.run(step.global_step) == 0
            sess.run(step.train_op, {images: x, labels: y})
            assert sess.run(step.global_step) == 1
            after = sess.run(stats)
            for var, b, a in zip(stats, before, after):
                assert not np.allclose(b, a), var.op.name

            # Eval logits of an example do not depend on the rest of the batch...
            full = sess.run(evaluate.logits, {images: x})
            half = sess.run(evaluate.logits, {images: x[:4]})
            np.testing.assert_allclose(full[:4], half, rtol=1e-4, atol=1e-5)
            # ... while train-mode (batch statistics) logits do.
            train_full = sess.run(train.logits, {images: x})
            train_half = sess.run(train.logits, {images: x[:4]})
            assert not np.allclose(train_full[:4], train_half, atol=1e-4)
            # Eval reads the moving statistics.
            sess.run([v.assign(v * 3.0 + 1.0) for v in stats])
            changed = sess.run(evaluate.logits, {images: x})
            assert not np.allclose(full, changed, atol=1e-4)


@pytest.mark.parametrize(
    "optimizer,slot_pattern",
    [("mom", r"/Momentum$"), ("adam", r"/Adam(_1)?$|^beta[12]_power$")],
)
def test_checkpoint_from_train_graph_restores_into_eval_graph(tmp_path, optimizer, slot_pattern):
    hp = dataclasses.replace(SMALL_RESNET, optimizer=optimizer)
    x, y = _batch()
    path = str(tmp_path / "model.ckpt")
    with tf.Graph().as_default():
        tf1.set_random_seed(3)
        images, labels = _placeholders()
        _, train = _train_tower(images, labels, hp, tf.constant(0.01))
        same_graph_eval = _eval_tower(images, labels, hp)
        train_names = _global_names()
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            for _ in range(2):
                sess.run(train.train_op, {images: x, labels: y})
            expected = sess.run(same_graph_eval.logits, {images: x})
            tf1.train.Saver().save(sess, path)
    with tf.Graph().as_default():
        images, labels = _placeholders()
        global_step = tf1.train.get_or_create_global_step()  # as the evaluator does
        evaluate = model.build_model(images, labels, hp, mode="eval")
        eval_names = _global_names()
        assert eval_names <= train_names
        extra = train_names - eval_names
        assert extra, "train mode should add optimizer slots"
        for name in extra:
            assert re.search(slot_pattern, name), name
        assert not any("Adam" in n or "Momentum" in n for n in eval_names)
        with tf1.Session() as sess:
            tf1.train.Saver().restore(sess, path)
            assert sess.run(global_step) == 2
            np.testing.assert_allclose(sess.run(evaluate.logits, {images: x}), expected, rtol=1e-5)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_weight_decay_covers_conv_and_fc_weights_only(variant):
    hp = dataclasses.replace(VARIANTS[variant], weight_decay_rate=0.01)
    with tf.Graph().as_default():
        images, labels = _batch()
        out, _ = _train_tower(tf.constant(images), tf.constant(labels), hp, tf.constant(0.1))
        _eval_tower(tf.constant(images), tf.constant(labels), hp)  # must not duplicate entries
        weights = {v.op.name for v in tf1.trainable_variables() if v.op.name.endswith("/DW")}
        decayed = [v.op.name for v in out.weight_decay_vars]
        assert len(decayed) == len(set(decayed))
        assert set(decayed) == weights
        assert [v.op.name for v in tf1.get_collection(model.WEIGHT_DECAY_COLLECTION)] == decayed
        assert not any(n.endswith(("/biases", "/beta", "/gamma")) for n in decayed)
        # The L2Loss ops of the loss read exactly those variables (the finiteness check's
        # global_norm of the gradients has L2Loss ops of its own, outside losses/).
        graph = tf1.get_default_graph()
        l2_inputs = set()
        for op in graph.get_operations():
            if op.type == "L2Loss" and op.name.startswith("losses/"):
                read = op.inputs[0].op
                assert read.type == "ReadVariableOp"
                l2_inputs.add(read.inputs[0].op.name)
        assert l2_inputs == weights
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            loss, xent, values = sess.run([out.loss, out.cross_entropy, out.weight_decay_vars])
        l2 = sum(float(np.sum(np.square(v))) / 2 for v in values)
        np.testing.assert_allclose(loss - xent, 0.01 * l2, rtol=1e-4)


@pytest.mark.parametrize("optimizer", model.OPTIMIZERS)
def test_each_optimizer_trains_a_step(optimizer):
    hp = dataclasses.replace(SMALL_CNN, optimizer=optimizer)
    with tf.Graph().as_default():
        tf1.set_random_seed(4)
        images, labels = _placeholders()
        lr = tf1.placeholder(tf.float32, [], name="learning_rate")
        _, out = _train_tower(images, labels, hp, lr)
        opt_type = {
            "sgd": "ResourceApplyGradientDescent",
            "mom": "ResourceApplyMomentum",
            "nesterov": "ResourceApplyMomentum",
            "adam": "ResourceApplyAdam",
        }[optimizer]
        applies = [
            op for op in tf1.get_default_graph().get_operations() if op.type == opt_type
        ]
        assert applies
        if optimizer in ("mom", "nesterov"):
            assert {op.get_attr("use_nesterov") for op in applies} == {optimizer == "nesterov"}
        x, y = _batch()
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            before = sess.run(tf1.trainable_variables())
            sess.run(out.train_op, {images: x, labels: y, lr: 0.01})
            after = sess.run(tf1.trainable_variables())
            assert sess.run(out.global_step) == 1
        assert all(not np.array_equal(b, a) for b, a in zip(before, after))


@pytest.mark.parametrize(
    "variant,optimizer,lr",
    [
        ("resnet", "mom", 0.05),
        ("resnet", "adam", 0.003),
        ("cnn", "mom", 0.1),
        ("cnn", "adam", 0.01),
    ],
)
def test_loss_decreases_when_overfitting_a_fixed_batch(variant, optimizer, lr):
    hp = dataclasses.replace(VARIANTS[variant], optimizer=optimizer)
    with tf.Graph().as_default():
        tf1.set_random_seed(5)
        images, labels = _learnable_batch()
        out, train = _train_tower(tf.constant(images), tf.constant(labels), hp,
                                  tf.constant(lr))
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            first = sess.run(out.cross_entropy)
            for _ in range(30):
                sess.run(train.train_op)
            last = sess.run(out.cross_entropy)
    assert last < 0.7 * first, (first, last)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_cross_entropy_is_computed_from_logits(variant):
    with tf.Graph().as_default():
        images, labels = _placeholders()
        out, _ = _train_tower(images, labels, VARIANTS[variant], tf.constant(0.1))
        ops = tf1.get_default_graph().get_operations()
        xent = [op for op in ops if op.type == "SparseSoftmaxCrossEntropyWithLogits"]
        assert len(xent) == 1
        assert xent[0].inputs[0] is out.logits
        assert not [op.name for op in ops if op.type in ("Softmax", "LogSoftmax", "Log")]


def test_dropout_only_in_train_mode():
    with tf.Graph().as_default():
        tf1.set_random_seed(6)
        images, labels = _placeholders()
        train, _ = _train_tower(images, labels, SMALL_CNN, tf.constant(0.1))
        graph = tf1.get_default_graph()
        n_random = sum(op.type == "RandomUniform" for op in graph.get_operations())
        evaluate = _eval_tower(images, labels, SMALL_CNN)
        assert sum(op.type == "RandomUniform" for op in graph.get_operations()) == n_random
        x, _ = _batch()
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            a, b = sess.run(evaluate.logits, {images: x}), sess.run(evaluate.logits, {images: x})
            np.testing.assert_array_equal(a, b)
            c, d = sess.run(train.logits, {images: x}), sess.run(train.logits, {images: x})
            assert not np.allclose(c, d)


@pytest.mark.parametrize("variant", ["resnet", "cnn"])
def test_train_op_groups_train_step_and_update_ops(variant):
    with tf.Graph().as_default():
        images, labels = _placeholders()
        out, train = _train_tower(images, labels, VARIANTS[variant], tf.constant(0.1))
        control = set(train.train_op.control_inputs)
        steps = [op for op in control if op.name.split("/")[-1] == "train_step"]
        assert len(steps) == 1
        assert set(out.update_ops) <= control
        assert set(out.update_ops) == set(tf1.get_collection(tf1.GraphKeys.UPDATE_OPS))
        assert control == set(out.update_ops) | set(steps)
        assert (len(out.update_ops) > 0) == (variant == "resnet")


def test_summaries_only_in_the_train_tower_and_without_learning_rate():
    for mode in model.MODES:  # the model alone writes no summaries
        with tf.Graph().as_default():
            images, labels = _placeholders()
            model.build_model(images, labels, SMALL_RESNET, mode=mode)
            assert tf1.get_collection(tf1.GraphKeys.SUMMARIES) == []
    with tf.Graph().as_default():
        images, labels = _placeholders()
        _train_tower(images, labels, SMALL_RESNET, 0.1)
        tags = {t.op.name for t in tf1.get_collection(tf1.GraphKeys.SUMMARIES)}
        assert tags == {"loss", "cross_entropy", "accuracy"}


def test_given_global_step_is_used():
    with tf.Graph().as_default():
        step = tf1.get_variable("my_step", [], tf.int64, trainable=False,
                                initializer=tf1.zeros_initializer())
        images, labels = _batch()
        _, out = _train_tower(tf.constant(images), tf.constant(labels), SMALL_CNN,
                              tf.constant(0.1), global_step=step)
        assert out.global_step is step
        assert tf1.train.get_global_step() is None
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            sess.run(out.train_op)
            assert sess.run(step) == 1


def test_default_hparams_validate():
    hp = model.HParams()
    assert hp.validate() is hp
    for variant in list(VARIANTS.values()) + list(DEFAULT_VARIANTS.values()):
        variant.validate()


@pytest.mark.parametrize(
    "overrides,match",
    [
        ({"model": "vgg"}, r"^`model` must be one of resnet, cnn, got 'vgg'$"),
        (
            {"optimizer": "rmsprop"},
            r"^`optimizer` must be one of sgd, mom, nesterov, adam, got 'rmsprop'$",
        ),
        ({"data_format": "nhwc"}, r"^`data_format` must be one of NHWC, NCHW, got 'nhwc'$"),
        ({"num_classes": 1}, r"^`num_classes` must be an integer >= 2, got 1$"),
        ({"num_residual_units": 0}, r"^`num_residual_units` must be an integer >= 1, got 0$"),
        ({"num_residual_units": 2.0}, r"`num_residual_units` must be an integer >= 1, got 2\.0"),
        ({"cnn_fc_units": 0}, r"`cnn_fc_units` must be an integer >= 1, got 0"),
        ({"use_bottleneck": 1}, r"`use_bottleneck` must be a bool, got 1"),
        ({"filters": (16, 32, 64)}, r"`filters` must be a sequence of 4 positive integers"),
        ({"filters": (16, 0, 32, 64)}, r"`filters` must be .*, got \(16, 0, 32, 64\)"),
        ({"cnn_filters": (8, 16)}, r"`cnn_filters` must be a sequence of 3 positive integers"),
        ({"weight_decay_rate": -0.1}, r"`weight_decay_rate` must be a number in \[0, inf\)"),
        ({"relu_leakiness": 1.0}, r"`relu_leakiness` must be a number in \[0, 1\), got 1\.0"),
        ({"momentum": 1.5}, r"`momentum` must be a number in \[0, 1\], got 1\.5"),
        ({"adam_beta1": 1.0}, r"`adam_beta1` must be a number in \[0, 1\)"),
        ({"adam_beta2": -0.5}, r"`adam_beta2` must be a number in \[0, 1\)"),
        ({"adam_epsilon": 0.0}, r"`adam_epsilon` must be a number in \(0, inf\), got 0\.0"),
        ({"batch_norm_decay": 1.0}, r"`batch_norm_decay` must be a number in \[0, 1\)"),
        ({"batch_norm_epsilon": 0}, r"`batch_norm_epsilon` must be a number in \(0, inf\)"),
        ({"dropout_rate": 1.0}, r"`dropout_rate` must be a number in \[0, 1\), got 1\.0"),
        ({"dropout_rate": "0.5"}, r"`dropout_rate` must be a number in \[0, 1\), got '0\.5'"),
    ],
)
def test_validate_errors(overrides, match):
    hp = dataclasses.replace(model.HParams(), **overrides)
    with pytest.raises(ValueError, match=match):
        hp.validate()
    # build_model validates too, before touching the graph.
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match=match):
            model.build_model(tf.zeros([1, 28, 28, 1]), tf.zeros([1], tf.int32), hp, mode="eval")


def test_build_model_argument_errors():
    with tf.Graph().as_default():
        images, labels = _placeholders()
        with pytest.raises(ValueError, match=r"^`mode` must be one of train, eval, got 'predict'$"):
            model.build_model(images, labels, SMALL_CNN, mode="predict")
        out = model.build_model(images, labels, SMALL_CNN, mode="train")
        with pytest.raises(ValueError, match=r"^`learning_rate` must be .* in train mode"):
            optimizer.build_train_op(out, SMALL_CNN, None)
        shrinking = dataclasses.replace(SMALL_RESNET, filters=(8, 16, 8, 8))
        with pytest.raises(ValueError, match=r"`filters` must not decrease without use_bottleneck"):
            model.build_model(images, labels, shrinking, mode="eval")


def test_make_optimizer_types():
    lr = 0.1
    expected = {
        "sgd": tf1.train.GradientDescentOptimizer,
        "mom": tf1.train.MomentumOptimizer,
        "nesterov": tf1.train.MomentumOptimizer,
        "adam": tf1.train.AdamOptimizer,
    }
    for name, cls in expected.items():
        opt = optimizer.make_optimizer(model.HParams(optimizer=name), lr)
        assert type(opt) is cls
    assert optimizer.make_optimizer(model.HParams(optimizer="nesterov"), lr)._use_nesterov
    assert not optimizer.make_optimizer(model.HParams(optimizer="mom"), lr)._use_nesterov
    unchecked = dataclasses.replace(model.HParams(), optimizer="rmsprop")  # not validated
    with pytest.raises(ValueError, match=r"^`optimizer` must be one of sgd, mom, nesterov, "
                                         r"adam, got 'rmsprop'$"):
        optimizer.make_optimizer(unchecked, lr)


def test_non_finite_loss_aborts_the_run_before_any_update():
    hp = VARIANTS["cnn"]
    with tf.Graph().as_default():
        images, labels = _batch()
        images_in = tf1.placeholder(tf.float32, images.shape)
        _, out = _train_tower(images_in, tf.constant(labels), hp, tf.constant(0.1))
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            before = sess.run(tf1.global_variables())
            bad = images.copy()
            bad[0, 0, 0, 0] = np.nan
            with pytest.raises(tf.errors.InvalidArgumentError,
                               match=numerics.NON_FINITE_MESSAGE) as raised:
                sess.run(out.train_op, {images_in: bad})
            assert numerics.is_failure(raised.value)
            record = out.finite_check.read(sess)
            assert (int(record.step), float(record.learning_rate)) == (0, pytest.approx(0.1))
            assert np.isnan(record.gradient_norm)  # the NaN pixel's gradient
            for name in ("step", "learning_rate", "loss", "gradient_norm"):  # as TF printed
                text = numerics.tf_number_text(getattr(record, name))
                assert f"[{name}] [{text}]" in raised.value.message, name
            after = sess.run(tf1.global_variables())
            sess.run(out.train_op, {images_in: images})  # a finite batch still trains
            assert sess.run(out.global_step) == 1
    for a, b in zip(before, after):
        np.testing.assert_array_equal(a, b)
