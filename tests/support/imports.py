"""Static import graph of a package, and the cycles in it (read with `ast`, nothing imported).

Every `import a.b`, `from a import b` (b a module or a name), `from . import b` and
`from ..x import y` is an edge from the importing module to the module it names, whether the
import is at module level or inside a function (a function-level import still makes the two
modules depend on each other). Only modules of the package count; the implicit import of a
parent package (importing `pkg.a` runs `pkg/__init__.py` first) is not an edge, as Python
allows it while `pkg/__init__` is loading.
"""

import ast
import pathlib
from typing import Dict, List, Set

from tests.support.programs import REPO_ROOT


def package_modules(package: str, root: pathlib.Path = REPO_ROOT) -> Dict[str, pathlib.Path]:
    """Module name -> file, for every `.py` file of `package` (a directory under `root`)."""
    base = root / package.replace(".", "/")
    modules = {}
    for path in sorted(base.rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _resolve(module: str, is_package: bool, level: int, target: str) -> str:
    """The absolute name of `from <level dots><target> import ...` inside `module`."""
    if level == 0:
        return target
    parts = module.split(".")
    base = parts if is_package else parts[:-1]
    base = base[:len(base) - (level - 1)]
    return ".".join(base + ([target] if target else []))


def imported_modules(module: str, path: pathlib.Path, known: Set[str]) -> Set[str]:
    """The modules of `known` that `module` (its source at `path`) imports, anywhere in it."""
    is_package = path.name == "__init__.py"
    found = set()

    def add(name: str) -> None:
        # `import a.b.c` needs a.b.c; only the deepest known module is the dependency.
        while name and name not in known:
            name = name.rpartition(".")[0]
        if name and name != module:
            found.add(name)

    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, is_package, node.level, node.module or "")
            for alias in node.names:
                candidate = f"{base}.{alias.name}" if base else alias.name
                add(candidate if candidate in known else base)
    return found


def import_graph(package: str, root: pathlib.Path = REPO_ROOT) -> Dict[str, Set[str]]:
    """Module -> the modules of the same package it imports."""
    modules = package_modules(package, root)
    known = set(modules)
    return {name: imported_modules(name, path, known) for name, path in modules.items()}


def find_cycles(graph: Dict[str, Set[str]]) -> List[List[str]]:
    """The import cycles of `graph`: one list per strongly connected component of 2+ modules
    (or a module importing itself), each sorted."""
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    on_stack: Set[str] = set()
    cycles: List[List[str]] = []
    counter = [0]

    def visit(node: str) -> None:  # Tarjan's algorithm
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1 or node in graph.get(node, ()):
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(cycles)
