"""The house drawn from imports: which parts of mibias import which.

    python scripts/import_map.py            # the arrows, the layers and any problem

A part is a sub-package (``training``) or a top-level module (``audit``). Every import of one
part by another, anywhere in its files (inside functions too), is an arrow. The layers below
are the intended order, lowest first: a part may import its own layer's parts and those
below. Printed: the arrows between parts, the arrows that run back up, and circles (parts
that import each other, directly or through others). tests/test_import_map.py asserts there
are none of either.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "mibias"

# lowest first; a part may import parts of its own layer and of the layers below
LAYERS: list[tuple[str, ...]] = [
    ("version", "io", "plotting", "lazy", "user_warnings"),
    ("settings", "run_folder", "report", "inputs"),
    ("data", "estimators", "models", "baselines", "methods"),
    ("training",),
    ("audit", "selection"),
    ("sweep", "fairness", "erasure"),
    ("experiments",),
    ("cli",),
    ("__main__", "__init__"),
]


def part_of(module: str) -> str | None:
    """The part a dotted module name under ``mibias`` belongs to."""
    names = module.split(".")
    if names[0] != "mibias":
        return None
    return names[1] if len(names) > 1 else "__init__"


def arrows() -> dict[str, set[str]]:
    """Part -> the other parts it imports."""
    graph: dict[str, set[str]] = defaultdict(set)
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        source = part_of(".".join(relative.parts))
        if source is None:
            continue
        graph.setdefault(source, set())
        for node in ast.walk(ast.parse(path.read_text())):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
                targets = targets[:1] if node.module != "mibias" else targets[1:]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            for target in targets:
                part = part_of(target)
                if part is not None and part != source:
                    graph[source].add(part)
    return dict(graph)


def layer(part: str) -> int:
    """The layer index of ``part``."""
    for index, parts in enumerate(LAYERS):
        if part in parts:
            return index
    raise KeyError(f"{part} has no layer in scripts/import_map.py: add it to LAYERS")


def back_up(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    """The arrows from a part to a part of a higher layer."""
    return sorted((a, b) for a, targets in graph.items() for b in targets if layer(b) > layer(a))


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Groups of parts that reach each other (strongly connected components of two or more)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def main() -> int:
    graph = arrows()
    count = sum(len(targets) for targets in graph.values())
    for number, parts in reversed(list(enumerate(LAYERS))):
        print(f"layer {number}: " + ", ".join(parts))
        for part in parts:
            if graph.get(part):
                print(f"    {part} -> {', '.join(sorted(graph[part]))}")
    wrong, loops = back_up(graph), circles(graph)
    print(f"{count} arrows; {len(wrong)} running back up; {len(loops)} circles")
    for a, b in wrong:
        print(f"  back up: {a} -> {b}")
    for loop in loops:
        print(f"  circle: {' <-> '.join(loop)}")
    return 1 if wrong or loops else 0


if __name__ == "__main__":
    sys.exit(main())
