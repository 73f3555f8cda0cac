"""Self-driving scheduled values: exact in every TF1 loop with no hook, and their errors.

Every test measures what the optimizer's apply op actually received, run by run
(`tests.support.recording.RecordingMomentum` records the `lr` and `momentum`
inputs of `ResourceApplyMomentum` in the run of the update, with the step that
run started at), against `schedule(step at the start of the run)`, across a stop
and a restore at step 6, which is not a boundary.
"""

import dataclasses
import io
import os
import threading

import pytest
import tensorflow as tf

import lrhooks
from lrhooks import schedules
from lrhooks.hooks.training_log import log_line
from tests.support.events import scalar_points
from tests.support.recording import RecordingMomentum

tf1 = tf.compat.v1

RATE = schedules.piecewise_constant([4, 9], [0.1, 0.01, 0.001])
MOMENTUM = schedules.piecewise_constant([5], [0.9, 0.5])
STOP, LAST = 6, 13  # stop and restore at 6 (no boundary), train on to 13


@dataclasses.dataclass
class Model:
    global_step: tf.Variable
    rate: tf.Tensor
    momentum: object
    train_op: tf.Operation
    loss: tf.Tensor
    optimizer: RecordingMomentum


def build(momentum_schedule=None, global_step=None, pass_step=None, **rate_kwargs) -> Model:
    """A one-weight model on the default graph; the rate (and momentum) drive themselves.

    `global_step` (default: the registered one, created) is passed as `global_step=`
    unless `pass_step` is False (default: when it is given).
    """
    if global_step is None:
        global_step = tf1.train.get_or_create_global_step()
        pass_step = False if pass_step is None else pass_step
    step_arg = {"global_step": global_step} if pass_step in (None, True) else {}
    rate = lrhooks.learning_rate(schedule=RATE, table_size=3, **step_arg, **rate_kwargs)
    momentum = (lrhooks.scheduled_value("momentum", momentum_schedule, table_size=2, **step_arg)
                if momentum_schedule is not None else 0.9)
    weight = tf1.get_variable("w", initializer=1.0)
    loss = tf.square(weight - 3.0)
    optimizer = RecordingMomentum(rate, momentum, global_step)
    train_op = optimizer.minimize(loss, global_step=global_step)
    return Model(global_step, rate, momentum, train_op, loss, optimizer)


def assert_exact(records, first, last, momentum_schedule=None):
    assert [r[0] for r in records] == list(range(first, last)), records
    for step, lr, momentum in records:
        assert lr == pytest.approx(RATE(step), rel=1e-6), (step, lr)
        expected = momentum_schedule(step) if momentum_schedule is not None else 0.9
        assert momentum == pytest.approx(expected, rel=1e-6), (step, momentum)


def initialize(sess):
    sess.run([tf1.global_variables_initializer(), tf1.local_variables_initializer()])


def train_and_save(path: str, steps: int = STOP, momentum_schedule=None) -> Model:
    """Trains `steps` steps in a plain Session initialized the classic way (only
    `global_variables_initializer()`) and saves a checkpoint at `path`."""
    with tf.Graph().as_default():
        model = build(momentum_schedule)
        saver = tf1.train.Saver()
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            for _ in range(steps):
                sess.run(model.train_op)
            saver.save(sess, path)
    return model


# ---------------------------------------------------------------- the loops
@pytest.mark.parametrize("momentum_schedule", [None, MOMENTUM])
def test_plain_session_loop_across_stop_and_restore(tmp_path, momentum_schedule):
    path = str(tmp_path / "model.ckpt")
    with tf.Graph().as_default() as graph:
        model = build(momentum_schedule)
        apply_op = next(op for op in graph.get_operations() if op.type == "ResourceApplyMomentum")
        saver = tf1.train.Saver()
        with tf1.Session() as sess:
            initialize(sess)
            for _ in range(STOP):
                # The lr input of the apply op, fetched in the very run that trains.
                _, fetched_lr = sess.run([model.train_op, apply_op.inputs[2]])
                assert fetched_lr == pytest.approx(model.optimizer.records[-1][1])
            saver.save(sess, path)
    first = model.optimizer.sorted_records()
    with tf.Graph().as_default():
        model = build(momentum_schedule)
        with tf1.Session() as sess:
            tf1.train.Saver().restore(sess, path)
            sess.run(tf1.local_variables_initializer())
            while sess.run(model.global_step) < LAST:
                sess.run(model.train_op)
    assert_exact(first + model.optimizer.sorted_records(), 0, LAST, momentum_schedule)


