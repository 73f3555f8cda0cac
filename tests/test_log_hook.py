"""TrainingLogHook: the log line, the live progress line, and when they appear."""

import io
import re

import pytest
import tensorflow as tf

import lrhooks
from lrhooks import log_hook, schedules
from lrhooks.step_trigger import StepTrigger
from tests.support import events

tf1 = tf.compat.v1
SCHEDULE = schedules.piecewise_constant([4], [0.1, 0.01])


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize("seconds, text", [(0, "0s"), (59.4, "59s"), (187, "3m07s"),
                                           (3720, "1h02m"), (-1, "?"), (float("inf"), "?")])
def test_format_duration(seconds, text):
    assert log_hook.format_duration(seconds) == text


def test_format_line_with_everything():
    line = log_hook.format_line(1200, 3500, {"lr": 0.1, "loss": 0.23456, "precision": 0.98},
                                steps_per_sec=12.3, batch_size=128)
    assert line == ("step 1200/3500 (34%)  lr 0.1  loss 0.2346  precision 0.98  12.3 steps/s  "
                    "1574 ex/s  ETA 3m07s")


def test_format_line_without_total_or_speed():
    assert log_hook.format_line(7, None, {"loss": 2.0}, None, None) == "step 7  loss 2"


def test_format_progress_bar():
    text = log_hook.format_progress(50, 100, {"lr": 0.1}, 10.0, width=60)
    assert text.startswith("50/100 [") and text.endswith("] lr 0.1 10 it/s ETA 5s")
    bar = text[text.index("[") + 1:text.index("]")]
    assert len(text) <= 60 and bar.count("#") == len(bar) // 2
    assert log_hook.format_progress(100, 100, {}, None, width=40).count(".") == 0


def test_live_progress_iff_the_stream_is_a_terminal(monkeypatch):
    assert log_hook.use_live_progress("auto", FakeTerminal())
    assert not log_hook.use_live_progress("auto", io.StringIO())
    assert not log_hook.use_live_progress("never", FakeTerminal())
    assert log_hook.use_live_progress("always", io.StringIO())
    # The library reads no environment: under CI the program passes "never".
    monkeypatch.setenv("CI", "true")
    assert log_hook.use_live_progress("auto", FakeTerminal())


def _train(hook, steps=10, extra_runs=False):
    with tf.Graph().as_default():
        global_step = tf1.train.get_or_create_global_step()
        rate = lrhooks.learning_rate()
        weight = tf1.get_variable("w", initializer=1.0)
        loss = tf.square(weight, name="loss")
        train_op = tf1.train.GradientDescentOptimizer(rate).minimize(loss,
                                                                     global_step=global_step)
        hooks = [lrhooks.LearningRateSetterHook(SCHEDULE), hook]
        with tf1.train.MonitoredSession(hooks=hooks) as sess:
            for _ in range(steps):
                if extra_runs:
                    sess.run(weight)
                sess.run(train_op)


@pytest.mark.parametrize("extra_runs", [False, True])
def test_logs_every_n_steps_with_the_applied_rate(extra_runs):
    lines = []
    hook = lrhooks.TrainingLogHook("loss", {"weight": "w"}, every_n_steps=3, batch_size=8,
                                   last_step=10, progress="never", log_fn=lines.append)
    _train(hook, extra_runs=extra_runs)
    steps = [int(re.match(r"step (\d+)/10", line).group(1)) for line in lines]
    # The first run, then the runs that reach a multiple of 3 (shown as steps done).
    assert steps == [1, 3, 6, 9]
    rates = [float(re.search(r"  lr (\S+)", line).group(1)) for line in lines]
    assert rates == [SCHEDULE(s - 1) for s in steps]
    assert all("loss " in line and "weight " in line for line in lines)
    assert all(re.search(r"steps/s  \d+ ex/s  ETA \S+$", line) for line in lines[1:])


def test_live_line_goes_to_the_terminal():
    terminal, lines = FakeTerminal(), []
    hook = lrhooks.TrainingLogHook("loss", every_n_steps=2, last_step=6, progress="always",
                                   stream=terminal, log_fn=lines.append)
    _train(hook, steps=6)
    output = terminal.getvalue()
    assert lines == []  # the live line replaces the log lines
    # The first run, then every 2 steps; step 6 is the last run's.
    assert re.findall(r"\r\x1b\[K(\d+)/6 \[", output) == ["1", "2", "4", "6"]
    assert output.endswith("\n")


def test_summaries_of_examples_per_second(tmp_path):
    hook = lrhooks.TrainingLogHook("loss", every_n_steps=2, batch_size=32, progress="never",
                                   output_dir=str(tmp_path), log_fn=lambda line: None)
    _train(hook, steps=6)
    tf1.summary.FileWriterCache.get(str(tmp_path)).flush()
    points = events.scalars(tmp_path, "examples/sec")
    assert [step for step, _ in points] == [2, 4, 6]  # from the second logged run on
    assert all(value > 0 for _, value in points)


@pytest.mark.parametrize("kwargs, error, pattern", [
    ({"progress": "fancy"}, ValueError,
     r"^`progress` must be one of 'auto', 'always', 'never', got 'fancy'$"),
    ({"batch_size": 0}, ValueError, r"^`batch_size` must be an integer > 0, got 0$"),
    ({"last_step": 2.5}, TypeError, r"^`last_step` must be an integer > 0, got 2.5$"),
    ({"every_n_steps": 0}, ValueError, r"^`every_n_steps` must be an integer > 0, got 0$"),
])
def test_argument_errors(kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        lrhooks.TrainingLogHook(**kwargs)


def test_unknown_tensor_name_is_reported_with_its_argument():
    with tf.Graph().as_default():
        tf1.train.get_or_create_global_step()
        hook = lrhooks.TrainingLogHook("los", progress="never")
        with pytest.raises(ValueError, match=r"`loss` 'los' is not a tensor or variable"):
            hook.begin()


def test_step_trigger_time_based(monkeypatch):
    now = [100.0]
    monkeypatch.setattr(log_hook.time, "monotonic", lambda: now[0])
    monkeypatch.setattr("lrhooks.step_trigger.time.monotonic", lambda: now[0])
    trigger = StepTrigger(every_n_secs=5.0)
    trigger.reset(0)
    assert trigger.should_fetch() and trigger.observe(0)  # the first run is due
    assert not trigger.should_fetch()
    now[0] += 5.0
    assert trigger.should_fetch() and trigger.observe(1)
