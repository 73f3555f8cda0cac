"""The training run: checks of train_dir, the graph, the hooks and the session loop.

`train(config)` trains until `global_step == config.train_steps`, resuming from
`config.train_dir`; tests and benchmarks call it directly with a shrunken config. A
`train_dir` whose checkpoint is already at (or past) `train_steps` is finished: `train`
trains nothing and writes nothing (but its lock's record, `run_lock`), and returns the
evaluation the run left in `<train_dir>/eval`.
"""

import contextlib
import dataclasses
import os
import time
from typing import List, Optional, Sequence, Tuple

import numpy as np
import tensorflow as tf
from absl import logging

import lrhooks
from lrhooks import plot as lrhooks_plot
from lrhooks import spec as spec_lib
from lrhooks.tools import event_files
from lrhooks.tools import hparams as lrhooks_hparams
from lrhooks.tools import safe_files
from models.resnet_mnist import checkpoints
from models.resnet_mnist import cluster as cluster_lib
from models.resnet_mnist import cluster_health
from models.resnet_mnist import cluster_ps
from models.resnet_mnist import config as config_lib
from models.resnet_mnist import console as console_lib
from models.resnet_mnist import data as data_lib
from models.resnet_mnist import devices
from models.resnet_mnist import early_signals
from models.resnet_mnist import evaluation
from models.resnet_mnist import faults
from models.resnet_mnist import graph as graph_lib
from models.resnet_mnist import hooks as hooks_lib
from models.resnet_mnist import model as model_lib
from models.resnet_mnist import numerics
from models.resnet_mnist import planned_run
from models.resnet_mnist import write_errors
from models.resnet_mnist import run_lock

tf1 = tf.compat.v1
# The HParams dashboard's metrics: test accuracy and loss in TRAIN_DIR/eval (final eval,
# --eval_every_n_steps and eval.py).
HPARAMS_METRICS = [("accuracy", "eval"), ("loss", "eval")]
# TensorBoard's Custom Scalars tab, after the rate: each chart holds the tags of the training
# run and of its eval/ run (the eval `loss` is the cross-entropy alone).
REVIEW_CHARTS = {"loss (train: loss, cross_entropy; eval: loss)": ["loss", "cross_entropy"],
                 "accuracy (train batch; eval: test set)": ["accuracy"]}


@dataclasses.dataclass
class TrainResult:
    global_step: int
    final_loss: Optional[float]
    wall_seconds: float
    eval_history: List[evaluation.EvalRecord]
    final_accuracy: Optional[float] = None  # with config.final_eval (test top-1 accuracy)
    stopped_by_signal: Optional[int] = None  # SIGTERM/SIGINT: stopped early, checkpoint saved
    start_step: int = 0  # the step the run resumed from (0: a new run)
    train_seconds: Optional[float] = None  # inside the training session (for steps/s)
    best_accuracy: Optional[float] = None  # over every evaluation in <train_dir>/eval
    eval_step: Optional[int] = None  # the step final_accuracy belongs to

    @property
    def trained_nothing(self) -> bool:
        """True for a run that was finished before it started (nothing was trained)."""
        return self.global_step == self.start_step and self.stopped_by_signal is None


def _check_train_dir(train_dir: str) -> None:
    try:
        os.makedirs(train_dir, exist_ok=True)
        safe_files.probe_directory(train_dir)  # a temporary file: never a planted name
    except OSError as error:
        blocker = _file_in_path(train_dir)
        reason = (f"{blocker!r} is a file, not a directory" if blocker is not None
                  else error.strerror)
        raise faults.UserError(f"--train_dir {train_dir!r} is not writable: {reason}") from None