@pytest.mark.parametrize("momentum_schedule", [None, MOMENTUM])
def test_the_classic_initialization_alone_is_enough(tmp_path, momentum_schedule):
    """Only `global_variables_initializer()`, then a `Saver.restore` alone: no local init."""
    path = str(tmp_path / "model.ckpt")
    first = train_and_save(path, STOP, momentum_schedule).optimizer.sorted_records()
    with tf.Graph().as_default():
        model = build(momentum_schedule)
        with tf1.Session() as sess:
            tf1.train.Saver().restore(sess, path)
            while sess.run(model.global_step) < LAST:
                sess.run(model.train_op)
    assert_exact(first + model.optimizer.sorted_records(), 0, LAST, momentum_schedule)


def test_no_saver_sees_the_window(tmp_path):
    path = str(tmp_path / "model.ckpt")
    train_and_save(path, 1, MOMENTUM)
    names = {name for name, _ in tf.train.list_variables(path)}
    assert names == {"global_step", "w", "w/RecordingMomentum"}, names


def test_a_new_graph_on_a_running_server_never_reads_an_old_schedules_window():
    """A server keeps resources across sessions (a ps outlives restarted workers)."""
    server = tf.distribute.Server.create_local_server()
    read = []
    for schedule in (schedules.constant(0.1), schedules.constant(0.5)):
        with tf.Graph().as_default():
            tf1.train.get_or_create_global_step()
            rate = lrhooks.learning_rate(schedule=schedule)
            with tf1.Session(server.target) as sess:
                sess.run(tf1.global_variables_initializer())
                read.append(float(sess.run(rate)))
    assert read == pytest.approx([0.1, 0.5])


def test_a_value_built_inside_a_gpu_scope_needs_no_soft_placement():
    """Its lookup, table, fallback and step read go to the CPU of the scope's job and task."""
    with tf.Graph().as_default() as graph:
        tf1.train.get_or_create_global_step()
        with tf.device("/job:localhost/replica:0/task:0/device:GPU:0"):
            rate = lrhooks.learning_rate(schedule=RATE)
        devices = {op.device for op in graph.get_operations()
                   if op.name.startswith(("learning_rate_window/", "lrhooks_global_step_read"))}
        assert devices == {"/job:localhost/replica:0/task:0/device:CPU:0"}, devices
        with tf1.Session(config=tf1.ConfigProto(allow_soft_placement=False)) as sess:
            sess.run(tf1.global_variables_initializer())
            assert sess.run(rate) == pytest.approx(RATE(0))


def test_an_evaluation_graph_reads_the_value_at_the_restored_step(tmp_path):
    """No train op, nothing increments the step: the value is schedule(restored step)."""
    path = str(tmp_path / "model.ckpt")
    train_and_save(path, STOP)
    with tf.Graph().as_default():  # the evaluation program rebuilds the model with its rate
        tf1.train.get_or_create_global_step()
        rate = lrhooks.learning_rate(schedule=RATE)
        weight = tf1.get_variable("w", initializer=1.0)
        summary = tf1.summary.scalar("learning_rate", rate)
        with tf1.Session() as sess:
            tf1.train.Saver().restore(sess, path)
            value, _, _ = sess.run([rate, weight, summary])
    assert RATE(STOP) != RATE(0) and value == pytest.approx(RATE(STOP), rel=1e-6)


