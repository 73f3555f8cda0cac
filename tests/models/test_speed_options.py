"""The trainer's speed options: --precision, the fp16 loss scale, --label_smoothing and
--ema_decay (flags, graph, training, evaluation)."""

import dataclasses

import numpy as np
import pytest
import tensorflow as tf
from absl import flags

import lrhooks
from lrhooks.tools import precision as precision_lib
from models.resnet_mnist import config as config_lib
from models.resnet_mnist import data as data_lib
from models.resnet_mnist import devices
from models.resnet_mnist import evaluation
from models.resnet_mnist import faults
from models.resnet_mnist import graph as graph_lib
from models.resnet_mnist import loop
from models.resnet_mnist import loss_scale as loss_scale_lib
from models.resnet_mnist import model as model_lib
from models.resnet_mnist import numerics
from models.resnet_mnist import optimizer as optimizer_lib
from models.resnet_mnist import range_test
from models.resnet_mnist import train as train_lib
from tests.models.test_train import SCHEDULE, TINY_RESNET, tiny_config
from tests.models.test_train import tiny_data  # noqa: F401 (the fixture)

tf1 = tf.compat.v1
HAS_BF16 = precision_lib.cpu_has_bf16(precision_lib.read_cpu_flags())
needs_bf16 = pytest.mark.skipif(not HAS_BF16, reason="this CPU has no AVX512-BF16 or AMX")
ON = precision_lib.rewriter_config_pb2.RewriterConfig.ON


def parse(*args):
    values = flags.FlagValues()
    config_lib.define_flags(values)
    values(["train", "--data_dir=d", "--train_dir=t", "--lr_schedule=cosine_decay(0.1, 100)",
            *args])
    return config_lib.config_from_flags(values.flag_values_dict(), {})


# ---------------------------------------------------------------------------- flags


def test_defaults_change_nothing():
    config = parse()
    assert (config.precision, config.momentum_schedule) == ("fp32", None)
    assert (config.hparams.label_smoothing, config.hparams.ema_decay) == (0.0, 0.0)


def test_flags_reach_the_config():
    config = parse("--precision=bf16", "--label_smoothing=0.1", "--ema_decay=0.99")
    assert config.precision == "bf16"
    assert (config.hparams.label_smoothing, config.hparams.ema_decay) == (0.1, 0.99)


@pytest.mark.parametrize("args, match", [
    (["--precision=half"], r"flag --precision=half: value should be one of "
                           r"<fp32\|bf16\|fp16\|auto>"),
    (["--label_smoothing=1"], r"flag --label_smoothing=1: 1\.0 is not a number in the range "
                              r"\[0\.0, 0\.999\]"),
    (["--label_smoothing=-0.1"], r"flag --label_smoothing=-0\.1: -0\.1 is not a number in "
                                 r"the range \[0\.0, 0\.999\]"),
    (["--ema_decay=1"], r"flag --ema_decay=1: 1\.0 is not a number in the range "
                        r"\[0\.0, 0\.99999\]"),
])
def test_flag_validators(args, match):
    with pytest.raises(flags.IllegalFlagValueError, match=match):
        parse(*args)


@pytest.mark.parametrize("field", ["label_smoothing", "ema_decay"])
@pytest.mark.parametrize("value", [1.0, -0.01, "0.1"])
def test_hparams_validate_the_new_fields(field, value):
    hparams = dataclasses.replace(model_lib.HParams(), **{field: value})
    with pytest.raises(ValueError, match=rf"^`{field}` must be a number in \[0, 1\), got "
                                         rf"{value!r}$".replace(".", r"\.")):
        hparams.validate()


# ---------------------------------------------------------------------------- label smoothing


def test_smoothed_targets_golden():
    with tf.Graph().as_default(), tf1.Session() as session:
        targets = session.run(model_lib.smoothed_targets(tf.constant([2, 0]), 4, 0.2))
    np.testing.assert_allclose(targets, [[0.05, 0.05, 0.85, 0.05], [0.85, 0.05, 0.05, 0.05]],
                               rtol=1e-6)


