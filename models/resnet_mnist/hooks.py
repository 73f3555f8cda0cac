"""The one place that chooses the trainer's hooks, from the config and the built graph.

`training_hooks` for a training run: every worker's hooks (stop at `train_steps`, log, the
in-process eval hook, the signal stop, the cluster watchdog, a caller's extra hooks) and the
chief's (the rate summary, the checkpoint saver with its finiteness check); the session adds
only its summary saver. `range_test_hooks` for the range test. No hook drives the rate: the
graph's rate tensor drives itself (`graph.build_graph`). The progress mode of the log hook is
resolved here, in the program (`progress_mode`).
"""

import dataclasses
import os
from typing import List, Optional, Sequence

import tensorflow as tf

import lrhooks
from models.resnet_mnist import checkpoints
from models.resnet_mnist import cluster_health
from models.resnet_mnist import config as config_lib
from models.resnet_mnist import console as console_lib
from models.resnet_mnist import evaluation
from models.resnet_mnist import faults
from models.resnet_mnist import graph as graph_lib
from models.resnet_mnist import numerics

tf1 = tf.compat.v1


def progress_mode(config: config_lib.TrainConfig) -> str:
    """`--progress`, except that "auto" shows no live line under CI."""
    if config.progress == "auto" and config.under_ci:
        return "never"
    return config.progress


def log_hook(config: config_lib.TrainConfig, built: graph_lib.TrainGraph, *,
             every_n_steps: int, last_step: int, output_dir: Optional[str] = None,
             examples_per_epoch: Optional[int] = None,
             console: Optional[console_lib.Console] = None) -> lrhooks.TrainingLogHook:
    """The log line (loss, accuracy, rate, speed); speed summaries go to `output_dir`.

    With `console`, log lines and the live line are the program's (its stream, its prefix),
    and the console's other lines go above the live line.
    """
    program = {} if console is None else {"stream": console.stream, "log_fn": console.say}
    hook = lrhooks.TrainingLogHook(
        built.outputs.loss, {"accuracy": built.outputs.accuracy},
        every_n_steps=every_n_steps, batch_size=config.batch_size, last_step=last_step,
        output_dir=output_dir, progress=progress_mode(config),
        examples_per_epoch=examples_per_epoch, **program)
    if console is not None:
        console.attach(hook)
    return hook


@dataclasses.dataclass
class TrainerHooks:
    """The hooks of a training run.

    Attributes:
      hooks: For every worker: stop at `train_steps`, log, eval (if any), the signal stop,
        the caller's extra hooks, the watchdog (in a cluster).
      chief_hooks: For the chief only: the rate summary, the checkpoint saver.
      state_check: The finiteness check of the state, run before each save (and at the end)
        on the chief.
      saver: The chief's checkpoint saver (the session's `Scaffold` uses it), else None.
      eval_hook: The in-process eval hook of `hooks` (with an eval tower), else None.
    """

    hooks: List[tf1.train.SessionRunHook]
    chief_hooks: List[tf1.train.SessionRunHook]
    state_check: numerics.FiniteStateCheck
    saver: Optional[tf1.train.Saver] = None
    eval_hook: Optional[evaluation.InProcessEvalHook] = None


def training_hooks(config: config_lib.TrainConfig, built: graph_lib.TrainGraph, *,
                   stop: Optional[faults.SignalStop] = None,
                   watchdog: Optional[cluster_health.Watchdog] = None,
                   extra_hooks: Sequence[tf1.train.SessionRunHook] = (),
                   examples_per_epoch: Optional[int] = None,
                   console: Optional[console_lib.Console] = None) -> TrainerHooks:
    """The hooks of `config`'s training run on `built`.

    `stop` (its hook stops the run at a signal, after a checkpoint) and `watchdog` (its
    hook reports progress) join every worker's hooks, then `extra_hooks` (benchmarks and
    tests). `examples_per_epoch` (the training set's size) shows the epoch beside the step;
    with `console`, the log lines are the program's (see `log_hook`).

    The learning rate is recorded by the chief's `LearningRateSummaryHook` (tagged exactly
    "learning_rate"), with the exact step each rate was computed from (in a cluster other
    workers move the step, so TF's summary saver would mislabel it), every
    `save_summaries_steps` and at the last step, so the series ends at `train_steps`. The
    chief's checkpoint saver writes relative paths and runs the state check before each save.
    """
    cluster = config.cluster
    state_check = numerics.FiniteStateCheck()
    chief_hooks: List[tf1.train.SessionRunHook] = [lrhooks.LearningRateSummaryHook(
        config.train_dir, every_n_steps=config.save_summaries_steps,
        last_step=config.train_steps)]
    saver = None
    if cluster.is_chief:
        with built.graph.as_default():
            state_check.begin()  # built before the graph is finalized, with or without a saver
            saver = checkpoints.saver(config.keep_checkpoints)
        if config.save_checkpoints_steps:
            chief_hooks.append(tf1.train.CheckpointSaverHook(
                config.train_dir, save_steps=config.save_checkpoints_steps, saver=saver,
                checkpoint_basename=checkpoints.BASENAME, listeners=[state_check]))
    hooks = [
        tf1.train.StopAtStepHook(last_step=config.train_steps),
        log_hook(config, built, every_n_steps=config.log_every_n_steps,
                 last_step=config.train_steps,
                 output_dir=config.train_dir if cluster.is_chief else None,
                 examples_per_epoch=examples_per_epoch, console=console),
    ]
    eval_hook = None
    if built.eval_tower is not None:
        eval_hook = evaluation.InProcessEvalHook(
            built.eval_tower, config.eval_every_n_steps, config.train_steps,
            eval_dir=os.path.join(config.train_dir, "eval"))
        hooks.append(eval_hook)
    hooks += [*([stop.hook] if stop is not None else []), *extra_hooks,
              *([watchdog.hook] if watchdog is not None else [])]
    return TrainerHooks(hooks, chief_hooks, state_check, saver, eval_hook)


def range_test_hooks(config: config_lib.TrainConfig, built: graph_lib.TrainGraph,
                     range_hook: tf1.train.SessionRunHook,
                     examples_per_epoch: Optional[int] = None,
                     console: Optional[console_lib.Console] = None
                     ) -> List[tf1.train.SessionRunHook]:
    """The hooks of a range test: `config` holds the ramp as its schedule and its length
    as `train_steps`. The log hook writes no speed summaries (the output holds the curve
    only) and logs about ten times (see `log_hook` for `console`)."""
    steps = config.train_steps
    return [
        tf1.train.StopAtStepHook(last_step=steps),
        log_hook(config, built, every_n_steps=max(1, min(config.log_every_n_steps, steps // 10)),
                 last_step=steps, examples_per_epoch=examples_per_epoch, console=console),
        range_hook,
    ]