def test_a_hand_written_update_without_a_step_increment_fails():
    """The step check follows the value into any update of a trainable variable."""
    with tf.Graph().as_default():
        tf1.train.get_or_create_global_step()
        rate = lrhooks.learning_rate(schedule=RATE)
        weight = tf1.get_variable("w", initializer=1.0)
        gradient, = tf.gradients(tf.square(weight), [weight])
        train_op = weight.assign_sub(rate * gradient)  # an optimizer written by hand
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            with pytest.raises(tf.errors.InvalidArgumentError,
                               match=r"StepNotIncrementedError: nothing in the graph increments"):
                sess.run(train_op)
            assert sess.run(weight) == 1.0


def test_restore_inside_a_live_session_is_exact(tmp_path):
    path = str(tmp_path / "model.ckpt")
    with tf.Graph().as_default():
        model = build()
        saver = tf1.train.Saver()
        with tf1.Session() as sess:
            initialize(sess)
            for _ in range(STOP):
                sess.run(model.train_op)
            saver.save(sess, path)
            for _ in range(5):
                sess.run(model.train_op)
            saver.restore(sess, path)  # the step goes back to 6; the window stays filled
            for _ in range(4):
                sess.run(model.train_op)
    records = model.optimizer.records
    assert [r[0] for r in records] == list(range(11)) + [6, 7, 8, 9]
    assert all(lr == pytest.approx(RATE(step), rel=1e-6) for step, lr, _ in records)


def test_supervisor_across_stop_and_restore(tmp_path):
    logdir = str(tmp_path / "sv")
    records = []
    for last in (STOP, LAST):
        with tf.Graph().as_default():
            model = build(MOMENTUM)
            supervisor = tf1.train.Supervisor(logdir=logdir, global_step=model.global_step,
                                              save_model_secs=0, save_summaries_secs=0,
                                              summary_op=None)
            with supervisor.managed_session() as sess:
                while sess.run(model.global_step) < last:
                    sess.run(model.train_op)
                supervisor.saver.save(sess, os.path.join(logdir, "model.ckpt"),
                                      global_step=model.global_step)
        records += model.optimizer.sorted_records()
    assert_exact(records, 0, LAST, MOMENTUM)


def run_monitored(checkpoint_dir, last_step, evaluate_every=0, hooks=(), momentum=MOMENTUM):
    with tf.Graph().as_default():
        model = build(momentum)
        with tf1.train.MonitoredTrainingSession(
                checkpoint_dir=checkpoint_dir, save_summaries_steps=None,
                save_checkpoint_secs=None, save_checkpoint_steps=1000, log_step_count_steps=None,
                hooks=[tf1.train.StopAtStepHook(last_step=last_step), *hooks]) as sess:
            runs = 0
            while not sess.should_stop():
                if evaluate_every and runs % evaluate_every == 0:
                    sess.run(model.loss)  # an evaluation through the same session
                sess.run(model.train_op)
                runs += 1
    return model.optimizer.sorted_records()


@pytest.mark.parametrize("evaluate_every", [0, 2])
def test_monitored_training_session_across_stop_and_restore(tmp_path, evaluate_every):
    records = run_monitored(str(tmp_path), STOP, evaluate_every)
    records += run_monitored(str(tmp_path), LAST, evaluate_every)
    assert_exact(records, 0, LAST, MOMENTUM)


def test_a_setter_hook_given_for_a_self_driving_rate_is_accepted(tmp_path):
    hook = lrhooks.LearningRateSetterHook(RATE)
    records = run_monitored(str(tmp_path), LAST, hooks=[hook], momentum=None)
    assert hook.mode == "graph"
    assert_exact(records, 0, LAST)


def test_a_setter_hook_with_another_schedule_fails_in_one_line():
    with tf.Graph().as_default():
        build()
        hook = lrhooks.LearningRateSetterHook(schedules.constant(0.5))
        with pytest.raises(ValueError, match=r"^`schedule` constant\(learning_rate=0.5\) differs "
                                             r"from the schedule .* that 'learning_rate_window/"
                                             r"learning_rate:0' was made with; drop the hook") as e:
            hook.begin()
    assert "\n" not in str(e.value)


