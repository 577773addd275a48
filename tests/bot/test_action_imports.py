"""The actions import each other in layers: no module imports one that imports it back (the
bare number routes to the referral offer; the referral reads the list she saw from
actions/choices.py, below both)."""

from __future__ import annotations

import ast
from pathlib import Path

ACTIONS = Path(__file__).resolve().parents[2] / "actions"


def imports() -> dict[str, set[str]]:
    modules = {
        ".".join(p.relative_to(ACTIONS.parent).with_suffix("").parts).removesuffix(".__init__"): p
        for p in ACTIONS.rglob("*.py")
    }
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                found |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
        graph[name] = {m for m in found if m in modules and m != name}
    return graph


def cycle_from(graph: dict[str, set[str]], start: str) -> list[str] | None:
    """A path of imports from `start` back to itself, if there is one."""
    stack, seen = [(start, [start])], set()
    while stack:
        module, path = stack.pop()
        for imported in graph[module]:
            if imported == start:
                return [*path, start]
            if imported not in seen:
                seen.add(imported)
                stack.append((imported, [*path, imported]))
    return None


def test_no_action_module_imports_itself_back() -> None:
    graph = imports()
    assert "actions.bare_number" in graph and graph["actions.referral"]
    cycles = [c for m in sorted(graph) if (c := cycle_from(graph, m))]
    assert cycles == [], " | ".join(" -> ".join(c) for c in cycles)


def test_the_check_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycle_from(graph, "a") == ["a", "b", "c", "a"]
    assert cycle_from(graph, "d") is None
