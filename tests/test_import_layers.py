"""Imports point down (app.py -> loans -> agri_credit -> village_forms -> models), the
subpackages of agri_credit import each other without a cycle, and a routes module is
imported only inside its own feature. Read from the source, imports inside functions
included: a local import hides a cycle, it does not remove it."""

import ast
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Layers from the top; a module may import its own layer or one below it.
LAYERS = {"app": 0, "worker": 0, "loans": 1, "agri_credit": 2, "village_forms": 3, "models": 4}


@dataclass(frozen=True)
class Import:
    source: str  # importing module, dotted
    target: str  # imported module (or module.name for `from module import name`)
    where: str  # file:line

    def __str__(self) -> str:
        return f"{self.where}: {self.source} imports {self.target}"


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def read_imports(root: Path) -> list[Import]:
    files: list[Path] = []
    for top in LAYERS:
        if (root / f"{top}.py").is_file():
            files.append(root / f"{top}.py")
        if (root / top).is_dir():
            files.extend(sorted((root / top).rglob("*.py")))
    found = []
    for path in files:
        source = _module_name(path, root)
        package = source.split(".") if path.name == "__init__.py" else source.split(".")[:-1]
        where = str(path.relative_to(root))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package[: len(package) - node.level + 1]
                    base = ".".join([*anchor, *([node.module] if node.module else [])])
                # `from pkg import name` may import a submodule: keep both readings.
                targets = [f"{base}.{alias.name}" for alias in node.names]
            else:
                continue
            found.extend(Import(source, t, f"{where}:{node.lineno}") for t in targets)
    return found


def upward_imports(imports: list[Import]) -> list[Import]:
    def layer(name: str) -> int | None:
        return LAYERS.get(name.split(".")[0])

    return [
        i
        for i in imports
        if layer(i.target) is not None and layer(i.target) < layer(i.source)  # type: ignore[operator]
    ]


def _subpackage(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if parts[0] == "agri_credit" and len(parts) > 1 else None


def subpackage_cycles(imports: list[Import]) -> list[list[Import]]:
    """Each cycle between subpackages (or top modules) of agri_credit, as the imports that
    close it; found with Tarjan's strongly connected components."""
    edges: dict[str, dict[str, Import]] = defaultdict(dict)
    for i in imports:
        a, b = _subpackage(i.source), _subpackage(i.target)
        if a and b and a != b:
            edges[a].setdefault(b, i)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    components: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in edges.get(node, {}):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                component.add(member)
                if member == node:
                    break
            components.append(component)

    for node in list(edges):
        if node not in index:
            visit(node)
    return [
        [edges[a][b] for a in sorted(c) for b in sorted(edges[a]) if b in c]
        for c in components
        if len(c) > 1
    ]


def foreign_routes_imports(imports: list[Import]) -> list[Import]:
    """A routes module holds views; only its own feature registers it. Anything another
    package needs from it belongs in a module below the views."""
    return [
        i
        for i in imports
        if "routes" in i.target.split(".") and i.target.split(".")[:2] != i.source.split(".")[:2]
    ]


def test_imports_point_down_the_layers():
    assert [str(i) for i in upward_imports(read_imports(ROOT))] == []


def test_agri_credit_subpackages_import_each_other_without_a_cycle():
    cycles = subpackage_cycles(read_imports(ROOT))
    assert [[str(i) for i in cycle] for cycle in cycles] == []


def test_no_package_imports_another_ones_routes():
    assert [str(i) for i in foreign_routes_imports(read_imports(ROOT))] == []


def test_the_checks_catch_an_upward_import_a_cycle_and_a_foreign_routes_import(tmp_path):
    files = {
        "app.py": "from agri_credit import a\n",
        "models/__init__.py": "def helper():\n    from agri_credit.a import x\n",
        "agri_credit/a/__init__.py": "",
        "agri_credit/a/routes.py": "from ..b import services\n",
        "agri_credit/b/__init__.py": "",
        "agri_credit/b/services.py": "def later():\n    from agri_credit.a.routes import view\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    imports = read_imports(tmp_path)

    assert [str(i) for i in upward_imports(imports)] == [
        "models/__init__.py:2: models imports agri_credit.a.x"
    ]
    assert [[i.where for i in cycle] for cycle in subpackage_cycles(imports)] == [
        ["agri_credit/a/routes.py:1", "agri_credit/b/services.py:2"]
    ]
    assert [i.where for i in foreign_routes_imports(imports)] == ["agri_credit/b/services.py:2"]