def _check_outputs(config: config_lib.TrainConfig) -> None:
    """Refuses a run whose evaluation directory or plots could not be written after training."""
    outputs = []
    if config.eval_every_n_steps or config.final_eval:
        outputs.append(("the evaluation directory", os.path.join(config.train_dir, "eval"), True))
    if config.plots:
        outputs += [("a plot", os.path.join(config.train_dir, f"{name}.png"), False)
                    for name in lrhooks_plot.DEFAULT_FIGURES]
    for what, path, directory in outputs:
        problem = (f"{path!r} is a symbolic link, which the trainer never follows"
                   if directory and os.path.islink(path) else
                   write_errors.unwritable(path) if directory else
                   f"{path!r} is a directory" if os.path.isdir(path) else None)
        if problem:
            raise faults.UserError(f"--train_dir {config.train_dir!r}: {what} cannot be "
                                   f"written ({problem}); remove or fix it, then run the same "
                                   "command")


def _file_in_path(path: str) -> Optional[str]:
    """`path` or the first of its parents that exists and is not a directory (or None)."""
    parts = os.path.normpath(path).split(os.sep)
    for end in range(1, len(parts) + 1):
        prefix = os.sep.join(parts[:end]) or os.sep
        if os.path.exists(prefix) and not os.path.isdir(prefix):
            return prefix
    return None


def _test_data(config: config_lib.TrainConfig) -> Optional[graph_lib.Split]:
    """The test split when an evaluation needs it (read before training, to fail early)."""
    if not (config.eval_every_n_steps or config.final_eval):
        return None
    try:
        return data_lib.load_mnist(config.data_dir, "test")
    except data_lib.DataError as error:
        needed = ("--final_eval (on by default; --nofinal_eval skips it)" if config.final_eval
                  else "--eval_every_n_steps")
        raise faults.UserError(f"{error}; the test files are needed by {needed}") from None


def _check_checkpoint(train_dir: str, checkpoint: Optional[str],
                      built: graph_lib.TrainGraph, hparams: model_lib.HParams) -> None:
    """Refuses a train_dir whose checkpoint belongs to another model configuration (naming
    the first model flag that differs from the run's train_config.json, if it has one)."""
    if checkpoint is None:
        return
    with built.graph.as_default():
        variables = tf1.global_variables()
    problems = faults.checkpoint_mismatches(checkpoint, variables)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        try:
            differs = config_lib.differing_model_flag(train_dir, hparams)
        except ValueError:  # a damaged train_config.json: the variables say enough
            differs = None
        why = f"; {differs}" if differs else ""
        raise faults.UserError(f"--train_dir {train_dir!r} holds a checkpoint of another model "
                               f"configuration: {problems[0]}{more}{why}; use a new "
                               "--train_dir or the flags of that run")


def _placement(config: config_lib.TrainConfig) -> devices.Placement:
    try:
        return devices.placement(config)
    except ValueError as error:  # e.g. --precision=fp16 without a GPU
        raise faults.UserError(str(error)) from None


def _parameter_count(graph: tf.Graph) -> int:
    with graph.as_default():
        return int(sum(np.prod(v.shape.as_list(), dtype=np.int64)
                       for v in tf1.trainable_variables()))


def _finished_run(config: config_lib.TrainConfig, restore: checkpoints.Restore,
                  started: float, console: Optional[console_lib.Console]) -> TrainResult:
    """The result of a run whose checkpoint is at a step >= `train_steps`: nothing is trained
    and no file is written.

    The checkpoint must belong to this model configuration (checked against a graph built on
    placeholder data). The result is the evaluation of that step in `<train_dir>/eval`; if
    there is none (a signal stopped the run at its last step or during its final evaluation)
    and `config.final_eval` is set, the run was not finished and is finished now: that
    evaluation, the HParams end status (success; TensorBoard keeps a run's first) and the
    plots (`config.plots`) are written. Plots a stopped run left missing or damaged are
    redrawn (one line says which).
    """
    placement = _placement(config)
    config = dataclasses.replace(config, precision=placement.precision)  # 'auto' resolved
    placeholder = (np.zeros((config.batch_size, 28, 28), np.uint8),
                   np.zeros((config.batch_size,), np.uint8))
    _check_checkpoint(config.train_dir, restore.path,
                      graph_lib.build_graph(config, placement, placeholder), config.hparams)
    last = evaluation.read_last_result(os.path.join(config.train_dir, "eval"))
    if (last is None or last.step != restore.step) and config.final_eval:
        last = evaluation.run(config.data_dir, config.train_dir, eval_once=True,
                              batch_size=config.eval_batch_size, print_fn=None)
        lrhooks_hparams.write_session_end(config.train_dir, "success")
        if config.plots:
            lrhooks_plot.write_plots(config.train_dir)
    elif config.plots:
        _redraw_plots(config.train_dir, console)
    return TrainResult(restore.step, None, time.perf_counter() - started, [],
                       None if last is None else last.accuracy, start_step=restore.step,
                       best_accuracy=None if last is None else last.best_accuracy,
                       eval_step=None if last is None else last.step)


