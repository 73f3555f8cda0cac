"""The programs' entry points: `--help` starts without TensorFlow, from any directory, and
setup.cfg installs `models` with its flagfiles and the four console scripts.

The subprocesses run from a temporary directory with only the checkout on PYTHONPATH (the
shared test venv may have another checkout installed), and report whether TensorFlow was
imported.
"""

import configparser
import glob
import importlib
import os

import pytest

from tests.support import programs
from tests.support.programs import REPO_ROOT as ROOT

RUN_MODULE = """
import runpy, sys
sys.argv = [{module!r}] + {args!r}
code = 0
try:
    runpy.run_module({module!r}, run_name="__main__")
except SystemExit as stop:
    code = stop.code or 0
sys.stdout.flush()
print("TENSORFLOW_IMPORTED", "tensorflow" in sys.modules)
sys.exit(code)
"""


def run_module(module, args, cwd):
    return programs.run(programs.python_code(RUN_MODULE.format(module=module, args=args)),
                        cwd=cwd, env=programs.environment(tf_log_level=None), timeout=120)


@pytest.mark.parametrize("module, flag", [("models.resnet_mnist.train", "--train_steps"),
                                          ("models.resnet_mnist.eval", "eval_once"),
                                          ("lrhooks.preview", "--lr_schedule")])
def test_help_exits_zero_without_importing_tensorflow(module, flag, tmp_path):
    done = run_module(module, ["--help"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert flag in done.stdout
    assert "TENSORFLOW_IMPORTED False" in done.stdout


@pytest.mark.slow  # starts a real program (the --help ones stay in the fast tier)
def test_a_preview_without_logdir_needs_no_tensorflow(tmp_path):
    done = run_module("lrhooks.preview", ["--lr_schedule=cosine_decay(0.1, 100)", "--steps=100"],
                      tmp_path)
    assert done.returncode == 0, done.stderr
    assert "cosine_decay" in done.stdout and "TENSORFLOW_IMPORTED False" in done.stdout


@pytest.mark.slow  # starts a real program
def test_a_flag_mistake_exits_1_without_importing_tensorflow(tmp_path):
    done = run_module("models.resnet_mnist.train", ["--batch_size=0"], tmp_path)
    assert done.returncode == 1
    assert "--batch_size" in done.stderr and "Traceback" not in done.stderr
    assert "TENSORFLOW_IMPORTED False" in done.stdout


def _setup_cfg():
    parser = configparser.ConfigParser()
    parser.read(ROOT / "setup.cfg")
    return parser


def test_setup_cfg_names_the_four_console_scripts_and_each_resolves():
    lines = _setup_cfg()["options.entry_points"]["console_scripts"].strip().splitlines()
    scripts = dict(line.replace(" ", "").split("=") for line in lines)
    assert scripts == {"lrhooks-train": "models.resnet_mnist.train:run",
                       "lrhooks-eval": "models.resnet_mnist.eval:run",
                       "lrhooks-preview": "lrhooks.preview.cli:run",
                       "lrhooks-plot": "lrhooks.plot.cli:run"}
    for target in scripts.values():
        module, name = target.split(":")
        assert callable(getattr(importlib.import_module(module), name)), target


def test_setup_cfg_installs_models_with_its_flagfiles():
    config = _setup_cfg()
    packages = config["options.packages.find"]["include"].split()
    assert {"models", "models.*"} <= set(packages)
    pattern = config["options.package_data"]["models.resnet_mnist"].strip()
    shipped = glob.glob(str(ROOT / "models" / "resnet_mnist" / pattern))
    assert {os.path.basename(p) for p in shipped} >= {"quick.flags", "resnet.flags"}


@pytest.mark.parametrize("module, description", [
    ("models.resnet_mnist.train", "Trains the MNIST ResNet"),
    ("models.resnet_mnist.eval", None),
    ("lrhooks.preview.cli", None),
    ("lrhooks.plot.cli", None),
])
def test_an_installed_script_shows_the_program_description_in_help(module, description,
                                                                    tmp_path):
    """A console script's `__main__` has no docstring: `run()` lends it the program's."""
    code = (f"import importlib, sys; program = importlib.import_module({module!r}); "
            f"sys.argv = ['script', '--help']; program.run()")
    done = programs.run(programs.python_code(code), cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    first = (description or importlib.import_module(module).__doc__.strip().splitlines()[0])
    assert first in done.stdout.splitlines()[0], done.stdout[:300]
