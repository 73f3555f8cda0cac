"""The classic hand-written rate hook next to lrhooks, on the same tiny model.

Trains a one-weight model for 12 steps with a piecewise-constant schedule,
stops, restores from the checkpoint and trains 4 more steps, and prints, for
each run, the step it started at, the rate the classic hook applied and the
rate `LearningRateSetterHook` applied. The classic hook applies a boundary
one run late whenever its step fetch reads the step before the run's increment
(a race; see docs/tf1-codebase.md), and restarts at the initial rate after the restore.
`multistep_decay` keeps the classic rule (`step < 4`: step 4 is the first at 0.01).

    python examples/drop_in.py [--train_dir DIR]
"""

import argparse
import tempfile

import tensorflow as tf

import lrhooks

tf1 = tf.compat.v1

MILESTONES = [4, 8]  # the first step at 0.01 and at 0.001


class ClassicLearningRateSetterHook(tf1.train.SessionRunHook):
    """What TF1 codebases carry (tensorflow/models resnet_main.py, adapted)."""

    def __init__(self, rate, global_step):
        self._rate, self._global_step = rate, global_step

    def begin(self):
        self._lrn_rate = 0.1

    def before_run(self, run_context):
        return tf1.train.SessionRunArgs(self._global_step, feed_dict={self._rate: self._lrn_rate})

    def after_run(self, run_context, run_values):
        step = run_values.results
        self._lrn_rate = 0.1 if step < 4 else (0.01 if step < 8 else 0.001)


def train(train_dir: str, steps: int, use_lrhooks: bool):
    """Trains up to `steps`; returns [(start_step, applied_rate)] for each run."""
    with tf.Graph().as_default():
        global_step = tf1.train.get_or_create_global_step()
        if use_lrhooks:
            rate = lrhooks.learning_rate()  # in model code, instead of tf.constant/placeholder
            hook = lrhooks.LearningRateSetterHook(
                lrhooks.schedules.multistep_decay(0.1, MILESTONES, 0.1))
        else:
            rate = tf1.placeholder(tf.float32, [], name="lrn_rate")
            hook = ClassicLearningRateSetterHook(rate, global_step)
        weight = tf1.get_variable("w", initializer=1.0)
        # The step this run starts at, read before the optimizer increments it.
        started = tf.identity(global_step.read_value())
        with tf.control_dependencies([started]):
            train_op = tf1.train.GradientDescentOptimizer(rate).minimize(
                tf.square(weight), global_step=global_step)
        rows = []
        with tf1.train.MonitoredTrainingSession(
                checkpoint_dir=train_dir, hooks=[hook, tf1.train.StopAtStepHook(last_step=steps)],
                save_summaries_steps=None, log_step_count_steps=None) as sess:
            while not sess.should_stop():
                _, step, applied = sess.run([train_op, started, rate])
                rows.append((step, applied))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train_dir", default=None, help="default: a temporary directory")
    args = parser.parse_args()
    base = args.train_dir or tempfile.mkdtemp(prefix="lrhooks-example-")
    rows = {}
    for use_lrhooks in (False, True):
        train_dir = f"{base}/{'lrhooks' if use_lrhooks else 'classic'}"
        rows[use_lrhooks] = train(train_dir, 12, use_lrhooks) + train(train_dir, 16, use_lrhooks)
    schedule = lrhooks.schedules.multistep_decay(0.1, MILESTONES, 0.1)
    print("step  schedule  classic  lrhooks")
    for (step, classic), (_, exact) in zip(rows[False], rows[True]):
        mark = "" if abs(classic - schedule(step)) < 1e-9 else "  <- classic is wrong"
        print(f"{step:4d}  {schedule(step):8.4f}  {classic:7.4f}  {exact:7.4f}{mark}")
    assert all(abs(rate - schedule(step)) < 1e-7 for step, rate in rows[True])
    print(f"\nlrhooks applied schedule(step) on all {len(rows[True])} runs (restore at step 12 "
          "included).")


if __name__ == "__main__":
    main()
