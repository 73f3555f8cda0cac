"""No import cycle in `models`: every import statement (top level or inside a function)."""

import ast
import pathlib
from typing import Dict, List, Set

REPO = pathlib.Path(__file__).resolve().parents[2]
PACKAGE = "models"


def module_imports(root: pathlib.Path, package: str) -> Dict[str, Set[str]]:
    """{module: the modules of `package` it imports}, read statically from the source."""
    modules = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    graph = {}
    for name, path in modules.items():
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                # `from a.b import c` imports a.b, and a.b.c when c is a module.
                targets.add(node.module)
                targets.update(f"{node.module}.{alias.name}" for alias in node.names)
        # Importing a.b.c runs a/__init__ and a/b/__init__ first.
        targets.update(".".join(t.split(".")[:i]) for t in list(targets)
                       for i in range(1, t.count(".") + 1))
        graph[name] = {t for t in targets if t in modules and t != name}
    return graph


def find_cycle(graph: Dict[str, Set[str]]) -> List[str]:
    """One import cycle as [a, b, ..., a], or [] when there is none."""
    state: Dict[str, int] = {}  # 1: on the current path, 2: done
    path: List[str] = []

    def visit(node: str) -> List[str]:
        state[node] = 1
        path.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                return path[path.index(target):] + [target]
            if target not in state:
                cycle = visit(target)
                if cycle:
                    return cycle
        path.pop()
        state[node] = 2
        return []

    for start in sorted(graph):
        if start not in state:
            cycle = visit(start)
            if cycle:
                return cycle
    return []


def test_find_cycle_sees_a_cycle_through_a_function_level_import(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from pkg import b\n")
    (package / "b.py").write_text("def f():\n    import pkg.c\n")
    (package / "c.py").write_text("from pkg.a import thing\n")
    graph = module_imports(tmp_path, "pkg")
    assert graph == {"pkg": set(), "pkg.a": {"pkg", "pkg.b"}, "pkg.b": {"pkg", "pkg.c"},
                     "pkg.c": {"pkg", "pkg.a"}}
    assert find_cycle(graph) == ["pkg.a", "pkg.b", "pkg.c", "pkg.a"]


def test_models_have_no_import_cycle():
    graph = module_imports(REPO, PACKAGE)
    assert "models.resnet_mnist.train" in graph  # the walk found the trainer
    assert find_cycle(graph) == []


def test_range_test_does_not_import_the_program():
    graph = module_imports(REPO, PACKAGE)
    assert "models.resnet_mnist.train" not in graph["models.resnet_mnist.range_test"]
    assert "models.resnet_mnist.range_test" in graph["models.resnet_mnist.train"]