@pytest.mark.parametrize("smoothing", [0.0, 0.1, 0.3])
def test_label_smoothing_cross_entropy_matches_the_formula(smoothing):
    hparams = dataclasses.replace(TINY_RESNET, label_smoothing=smoothing)
    rng = np.random.RandomState(0)
    images = rng.uniform(size=(6, 28, 28, 1)).astype(np.float32)
    labels = np.array([0, 1, 2, 3, 9, 9], np.int32)
    with tf.Graph().as_default():
        tf1.set_random_seed(1)
        outputs = model_lib.build_model(tf.constant(images), tf.constant(labels), hparams,
                                        mode="eval")
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            logits, cross_entropy = session.run([outputs.logits, outputs.cross_entropy])
    logits = logits.astype(np.float64)
    log_softmax = logits - np.log(np.exp(logits - logits.max(1, keepdims=True)).sum(1,
                                  keepdims=True)) - logits.max(1, keepdims=True)
    targets = np.full((6, 10), smoothing / 10)
    targets[np.arange(6), labels] += 1 - smoothing
    expected = np.mean(-(targets * log_softmax).sum(1))
    assert cross_entropy == pytest.approx(expected, rel=1e-5)


# ---------------------------------------------------------------------------- loss scale


def _linear_train_op(**kwargs):
    """A 2-weight model, loss = factor * sum(w * x), built by `optimizer.build_train_op`."""
    w = tf1.get_variable("w", [2], tf.float32, tf1.ones_initializer())
    factor = tf1.placeholder(tf.float32, [], name="factor")
    loss = factor * tf.reduce_sum(w * tf.constant([1.0, 2.0]))
    zero = tf.constant(0.0)
    outputs = model_lib.ModelOutputs(w, tf.constant([0]), loss, loss, zero)
    hparams = model_lib.HParams(optimizer="mom", momentum=0.9)
    step = tf1.train.get_or_create_global_step()
    train = optimizer_lib.build_train_op(outputs, hparams, tf.constant(0.1), step, **kwargs)
    return w, factor, train


def test_loss_scale_skips_an_overflowing_step_and_applies_unscaled_gradients():
    with tf.Graph().as_default():
        w, factor, train = _linear_train_op(loss_scaling=True)
        scale = train.loss_scale
        velocity = [v for v in tf1.global_variables() if "Momentum" in v.op.name]
        with tf1.Session() as session:
            session.run([tf1.global_variables_initializer(), tf1.local_variables_initializer()])
            assert session.run(scale.scale) == 2.0 ** 15
            # 1e35 * 2**15 overflows float32: the step is skipped, the scale halves.
            session.run(train.train_op, {factor: 1e35})
            assert session.run(train.global_step) == 1
            np.testing.assert_array_equal(session.run(w), [1.0, 1.0])
            np.testing.assert_array_equal(session.run(velocity[0]), [0.0, 0.0])
            assert session.run(scale.scale) == 2.0 ** 14
            # A finite step applies the unscaled gradient: w -= 0.1 * [1, 2].
            session.run(train.train_op, {factor: 1.0})
            np.testing.assert_allclose(session.run(w), [0.9, 0.8], rtol=1e-6)
            assert session.run([train.global_step, scale.scale, scale.good_steps]) == [
                2, 2.0 ** 14, 1]


def test_loss_scale_grows_after_growth_steps_and_stops_at_its_floor():
    with tf.Graph().as_default():
        x = tf1.get_variable("x", [], tf.float32, tf1.constant_initializer(3.0))
        factor = tf1.placeholder(tf.float32, [])
        scale = loss_scale_lib.DynamicLossScale(initial_scale=2.0, growth_steps=2,
                                                min_scale=1.0)
        grads, finite = scale.gradients(factor * x * x, [x])
        update = scale.update(finite)
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            assert session.run(grads[0], {factor: 1.0}) == pytest.approx(6.0)  # unscaled
            history = []
            for f in (1.0, 1.0, 1.0, 1e38, 1e38, 1e38):
                session.run(update, {factor: f})
                history.append(tuple(session.run([scale.scale, scale.good_steps])))
            assert history == [(2.0, 1), (4.0, 0), (4.0, 1), (2.0, 0), (1.0, 0), (1.0, 0)]
            assert not session.run(scale.can_skip())


