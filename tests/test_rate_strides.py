"""A self-driving rate whose step moves by more than one per run: exact, and Python rarely runs.

Programs whose step is a frame counter (IMPALA's learner adds 80 to 12,800 per
run) or moves once per several runs (gradient accumulation) read the rate at
steps far apart. Every update records the `lr` its apply op received
(`tests.support.recording`), compared with `schedule(step at the start of the
run)`, across a save, a restore inside the live session (the step jumps back)
and a restore into a new graph; and `RateSource.fallback_count` (how many runs
called Python) stays O(runs / table_size) wherever the steps follow a pattern.
"""

import math
import random

import pytest
import tensorflow as tf

import lrhooks
from lrhooks import schedules
from lrhooks.graph import rate_tensor
from tests.support.recording import RecordingMomentum

tf1 = tf.compat.v1

SIZE = 8  # table_size: small, so that a run of a few hundred steps crosses many windows
FRAMES = 12_800
RATE = schedules.cosine_decay(0.1, 300 * FRAMES, alpha=0.01)  # a new value at every step


class StridedModel:
    """A one-weight model whose step moves, after the update, by the `stride` fed to each run."""

    def __init__(self, schedule=RATE):
        self.global_step = tf1.train.get_or_create_global_step()
        self.rate = lrhooks.learning_rate(schedule=schedule, table_size=SIZE)
        self.source = rate_tensor.source_of(self.rate)
        weight = tf1.get_variable("w", initializer=1.0)
        self.optimizer = RecordingMomentum(self.rate, 0.9, self.global_step)
        update = self.optimizer.minimize(tf.square(weight - 3.0))
        self.stride = tf1.placeholder(tf.int64, [])
        with tf.control_dependencies([update]):  # as IMPALA's learner moves its frame counter
            self.train_op = self.global_step.assign_add(self.stride)

    def run(self, session, strides):
        for stride in strides:
            session.run(self.train_op, {self.stride: stride})


def assert_exact(records, schedule=RATE):
    assert records, "no update ran"
    wrong = [(step, lr, schedule(step)) for step, lr, _ in records
             if lr != pytest.approx(schedule(step), rel=1e-6)]
    assert not wrong, wrong[:5]


def accumulation(runs, every, frames):
    """The step moves by `frames` on every `every`-th run only (gradient accumulation)."""
    return [frames if i % every == every - 1 else 0 for i in range(runs)]


# Each pattern is a list of phases; within a phase the strides share their gcd.
PATTERNS = {
    "frames per run": [[FRAMES] * 160],
    "accumulation every 6 runs": [accumulation(480, 6, FRAMES)],
    "varying strides": [[random.Random(i).choice([80, 160, 240, 400]) for i in range(160)]],
    "stride changes mid-run": [[1] * 40, [FRAMES] * 60, [80] * 60],
}
LEARNING = 4  # windows a phase may fill while its stride is learned (two jumps, a refinement)


def windows_needed(phases):
    """How many windows cover `phases` once each phase's stride is learned, plus the learning.

    A window of `SIZE` steps `stride` apart is left only by a step past its span,
    so a phase needs at most `distance / (stride * SIZE)` windows.
    """
    needed = 0
    for strides in phases:
        moves = [s for s in strides if s]
        needed += sum(moves) / (math.gcd(*moves) * SIZE) + LEARNING
    return needed


def second_half(phases):
    runs = [(i, s) for i, strides in enumerate(phases) for s in strides]
    half = runs[len(runs) // 2:]
    return [[s for i, s in half if i == phase] for phase in sorted({i for i, _ in half})]


@pytest.mark.parametrize("pattern", PATTERNS, ids=str)
def test_strided_steps_are_exact_across_stop_and_restores(tmp_path, pattern):
    """Exact at every update; Python runs O(distance / (stride * table_size)) times."""
    phases = PATTERNS[pattern]
    strides = [s for phase in phases for s in phase]
    half = len(strides) // 2
    with tf.Graph().as_default():
        model = StridedModel()
        saver = tf1.train.Saver()
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            model.run(session, strides[:half])
            path = saver.save(session, str(tmp_path / "model"))
            model.run(session, strides[half:])
            saver.restore(session, path)  # back to the saved step; the window stays filled
            model.run(session, strides[half:])
        records, calls = model.optimizer.sorted_records(), model.source.fallback_count
    with tf.Graph().as_default():  # a new program restores and trains on
        restored = StridedModel()
        with tf1.Session() as session:
            tf1.train.Saver().restore(session, path)
            restored.run(session, strides[half:])
        records += restored.optimizer.sorted_records()
    assert len(records) == half + 3 * (len(strides) - half)
    assert_exact(records)
    assert calls <= windows_needed(phases) + windows_needed(second_half(phases)), calls
    assert restored.source.fallback_count <= windows_needed(second_half(phases))


def test_a_constant_stride_calls_python_once_per_table_size_runs():
    with tf.Graph().as_default():
        model = StridedModel()
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            model.run(session, [FRAMES] * 40 * SIZE)
        assert model.source.stride == FRAMES
        assert model.source.fallback_count <= 40 + 2, model.source.fallback_count
        assert_exact(model.optimizer.sorted_records())


def test_steps_of_one_still_fill_consecutive_windows():
    with tf.Graph().as_default():
        model = StridedModel()
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            model.run(session, [1] * 10 * SIZE)
        assert model.source.stride == 1
        assert model.source.fallback_count == 10
        assert_exact(model.optimizer.sorted_records())


@pytest.mark.parametrize("gaps, stride", [
    ([FRAMES, FRAMES], FRAMES),          # two equal jumps: the stride
    ([6000, 10000], 2000),               # two unequal jumps: their gcd holds both
    ([FRAMES, FRAMES, 80], 80),          # a finer step inside the window refines it
    ([FRAMES, FRAMES, -5 * FRAMES], FRAMES),  # a restore back changes nothing
    ([FRAMES, 33], 1),                   # one jump, then another sharing no factor
])
def test_learned_stride(gaps, stride):
    source = rate_tensor.RateSource("lr", SIZE, None, RATE)
    step = 10 ** 6
    source.learn_stride(step)
    for gap in gaps:
        step += gap
        source.learn_stride(step)
    assert source.stride == stride


def test_a_window_far_out_stops_before_the_largest_step():
    source = rate_tensor.RateSource("lr", SIZE, None, schedules.constant(0.1))
    source.stride = 2 ** 61
    steps, values = source.window(2 ** 62)
    assert list(steps) == [2 ** 62, 2 ** 62 + 2 ** 61] and list(values) == [0.1, 0.1]


def test_a_window_stops_before_an_invalid_value_on_its_stride():
    def rate(step):
        return 0.1 if step < 50 else float("nan")

    source = rate_tensor.RateSource("lr", SIZE, None, rate)
    source.stride = 20
    steps, values = source.window(5)
    assert list(steps) == [5, 25, 45] and list(values) == [0.1, 0.1, 0.1]