def _event_writer(train_dir: str, graph: tf.Graph) -> None:
    """Makes the cached FileWriter of `train_dir` (the one every summary hook uses) name its
    event file with this process's id and a random part: no other process's file has its
    name, and no link can be planted at it in advance."""
    with tf1.summary.FileWriterCache._lock, graph.as_default():  # pylint: disable=protected-access
        cache = tf1.summary.FileWriterCache._cache  # pylint: disable=protected-access
        if train_dir not in cache:
            cache[train_dir] = tf1.summary.FileWriter(
                train_dir, graph=graph, filename_suffix=safe_files.unique_suffix())


def _redraw_plots(train_dir: str, console: Optional[console_lib.Console]) -> None:
    """Draws the plots of a finished run that are missing or damaged, and says so."""
    try:
        redrawn = lrhooks_plot.write_plots(train_dir, only_missing=True)
    except lrhooks_plot.NoEventsError:  # no scalars: nothing was ever drawn
        return
    if not redrawn:
        return
    safe_files.remove_leftovers(train_dir)  # the temporary files of the stopped drawing
    line = (f"redrew {', '.join(os.path.basename(p) for p in redrawn)} in {train_dir}: "
            "missing or damaged (a run stopped while drawing them)")
    if console is not None:
        console.say(line)
    else:
        logging.warning("%s", line)


def train(config: config_lib.TrainConfig,
          extra_hooks: Sequence[tf1.train.SessionRunHook] = (),
          server: Optional[tf.distribute.Server] = None,
          watchdog: Optional[cluster_health.Watchdog] = None,
          console: Optional[console_lib.Console] = None,
          lock: Optional[run_lock.RunLock] = None) -> TrainResult:
    """Trains until `global_step == config.train_steps`, resuming from `config.train_dir`.

    `extra_hooks` join the trainer's own hooks (benchmarks and tests use them). In a cluster,
    `server` is this worker's `tf.distribute.Server` and `watchdog` bounds its waits on the
    cluster; only the chief (worker 0) checks and writes `train_dir`. With `console`, the run
    prints its start lines and log lines there (the program's own lines); without, log lines
    go through absl logging.

    A finished `train_dir` (checkpoint at or past `train_steps`, read by the chief) trains
    nothing and changes no file: see `_finished_run`.

    The chief holds the run lock of `train_dir` (`run_lock`) from before its first read:
    `lock` when given (the program's, released by the caller), else its own, released on
    return.

    Raises:
      faults.UserError: Unreadable or invalid data, an unwritable train_dir, or one another
        trainer is using.
      faults.NonFiniteError: The loss or gradients became NaN or infinite.
    """
    own = lock is None
    lock = lock or run_lock.RunLock(config.train_dir)
    try:
        return _train(config, extra_hooks, server, watchdog, console, lock)
    finally:
        if own:
            lock.release()


@dataclasses.dataclass(frozen=True)
class _Inputs:
    """What a run reads and checks before it writes anything."""

    restore: checkpoints.Restore  # the checkpoint to continue from (chief)
    train_data: graph_lib.Split
    test_data: Optional[graph_lib.Split]  # for an evaluation (chief)
    placement: devices.Placement