# --------------------------------------------------------- the step variable
def test_unregistered_step_fails_in_one_line_showing_both_fixes():
    with tf.Graph().as_default():
        tf.Variable(0, trainable=False, dtype=tf.int64)  # the tutorial CNN's global_step
        with pytest.raises(ValueError, match=(
                r"^`global_step` is None and the graph has no registered global step: call "
                r"`tf.compat.v1.train.get_or_create_global_step\(\)` before building the model, "
                r"or pass `global_step=your_step_variable`$")):
            lrhooks.learning_rate(schedule=RATE)
        assert tf1.train.get_global_step() is None  # none was created behind the user's back


def test_unregistered_step_passed_as_global_step_is_exact():
    with tf.Graph().as_default():
        global_step = tf.Variable(0, trainable=False, dtype=tf.int64)
        model = build(MOMENTUM, global_step=global_step)
        with tf1.Session() as sess:
            initialize(sess)
            for _ in range(LAST):
                sess.run(model.train_op)
    assert_exact(model.optimizer.sorted_records(), 0, LAST, MOMENTUM)


# cifar10's float32 step: `tf.compat.v1.get_variable('global_step', [], trainable=False, ...)`,
# which TF's own decays accept.
FLOAT_STEPS = {"float32 registered": (tf.float32, True, True),
               "float32 passed as global_step=": (tf.float32, False, True),
               "float64 registered": (tf.float64, True, True),
               "float32 ref variable registered": (tf.float32, True, False)}


def float_step(dtype=tf.float32, registered=True, use_resource=True) -> tf.Variable:
    collections = [tf1.GraphKeys.GLOBAL_VARIABLES] + ([tf1.GraphKeys.GLOBAL_STEP] if registered
                                                      else [])
    return tf1.get_variable("global_step", [], dtype=dtype, trainable=False,
                            initializer=tf1.zeros_initializer(), use_resource=use_resource,
                            collections=collections)


@pytest.mark.parametrize("kind", FLOAT_STEPS)
def test_a_float_step_is_exact_across_stop_and_restore(tmp_path, kind):
    dtype, registered, use_resource = FLOAT_STEPS[kind]
    path = str(tmp_path / "model.ckpt")
    records = []
    for steps in (STOP, LAST):
        with tf.Graph().as_default():
            step = float_step(dtype, registered, use_resource)
            model = build(MOMENTUM, global_step=step, pass_step=not registered)
            assert lrhooks.graph.rate_tensor.source_of(model.rate).global_step is step
            saver = tf1.train.Saver()
            with tf1.Session() as sess:
                initialize(sess)
                if steps == LAST:
                    saver.restore(sess, path)
                while sess.run(step) < steps:
                    sess.run(model.train_op)
                saver.save(sess, path)
        records += model.optimizer.sorted_records()
    assert_exact(records, 0, LAST, MOMENTUM)


def test_a_float_step_named_global_step_gets_advice_that_works():
    with tf.Graph().as_default():
        step = float_step(registered=False)
        with pytest.raises(ValueError, match=r"^`global_step` is None and the graph has a "
                           r"variable named 'global_step' that is not registered .*pass it as "
                           r"`global_step=` or register it with"):
            lrhooks.learning_rate(schedule=RATE)
        assert lrhooks.learning_rate(schedule=RATE, global_step=step).dtype == tf.float32
        tf1.add_to_collection(tf1.GraphKeys.GLOBAL_STEP, step)
        rate = lrhooks.learning_rate("registered", schedule=RATE)
        assert lrhooks.graph.rate_tensor.source_of(rate).global_step is step


