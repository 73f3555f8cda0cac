"""Learning-rate range test of the trainer's model: which rates train, where it diverges.

`run_range_test(config)` builds the trainer's graph (`graph.build_graph`) with an
exponential ramp of rates as its schedule, trains it from freshly initialised
weights in a plain `MonitoredSession` (no Saver is used, no checkpoint is read
or written) until the loss diverges or `num_steps` are done, writes the curve
for TensorBoard, prints a table and the suggested rates, and returns the
result. It never touches `config.train_dir`: the curve goes to `output_dir`,
by default the sibling directory `<train_dir>_range_test` (so TensorBoard on the
runs' parent shows it beside the run). Each test replaces the event files of
the previous one in that directory.
"""

import dataclasses
import glob
import os
from typing import Callable, Optional

import tensorflow as tf
from absl import logging

from lrhooks.hooks import range_test as range_test_lib
from models.resnet_mnist import config as config_lib
from models.resnet_mnist import console as console_lib
from models.resnet_mnist import data as data_lib
from models.resnet_mnist import devices
from models.resnet_mnist import graph as graph_lib
from models.resnet_mnist import hooks as hooks_lib
from models.resnet_mnist import numerics

tf1 = tf.compat.v1
RangeTestResult = range_test_lib.RangeTestResult
OUTPUT_SUFFIX = "_range_test"


class RangeTestError(Exception):
    """Bad input for the range test (data, output directory): one line, no traceback."""


def default_output_dir(train_dir: str) -> str:
    """`<train_dir>_range_test`: next to the run, never inside it."""
    return os.path.normpath(train_dir) + OUTPUT_SUFFIX


def _inside(path: str, directory: str) -> bool:
    path, directory = os.path.realpath(path), os.path.realpath(directory)
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)


def _prepare_output_dir(output_dir: str, train_dir: str) -> None:
    if train_dir and (_inside(output_dir, train_dir) or _inside(train_dir, output_dir)):
        relation = "is inside" if _inside(output_dir, train_dir) else "contains"
        raise RangeTestError(f"the range test output directory {output_dir!r} {relation} "
                             f"--train_dir {train_dir!r}; the test must not touch the run: "
                             "use a directory beside it")
    try:
        os.makedirs(output_dir, exist_ok=True)
        for path in glob.glob(os.path.join(output_dir, "events.out.tfevents.*")):
            logging.info("removing the previous range test's %s", path)
            os.remove(path)
    except OSError as error:
        raise RangeTestError(f"the range test output directory {output_dir!r} is not "
                             f"writable: {error.strerror}") from None


def run_range_test(config: config_lib.TrainConfig, min_lr: float = 1e-5, max_lr: float = 10.0,
                   num_steps: int = 200, output_dir: Optional[str] = None, *,
                   smoothing: float = 0.98, diverge_factor: float = 4.0,
                   print_fn: Callable[[str], None] = print,
                   console: Optional[console_lib.Console] = None) -> RangeTestResult:
    """Runs the range test of `config`'s model, optimizer, data and batch size.

    `config.schedule`, `train_steps`, checkpoint/summary/eval settings are not
    used; `config.train_dir` is only used for the default `output_dir`.

    Args:
      config: The trainer's configuration.
      min_lr: First rate of the ramp (> 0).
      max_lr: Last rate of the ramp (> min_lr).
      num_steps: Training steps of the ramp (>= 2); the test stops earlier when
        the loss diverges.
      output_dir: Where the `range_test/*` scalars go; default
        `<train_dir>_range_test`. Must neither be inside `config.train_dir` nor
        contain it.
      smoothing: See `lrhooks.range_test.LRRangeTestHook`.
      diverge_factor: See `lrhooks.range_test.LRRangeTestHook`.
      print_fn: Where the table and the suggestions go (one string).
      console: The program's console: its log lines go there (else through absl logging).

    Returns:
      The curve, why it stopped and the suggested rates.

    Raises:
      RangeTestError: Bad ramp arguments, unreadable data or an unusable output
        directory (one line).
    """
    try:
        schedule = range_test_lib.range_test_schedule(min_lr, max_lr, num_steps)
    except (TypeError, ValueError) as error:
        raise RangeTestError(str(error)) from None
    output_dir = output_dir or default_output_dir(config.train_dir)
    try:
        train_data = data_lib.load_mnist(config.data_dir, "train")
    except data_lib.DataError as error:
        raise RangeTestError(str(error)) from None
    try:
        placement = devices.placement(config)
    except ValueError as error:  # e.g. --precision=fp16 without a GPU
        raise RangeTestError(str(error)) from None
    _prepare_output_dir(output_dir, config.train_dir)
    # The trainer's graph with the ramp as its schedule, no eval tower. (train_dir is set to
    # output_dir only as a safeguard: nothing of the graph may point at the real run.)
    # The momentum stays constant (--momentum): a cycled one belongs to the real schedule.
    test_config = dataclasses.replace(config, train_dir=output_dir, schedule=schedule,
                                      momentum_schedule=None, train_steps=num_steps,
                                      eval_every_n_steps=0, final_eval=False)
    built = graph_lib.build_graph(test_config, placement, train_data, None,
                                  shuffle_seed=config.seed)
    hook = range_test_lib.LRRangeTestHook(schedule, built.outputs.loss, smoothing,
                                          diverge_factor, output_dir)
    hooks = hooks_lib.range_test_hooks(test_config, built, hook,
                                       examples_per_epoch=len(train_data[1]), console=console)
    logging.info("range test: rates %g to %g over %d steps, curve in %s", min_lr, max_lr,
                 num_steps, output_dir)
    try:
        with built.graph.as_default():
            # A plain MonitoredSession: no checkpoint directory, no Saver hooks.
            with tf1.train.MonitoredSession(
                    session_creator=tf1.train.ChiefSessionCreator(
                        config=devices.session_config(config)),
                    hooks=hooks) as session:
                while not session.should_stop():
                    session.run(built.train_op)
    except tf.errors.InvalidArgumentError as error:
        if not numerics.is_failure(error):
            raise
        hook.record_non_finite()  # the model's finiteness check stopped the run
    finally:
        hook.end(None)
    result = hook.result()
    print_fn(range_test_lib.format_curve(result, every=10))
    return result
