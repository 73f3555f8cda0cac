"""Trains the MNIST ResNet (or CNN) with lrhooks driving the learning rate.

    python -m models.resnet_mnist.train \\
        --flagfile=models/resnet_mnist/configs/quick.flags --data_dir=DIR --train_dir=DIR

Resumes from the latest checkpoint in `--train_dir`; the same command on a finished
`--train_dir` trains nothing, changes no file (but the record in its lock file, `run_lock.py`)
and prints the result it has (from the run's `finished.json` without importing TensorFlow
when nothing changed: `finished_runs.py`). See `config.py`
for flags. The program only: flags -> `config.TrainConfig` -> one of three modes (a training
run, `loop.train`; the range test, `range_test.py`; a ps task, `cluster_ps.run_ps`). What it
prints, and where: `console.py`.
"""

from absl import app
from absl import flags

from lrhooks.cli import cli_flags
from lrhooks.cli import console as lrhooks_console
from models.resnet_mnist import config as config_lib
from models.resnet_mnist import console as console_lib
from models.resnet_mnist import early_signals
from models.resnet_mnist import finished_runs
from models.resnet_mnist import flag_parsing

# TensorFlow is imported once the flags are parsed (`_import_tensorflow`): `--help` and a
# mistake in the flags never load it.
FLAGS = flags.FLAGS
CONSOLE = console_lib.Console("train")


def _error(message: object) -> None:
    CONSOLE.error(str(message))


def _import_tensorflow(verbose: bool) -> None:
    """Imports TensorFlow without its C++ banner unless `verbose` (lrhooks.cli.console); the
    modules that build graphs import it, so this comes first."""
    lrhooks_console.import_tensorflow_quietly(verbose)


def run_range_test(config: config_lib.TrainConfig) -> int:
    """--lr_range_test: the exit status of the range test of `config`."""
    from models.resnet_mnist import faults  # pylint: disable=import-outside-toplevel
    from models.resnet_mnist import range_test  # pylint: disable=import-outside-toplevel
    settings = config.range_test
    try:
        range_test.run_range_test(config, settings.min_lr, settings.max_lr, settings.steps,
                                  settings.output_dir, console=CONSOLE)
    except range_test.RangeTestError as error:
        _error(error)
        return faults.EXIT_BAD_INPUT
    return 0


def run_training(config: config_lib.TrainConfig) -> int:
    """A ps task or a training run (local, or a worker of a cluster); the exit status.

    The run lock of `--train_dir` (taken by `loop.train` on the chief) is held until the
    run's end: a failed write is tidied up under it."""
    # pylint: disable=import-outside-toplevel
    from models.resnet_mnist import cluster as cluster_lib
    from models.resnet_mnist import cluster_ps
    from models.resnet_mnist import devices
    from models.resnet_mnist import faults
    from models.resnet_mnist import loop
    from models.resnet_mnist import run_lock
    from models.resnet_mnist import write_errors
    cluster = config.cluster
    lock = run_lock.RunLock(config.train_dir)
    try:
        if cluster.job_name == "ps":
            return cluster_ps.run_ps(cluster_lib.start_server(cluster), cluster,
                                     timeout_secs=config.ps_timeout_secs)
        result = (_run_worker(config, lock) if cluster.is_distributed
                  else loop.train(config, console=CONSOLE, lock=lock))
        if not cluster.is_distributed and result.stopped_by_signal is None:
            finished_runs.record(config, result)  # under the lock: the next rerun reads it
    except cluster_lib.ClusterError as error:
        _error(error)
        return faults.EXIT_CLUSTER
    except faults.UserError as error:
        _error(error)
        return faults.EXIT_BAD_INPUT
    except faults.NonFiniteError as error:
        _error(error)
        return faults.EXIT_NON_FINITE
    except Exception as error:  # pylint: disable=broad-except  # a full disk, out of memory
        message = write_errors.describe(error) or devices.out_of_memory(error, config)
        if message is None:
            raise
        if cluster.is_chief:
            write_errors.tidy(config.train_dir)
        _error(message)
        return write_errors.EXIT_WRITE_ERROR
    except faults.SecondSignal as error:  # a second signal: at once, without a checkpoint
        CONSOLE.notice(f"stopped at once by a second signal {error.signum}; the last "
                       "checkpoint is kept: run the same command to continue from it")
        return 128 + error.signum
    finally:  # a clean end empties its record (a killed trainer's stays until taken over)
        lock.release()
    if result.stopped_by_signal is not None:
        CONSOLE.notice(f"stopped by signal {result.stopped_by_signal} at step "
                       f"{result.global_step}; a checkpoint was written: run the same "
                       "command to continue")
        return 128 + result.stopped_by_signal
    console_lib.summary(CONSOLE, result, config)
    return 0


def _run_worker(config: config_lib.TrainConfig, lock):
    """A worker of a cluster, watched (`cluster_health`); the ps tasks hear "done" only when
    it trained all its steps, never when it was stopped. `lock`: its `run_lock.RunLock`;
    returns the `loop.TrainResult`."""
    # pylint: disable=import-outside-toplevel
    from models.resnet_mnist import cluster as cluster_lib
    from models.resnet_mnist import cluster_health
    from models.resnet_mnist import cluster_ps
    from models.resnet_mnist import loop
    cluster, timeout = config.cluster, config.cluster_timeout_secs
    server = cluster_lib.start_server(cluster)
    with cluster_health.Watchdog(
            cluster, timeout,
            ask_ps=lambda secs: cluster_ps.unanswered_ps(server, cluster, secs)) as watchdog:
        cluster_ps.check_same_cluster(server, cluster, timeout)
        try:
            result = loop.train(config, server=server, watchdog=watchdog, console=CONSOLE,
                                lock=lock)
        except cluster_lib.DifferentSettings:
            cluster_ps.signal_left(server, cluster, timeout)  # the ps does not wait for it
            raise
        if result.stopped_by_signal is None:
            cluster_ps.signal_done(server, cluster, timeout)  # lets the ps tasks exit
    return result


def main(argv):
    stray = cli_flags.stray_arguments(argv)
    if stray:
        _error(stray)
        return 1
    console_lib.setup_logging(CONSOLE, FLAGS.verbose)
    try:
        config = config_lib.config_from_flags(FLAGS.flag_values_dict())
    except ValueError as error:  # a flag combination the validators could not see
        _error(error)
        return 1
    answered = finished_runs.answer(config, CONSOLE)  # a finished run's record: no TensorFlow
    if answered is not None:
        return answered
    _import_tensorflow(FLAGS.verbose)
    console_lib.setup_logging(CONSOLE, FLAGS.verbose)  # again: TensorFlow's logger now exists
    return run_range_test(config) if config.range_test.enabled else run_training(config)


def run() -> None:
    """The program (`python -m models.resnet_mnist.train`, the `lrhooks-train` script)."""
    cli_flags.describe_program(__doc__)
    lrhooks_console.guard_standard_streams()  # a closed pipe (`| head`, `| tee`) stops nothing
    early_signals.install("train")  # a signal from here on gives one line
    early_signals.pause("imports")
    config_lib.define_flags()
    app.run(main, flags_parser=flag_parsing.parser("train"))


if __name__ == "__main__":
    run()