@pytest.mark.parametrize("value, message", [
    (2.5, r"ValueError: `global_step` 'global_step' is float32 and holds 2.5, not a whole "
          r"step: move it by whole numbers only, or make it an integer variable"),
    (2.0 ** 24, r"ValueError: `global_step` 'global_step' is float32 and holds 16777216.0, "
                r"where float32 can no longer count by one \(from 16777216\): make it an "
                r"integer variable"),
])
def test_a_float_step_that_is_not_a_whole_countable_step_fails_in_one_line(value, message):
    with tf.Graph().as_default():
        step = float_step()
        rate = lrhooks.learning_rate(schedule=RATE, table_size=3)
        with tf1.Session() as sess:
            initialize(sess)
            sess.run(step.assign(value - 1.0 if value > 3 else 2.0))
            assert sess.run(rate) == pytest.approx(RATE(int(sess.run(step))))
            sess.run(step.assign(value))  # in the window of the run before: still refused
            with pytest.raises(tf.errors.InvalidArgumentError, match=message):
                sess.run(rate)


def test_a_step_nothing_increments_fails_before_the_first_update():
    with tf.Graph().as_default():
        global_step = tf1.train.get_or_create_global_step()
        rate = lrhooks.learning_rate(schedule=RATE)
        weight = tf1.get_variable("w", initializer=1.0)
        train_op = tf1.train.GradientDescentOptimizer(rate).minimize(tf.square(weight))  # no step
        with tf1.Session() as sess:
            initialize(sess)
            with pytest.raises(tf.errors.InvalidArgumentError, match=(
                    r"StepNotIncrementedError: nothing in the graph increments `global_step` "
                    r"'global_step' that 'learning_rate_window/learning_rate:0' is computed "
                    r"from: pass the variable your train op increments as `global_step=`")):
                sess.run(train_op)
            assert sess.run(weight) == 1.0  # nothing was updated


class MultistepAdam(tf1.train.AdamOptimizer):
    """tensor2tensor's MultistepAdamOptimizer pattern: each variable's update runs inside a
    `tf.cond` (on one run of every `n`), and a program calls `minimize(loss)` with no step."""

    def __init__(self, learning_rate, n: int):
        super().__init__(learning_rate)
        self._n = n

    def _create_slots(self, var_list):
        super()._create_slots(var_list)
        self._runs = tf1.get_variable("runs", initializer=0, trainable=False)

    def _resource_apply_dense(self, grad, var):
        apply_now = tf.equal(tf.math.floormod(self._runs, self._n), self._n - 1)
        parent = super(MultistepAdam, self)
        return tf1.cond(apply_now, lambda: parent._resource_apply_dense(grad, var), tf.no_op)

    def _finish(self, update_ops, name_scope):
        with tf.control_dependencies(update_ops):
            count = self._runs.assign_add(1)
        return super()._finish([count], name_scope)


@pytest.mark.parametrize("control_flow", ["v2", "v1"])
def test_an_update_inside_a_cond_that_moves_no_step_fails_in_one_line(control_flow):
    was_v2 = tf1.control_flow_v2_enabled()
    if control_flow == "v1":
        tf1.disable_control_flow_v2()
    try:
        with tf.Graph().as_default():
            tf1.train.get_or_create_global_step()
            rate = lrhooks.learning_rate(schedule=schedules.warmup(
                schedules.constant(0.1), warmup_steps=10))  # schedule(0) is 0: nothing would train
            weight = tf1.get_variable("w", initializer=1.0)
            train_op = MultistepAdam(rate, n=2).minimize(tf.square(weight))  # no step
            with tf1.Session() as sess:
                initialize(sess)
                with pytest.raises(tf.errors.InvalidArgumentError, match=(
                        r"StepNotIncrementedError: nothing in the graph increments `global_step` "
                        r"'global_step' that 'learning_rate_window/learning_rate:0' is computed "
                        r"from: pass the variable your train op increments as `global_step=`")):
                    sess.run(train_op)
    finally:
        if was_v2:
            tf1.enable_control_flow_v2()


