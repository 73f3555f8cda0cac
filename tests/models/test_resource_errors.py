"""One line for every resource error, checked before anything is lost.

Real trainer and evaluator processes: a GPU asked for on a machine without one, NCHW on the
CPU, a batch the device cannot hold, permission denied on a checkpoint's temporary file, a
full stdout, an evaluation directory that cannot be written, and an evaluator pointed at a
`train_config.json` whose sizes no longer match the checkpoint.
"""

import json

import pytest
import tensorflow as tf

from tests.support import programs
from tests.support.trainer_runs import (checkpoint_step, command, error_lines, eval_command,
                                        run, write_tiny_mnist)

pytestmark = pytest.mark.slow  # real trainer and evaluator processes

ONE_LINE = ("Traceback", "Exception ignored")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("data")
    return write_tiny_mnist(directory)


def _one_error(done, program="train"):
    assert done.returncode == 1, done.stderr[-3000:]
    assert not [word for word in ONE_LINE if word in done.stderr], done.stderr[-3000:]
    (line,) = error_lines(done.stderr, program)
    return line


@pytest.mark.skipif(bool(tf.config.list_physical_devices("GPU")), reason="a GPU is here")
def test_a_gpu_asked_for_without_one_trains_on_the_cpu_with_one_warning(data_dir, tmp_path):
    done = run(command(data_dir, tmp_path / "run", "--train_steps=2", "--device=gpu"))
    assert done.returncode == 0, done.stderr[-3000:]
    warnings = [line for line in done.stderr.splitlines() if line.startswith("train: warning:")]
    assert warnings == ["train: warning: --device=gpu but this machine has no GPU that "
                        "TensorFlow can use: training on the CPU"]
    assert "train: device CPU:0 (NHWC, fp32)" in done.stdout
    assert checkpoint_step(tmp_path / "run") == 2


@pytest.mark.skipif(bool(tf.config.list_physical_devices("GPU")), reason="a GPU is here")
def test_nchw_on_the_cpu_is_one_line_before_anything_is_built(data_dir, tmp_path):
    done = run(command(data_dir, tmp_path / "run", "--train_steps=2", "--data_format=NCHW"))
    line = _one_error(done)
    assert line == ("train: error: `--data_format` NCHW needs a GPU and the model runs on the "
                    "CPU, whose convolutions take NHWC only; use --data_format=NHWC (or auto)")
    assert not (tmp_path / "run").exists()


def test_a_batch_too_large_for_the_device_is_one_line_naming_it(data_dir, tmp_path):
    # 60,000 x 28 x 28 x 256 floats (48 GB) for the first conv: more than the CPU allocator
    # gives. TensorFlow's oneDNN kernels crash on a failed allocation (a segfault no program
    # can report); its own kernels raise ResourceExhaustedError, as GPU kernels do.
    done = run(command(data_dir, tmp_path / "run", "--train_steps=2", "--batch_size=60000",
                       "--filters=256,256,256,256"), TF_ENABLE_ONEDNN_OPTS="0")
    line = _one_error(done)
    assert line.startswith("train: error: out of memory on CPU:0 with --batch_size=60000 "
                           "(--eval_batch_size=1000): OOM when allocating tensor with shape")
    assert line.endswith("; use a smaller --batch_size (e.g. --batch_size=30000) or a device "
                         "with more memory")


PERMISSION_DENIED = """
import runpy, sys
import tensorflow as tf
original = tf.compat.v1.train.Saver.save
calls = [0]
def save(self, sess, save_path, global_step=None, **kwargs):
    calls[0] += 1
    if calls[0] > 1:  # TensorFlow's own error and message for a file it may not create
        path = f"{save_path}-{global_step}_temp/part-00000-of-00001.data-00000-of-00001"
        raise tf.errors.PermissionDeniedError(None, None, f"{path}; Permission denied")
    return original(self, sess, save_path, global_step=global_step, **kwargs)
tf.compat.v1.train.Saver.save = save
sys.argv = ["train"] + sys.argv[1:]
runpy.run_module("models.resnet_mnist.train", run_name="__main__", alter_sys=True)
"""


def test_permission_denied_on_a_checkpoint_file_mid_run_is_one_line(data_dir, tmp_path):
    train_dir = tmp_path / "run"
    cmd = command(data_dir, train_dir, "--train_steps=8", "--save_checkpoints_steps=4")
    done = run(programs.python_code(PERMISSION_DENIED, *cmd[3:]))
    line = _one_error(done)
    path = train_dir / "model.ckpt-4_temp/part-00000-of-00001.data-00000-of-00001"
    assert line == (f"train: error: cannot write '{path}': Permission denied; the checkpoints "
                    "written so far are intact: make it writable and run the same command to "
                    "continue")
    assert checkpoint_step(train_dir) == 0


def test_a_full_stdout_is_named_stdout(data_dir, tmp_path):
    with open("/dev/full", "w") as full:
        done = programs.run(command(data_dir, tmp_path / "run", "--train_steps=2"),
                            stdout=full, timeout=240)
    line = _one_error(done)
    assert line.startswith("train: error: cannot write stdout: No space left on device; ")


def test_an_unwritable_eval_directory_is_refused_before_training(data_dir, tmp_path):
    train_dir = tmp_path / "run"
    train_dir.mkdir()
    (train_dir / "eval").write_text("a file where the evaluation directory goes")
    done = run(command(data_dir, train_dir, "--train_steps=4", "--final_eval"))
    line = _one_error(done)
    assert line.startswith(f"train: error: --train_dir '{train_dir}': the evaluation directory "
                           "cannot be written (")
    assert "is not a directory" in line
    assert checkpoint_step(train_dir) is None  # nothing was trained to be lost


def test_the_evaluator_checks_the_checkpoint_against_train_config_before_building(data_dir,
                                                                                  tmp_path):
    train_dir = tmp_path / "run"
    done = run(command(data_dir, train_dir, "--train_steps=1"))
    assert done.returncode == 0, done.stderr[-3000:]
    config_path = train_dir / "train_config.json"
    config = json.loads(config_path.read_text())
    assert config["hparams"]["num_residual_units"] == 1
    config["hparams"]["num_residual_units"] = 20000  # 60,000 units: minutes to build
    config_path.write_text(json.dumps(config))
    done = run(eval_command(f"--data_dir={data_dir}", f"--train_dir={train_dir}", "--eval_once"),
               timeout=120)
    line = _one_error(done, "eval")
    assert line.endswith("train_config.json describes: the checkpoint has [1, 1, 1] residual "
                         "units per stage and num_residual_units is 20000")
    assert not (train_dir / "eval").exists()
