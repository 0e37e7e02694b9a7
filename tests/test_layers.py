"""The tree shows the flow (STYLE.md point 1, issue 16): each stage imports only the stages
before it, and no module imports itself round in a circle."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "syncservice"

# In the order of the flow: a module may import its own layer and those before it, never after.
LAYERS = [
    ("base",),
    ("intake",),
    ("rules",),
    ("store",),
    ("archive",),
    ("outputs",),
    ("pipeline", "rebuild"),  # the flow itself, one file and one pass at a time
    ("service",),
    ("cli", "__main__"),
]
RANK = {name: i for i, names in enumerate(LAYERS) for name in names}


def modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def imports(path: Path, name: str, known: set[str]) -> set[str]:
    """Every syncservice module `name` imports, at its top or inside a function."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            found |= {f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names}
    return {m for m in found if m in known and m != name}


def layer(module: str) -> int:
    top = module.split(".")[1] if module.count(".") else ""
    assert top in RANK, f"{module} is in no layer: add its folder to LAYERS"
    return RANK[top]


def graph() -> dict[str, set[str]]:
    found = modules()
    return {name: imports(path, name, set(found)) for name, path in found.items() if name != "syncservice"}


def test_every_module_is_in_a_stage():
    for module in graph():
        layer(module)


def test_no_stage_imports_a_later_one():
    upward = sorted(f"{m} imports {d}" for m, deps in graph().items() for d in deps
                    if d != "syncservice" and layer(d) > layer(m))
    assert upward == []


def test_no_import_cycles():
    edges = graph()
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for dep in sorted(edges.get(node, ())):
            if state.get(dep) == 1:
                cycles.append(trail[trail.index(dep):] + [dep] if dep in trail else [node, dep])
            elif dep not in state:
                visit(dep, trail + [dep])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert cycles == []