@pytest.fixture(params=["v2", "v1"])
def control_flow(request):
    """TF2 control flow (the default), and TF1's for graphs built inside the test."""
    if request.param == "v1":
        tf1.disable_control_flow_v2()
    yield request.param
    tf1.enable_control_flow_v2()


def fix_line(error):
    """What docs/tf1-codebase.md gives: the first line that starts with the error's class name."""
    return next(line for line in str(error).splitlines()
                if line.startswith(("UnscheduledValueError: ", "StepNotIncrementedError: ")))


def test_an_unscheduled_rate_without_a_hook_names_the_fix(control_flow):
    with tf.Graph().as_default():
        tf1.train.get_or_create_global_step()
        rate = lrhooks.learning_rate()
        types = {op.type for op in tf1.get_default_graph().get_operations()}
        assert ("Merge" in types) == (control_flow == "v1")  # TF1's cond, not an If
        with tf1.Session() as sess:
            initialize(sess)
            with pytest.raises(tf.errors.InvalidArgumentError, match=(
                    r"UnscheduledValueError: scheduled value 'learning_rate_window/"
                    r"learning_rate:0' has no schedule: make it with `lrhooks.learning_rate"
                    r"\(schedule=...\)` \(or `scheduled_value\('learning_rate', schedule\)`\), "
                    r"or pass `lrhooks.LearningRateSetterHook\(schedule\)`")) as raised:
                sess.run(rate)
    # What docs/tf1-codebase.md shows: TensorFlow's first line, an empty line; with TF2 control flow
    # lrhooks' one line is the third, with TF1 control flow it follows the node's stack.
    lines = str(raised.value).splitlines()
    assert lines[:2] == ["Graph execution error:", ""]
    line = fix_line(raised.value)
    assert line.startswith("UnscheduledValueError: scheduled value ") and line.endswith(
        "in the session's hooks")
    if control_flow == "v2":
        assert lines[2] == line
    else:
        assert lines[2] == ("Detected at node 'learning_rate_window/cond/schedule_fallback' "
                            "defined at (most recent call last):")
        position = lines.index(line)
        assert lines[position - 1] == "Node: 'learning_rate_window/cond/schedule_fallback'"
        assert all(frame.startswith("    File ") for frame in lines[3:position - 1])


@pytest.mark.parametrize("kwargs, error, pattern", [
    ({"name": RATE}, TypeError,
     r"^`name` must be a non-empty string, got .* \(pass the schedule as `schedule=`\)$"),
    ({"name": ""}, ValueError, r"^`name` must be a non-empty string, got ''$"),
    ({"name": "momentum", "schedule": 0.9}, TypeError,
     r"^`schedule` must be callable as schedule\(step\) -> value, got 0.9$"),
    ({"name": "momentum", "global_step": 3}, TypeError,
     r"^`global_step` must be an integer or floating tf.Variable, got 3$"),
])
def test_scheduled_value_argument_errors(kwargs, error, pattern):
    with tf.Graph().as_default():
        tf1.train.get_or_create_global_step()
        with pytest.raises(error, match=pattern):
            lrhooks.scheduled_value(**kwargs)


def test_global_step_of_another_graph_is_refused():
    with tf.Graph().as_default():
        other = tf1.train.get_or_create_global_step()
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match=r"^`global_step` 'global_step' belongs to another "
                                             r"graph$"):
            lrhooks.scheduled_value("momentum", MOMENTUM, global_step=other)


