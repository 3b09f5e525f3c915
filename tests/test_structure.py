"""The layout rules of the README's "Layout" section, kept by the suite rather than by memory.

- No module of the apps or ``config/`` (migrations aside) grows past ``MAX_LINES``.
- The core (``accounts``, ``sessions_app``) imports none of its satellites; they plug in through
  ``sessions_app/registry.py`` and their own ``apps.py``.
- Only ``integrations/agora/`` imports the Agora token builder.
- No two modules import each other, directly or around a loop (type-checking imports included:
  they name a dependency just the same).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = (
    "accounts",
    "availability",
    "backoffice",
    "chat",
    "config",
    "demo",
    "events",
    "integrations",
    "notifications",
    "privacy",
    "ratings",
    "recordings",
    "sessions_app",
    "webhooks",
)
CORE = ("accounts", "sessions_app")
SATELLITES = ("chat", "recordings", "ratings")
MAX_LINES = 450


def _modules() -> dict[str, Path]:
    found = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            rel = path.relative_to(ROOT)
            if "migrations" in rel.parts:
                continue
            parts = list(rel.with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


MODULES = _modules()
IMPORTS = {name: _imports(path) for name, path in MODULES.items()}


def test_the_rules_see_the_whole_project():
    assert len(MODULES) > 200
    assert "sessions_app.services.booking" in MODULES


def test_no_module_is_longer_than_the_limit():
    long = {
        name: n for name, path in MODULES.items() if (n := path.read_text(encoding="utf-8").count("\n")) > MAX_LINES
    }
    assert long == {}, f"split these by concern (limit {MAX_LINES} lines)"


def test_the_core_imports_none_of_its_satellites():
    wrong = {
        name: sorted(t for t in targets if t.split(".")[0] in SATELLITES)
        for name, targets in IMPORTS.items()
        if name.split(".")[0] in CORE and ".management." not in f".{name}."
    }
    assert {name: targets for name, targets in wrong.items() if targets} == {}


def test_only_the_agora_integration_imports_the_token_builder():
    users = sorted(
        name for name, targets in IMPORTS.items() if any(t.startswith("agora_token_builder") for t in targets)
    )
    assert users and all(name.startswith("integrations.agora") for name in users), users


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_cycle_finder_finds_a_loop_of_three():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycles():
    graph = {name: {t for t in targets if t in MODULES and t != name} for name, targets in IMPORTS.items()}
    assert _cycles(graph) == []