def _train(config: config_lib.TrainConfig,
           extra_hooks: Sequence[tf1.train.SessionRunHook],
           server: Optional[tf.distribute.Server],
           watchdog: Optional[cluster_health.Watchdog],
           console: Optional[console_lib.Console], lock: run_lock.RunLock) -> TrainResult:
    """The run, step by step: checkpoint, inputs, graph, hooks, train_dir, session, evaluation,
    plots."""
    started = time.perf_counter()
    chief = config.cluster.is_chief
    restore = _lock_and_select_checkpoint(config, lock)
    if restore.step >= config.train_steps:
        return _finished_run(config, restore, started, console)
    planned = _plan(config, restore)  # a plan that is not well defined costs nothing
    inputs = _read_inputs(planned.config, lock, restore)
    if inputs.restore.step >= config.train_steps:  # another trainer finished it meanwhile
        return _finished_run(config, inputs.restore, started, console)
    if inputs.restore.step != restore.step:  # another trainer saved meanwhile
        planned = _plan(config, inputs.restore)
    if planned.branch is not None:  # the parent's checkpoint, copied once the checks are done
        inputs = dataclasses.replace(inputs, restore=planned.restore)
    config = planned.config
    early_signals.phase("building the graph")
    config = dataclasses.replace(config, precision=inputs.placement.precision)  # 'auto' resolved
    built = _build_graph(config, inputs)
    stop = faults.SignalStop()
    chosen = hooks_lib.training_hooks(config, built, stop=stop, watchdog=watchdog,
                                      extra_hooks=extra_hooks,
                                      examples_per_epoch=len(inputs.train_data[1]),
                                      console=console)
    if console is not None:
        _announce(console, config, inputs, built)
    planned_run.say(console, planned)
    if chief:
        _open_train_dir(config, inputs, built, planned)
    final_loss, step, train_seconds = _train_session(config, built, chosen, stop, server,
                                                     watchdog)
    restored = inputs.restore.step
    if stop.received is not None:
        return TrainResult(int(step), final_loss, time.perf_counter() - started, [], None,
                           stop.received, start_step=restored, train_seconds=train_seconds)
    history = chosen.eval_hook.history if chosen.eval_hook is not None else []
    final = _final_evaluation(config, history, step, console) if config.final_eval and chief \
        else None
    if config.plots and chief:
        _write_plots(config, console)
    return TrainResult(int(step), None if final_loss is None else float(final_loss),
                       time.perf_counter() - started, history,
                       None if final is None else final[0], start_step=restored,
                       train_seconds=train_seconds,
                       best_accuracy=None if final is None else final[1],
                       eval_step=None if final is None else int(step))


def _lock_and_select_checkpoint(config: config_lib.TrainConfig,
                                lock: run_lock.RunLock) -> checkpoints.Restore:
    """The chief locks an existing train_dir (a new one once it is made) and picks the
    checkpoint to continue from; other workers restore from the ps."""
    if not config.cluster.is_chief:
        return checkpoints.Restore()
    if os.path.isdir(config.train_dir):
        lock.take()
    return checkpoints.select(config.train_dir)


def _plan(config: config_lib.TrainConfig,
          restore: checkpoints.Restore) -> planned_run.Planned:
    """The chief plans the run's schedule (`planned_run`); other workers follow their flags
    (the chief's settings, compared in `cluster.wait_for_chief`)."""
    if not config.cluster.is_chief:
        return planned_run.Planned(config, restore)
    return planned_run.plan(config, restore)


def _read_inputs(config: config_lib.TrainConfig, lock: run_lock.RunLock,
                 restore: checkpoints.Restore) -> _Inputs:
    """Reads the data and resolves the placement, and (chief) checks that train_dir and the
    outputs can be written, before anything is: a mistake costs no training."""
    try:
        train_data = data_lib.load_mnist(config.data_dir, "train")
    except data_lib.DataError as error:
        raise faults.UserError(str(error)) from None
    chief = config.cluster.is_chief
    test_data = _test_data(config) if chief else None  # checked before training
    placement = _placement(config)  # a precision the machine lacks: before train_dir is made
    if placement.warning:
        logging.warning("%s", placement.warning)
    if chief:
        _check_train_dir(config.train_dir)
        _check_outputs(config)  # eval/ and the plots: before training, not after it
        if not lock.taken:  # made just now (or by a trainer that started meanwhile)
            lock.take()
            restore = checkpoints.select(config.train_dir)
    return _Inputs(restore, train_data, test_data, placement)


