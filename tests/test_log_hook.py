"""TrainingLogHook: the log line, the live progress line, and when they appear."""

import io
import logging
import os
import re
import threading
import time

import pytest
import tensorflow as tf

import lrhooks
from lrhooks import schedules
from lrhooks.hooks import live_line
from lrhooks.hooks import training_log
from lrhooks.hooks.step_trigger import StepTrigger
from tests.support import events
from tests.support.terminal import render_terminal

tf1 = tf.compat.v1
SCHEDULE = schedules.piecewise_constant([4], [0.1, 0.01])


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


class SharedTerminal:
    """Two streams (stdout, stderr) writing to one terminal, in order."""

    def __init__(self):
        self.writes = []
        terminal = self

        class _Stream(FakeTerminal):
            def write(self, text):
                terminal.writes.append(text)
                return len(text)

        self.out, self.err = _Stream(), _Stream()

    def screen(self):
        return render_terminal("".join(self.writes))


@pytest.mark.parametrize("seconds, text", [(0, "0s"), (59.4, "59s"), (187, "3m07s"),
                                           (3720, "1h02m"), (-1, "?"), (float("inf"), "?")])
def test_format_duration(seconds, text):
    assert training_log.format_duration(seconds) == text


def test_format_line_with_everything():
    line = training_log.format_line(1200, 3500, {"lr": 0.1, "loss": 0.23456, "precision": 0.98},
                                steps_per_sec=12.3, batch_size=128)
    assert line == ("step 1200/3500 (34%)  lr 0.1  loss 0.2346  precision 0.98  12.3 steps/s  "
                    "1574 ex/s  ETA 3m07s")


def test_format_line_without_total_or_speed():
    assert training_log.format_line(7, None, {"loss": 2.0}, None, None) == "step 7  loss 2"


def test_format_line_with_the_epoch():
    line = training_log.format_line(1200, 3500, {"lr": 0.1, "loss": 0.23456}, steps_per_sec=12.3,
                                batch_size=128, epoch=2.56)
    assert line == ("step 1200/3500 (34%)  epoch 2.56  lr 0.1  loss 0.2346  12.3 steps/s  "
                    "1574 ex/s  ETA 3m07s")


@pytest.mark.parametrize("step, batch_size, examples_per_epoch, epochs", [
    (0, 64, 60000, 0.0), (1500, 64, 60000, 1.6), (375, 128, 48000, 1.0),
    (10, None, 60000, None), (10, 64, None, None)])
def test_epochs_done(step, batch_size, examples_per_epoch, epochs):
    assert training_log.epochs_done(step, batch_size, examples_per_epoch) == epochs


def test_format_progress_bar():
    text = training_log.format_progress(50, 100, {"lr": 0.1}, 10.0, width=70, epoch=0.5)
    assert text == " 50/100 epoch  0.50 [######......] lr 0.1        10 steps/s ETA 5s    "
    bar = text[text.index("[") + 1:text.index("]")]
    assert bar.count("#") == len(bar) // 2
    assert training_log.format_progress(100, 100, {}, None, width=40).count(".") == 0


def test_format_progress_on_a_narrow_terminal():
    """No room for a bar: the numbers alone; narrower still: the time left before the speed."""
    assert training_log.format_progress(50, 100, {"lr": 0.1}, 10.0, width=58, epoch=0.5) == (
        " 50/100 epoch  0.50 lr 0.1        10 steps/s ETA 5s       ")
    assert training_log.format_progress(50, 100, {"lr": 0.1}, 10.0, width=40, epoch=0.5) == (
        " 50/100 epoch  0.50 lr 0.1     ETA 5s   ")


def test_progress_fields_keep_their_places():
    """Values of every length (and no speed yet) give lines of one width, the bar in one place."""
    lines = [training_log.format_progress(step, 1500, values, speed, width=100,
                                          epoch=training_log.epochs_done(step, 64, 60000))
             for step, values, speed in [
                 (1, {"lr": 0.001, "loss": 2.392, "accuracy": 0.0625}, None),
                 (100, {"lr": 0.001, "loss": 0.3165, "accuracy": 0.9375}, 21.6),
                 (1100, {"lr": 0.00025, "loss": 0.08621, "accuracy": 1}, 135.1),
                 (1500, {"lr": 2.5e-05, "loss": 12.5, "accuracy": 0.5}, 7.0)]]
    assert {len(line) for line in lines} == {100}
    for mark in ("[", "]", "lr ", "loss ", "accuracy ", "ETA "):
        assert len({line.index(mark) for line in lines}) == 1, mark


