"""The modules of roberta.serve import one another without a cycle: the import graph, read with ast from
the source (imports inside functions included, since a lazy import hides a cycle rather than removing it)."""

from __future__ import annotations

import ast
from pathlib import Path

SERVE = Path(__file__).resolve().parents[2] / "src" / "roberta" / "serve"
PACKAGE = "roberta.serve"


def imported_modules(path: Path, modules: set[str]) -> set[str]:
    """The modules of serve/ that the file at `path` imports."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1:  # from .x import y, from . import x
                module = node.module
            elif node.level == 0 and (node.module or "").startswith(PACKAGE):
                module = node.module[len(PACKAGE) :].lstrip(".") or None
            else:
                continue
            names.update([module.split(".")[0]] if module else [alias.name for alias in node.names])
        elif isinstance(node, ast.Import):
            names.update(a.name.split(".")[2] for a in node.names if a.name.startswith(PACKAGE + "."))
    return names & modules


def import_graph() -> dict[str, set[str]]:
    files = {path.stem: path for path in SERVE.glob("*.py")}
    return {name: imported_modules(path, set(files)) for name, path in files.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of `graph` as the path around it (first node repeated at the end), or None."""
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str] | None:
        if node in path:
            return path[path.index(node) :] + [node]
        if node in done:
            return None
        for child in sorted(graph[node]):
            cycle = visit(child, path + [node])
            if cycle:
                return cycle
        done.add(node)
        return None

    return next((cycle for node in sorted(graph) if (cycle := visit(node, []))), None)


def test_the_cycle_finder_finds_cycles():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_serve_imports_have_no_cycle():
    graph = import_graph()
    assert "routes" in graph["app"] and "schema" in graph["request_types"]  # the graph was read
    assert find_cycle(graph) is None, f"an import cycle in serve/: {' -> '.join(find_cycle(graph))}"
