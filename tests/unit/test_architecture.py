"""The import contract: the layers of hoody_tui, read from the source of every module.

- the core (api, events, store, gates, core, the backends) never imports Textual;
- ``api`` imports nothing of hoody-tui above it; each layer imports only layers below;
- the workspace service and the App know the Backend protocol, never a concrete backend;
- there is no import cycle at run time (imports inside functions count; only imports
  under ``if TYPE_CHECKING:`` are left out, as they never run).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import hoody_tui

PACKAGE = Path(hoody_tui.__file__).parent

LAYERS = {
    # layer: the hoody_tui packages/modules it may import (besides itself)
    "api": {"text"},
    "events": {"api", "text"},
    "store": {"api", "events", "text"},
    "gates": {"api", "store", "text"},
    "core": {"api", "events", "store", "gates", "text"},
    "backends": {"api", "events", "store", "core", "text"},
    "ui": {"api", "events", "store", "gates", "core", "text", "paths", "runtime", "diagnostics"},
    "headless": {"api", "events", "store", "gates", "core", "backends", "text"},
    # Web mode serves the dashboard from child processes: it never imports the ui.
    "web": {"config", "backends", "text", "diagnostics", "paths"},
}
CORE = ["api", "events", "store", "gates", "core", "backends", "headless"]


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(("hoody_tui", *parts))] = path
    return found


MODULES = _modules()


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _runtime_imports(module: str, path: Path) -> set[str]:
    """hoody_tui modules ``module`` imports when it runs."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found: set[str] = set()

    def resolve(name: str) -> str | None:
        while name and name not in MODULES:
            name = name.rsplit(".", 1)[0] if "." in name else ""
        return name or None

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("hoody_tui"):
                    target = resolve(alias.name)
                    if target:
                        found.add(target)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            if source.startswith("hoody_tui"):
                for alias in node.names:
                    target = resolve(f"{source}.{alias.name}") if f"{source}.{alias.name}" in MODULES else resolve(source)
                    if target:
                        found.add(target)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    found.discard(module)
    return found


GRAPH = {module: _runtime_imports(module, path) for module, path in MODULES.items()}


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_each_layer_imports_only_the_layers_below_it():
    wrong = []
    for module, imports in GRAPH.items():
        layer = _layer(module)
        allowed = LAYERS.get(layer)
        if allowed is None:
            continue  # the composition root (cli, launch, demo), the refserver, helpers
        for target in imports:
            if _layer(target) != layer and _layer(target) not in allowed:
                wrong.append(f"{module} imports {target}")
    assert not wrong, "\n".join(sorted(wrong))


def test_the_service_and_the_app_know_no_concrete_backend():
    wrong = [f"{m} imports {t}" for m, imports in GRAPH.items() if _layer(m) in ("core", "ui")
             for t in imports if _layer(t) == "backends"]
    assert not wrong, wrong


def test_the_command_line_picks_a_backend_only_through_the_picker():
    """The headless commands connect with ``hoody_tui.backends`` (which picks one for a
    URL) and know no concrete backend either."""
    wrong = [f"{m} imports {t}" for m, imports in GRAPH.items() if _layer(m) == "headless"
             for t in imports if _layer(t) == "backends" and t != "hoody_tui.backends"]
    assert not wrong, wrong
    assert "hoody_tui.backends" in GRAPH["hoody_tui.headless.sources"]


def test_no_import_cycle_at_run_time():
    # Tarjan's strongly connected components over the runtime import graph.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def strongconnect(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in GRAPH.get(node, ()):
            if target not in index:
                strongconnect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for module in GRAPH:
        if module not in index:
            strongconnect(module)
    # A package's __init__ importing its own submodules, which import the package's
    # siblings, is not a cycle between layers: only cycles across modules that are
    # not a package and its own children count.
    real = [c for c in cycles if not _package_and_children(c)]
    assert not real, real


def _package_and_children(component: list[str]) -> bool:
    packages = [m for m in component if MODULES[m].name == "__init__.py"]
    return any(all(m == p or m.startswith(p + ".") for m in component) for p in packages) and all(
        not (m != p and GRAPH[m] & {p}) for p in packages for m in component)


def test_the_core_never_imports_textual():
    code = (
        "import sys\n"
        + "".join(f"import hoody_tui.{m}\n" for m in [*CORE, "text", "config", "diagnostics", "cli"])
        + "import hoody_tui.headless.commands\n"
        + "import hoody_tui.backends.hoody, hoody_tui.core.service, hoody_tui.core.decisions\n"
        + "import hoody_tui.web, hoody_tui.web.run, hoody_tui.web.server, hoody_tui.web.tabs\n"
        + "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        + "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "", f"the core imported: {result.stdout}"


def test_the_contract_sees_the_imports_it_checks():
    """The reader of imports is not blind: known edges are found (a test that could not
    fail would prove nothing)."""
    assert "hoody_tui.api.transport" in GRAPH["hoody_tui.events.sse"]
    assert "hoody_tui.core.backend" in GRAPH["hoody_tui.core.service"]
    assert "hoody_tui.backends.hoody.client" in GRAPH["hoody_tui.backends.hoody.backend"]
    assert "hoody_tui.ui.screens.loop" in GRAPH["hoody_tui.ui.views.session_actions"]  # a function-level import