def _build_graph(config: config_lib.TrainConfig, inputs: _Inputs) -> graph_lib.TrainGraph:
    """The training graph; a different shuffle after each restart (seeded by the step the run
    resumes from) and on each worker; the eval tower with --eval_every_n_steps."""
    return graph_lib.build_graph(
        config, inputs.placement, inputs.train_data,
        shuffle_seed=config.seed + inputs.restore.step + 7919 * config.cluster.task_index,
        test_data=inputs.test_data if config.eval_every_n_steps else None)


def _announce(console: console_lib.Console, config: config_lib.TrainConfig, inputs: _Inputs,
              built: graph_lib.TrainGraph) -> None:
    """The program's start lines."""
    placement = inputs.placement
    console.start(console_lib.RunStart(
        model=placement.hparams.model, parameters=_parameter_count(built.graph),
        optimizer=placement.hparams.optimizer, batch_size=config.batch_size,
        train_images=len(inputs.train_data[1]),
        test_images=None if inputs.test_data is None else len(inputs.test_data[1]),
        data_dir=config.data_dir, schedule=_schedule_text(config),
        train_steps=config.train_steps, device=placement.device,
        data_format=placement.hparams.data_format, precision=placement.precision,
        train_dir=config.train_dir, start_step=inputs.restore.step))


def _schedule_text(config: config_lib.TrainConfig) -> str:
    """The start line's schedule: the resolved spec, and the template it came from."""
    text = repr(config.schedule)
    template = config.schedule_template
    if template and spec_lib.is_template(template):
        resized = spec_lib.resolve(template, config.train_steps) == config.schedule
        text += (f" (from {template} with train_steps={config.train_steps})" if resized
                 else f" (planned from {template})")
    return text


def _open_train_dir(config: config_lib.TrainConfig, inputs: _Inputs,
                    built: graph_lib.TrainGraph, planned: planned_run.Planned) -> None:
    """The chief's last check (the checkpoint belongs to this model) and its first writes:
    leftovers and torn records tidied, a branch's checkpoint copied from its parent, the
    checkpoint index, train_config.json, the HParams session, the event writer and (a new
    run) the Custom Scalars layout."""
    restore, placement = inputs.restore, inputs.placement
    _check_checkpoint(config.train_dir, restore.path, built, config.hparams)
    # The checks are done: train_dir is written from here on.
    safe_files.remove_leftovers(config.train_dir)  # temporary files of a killed run
    if restore.note:
        logging.warning("%s", restore.note)
    if planned.branch is not None:
        restore = planned_run.copy_branch_checkpoint(config, planned)
    checkpoints.write_index(config.train_dir, restore)  # relative paths, kept ones only
    # A run killed while writing leaves a torn last record: cut it before writing again.
    for path in event_files.truncate_torn_records(config.train_dir):
        logging.warning("cut a torn record off the end of %s", path)
    for path, offset in event_files.damaged_files(config.train_dir):
        logging.warning("event file %s is damaged at byte %d: left as it is (TensorBoard "
                        "reads it up to there); new events go to a new file", path, offset)
    config_lib.write_config(config, placement.hparams)
    # Before training opens its event file (see lrhooks.hparams on file order).
    lrhooks_hparams.write_session(
        config.train_dir, config_lib.tensorboard_hparams(config, placement.hparams),
        metrics=HPARAMS_METRICS, experiment_hparams=config_lib.TENSORBOARD_HPARAM_TYPES,
        shown=config_lib.TENSORBOARD_SHOWN)
    _event_writer(config.train_dir, built.graph)
    if restore.step == 0 or planned.branch is not None:  # once per run (TensorBoard reads
        # a run's first layout)
        with built.graph.as_default():
            tf1.summary.FileWriterCache.get(config.train_dir).add_summary(
                lrhooks.review_layout(REVIEW_CHARTS), 0)