def test_terminal_width_without_a_terminal():
    assert training_log.terminal_width(io.StringIO()) == training_log.MAX_LIVE_WIDTH
    assert training_log.terminal_width(io.StringIO(), maximum=70) == 70


def test_live_line_keeps_lines_printed_above_it():
    """Lines printed while the live line is drawn (to stdout or stderr of the same terminal)
    go above it, whole; the live line is redrawn below them at the same width."""
    terminal = SharedTerminal()
    live = training_log.LiveLine(terminal.out, width=30)
    live.print_above("before")  # nothing drawn yet: a plain line
    live.draw("1/10 [#.........]")
    live.print_above("saved a checkpoint")
    live.draw("5/10 [#####.....]")
    live.print_above("warning: disk almost full", terminal.err)
    live.finish()
    terminal.out.write("done\n")
    assert terminal.screen() == ["before", "saved a checkpoint", "warning: disk almost full",
                                 "5/10 [#####.....]".ljust(30), "done"]


def test_live_progress_iff_the_stream_is_a_terminal(monkeypatch):
    assert training_log.use_live_progress("auto", FakeTerminal())
    assert not training_log.use_live_progress("auto", io.StringIO())
    assert not training_log.use_live_progress("never", FakeTerminal())
    assert training_log.use_live_progress("always", io.StringIO())
    # The library reads no environment: under CI the program passes "never".
    monkeypatch.setenv("CI", "true")
    assert training_log.use_live_progress("auto", FakeTerminal())


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
                                   stream=terminal, log_fn=lines.append, batch_size=4,
                                   examples_per_epoch=8, width=90, clock=lambda: 0.0)
    _train(hook, steps=6)
    output = terminal.getvalue()
    # The log lines still go to log_fn (the program prints them above the live line).
    assert [line.split("  ")[0] for line in lines] == [
        "step 1/6 (17%)", "step 2/6 (33%)", "step 4/6 (67%)", "step 6/6 (100%)"]
    # No time passes on this clock: drawn on the logged runs only, 3 epochs of 8 examples.
    assert re.findall(r"\r\x1b\[K(\d+)/6 epoch +(\S+) \[", output) == [
        ("1", "0.50"), ("2", "1.00"), ("4", "2.00"), ("6", "3.00")]
    # The last step was logged: its line says it all, the live line is erased.
    assert output.endswith("\r\x1b[K") and render_terminal(output) == []


class _LineEveryStep(tf1.train.SessionRunHook):
    """Prints a line through the log hook after every run (as a program's other lines)."""

    def __init__(self, log_hook_):
        self._hook, self._runs = log_hook_, 0

    def after_run(self, run_context, run_values):
        self._runs += 1
        self._hook.write_line(f"line {self._runs}")


def test_program_lines_go_above_the_live_line():
    terminal = SharedTerminal()
    hook = lrhooks.TrainingLogHook("loss", every_n_steps=3, last_step=5, progress="always",
                                   stream=terminal.out, width=70)
    with tf.Graph().as_default():
        global_step = tf1.train.get_or_create_global_step()
        train_op = tf1.assign_add(global_step, 1)
        loss = tf.constant(0.5, name="loss")
        with tf1.train.MonitoredSession(hooks=[hook, _LineEveryStep(hook)]) as sess:
            for _ in range(4):
                sess.run([train_op, loss])
    screen = terminal.screen()
    # Every line whole and in order (the log lines too, above the live line); step 4 was
    # not logged, so the live line stays, at the last step, 70 wide.
    assert [line.split("  ")[0] for line in screen[:-1]] == [
        "step 1/5 (20%)", "line 1", "line 2", "step 3/5 (60%)", "line 3", "line 4"]
    assert screen[-1].startswith("4/5 [") and len(screen[-1]) == 70


def test_write_line_without_a_live_line_goes_to_log_fn_or_the_stream():
    lines, stream = [], io.StringIO()
    hook = lrhooks.TrainingLogHook("loss", progress="never", log_fn=lines.append)
    hook.write_line("a")
    hook.write_line("b", stream)
    assert lines == ["a"] and stream.getvalue() == "b\n"


