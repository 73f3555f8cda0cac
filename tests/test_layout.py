"""The package layout is the API table: what sits at the top of `lrhooks/`, what each package
re-exports, what type checkers see of the lazy names, and where absl may be imported
(read with `ast` where nothing needs importing)."""

import ast
import importlib
import importlib.machinery
import inspect
import pathlib
import types

import pytest

import lrhooks
from tests.support import imports

LIBRARY = imports.REPO_ROOT / "lrhooks"

# The public modules that stay at the top, the flag language's private helper, and the packages
# (each a kind of module).
TOP_LEVEL = {
    "__init__.py", "checks.py", "spec.py", "_spec_run_length.py", "horizons.py", "run_plan.py",
    "portable.py", "keras.py", "torch.py", "optax.py",
    "schedules", "preview", "plot", "graph", "hooks", "cli", "tools",
}
# The programs' modules: the only ones that may import absl.
ABSL_ALLOWED = {"lrhooks/plot/cli.py", "lrhooks/preview/cli.py"}
ABSL_PACKAGE = "lrhooks/cli/"
# Function-level imports of lrhooks modules, each for a stated reason.
LAZY_IMPORTS = {
    ("lrhooks/preview/__init__.py", "lrhooks.preview"): "the CLI imports absl; preview must not",
}


def _source_files():
    return sorted(path for path in LIBRARY.rglob("*.py") if "__pycache__" not in path.parts)


def _relative(path: pathlib.Path) -> str:
    return path.relative_to(imports.REPO_ROOT).as_posix()


def _imported_names(node: ast.AST):
    """The module names an import node names (`from a import b` names `a`)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        return [node.module]
    return []


def test_top_level_holds_only_the_public_modules_and_the_packages():
    found = {path.name for path in LIBRARY.iterdir()
             if path.name != "__pycache__" and (path.suffix == ".py" or path.is_dir())}
    assert found == TOP_LEVEL
    for package in ("schedules", "preview", "plot", "graph", "hooks", "cli", "tools"):
        assert (LIBRARY / package / "__init__.py").is_file(), package


@pytest.mark.parametrize("package", ["lrhooks.graph", "lrhooks.hooks"])
def test_eager_packages_reexport_the_names_of_their_modules(package):
    module = importlib.import_module(package)
    assert module.__all__
    for name in module.__all__:
        value = getattr(module, name)
        home = getattr(value, "__module__", None)
        if home is None:  # a constant: defined by one of the package's modules
            home = next(m.__name__ for m in vars(module).values()
                        if isinstance(m, types.ModuleType) and m.__name__.startswith(package)
                        and getattr(m, name, None) is value)
        assert home.startswith(package + "."), (name, home)
        assert getattr(importlib.import_module(home), name) is value


@pytest.mark.parametrize("package", ["lrhooks.cli", "lrhooks.tools"])
def test_module_packages_load_their_modules_on_first_use(package):
    module = importlib.import_module(package)
    assert dir(module) == sorted(module.__all__)
    on_disk = {path.stem for path in (LIBRARY / package.split(".")[1]).glob("*.py")}
    assert set(module.__all__) == on_disk - {"__init__"}
    for name in module.__all__:
        assert getattr(module, name) is importlib.import_module(f"{package}.{name}")
    with pytest.raises(AttributeError, match=f"module '{package}' has no attribute 'flags'"):
        module.flags  # pylint: disable=pointless-statement


def test_type_checkers_see_every_lazy_name_where_it_is_defined():
    tree = ast.parse((LIBRARY / "__init__.py").read_text())
    blocks = [node for node in tree.body if isinstance(node, ast.If)
              and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"]
    assert len(blocks) == 1
    seen = {}
    for node in blocks[0].body:
        assert isinstance(node, ast.ImportFrom)
        for alias in node.names:
            seen[alias.asname or alias.name] = (node.module, alias.name)
    assert set(seen) == set(lrhooks._LAZY)  # pylint: disable=protected-access
    for name, (module_name, attribute) in lrhooks._LAZY.items():  # pylint: disable=protected-access
        value = getattr(lrhooks, name)
        checked = getattr(importlib.import_module(seen[name][0]), seen[name][1])
        assert checked is value, name
        if attribute is not None and (inspect.isclass(value) or inspect.isfunction(value)):
            assert value.__module__ == module_name, name


def test_no_library_module_imports_absl():
    offenders = []
    for path in _source_files():
        relative = _relative(path)
        if relative.startswith(ABSL_PACKAGE) or relative in ABSL_ALLOWED:
            continue
        for node in ast.walk(ast.parse(path.read_text(), relative)):
            for name in _imported_names(node):
                if name == "absl" or name.startswith("absl."):
                    offenders.append(f"{relative}:{node.lineno} {name}")
    assert offenders == []


def test_lrhooks_modules_are_imported_at_module_level():
    offenders = []
    for path in _source_files():
        relative = _relative(path)
        for function in ast.walk(ast.parse(path.read_text(), relative)):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(function):
                for name in _imported_names(node):
                    if (name == "lrhooks" or name.startswith("lrhooks.")) and \
                            (relative, name) not in LAZY_IMPORTS:
                        offenders.append(f"{relative}:{node.lineno} {name}")
    assert offenders == []


def test_the_former_module_paths_and_aliases_are_gone():
    # Looked up in the package's own directory: an editable install of another checkout
    # (a meta path finder) would still serve its old modules to `import_module`.
    for old in ("composite", "cyclic", "step_writes", "setter_hook", "log_hook", "console"):
        assert importlib.machinery.PathFinder.find_spec(old, lrhooks.__path__) is None, old
    with pytest.raises(AttributeError, match="has no attribute 'get_global_step_or_raise'"):
        lrhooks.get_global_step_or_raise  # pylint: disable=pointless-statement
    assert not hasattr(lrhooks.schedules.Schedule, "_FACTORY")
    assert not hasattr(lrhooks.schedules.cosine_decay(0.1, 10), "_FACTORY")