def _train_session(config: config_lib.TrainConfig, built: graph_lib.TrainGraph,
                   chosen: hooks_lib.TrainerHooks, stop: faults.SignalStop,
                   server: Optional[tf.distribute.Server],
                   watchdog: Optional[cluster_health.Watchdog]
                   ) -> Tuple[Optional[float], int, float]:
    """Trains until `train_steps` or a signal; returns (last loss, final step, seconds in the
    session). The chief records the HParams end status: success, or failure for a
    non-finite run; none for a run stopped by a signal (or crashed), since the dashboard
    keeps a run's first and the same command, continuing it, writes the real one."""
    chief = config.cluster.is_chief
    early_signals.phase("training", "the last checkpoint is kept: run the same command to "
                        "continue from it")
    try:
        watched = watchdog.training() if watchdog else contextlib.nullcontext()
        with stop, watched:
            loop_started = time.perf_counter()
            final_loss, step = run_loop(config, built, chosen, server)
            train_seconds = time.perf_counter() - loop_started
    except faults.NonFiniteError:
        if chief:  # continuing fails again at the same step (best effort: the error counts)
            try:
                lrhooks_hparams.write_session_end(config.train_dir, "failure")
            except (OSError, RuntimeError, tf.errors.OpError):
                pass
        raise
    if chief and stop.received is None:
        lrhooks_hparams.write_session_end(config.train_dir, "success")
    return final_loss, step, train_seconds


def _final_evaluation(config: config_lib.TrainConfig, history: List[evaluation.EvalRecord],
                      step: int, console: Optional[console_lib.Console]
                      ) -> Tuple[float, float]:
    """(accuracy, best accuracy) of the last step: from --eval_every_n_steps if it scored the
    last step, else a final evaluation of the last checkpoint."""
    early_signals.phase("running the final evaluation",
                        f"training finished at step {int(step)} and its checkpoint is kept: "
                        f"evaluate it with {console_lib.eval_command(config.train_dir)}")
    if history and history[-1].step == step:  # --eval_every_n_steps scored the last step
        best = evaluation.read_best(os.path.join(config.train_dir, "eval"))
        return history[-1].accuracy, max(best, history[-1].accuracy)
    scored = evaluation.run(config.data_dir, config.train_dir, eval_once=True,
                            batch_size=config.eval_batch_size,
                            print_fn=None if console is not None else print)
    return scored.accuracy, scored.best_accuracy


def _write_plots(config: config_lib.TrainConfig, console: Optional[console_lib.Console]) -> None:
    """learning_rate.png, loss.png, accuracy.png in train_dir (a program's console lists them
    in its summary)."""
    paths = lrhooks_plot.write_plots(config.train_dir)
    if console is None:
        logging.info("plots: %s in %s", ", ".join(os.path.basename(p) for p in paths),
                     config.train_dir)


def monitored_session(config: config_lib.TrainConfig, hooks: hooks_lib.TrainerHooks,
                      server: Optional[tf.distribute.Server] = None
                      ) -> tf1.train.MonitoredTrainingSession:
    """The trainer's MonitoredTrainingSession with `hooks` (call inside the built graph).

    Checkpoints and summaries are written by the chief only: its checkpoint saver is one of
    `hooks.chief_hooks`, and the session's `Scaffold` holds the same saver (for restoring).
    The session adds only its summary saver.
    """
    cluster = config.cluster
    scaffold = tf1.train.Scaffold(saver=hooks.saver) if cluster.is_chief else None
    return tf1.train.MonitoredTrainingSession(
        master=server.target if server is not None else "", is_chief=cluster.is_chief,
        checkpoint_dir=config.train_dir if cluster.is_chief else None, scaffold=scaffold,
        hooks=hooks.hooks, chief_only_hooks=hooks.chief_hooks,
        save_checkpoint_steps=None, save_checkpoint_secs=None,  # the chief's saver hook
        save_summaries_steps=config.save_summaries_steps,
        log_step_count_steps=None,  # TrainingLogHook reports the speed
        config=cluster_lib.server_config(cluster, devices.session_config(config)))


def _non_finite(config: config_lib.TrainConfig, error) -> faults.NonFiniteError:
    """The one-line error of a failed finiteness check, with the way back when the last
    checkpoint is itself unusable."""
    advice = checkpoints.way_back(config.train_dir) if config.cluster.is_chief else None
    return faults.NonFiniteError(error.describe(advice) if advice else error.describe())