# ------------------------------------------------------------------ plateau
def test_plateau_reduction_applies_from_the_next_run_without_a_setter_hook(tmp_path):
    plateau = lrhooks.plateau.ReduceLROnPlateau(0.1, factor=0.5, patience=0)
    with tf.Graph().as_default():
        global_step = tf1.train.get_or_create_global_step()
        rate = lrhooks.learning_rate(schedule=plateau, table_size=8)
        weight = tf1.get_variable("w", initializer=1.0)
        metric = tf1.get_variable("metric", initializer=1.0, trainable=False)  # never improves
        optimizer = RecordingMomentum(rate, 0.9, global_step)
        train_op = optimizer.minimize(tf.square(weight - 3.0), global_step=global_step)
        hook = lrhooks.plateau.PlateauHook(plateau, metric=metric, every_n_steps=3)
        with tf1.train.MonitoredSession(hooks=[hook]) as sess:
            for _ in range(10):
                sess.run(train_op)
    # Reports at steps 3, 6, 9: the first sets `best`, each later one halves the rate.
    applied = {step: lr for step, lr, _ in optimizer.sorted_records()}
    assert applied == pytest.approx({0: 0.1, 1: 0.1, 2: 0.1, 3: 0.1, 4: 0.1, 5: 0.1,
                                     6: 0.05, 7: 0.05, 8: 0.05, 9: 0.025})


# -------------------------------------------------------- telemetry, by name
def test_log_hook_and_summary_hook_show_every_scheduled_value_by_name(tmp_path):
    lines = []
    with tf.Graph().as_default():
        model = build(MOMENTUM)
        hooks = [lrhooks.TrainingLogHook(model.loss, every_n_steps=3, progress="never",
                                         log_fn=lines.append),
                 lrhooks.LearningRateSummaryHook(str(tmp_path), every_n_steps=3)]
        with tf1.train.MonitoredSession(hooks=hooks) as sess:
            for i in range(7):
                sess.run(model.loss)  # evaluations: never logged nor recorded
                sess.run(model.train_op)
    # Labels are the step a run leaves (the first run, then multiples of 3).
    assert [line.split("  ")[:3] for line in lines] == [
        ["step 1", "lr 0.1", "momentum 0.9"], ["step 3", "lr 0.1", "momentum 0.9"],
        ["step 6", "lr 0.01", "momentum 0.9"]]  # the run from 5 to 6 applied MOMENTUM(5)
    for tag, schedule in (("learning_rate", RATE), ("momentum", MOMENTUM)):
        series = scalar_points(tmp_path, tag)
        assert [label for label, _ in series] == [1, 3, 6]
        for label, value in series:
            assert value == pytest.approx(schedule(label - 1), rel=1e-6), (tag, label)


def test_rate_summary_tags_each_value_by_its_name_and_classic_summary_is_exact():
    with tf.Graph().as_default() as graph:
        model = build(MOMENTUM)
        classic = tf1.summary.scalar("learning_rate", model.rate)  # the classic programs' line
        mine = lrhooks.rate_summary(model.momentum)
        with tf1.Session() as sess:
            initialize(sess)
            protos = [tf1.Summary.FromString(s) for s in sess.run([classic, mine])]
    assert [v.tag for p in protos for v in p.value] == ["learning_rate", "momentum"]
    assert graph.get_collection(lrhooks.SCHEDULED_VALUE_COLLECTION) == [model.rate,
                                                                        model.momentum]
    assert graph.get_collection(lrhooks.LEARNING_RATE_COLLECTION) == [model.rate]


def test_training_log_hook_prints_without_absl_flags():
    stream = io.StringIO()
    log_line("step 3  lr 0.1", stream)  # no logging set up (absl: before flags are parsed)
    assert stream.getvalue() == "step 3  lr 0.1\n"


def test_no_deprecation_warning_is_logged(caplog):
    with tf.Graph().as_default():
        model = build(MOMENTUM)
        with tf1.Session() as sess:
            initialize(sess)
            sess.run(model.train_op)
    assert not [r for r in caplog.records if "deprecat" in r.getMessage().lower()]


# ----------------------------------------------- queue-runner-consumed rates
def build_sync_replicas(rate):
    global_step = tf1.train.get_or_create_global_step()
    weight = tf1.get_variable("w", initializer=1.0)
    optimizer = tf1.train.SyncReplicasOptimizer(tf1.train.GradientDescentOptimizer(rate),
                                                replicas_to_aggregate=1, total_num_replicas=1)
    return optimizer, optimizer.minimize(tf.square(weight), global_step=global_step)


