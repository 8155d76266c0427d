"""The packages import each other in one direction only, read from the source files (with `ast`,
so an import inside a function or under TYPE_CHECKING counts too):

    models  ←  bot  ←  scheduler  ←  handlers  ←  bot.app, bot.__main__

`models` is the schema; `bot` the domain (services, delivery, exports, the text conversation,
the channels' drivers, the core parts of bot/core.py); `scheduler` the timed jobs, on `bot`;
`handlers` the Telegram dialogs, which may read the scheduler's callback data; and the
composition root, bot/app.py and bot/__main__.py, builds all of them and is imported by no
other module. The root lives inside `bot` (not in a package of its own) so that
`python -m bot` stays the one command; it is why the layers below are checked per module, not
per package: a module of `bot` other than the root importing `handlers` or `scheduler` would
close a loop through the root.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("models", "bot", "scheduler", "handlers")
COMPOSITION_ROOT = {"bot.app", "bot.__main__"}
LAYER = {"models": 0, "bot": 1, "scheduler": 2, "handlers": 3}  # the root: above them all


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported(path: Path, name: str) -> set[str]:
    """The modules of our packages that the file imports (absolute or relative)."""
    found = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return {m for m in found if m.split(".")[0] in PACKAGES}


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    modules = {
        module_name(path, root): path
        for package in PACKAGES
        for path in (root / package).rglob("*.py")
    }
    graph = {}
    for name, path in modules.items():
        # `from scheduler import digests` names a module; `from models import utcnow` a
        # package's attribute: keep what is a module, else the package.
        targets = set()
        for target in imported(path, name):
            while target not in modules and "." in target:
                target = target.rpartition(".")[0]
            if target in modules and target != name:
                targets.add(target)
        graph[name] = targets
    return graph


def layer(module: str) -> int:
    if module in COMPOSITION_ROOT:
        return len(LAYER)
    return LAYER[module.split(".")[0]]


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    """Each import of a module from a higher layer (or of the composition root)."""
    return sorted(
        f"{module} imports {target}"
        for module, targets in graph.items()
        for target in targets
        if layer(target) > layer(module)
        or (target in COMPOSITION_ROOT and module not in COMPOSITION_ROOT)
    )


def package_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A loop between the layers (the root counted as a layer of its own), or None."""
    edges: dict[str, set[str]] = {}
    for module, targets in graph.items():
        for target in targets:
            a, b = layer_name(module), layer_name(target)
            if a != b:
                edges.setdefault(a, set()).add(b)

    def visit(node: str, path: list[str]) -> list[str] | None:
        for nxt in sorted(edges.get(node, ())):
            if nxt in path:
                return [*path[path.index(nxt) :], nxt]
            found = visit(nxt, [*path, nxt])
            if found:
                return found
        return None

    for start in sorted(edges):
        found = visit(start, [start])
        if found:
            return found
    return None


def layer_name(module: str) -> str:
    return "composition root" if module in COMPOSITION_ROOT else module.split(".")[0]


def test_packages_import_each_other_in_one_direction_only():
    graph = import_graph()
    assert {"bot.app", "handlers.sessions", "scheduler.jobs", "models"} <= graph.keys()
    assert {"handlers", "scheduler"} <= graph["bot.app"]  # the graph sees the imports it should
    assert upward_imports(graph) == []
    assert package_cycle(graph) is None


def test_a_loop_is_found(tmp_path):
    """The check fails on the kind of loop it is there for: a domain module importing a
    scheduler module that imports the domain back, and the root imported from below."""
    for package, source in {
        "models": "",
        "bot": "",
        "scheduler": "",
        "handlers": "",
    }.items():
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text(source)
    (tmp_path / "bot" / "app.py").write_text("import handlers\n")
    (tmp_path / "bot" / "rights.py").write_text(
        "from scheduler.digests import forget\ndef f():\n    from bot.app import App\n"
    )
    (tmp_path / "scheduler" / "digests.py").write_text("from bot import rights\n")
    (tmp_path / "handlers" / "menu.py").write_text("from ..bot import rights\n")
    graph = import_graph(tmp_path)
    assert graph["handlers.menu"] == {"bot", "bot.rights"}  # relative imports count
    assert upward_imports(graph) == [
        "bot.rights imports bot.app",
        "bot.rights imports scheduler.digests",
    ]
    assert package_cycle(graph) == ["bot", "composition root", "handlers", "bot"]