def _save_finished_job(config: config_lib.TrainConfig, built: graph_lib.TrainGraph,
                       server: tf.distribute.Server,
                       state_check: numerics.FiniteStateCheck) -> int:
    """A (restarted) chief that finds the shared step at its target: the other workers did
    the job's last steps; it saves their result instead of restoring its older checkpoint
    and training them again. Returns the step saved."""
    saver = checkpoints.saver()
    with tf1.Session(server.target, graph=built.graph, config=cluster_lib.server_config(
            config.cluster, devices.session_config(config))) as session:
        step = int(session.run(built.global_step))
        state_check.check(session, step)
        saver.save(session, os.path.join(config.train_dir, checkpoints.BASENAME),
                   global_step=step)
    # The rate of the run that left the shared step at `step` (the series' last point; a
    # chief killed before its first flush has no other, and the plots need one).
    writer = tf1.summary.FileWriterCache.get(config.train_dir)
    writer.add_summary(tf1.Summary(value=[tf1.Summary.Value(
        tag="learning_rate", simple_value=float(config.schedule(step - 1)))]), step)
    writer.flush()
    logging.warning("the job's steps are already done: the shared step is %d of %d (other "
                    "workers trained them); saved it as %s-%d instead of training", step,
                    config.train_steps, checkpoints.BASENAME, step)
    return step


def run_loop(config: config_lib.TrainConfig, built: graph_lib.TrainGraph,
             hooks: hooks_lib.TrainerHooks, server: Optional[tf.distribute.Server] = None
             ) -> Tuple[Optional[float], int]:
    """Runs the MonitoredTrainingSession; returns (last loss, final global step).

    The final step is the step of the last checkpoint written, on the chief.

    Raises:
      faults.NonFiniteError: A run failed the finiteness check, or the state to be saved
        holds NaN or infinite values (no checkpoint is written for it: the session closes
        as after an error).
    """
    final_loss = None
    state_check = hooks.state_check  # built by `hooks.training_hooks` on the chief
    with built.graph.as_default():
        if server is not None:
            cluster_lib.wait_for_chief(server, config.cluster, config.cluster_timeout_secs,
                                       settings=config_lib.cluster_settings(config))
        try:
            if server is not None and config.cluster.is_chief:
                shared_step = cluster_ps.read_global_step(server, config.cluster,
                                                          config.cluster_timeout_secs)
                if shared_step is not None and shared_step >= config.train_steps:
                    return None, _save_finished_job(config, built, server, state_check)
            early_signals.pause("creating the session")
            with monitored_session(config, hooks, server) as session:
                # StopAtStepHook cannot stop a session's first run: a session that starts at
                # the last step (or past it) must not run at all.
                first = session.run_step_fn(
                    lambda step_context: step_context.session.run(built.global_step))
                if server is not None and first >= config.train_steps:
                    logging.warning("the job's steps are already done: the shared step is %d "
                                    "of %d (other workers trained them); nothing to train",
                                    first, config.train_steps)
                try:
                    while first < config.train_steps and not session.should_stop():
                        _, final_loss = session.run([built.train_op, built.outputs.loss])
                except tf.errors.InvalidArgumentError as error:
                    refused = lrhooks.refused_value(built.rate)
                    if refused is not None:  # NaN, negative, beyond float32: one line
                        raise faults.UserError(str(refused)) from None
                    if built.finite_check is None or not numerics.is_failure(error):
                        raise
                    raise _non_finite(config, built.finite_check.read(session)) from None
                step = session.run_step_fn(
                    lambda step_context: step_context.session.run(built.global_step))
                if config.cluster.is_chief:  # also without a saver: never end non-finite
                    session.run_step_fn(
                        lambda step_context: state_check.check(step_context.session, step))
        except numerics.NonFiniteStateError as error:
            raise _non_finite(config, error) from None
        if config.cluster.is_chief:
            tf1.summary.FileWriterCache.get(config.train_dir).flush()
            if state_check.last_saved_step is not None:
                step = state_check.last_saved_step
    return final_loss, step
