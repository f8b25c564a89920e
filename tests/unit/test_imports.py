"""No import circles in the package, and no module importing one above it in the layers
docs/architecture.md draws: counting imports made only for type checking or inside a function
(a circle there is a design circle all the same)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "layers" / "govbot" / "govbot"


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


def layers() -> list[list[str]]:
    """The module patterns of each row of docs/architecture.md's layer table, top first."""
    text = (ROOT / "docs" / "architecture.md").read_text()
    table = text.split("## Layers", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| ") and "`" in line]
    return [re.findall(r"`([a-z_.*]+)`", row.split("|")[2]) for row in rows]


def rank(module: str, rows: list[list[str]]) -> int | None:
    """The row a module is in, counted from the bottom (None: in no row)."""
    name = module.removeprefix("govbot.")
    for i, patterns in enumerate(reversed(rows)):
        for p in patterns:
            if name == p or (p.endswith(".*") and (name + ".").startswith(p[:-1])):
                return i
    return None


def upward(graph: dict[str, set[str]], rows: list[list[str]]) -> list[str]:
    found = []
    for module, imported in sorted(graph.items()):
        if not imported:
            continue  # an empty package, or a module of constants: nothing to place
        mine = rank(module, rows)
        if mine is None:
            found.append(f"{module} is in no layer of docs/architecture.md")
            continue
        for other in sorted(imported):
            theirs = rank(other, rows)
            if theirs is None or theirs > mine:
                found.append(f"{module} imports {other}, above it")
    return found


def test_no_module_imports_one_above_it() -> None:
    rows = layers()
    assert len(rows) >= 8
    assert upward(imports(), rows) == []


def test_the_layer_check_sees_an_upward_import() -> None:
    rows = [["handlers.*"], ["cycle.engine"], ["aws"]]
    assert upward({"govbot.aws": {"govbot.cycle.engine"}}, rows) == [
        "govbot.aws imports govbot.cycle.engine, above it"
    ]
    assert upward({"govbot.handlers.sweep": {"govbot.aws"}}, rows) == []
    assert upward({"govbot.new": {"govbot.aws"}}, rows) == [
        "govbot.new is in no layer of docs/architecture.md"
    ]


def test_each_function_is_its_decorators_and_one_handler_module() -> None:
    """functions/<name>/app.py calls into govbot.handlers.<name> (and the shared event
    models), never into another function's module nor around the handlers."""
    for app in sorted((ROOT / "functions").glob("*/app.py")):
        name = app.parent.name
        used = {
            node.module
            for node in ast.walk(ast.parse(app.read_text()))
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("govbot")
        }
        assert f"govbot.handlers.{name}" in used, app
        allowed = {f"govbot.handlers.{name}", "govbot.handlers.events", "govbot", "govbot.runtime"}
        assert used <= allowed, (app, used - allowed)