@pytest.mark.parametrize("kind", ["placeholder", "variable"])
def test_a_fed_or_variable_rate_that_only_queue_runners_apply_fails_in_one_line(kind):
    with tf.Graph().as_default():
        rate = (tf1.placeholder(tf.float32, [], name="lr") if kind == "placeholder" else
                tf1.get_variable("lr", initializer=0.1, trainable=False))
        build_sync_replicas(rate)
        hook = lrhooks.LearningRateSetterHook(RATE, rate)
        with pytest.raises(ValueError, match=(
                r"^`learning_rate` 'lr(:0)?' is consumed by ops that a queue runner runs \(e.g. "
                r"SyncReplicasOptimizer's chief queue runner\), which no hook can feed or time: "
                r"make the rate with `lrhooks.learning_rate\(schedule=...\)`$")):
            hook.begin()


def test_an_unscheduled_rate_beside_any_lrhooks_hook_fails_before_the_first_run():
    """Any lrhooks hook's session start checks the rates (after every begin()): one line, unwrapped."""
    with tf.Graph().as_default():
        global_step = tf1.train.get_or_create_global_step()
        rate = lrhooks.learning_rate()  # no schedule, and no LearningRateSetterHook below
        weight = tf1.get_variable("w", initializer=1.0)
        loss = tf.square(weight - 3.0)
        train_op = tf1.train.GradientDescentOptimizer(rate).minimize(loss, global_step=global_step)
        hook = lrhooks.TrainingLogHook(loss, every_n_steps=1, log_fn=lambda line: None)
        with pytest.raises(lrhooks.UnscheduledValueError) as raised:
            with tf1.train.MonitoredSession(hooks=[hook]) as sess:
                sess.run(train_op)
    assert str(raised.value) == (
        "scheduled value 'learning_rate_window/learning_rate:0' has no schedule: make it with "
        "`lrhooks.learning_rate(schedule=...)` (or `scheduled_value('learning_rate', schedule)`), "
        "or pass `lrhooks.LearningRateSetterHook(schedule)` in the session's hooks")


def test_an_unscheduled_value_of_a_graph_nothing_trains_is_left_alone():
    """An evaluation graph (no step increment) may hold an unscheduled rate it never runs."""
    with tf.Graph().as_default():
        tf1.train.get_or_create_global_step()
        lrhooks.learning_rate()
        weight = tf1.get_variable("w", initializer=1.0)
        loss = tf.square(weight - 3.0)
        hook = lrhooks.TrainingLogHook(loss, every_n_steps=1, log_fn=lambda line: None)
        with tf1.train.MonitoredSession(hooks=[hook]) as sess:
            assert sess.run(loss) == 4.0


def test_an_unregistered_resource_step_named_global_step_is_one_line_naming_the_fix():
    # The tutorial pattern: TF's own get_global_step finds this variable by name and raises
    # `TypeError: Existing "global_step" does not have integer type: <dtype: 'resource'>`.
    schedule = lrhooks.schedules.constant(0.1)
    with tf.Graph().as_default():
        step = tf.compat.v1.Variable(0, trainable=False, name="global_step", use_resource=True)
        with pytest.raises(ValueError, match=r"^`global_step` is None and the graph has a "
                           r"variable named 'global_step' that is not registered .*pass it as "
                           r"`global_step=`"):
            lrhooks.learning_rate(schedule=schedule)
        with pytest.raises(RuntimeError, match=r"^LearningRateSetterHook: the graph has a "
                           r"variable named 'global_step' that is not registered"):
            lrhooks.LearningRateSetterHook(schedule, learning_rate=tf.constant(0.1)).begin()
        rate = lrhooks.learning_rate(schedule=schedule, global_step=step)  # the fix works
        hook = lrhooks.LearningRateSetterHook(schedule)
        hook.begin()  # finds the step through the scheduled value
        assert rate.dtype == tf.float32
