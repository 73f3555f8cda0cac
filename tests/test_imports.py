"""Imports: no cycle in the static import graph of each package (tests/support/imports.py),
and the TensorFlow-free part of lrhooks imports neither TensorFlow nor absl."""

import pathlib
import textwrap

import pytest

from tests.support import imports, programs

PACKAGES = ["lrhooks", "models"]


@pytest.mark.parametrize("package", PACKAGES)
def test_no_import_cycle(package):
    graph = imports.import_graph(package)
    assert len(graph) > 1
    assert imports.find_cycles(graph) == []


def _write(root: pathlib.Path, files):
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def test_finds_cycles_through_every_import_form(tmp_path):
    _write(tmp_path, {
        "pkg/__init__.py": "from pkg import a\n",
        "pkg/a.py": "import pkg.b\n",
        "pkg/b.py": "def f():\n    from .sub import c  # a function-level import\n",
        "pkg/sub/__init__.py": "",
        "pkg/sub/c.py": "from .. import a\nfrom pkg.sub import d\n",
        "pkg/sub/d.py": "from ..b import f\nimport os\n",
        "pkg/e.py": "from pkg.a import name\n",  # into the cycle, not part of it
    })
    graph = imports.import_graph("pkg", tmp_path)
    assert graph == {"pkg": {"pkg.a"}, "pkg.a": {"pkg.b"}, "pkg.b": {"pkg.sub.c"},
                     "pkg.sub": set(), "pkg.sub.c": {"pkg.a", "pkg.sub.d"},
                     "pkg.sub.d": {"pkg.b"}, "pkg.e": {"pkg.a"}}
    assert imports.find_cycles(graph) == [["pkg.a", "pkg.b", "pkg.sub.c", "pkg.sub.d"]]


def test_no_cycle_in_a_tree(tmp_path):
    _write(tmp_path, {"pkg/__init__.py": "from pkg import a, b\n", "pkg/a.py": "import pkg.b\n",
                      "pkg/b.py": "import json\n"})
    assert imports.find_cycles(imports.import_graph("pkg", tmp_path)) == []
    assert imports.find_cycles({"x": {"x"}}) == [["x"]]


def test_schedules_import_neither_tensorflow_nor_absl_nor_numpy():
    code = ("import sys, lrhooks, lrhooks.schedules, lrhooks.spec, lrhooks.checks, "
            "lrhooks.preview, lrhooks.horizons, lrhooks.run_plan, lrhooks._spec_run_length, "
            "models.resnet_mnist.run_plan; "
            "bad = [m for m in ('tensorflow', 'absl', 'numpy') if m in sys.modules]; "
            "assert not bad, bad")
    result = programs.run(programs.python_code(code), timeout=120)
    assert result.returncode == 0, result.stderr


def test_the_light_modules_of_the_packages_load_no_tensorflow():
    """`lrhooks.plot` writes through `lrhooks.tools.safe_files` and the programs import
    `lrhooks.cli.console` first: neither package's `__init__` may load its TensorFlow
    modules (`tools.precision`, `tools.hparams`), nor `cli`'s absl ones for `console`."""
    code = ("import sys, lrhooks.tools.safe_files, lrhooks.plot, lrhooks.cli.console; "
            "bad = [m for m in ('tensorflow', 'absl') if m in sys.modules]; "
            "assert not bad, bad")
    result = programs.run(programs.python_code(code), timeout=120)
    assert result.returncode == 0, result.stderr
