"""The services' layout rules, read from the source: services live in domain packages, and every name is
imported from the module that defines it (no module passes on another's names)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ROOT / "speakpro" / "services"
DOMAINS = {"accounts", "learning", "world", "practice", "analysis", "dashboards"}
SHARED = {"validation", "telemetry", "ratelimit", "chatbot", "text", "ai", "knowledge"}


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def _top_level_names(tree: ast.Module) -> tuple[set[str], set[str]]:
    """(names the module defines, names it imports from other services) at its top level."""
    defined, imported = set(), set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("speakpro.services"):
            imported.update(alias.asname or alias.name for alias in node.names)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            defined.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                defined.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
    return defined, imported


SERVICE_MODULES = {
    _module_name(p): _top_level_names(ast.parse(p.read_text()))
    for p in SERVICES.rglob("*.py")
    if p.name != "__init__.py"
}


def _sources() -> list[Path]:
    return [
        p
        for folder in ("speakpro", "tests", "bench")
        for p in (ROOT / folder).rglob("*.py")
        if "node_modules" not in p.parts
    ]


def test_services_are_grouped_by_domain():
    top = {p.stem for p in SERVICES.glob("*.py")} - {"__init__"}
    packages = {p.name for p in SERVICES.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert top == SHARED
    assert packages == DOMAINS


def test_no_service_module_passes_on_names_it_imports():
    offences = []
    for path in _sources():
        tree = ast.parse(path.read_text())
        aliases = {}
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom) or not node.module:
                continue
            for alias in node.names:
                if f"{node.module}.{alias.name}" in SERVICE_MODULES:  # a module imported by name
                    aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
                elif node.module in SERVICE_MODULES:
                    defined, imported = SERVICE_MODULES[node.module]
                    if alias.name in imported and alias.name not in defined:
                        offences.append(
                            f"{path.relative_to(ROOT)}:{node.lineno} imports {alias.name} via {node.module}"
                        )
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
                defined, imported = SERVICE_MODULES[aliases[node.value.id]]
                if node.attr in imported and node.attr not in defined:
                    offences.append(
                        f"{path.relative_to(ROOT)}:{node.lineno} uses {node.value.id}.{node.attr}, "
                        f"which {aliases[node.value.id]} only imports"
                    )
    assert offences == []


def test_no_service_lists_an_imported_name_as_its_own():
    offences = []
    for path in SERVICES.rglob("*.py"):
        tree = ast.parse(path.read_text())
        defined, imported = _top_level_names(tree)
        for node in tree.body:
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
            ):
                listed = {element.value for element in node.value.elts}
                offences += sorted(f"{_module_name(path)}: {name}" for name in listed & imported)
    assert offences == []


def test_services_import_each_other_without_cycles():
    """Lazy imports included: a cycle between two services means one of them holds the other's half."""
    graph: dict[str, set[str]] = {}
    for path in SERVICES.rglob("*.py"):
        if path.name == "__init__.py":
            continue
        deps = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    deps.add(full if full in SERVICE_MODULES else node.module)
        graph[_module_name(path)] = (deps & set(SERVICE_MODULES)) - {_module_name(path)}
    cycles, state = [], {}

    def visit(module: str, stack: list[str]) -> None:
        state[module] = "open"
        stack.append(module)
        for dep in sorted(graph[module]):
            if state.get(dep) == "open":
                cycles.append(" -> ".join([*stack[stack.index(dep) :], dep]))
            elif dep not in state:
                visit(dep, stack)
        stack.pop()
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [])
    assert cycles == []


def test_tests_share_helpers_through_helper_modules_not_each_other():
    """A helper two test files need lives in a module of its own (tests/signin.py, tests/queries.py, ...)."""
    offences = []
    for path in (ROOT / "tests").rglob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[-1].startswith("test_"):
                offences.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {node.module}")
    assert offences == []
