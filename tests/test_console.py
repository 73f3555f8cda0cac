"""lrhooks.cli.console: --verbose read before the flags, and importing TensorFlow quietly.

The import is checked in subprocesses against a stand-in `tensorflow` package that prints to
file descriptor 2 while it is imported, as TensorFlow's C++ code does (the real one is checked
by tests/models/test_program_output.py).
"""

import sys

import pytest

from lrhooks.cli import console
from tests.support import programs

PROBE = ("import os, sys\n"
         "from lrhooks.cli import console\n"
         "quiet = console.import_tensorflow_quietly(verbose=sys.argv[1] == 'verbose')\n"
         "print(quiet, os.environ.get('TF_CPP_MIN_LOG_LEVEL'), 'tensorflow' in sys.modules)\n")


@pytest.mark.parametrize("argv, verbose", [
    ([], False),
    (["--verbose"], True),
    (["--verbose=true"], True),
    (["--verbose=1"], True),
    (["-verbose"], True),
    (["--verbose", "--noverbose"], False),
    (["--noverbose", "--verbose"], True),
    (["--verbose=false"], False),
    (["--verbose_steps=3"], False),   # another flag
    (["--noverbose=1"], False),       # malformed: left to the flag parser
    (["verbose"], False),             # not a flag
])
def test_verbose_requested(argv, verbose):
    assert console.verbose_requested(argv) is verbose


def test_verbose_requested_reads_flagfiles(tmp_path):
    inner = tmp_path / "inner.flags"
    inner.write_text("# a comment\n--verbose\n")
    outer = tmp_path / "outer.flags"
    outer.write_text(f"--flagfile={inner}\n--batch_size=8\n")
    assert console.verbose_requested([f"--flagfile={outer}"])
    assert not console.verbose_requested([f"--flagfile={outer}", "--noverbose"])
    loop = tmp_path / "loop.flags"
    loop.write_text(f"--flagfile={loop}\n--verbose\n")  # a cycle ends
    assert console.verbose_requested([f"--flagfile={loop}"])
    assert not console.verbose_requested([f"--flagfile={tmp_path / 'missing.flags'}"])
    binary = tmp_path / "binary.flags"
    binary.write_bytes(bytes(range(128, 256)))  # not text: left to the flag parser
    assert not console.verbose_requested([f"--flagfile={binary}"])


@pytest.fixture
def fake_tensorflow(tmp_path):
    """A `tensorflow` package that writes a banner to fd 2 on import (or also fails)."""
    def make(fails=False):
        package = tmp_path / "tensorflow"
        package.mkdir(exist_ok=True)
        (package / "__init__.py").write_text(
            "import os\nos.write(2, b'I0000 port.cc:153] oneDNN custom operations are on\\n')\n"
            + ("raise ImportError('libtensorflow_cc.so.2: cannot open shared object file')\n"
               if fails else ""))
        return tmp_path
    return make


def run_probe(path, mode, **env):
    environ = programs.environment(tf_log_level=None, path_first=[path], **env)
    return programs.run(programs.python_code(PROBE, mode), env=environ, timeout=60)


def test_quiet_import_hides_what_tensorflow_prints(fake_tensorflow):
    done = run_probe(fake_tensorflow(), "quiet")
    assert done.returncode == 0, done.stderr
    assert (done.stdout, done.stderr) == ("True 3 True\n", "")


def test_verbose_import_shows_it_and_sets_nothing(fake_tensorflow):
    done = run_probe(fake_tensorflow(), "verbose")
    assert (done.stdout, done.stderr) == ("False None True\n",
                                          "I0000 port.cc:153] oneDNN custom operations are on\n")


@pytest.mark.parametrize("level", ["0", "1", "3"])
def test_a_log_level_the_user_set_is_never_overridden(fake_tensorflow, level):
    done = run_probe(fake_tensorflow(), "quiet", TF_CPP_MIN_LOG_LEVEL=level)
    assert done.stdout == f"False {level} True\n"
    assert "oneDNN" in done.stderr  # TensorFlow prints what it prints; lrhooks hides nothing


def test_a_failed_import_shows_what_was_hidden(fake_tensorflow):
    done = run_probe(fake_tensorflow(fails=True), "quiet")
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith("I0000 port.cc:153] oneDNN custom operations are on\n")
    assert done.stderr.rstrip().endswith(
        "ImportError: libtensorflow_cc.so.2: cannot open shared object file")


SIGNAL_PROBE = ("import os, signal, sys\n"
                "def stop(signum, frame):\n"
                "    os.write(2, b'stopped by signal %d while importing\\n' % signum)\n"
                "    os._exit(128 + signum)\n"
                "signal.signal(signal.SIGTERM, stop)\n"
                "from lrhooks.cli import console\n"
                "console.import_tensorflow_quietly(verbose=False)\n"
                "print('not reached')\n")


def test_a_signal_during_the_quiet_import_is_reported_on_the_real_stderr(tmp_path):
    """The program's handler (e.g. the trainer's one-line report) writes to fd 2, which the
    import has captured: the real stderr comes back first."""
    package = tmp_path / "tensorflow"
    package.mkdir()
    (package / "__init__.py").write_text(
        "import os, signal, time\nos.write(2, b'banner\\n')\n"
        "os.kill(os.getpid(), signal.SIGTERM)\ntime.sleep(30)\n")
    done = programs.run(programs.python_code(SIGNAL_PROBE), timeout=60,
                        env=programs.environment(tf_log_level=None, path_first=[tmp_path]))
    assert done.returncode == 128 + 15
    assert (done.stdout, done.stderr) == ("", "stopped by signal 15 while importing\n")


def test_the_module_imports_neither_tensorflow_nor_absl():
    done = programs.run(programs.python_code(
        "import sys; import lrhooks.cli.console; "
        "print(sorted(m for m in ('tensorflow', 'absl') if m in sys.modules))"), timeout=60)
    assert done.stdout == "[]\n", done.stderr


def test_printed_commands_run_as_printed_from_the_current_directory(tmp_path, monkeypatch):
    venv_bin = tmp_path / ".venv" / "bin"
    venv_bin.mkdir(parents=True)
    for name in ("python", "tensorboard"):
        (venv_bin / name).write_text("#!/bin/sh\n")
        (venv_bin / name).chmod(0o755)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "executable", str(venv_bin / "python"))
    monkeypatch.setenv("PATH", str(tmp_path / "elsewhere"))  # a venv that is not activated
    assert console.python_command() == ".venv/bin/python"
    assert console.tensorboard_command("runs") == ".venv/bin/tensorboard --logdir=runs"
    monkeypatch.setenv("PATH", str(venv_bin))  # activated: the names PATH finds
    assert console.python_command() == "python"
    assert console.tensorboard_command("my runs") == "tensorboard --logdir='my runs'"
    (venv_bin / "tensorboard").unlink()  # no script: the running Python's module
    monkeypatch.setenv("PATH", str(tmp_path / "elsewhere"))
    assert console.tensorboard_command("runs") == (
        ".venv/bin/python -m tensorboard.main --logdir=runs")
    (tmp_path / "other").mkdir()
    monkeypatch.chdir(tmp_path / "other")  # outside the current directory: absolute
    assert console.python_command() == str(venv_bin / "python")