def test_log_lines_go_through_the_lrhooks_logger_when_logging_shows_them(caplog):
    """As in an absl program after `app.run` (absl's handler on the root logger), or after
    `logging.basicConfig(level=logging.INFO)`: the line is an INFO record of `lrhooks`."""
    stream = io.StringIO()
    with caplog.at_level(logging.INFO, logger="lrhooks"):
        training_log.log_line("step 3  lr 0.1", stream)
    assert [(r.name, r.levelno, r.getMessage()) for r in caplog.records] == [
        ("lrhooks", logging.INFO, "step 3  lr 0.1")]
    assert stream.getvalue() == ""
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="lrhooks"):  # INFO not shown: the stream
        training_log.log_line("step 4  lr 0.1", stream)
    assert caplog.records == [] and stream.getvalue() == "step 4  lr 0.1\n"


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
    ({"examples_per_epoch": 0}, ValueError,
     r"^`examples_per_epoch` must be an integer > 0, got 0$"),
    ({"width": -1}, ValueError, r"^`width` must be an integer > 0, got -1$"),
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
    monkeypatch.setattr(training_log.time, "monotonic", lambda: now[0])
    monkeypatch.setattr("lrhooks.hooks.step_trigger.time.monotonic", lambda: now[0])
    trigger = StepTrigger(every_n_secs=5.0)
    trigger.reset(0)
    assert trigger.should_fetch() and trigger.observe(0)  # the first run is due
    assert not trigger.should_fetch()
    now[0] += 5.0
    assert trigger.should_fetch() and trigger.observe(1)


# ------------------------------------------------ the live line on time, running means
class StepClock(tf1.train.SessionRunHook):
    """A fake clock each run moves on by `seconds` (the run's length); put it first."""

    def __init__(self, seconds):
        self.now, self.seconds = 0.0, seconds

    def __call__(self):
        return self.now

    def before_run(self, run_context):
        self.now += self.seconds


class FetchEveryRun(tf1.train.SessionRunHook):
    """Records what `tensors` (name -> tensor name) were in every run, as fetched with it."""

    def __init__(self, **tensors):
        self._names, self.runs = tensors, []

    def before_run(self, run_context):
        return tf1.train.SessionRunArgs(self._names)

    def after_run(self, run_context, run_values):
        self.runs.append(run_values.results)


def _frames(output):
    """The step of each live-line frame drawn in `output`."""
    return [int(step) for step in re.findall(r"\r\x1b\[K *(\d+)/", output)]


def test_live_line_is_redrawn_about_once_a_second():
    """Runs of 0.25 s: a frame when a run ends >= 1 s after the last one (steps 1, 5, 9, 13,
    17), none in between, and on the logged last step 20; each shows the step just trained."""
    terminal, clock = FakeTerminal(), StepClock(0.25)
    hook = lrhooks.TrainingLogHook("loss", every_n_steps=100, last_step=20, progress="always",
                                   stream=terminal, log_fn=lambda line: None, width=90,
                                   clock=clock)
    with tf.Graph().as_default():
        global_step = tf1.train.get_or_create_global_step()
        train_op = tf1.assign_add(global_step, 1)
        loss = tf.identity(tf.cast(global_step.read_value(), tf.float32), name="loss")
        with tf1.train.MonitoredSession(hooks=[clock, hook]) as sess:
            for _ in range(20):
                sess.run([train_op, loss])
    assert _frames(terminal.getvalue()) == [1, 5, 9, 13, 17, 20]


def test_log_lines_show_the_means_of_every_step_since_the_previous_line():
    lines = []
    hook = lrhooks.TrainingLogHook("loss", {"accuracy": "accuracy", "vector": "v"},
                                   every_n_steps=3, progress="never", log_fn=lines.append)
    with tf.Graph().as_default():
        global_step = tf1.train.get_or_create_global_step()
        weight = tf1.get_variable("w", initializer=1.0)
        loss = tf.square(weight, name="loss")
        tf.cast(loss < 0.2, tf.float32, name="accuracy")  # 0 or 1, as one batch's
        tf.stack([loss, 2 * loss], name="v")  # not a scalar: the logged run's value
        train_op = tf1.train.GradientDescentOptimizer(0.1).minimize(loss,
                                                                    global_step=global_step)
        seen = FetchEveryRun(loss="loss:0", accuracy="accuracy:0")
        with tf1.train.MonitoredSession(hooks=[hook, seen]) as sess:
            for _ in range(9):
                sess.run(train_op)
    # Logged: the first run, then steps 3, 6, 9: windows of 1, 2, 3 and 3 runs.
    windows = [seen.runs[0:1], seen.runs[1:3], seen.runs[3:6], seen.runs[6:9]]
    assert [line.split("  ")[0] for line in lines] == ["step 1", "step 3", "step 6", "step 9"]
    for line, window in zip(lines, windows):
        for name in ("loss", "accuracy"):
            mean = sum(float(run[name]) for run in window) / len(window)
            shown = float(re.search(rf"  {name} (\S+)", line).group(1))
            assert shown == pytest.approx(mean, rel=5e-4), (line, name)
        steps = len(window)
        assert f"(mean of {steps} step{'s' if steps > 1 else ''})" in line
        vector = float(re.search(r"  vector \[(\S+) ", line).group(1))
        assert vector == pytest.approx(float(window[-1]["loss"]), rel=1e-5)  # the run's own
    # The means are not the last run's values (the loss falls every step).
    assert float(re.search(r"  loss (\S+)", lines[2]).group(1)) > 1.01 * float(
        seen.runs[5]["loss"])
    assert re.search(r"  accuracy 0.6667 \(mean of 3 steps\)", lines[2]), lines[2]


