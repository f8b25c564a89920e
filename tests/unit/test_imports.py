"""No import circles in the package: a module imports nothing that imports it back, counting
imports made only for type checking (a circle there is a design circle all the same)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "layers" / "govbot" / "govbot"


def imports() -> dict[str, set[str]]:
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = path
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("govbot"):
                for alias in node.names:
                    whole = f"{node.module}.{alias.name}"
                    found.add(whole if whole in modules else str(node.module))
            elif isinstance(node, ast.Import):
                found |= {a.name for a in node.names if a.name.startswith("govbot")}
        # A package importing its own plug-ins (the registries) is how they register.
        graph[name] = {
            m for m in found & set(modules) if m != name and not m.startswith(name + ".")
        }
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    found, seen = [], set()

    def walk(module: str, path: list[str]) -> None:
        for nxt in sorted(graph[module]):
            if nxt in path:
                circle = path[path.index(nxt) :]
                key = frozenset(circle)
                if key not in seen:
                    seen.add(key)
                    found.append(circle)
            elif len(path) < 12:
                walk(nxt, [*path, nxt])

    for module in sorted(graph):
        walk(module, [module])
    return found


def test_no_module_imports_one_that_imports_it_back() -> None:
    graph = imports()
    assert len(graph) > 50
    assert circles(graph) == []


def test_the_check_sees_a_circle() -> None:
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c"]]