@pytest.mark.parametrize("args, match", [
    (dict(initial_scale=0.5, min_scale=1.0), r"^`initial_scale` must be >= `min_scale` > 0"),
    (dict(min_scale=0.0), r"^`initial_scale` must be >= `min_scale` > 0"),
    (dict(growth_steps=0), r"^`growth_steps` must be an integer > 0, got 0$"),
])
def test_loss_scale_argument_errors(args, match):
    with tf.Graph().as_default(), pytest.raises(ValueError, match=match):
        loss_scale_lib.DynamicLossScale(**args)


def test_finiteness_check_aborts_an_overflow_once_the_scale_cannot_halve():
    with tf.Graph().as_default():
        w, factor, train = _linear_train_op(loss_scaling=True)
        with tf1.Session() as session:
            session.run([tf1.global_variables_initializer(), tf1.local_variables_initializer()])
            train.loss_scale.scale.load(1.0, session)
            with pytest.raises(tf.errors.InvalidArgumentError) as error:
                session.run(train.train_op, {factor: 1e38 * 3})  # grads overflow at scale 1
            assert numerics.is_failure(error.value)
            np.testing.assert_array_equal(session.run(w), [1.0, 1.0])


# ---------------------------------------------------------------------------- EMA


def test_ema_is_updated_by_the_train_op_from_the_updated_weights():
    with tf.Graph().as_default():
        w, factor, train = _linear_train_op()
        assert train.moving_average is None
    with tf.Graph().as_default():
        w = tf1.get_variable("w", [2], tf.float32, tf1.ones_initializer())
        loss = tf.reduce_sum(w * tf.constant([1.0, 2.0]))
        outputs = model_lib.ModelOutputs(w, tf.constant([0]), loss, loss, tf.constant(0.0))
        hparams = model_lib.HParams(optimizer="sgd", ema_decay=0.5)
        train = optimizer_lib.build_train_op(outputs, hparams, tf.constant(0.1))
        average = train.moving_average.average(w)
        assert average.op.name == "w/ExponentialMovingAverage"
        with tf1.Session() as session:
            session.run([tf1.global_variables_initializer(), tf1.local_variables_initializer()])
            session.run(train.train_op)
            # decay min(0.5, (1 + 1) / (10 + 1)) = 2/11 with the step after the update (1).
            decay = 2 / 11
            expected = decay * np.array([1.0, 1.0]) + (1 - decay) * np.array([0.9, 0.8])
            np.testing.assert_allclose(session.run(average), expected, rtol=1e-6)


def test_eval_tower_reads_the_moving_averages(tiny_data, tmp_path):
    config = tiny_config(tiny_data, tmp_path, hparams=dataclasses.replace(TINY_RESNET,
                                                                          ema_decay=0.9))
    placement = devices.placement(config)
    train = data_lib.load_mnist(str(tiny_data), "train")
    test = data_lib.load_mnist(str(tiny_data), "test")
    built = graph_lib.build_graph(config, placement, train, test)
    convs = [op for op in built.graph.get_operations() if op.type == "Conv2D"]
    filters = {op.name.split("/")[0]: set() for op in convs}
    for op in convs:
        filters[op.name.split("/")[0]].add(op.inputs[1].op.inputs[0].op.name)
    train_scope, eval_scope = sorted(filters)  # 'resnet' (train) and 'resnet_1' (eval)
    assert all(not name.endswith("ExponentialMovingAverage") for name in filters[train_scope])
    assert filters[eval_scope] == {name + "/ExponentialMovingAverage"
                                   for name in filters[train_scope]}


@pytest.mark.slow  # trains and evaluates
def test_checkpoint_evaluation_restores_the_averages(tiny_data, tmp_path):
    hparams = dataclasses.replace(TINY_RESNET, ema_decay=0.9)
    result = loop.train(tiny_config(tiny_data, tmp_path, hparams=hparams, eval_every_n_steps=5))
    checkpoint = tf.train.latest_checkpoint(str(tmp_path))
    evaluator = evaluation.Evaluator(str(tiny_data), str(tmp_path), str(tmp_path / "e"), 10)
    try:
        with evaluator.graph.as_default():
            weights = [v for v in tf1.global_variables() if v.op.name.endswith("DW")]
            stats = [v for v in tf1.global_variables() if "moving_mean" in v.op.name]
        with tf1.Session(graph=evaluator.graph) as session:
            evaluator.saver.restore(session, checkpoint)
            for var in weights + stats:
                value = session.run(var)
                average = tf.train.load_variable(checkpoint,
                                                 var.op.name + "/ExponentialMovingAverage")
                np.testing.assert_array_equal(value, average)
                assert not np.array_equal(value, tf.train.load_variable(checkpoint,
                                                                        var.op.name))
    finally:
        evaluator.close()
    # The in-process evaluation (averages through the custom getter) and the checkpoint's.
    scored = evaluation.run(str(tiny_data), str(tmp_path), str(tmp_path / "e2"), eval_once=True)
    assert result.eval_history[-1].step == scored.step == 5
    assert result.eval_history[-1].accuracy == scored.accuracy