def test_one_speed_unit_in_every_line():
    line = training_log.format_line(100, 1500, {"lr": 0.1}, 17.0, 64, means={"loss": 0.8},
                                mean_steps=100)
    live = training_log.format_progress(100, 1500, {"lr": 0.1, "loss": 0.8}, 17.0, width=100)
    assert "17 steps/s  1088 ex/s" in line and "17 steps/s" in live
    assert "it/s" not in line + live


def _slow_step(seconds):
    """A train op that takes `seconds` on every run."""
    def sleep(value):
        time.sleep(seconds)
        return value
    global_step = tf1.train.get_or_create_global_step()
    slept = tf.numpy_function(sleep, [tf.constant(1, tf.int64)], tf.int64)
    return tf1.assign_add(global_step, slept)


def test_a_long_step_ticks_the_line_and_nothing_is_written_after_the_end():
    terminal = SharedTerminal()
    hook = lrhooks.TrainingLogHook(every_n_steps=1, last_step=100, progress="always",
                                   stream=terminal.out, log_fn=lambda line: None, width=60,
                                   redraw_secs=0.05)
    with tf.Graph().as_default():
        train_op = _slow_step(0.5)
        with tf1.train.MonitoredSession(hooks=[hook]) as sess:
            for _ in range(2):
                sess.run(train_op)
    frames = _frames("".join(terminal.writes))
    # Steps 1 and 2 drawn as they end; the ticker redraws step 1 through the second run.
    assert frames[0] == 1 and frames[-1] == 2 and frames.count(1) >= 3
    written = len(terminal.writes)
    time.sleep(0.3)
    assert len(terminal.writes) == written  # the ticker stopped with the line
    assert hook.live_line.closed


def test_a_ticking_line_never_cuts_a_line_printed_above_it():
    """A ticker redrawing as fast as it can and two threads printing lines above the line:
    every printed line reaches the screen whole, each thread's in order."""
    terminal = SharedTerminal()
    live = training_log.LiveLine(terminal.out, width=30)
    ticker = live_line.Ticker(live, lambda now: f"frame at {now:.6f}", period=1e-4)
    live.draw("first frame")
    ticker.start()

    def print_lines(name):
        for i in range(200):
            live.print_above(f"{name} {i}", terminal.err if name == "b" else None)

    threads = [threading.Thread(target=print_lines, args=(name,)) for name in "ab"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ticker.stop()
    live.close(keep=False)
    screen = terminal.screen()
    for name in "ab":
        assert [line for line in screen if line.startswith(name)] == [
            f"{name} {i}" for i in range(200)]
    assert len(screen) == 400


def test_a_hook_used_again_draws_its_line_in_the_next_session():
    terminal = FakeTerminal()
    hook = lrhooks.TrainingLogHook("loss", every_n_steps=2, last_step=2, progress="always",
                                   stream=terminal, log_fn=lambda line: None, width=60,
                                   clock=lambda: 0.0)
    _train(hook, steps=2)
    first = terminal.getvalue()
    _train(hook, steps=2)
    assert _frames(first) == [1, 2]
    assert _frames(terminal.getvalue()[len(first):]) == [1, 2]


def test_a_rate_only_live_line_stays_at_a_step_after_the_last_log_line():
    terminal = FakeTerminal()
    hook = lrhooks.TrainingLogHook(every_n_steps=2, last_step=10, progress="always",
                                   stream=terminal, log_fn=lambda line: None, width=60,
                                   clock=lambda: 0.0)
    _train(hook, steps=3)  # logged: 1, 2; step 3 is not
    assert render_terminal(terminal.getvalue())[-1].startswith(" 3/10 [")


def test_terminal_width_of_a_terminal_that_does_not_know_its_size():
    leader, follower = os.openpty()  # a new pty: 0 rows, 0 columns
    try:
        with os.fdopen(os.dup(follower), "w") as stream:
            assert os.get_terminal_size(stream.fileno()).columns == 0
            assert training_log.terminal_width(stream) == training_log.MAX_LIVE_WIDTH
    finally:
        os.close(leader)
        os.close(follower)
