"""No import circles: every arrow between the project's modules runs one way.

import-linter's layers contract checks the arrows between packages; this checks the
modules themselves, lazy imports inside functions included (grimp's graph, the one
import-linter reads), with a strongly-connected-components search.
"""

from __future__ import annotations

import grimp
import pytest


def circles(package: str) -> list[set[str]]:
    """Each set of modules that import one another in a circle (Tarjan's algorithm)."""
    graph = grimp.build_graph(package)
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def visit(module: str) -> None:
        order[module] = low[module] = len(order)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in order:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], order[imported])
        if low[module] == order[module]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(component)

    for module in sorted(graph.modules):
        if module not in order:
            visit(module)
    return found


@pytest.mark.parametrize("package", ["tracknet_studio", "tracknet"])
def test_no_circles(package: str) -> None:
    assert circles(package) == []


def test_a_circle_is_found(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The search itself: a package whose window and controller import each other (the
    shape issue 22 removed, lazy and type-checking imports included) is caught."""
    package = tmp_path / "circled"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "window.py").write_text("from . import controller\n")
    (package / "controller.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .window import W\n"
    )
    (package / "leaf.py").write_text("def f():\n    from . import window\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert circles("circled") == [{"circled.window", "circled.controller"}]