@pytest.mark.slow  # trains and evaluates
def test_an_ema_run_refuses_a_checkpoint_without_averages(tiny_data, tmp_path):
    loop.train(tiny_config(tiny_data, tmp_path, train_steps=2))
    hparams = dataclasses.replace(TINY_RESNET, ema_decay=0.9)
    with pytest.raises(faults.UserError, match=r"holds a checkpoint of another model "
                       r"configuration: variable '.*ExponentialMovingAverage' of this model "
                       r"is not in the checkpoint"):
        loop.train(tiny_config(tiny_data, tmp_path, hparams=hparams, train_steps=4))


# ---------------------------------------------------------------------------- precision


def _partition_dtypes(config_proto, hparams):
    """{node name: T} of the partition graphs of one training step under `config_proto`."""
    rng = np.random.RandomState(0)
    with tf.Graph().as_default():
        images = tf.constant(rng.uniform(size=(8, 28, 28, 1)).astype(np.float32))
        labels = tf.constant(np.arange(8) % 10, tf.int32)
        step = tf1.train.get_or_create_global_step()
        outputs, train = graph_lib.build_train_tower(images, labels, hparams, tf.constant(0.1),
                                                     step)
        with tf1.Session(config=config_proto) as session:
            session.run([tf1.global_variables_initializer(), tf1.local_variables_initializer()])
            metadata = tf1.RunMetadata()
            session.run([train.train_op, outputs.loss], run_metadata=metadata,
                         options=tf1.RunOptions(output_partition_graphs=True))
    return {(node.name, node.op): tf.dtypes.as_dtype(node.attr["T"].type).name
            for graph in metadata.partition_graphs for node in graph.node
            if "T" in node.attr and node.attr["T"].type}


@needs_bf16
def test_bf16_rewrites_the_model_and_keeps_loss_rate_and_check_in_float32():
    types = _partition_dtypes(precision_lib.session_config("bf16"), TINY_RESNET)
    assert any(t == "bfloat16" for (name, _), t in types.items() if name.startswith("resnet/"))
    kept = {key: t for key, t in types.items()
            if key[0] in ("losses/total_loss", "losses/cross_entropy", "global_norm/global_norm")
            or "Apply" in key[1] or key[0].startswith("check_finite/")}
    assert {name for name, _ in kept} >= {"losses/total_loss", "losses/cross_entropy",
                                          "global_norm/global_norm"}
    assert any("ApplyMomentum" in op for _, op in kept)
    assert set(kept.values()) <= {"float32", "int64", "bool"}, kept
    fp32 = _partition_dtypes(precision_lib.session_config("fp32"), TINY_RESNET)
    assert "bfloat16" not in fp32.values()


@pytest.mark.slow  # trains and evaluates
@needs_bf16
def test_bf16_trains_on_this_cpu(tiny_data, tmp_path):
    config = tiny_config(tiny_data, tmp_path, precision="bf16")
    assert devices.placement(config).precision == "bf16"
    rewrite = devices.session_config(config).graph_options.rewrite_options
    assert rewrite.auto_mixed_precision_onednn_bfloat16 == ON
    assert devices.session_config(config).allow_soft_placement
    # A fixed, learnable batch: the loss must fall and stay finite.
    rng = np.random.RandomState(5)
    templates = (rng.uniform(size=(10, 28, 28, 1)) > 0.7).astype(np.float32)
    labels = np.arange(16) % 10
    images = np.clip(0.8 * templates[labels] + rng.uniform(0, 0.4, (16, 28, 28, 1)), 0, 1)
    with tf.Graph().as_default():
        tf1.set_random_seed(0)
        step = tf1.train.get_or_create_global_step()
        outputs, train = graph_lib.build_train_tower(
            tf.constant(images, tf.float32), tf.constant(labels, tf.int32), TINY_RESNET,
            tf.constant(0.05), step)
        with tf1.Session(config=devices.session_config(config)) as session:
            session.run([tf1.global_variables_initializer(), tf1.local_variables_initializer()])
            losses = [session.run([train.train_op, outputs.loss])[1] for _ in range(30)]
    assert np.all(np.isfinite(losses))
    assert losses[-1] < 0.7 * losses[0], losses
    # And the trainer itself, end to end.
    result = loop.train(config)
    assert result.global_step == 5 and np.isfinite(result.final_loss)


def test_fp32_asks_for_no_rewrite(tiny_data, tmp_path):
    rewrite = devices.session_config(tiny_config(tiny_data, tmp_path)).graph_options
    assert rewrite.rewrite_options.auto_mixed_precision_onednn_bfloat16 != ON
    assert rewrite.rewrite_options.auto_mixed_precision != ON


@pytest.mark.skipif(bool(tf.config.list_physical_devices("GPU")), reason="a GPU is present")
def test_fp16_without_a_gpu_is_a_one_line_error(tiny_data, tmp_path, capsys):
    config = tiny_config(tiny_data, tmp_path / "run", precision="fp16")
    with pytest.raises(faults.UserError, match=r"^`precision` 'fp16' needs a GPU of compute "
                                               r"capability >= 7\.0, but the model runs on "
                                               r"the CPU: use 'bf16'"):
        loop.train(config)
    assert train_lib.run_training(config) == faults.EXIT_BAD_INPUT
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("train: error: `precision` 'fp16' needs a GPU")
    assert not (tmp_path / "run").exists()  # nothing written, not even the directory


@pytest.mark.skipif(bool(tf.config.list_physical_devices("GPU")), reason="a GPU is present")
def test_fp16_without_a_gpu_ends_the_range_test_in_one_line(tiny_data, tmp_path):
    config = tiny_config(tiny_data, tmp_path / "run", precision="fp16")
    with pytest.raises(range_test.RangeTestError, match=r"^`precision` 'fp16' needs a GPU "):
        range_test.run_range_test(config, num_steps=5, output_dir=str(tmp_path / "lr"))
    assert not (tmp_path / "lr").exists()  # nothing written


def test_auto_on_this_machine_is_what_the_hardware_supports(tiny_data, tmp_path):
    config = tiny_config(tiny_data, tmp_path, precision="auto")
    on_gpu = "GPU" in devices.resolve_device("auto")
    expected = precision_lib.resolve("auto", cpu_flags=precision_lib.read_cpu_flags(),
                                     gpu_capabilities=precision_lib.gpu_compute_capabilities(),
                                     on_gpu=on_gpu)
    assert devices.placement(config).precision == expected
    if not on_gpu:
        assert expected == ("bf16" if HAS_BF16 else "fp32")


def test_the_fp16_graph_scales_the_loss_and_trains_on_a_cpu(tiny_data, tmp_path):
    """The GPU path's graph (loss scale, skip, step) run in float32 on the CPU."""
    config = tiny_config(tiny_data, tmp_path)
    placement = devices.Placement(devices.CPU, TINY_RESNET, "fp16")
    built = graph_lib.build_graph(config, placement, data_lib.load_mnist(str(tiny_data),
                                                                         "train"))
    with built.graph.as_default():
        names = {v.op.name for v in tf1.global_variables()}
        assert {"loss_scale/scale", "loss_scale/good_steps"} <= names
        with tf1.train.MonitoredSession(hooks=[
                lrhooks.LearningRateSetterHook(SCHEDULE)]) as session:
            losses = [session.run([built.train_op, built.outputs.loss])[1] for _ in range(3)]
            scale_var = [v for v in tf1.global_variables() if v.op.name == "loss_scale/scale"]
            step, scale = session.run([built.global_step, scale_var[0]])
    assert step == 3 and np.all(np.isfinite(losses))
    assert scale == 2.0 ** 15  # no overflow on these steps
