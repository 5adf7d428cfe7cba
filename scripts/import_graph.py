"""Count what makes the house hard to walk round: import circles, apps importing the project
package, imports placed inside functions and modules over 400 lines.

The graph is grimp's (import-linter's engine) over the project's own packages, tests and
migrations left out; grimp counts an import wherever it sits, inside functions too.

    .venv/bin/python scripts/import_graph.py          # the figures
    .venv/bin/python scripts/import_graph.py --list   # and what they are made of
"""

import argparse
import ast
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]
PROJECT = "clinic"
APPS = ("pages", "members", "appointments", "staff_security", "ops")
# Lowest layers: present on some branches only.
LEAVES = ("caching", "throttling")
MAX_LINES = 400


def packages() -> list[str]:
    return [name for name in (PROJECT, *APPS, *LEAVES) if (ROOT / name / "__init__.py").exists()]


def is_counted(module: str) -> bool:
    parts = module.split(".")
    return "tests" not in parts and "migrations" not in parts


def build_graph() -> tuple[grimp.ImportGraph, set[str]]:
    sys.path.insert(0, str(ROOT))
    # Imports under `if TYPE_CHECKING:` never run; they are not counted.
    graph = grimp.build_graph(
        *packages(), include_external_packages=False, exclude_type_checking_imports=True, cache_dir=None
    )
    return graph, {module for module in graph.modules if is_counted(module)}


def circles(graph, modules: set[str]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    counter = 0
    for root in sorted(modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root) & modules)))]
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
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child) & modules))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
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
    return sorted(found)


def project_imports_from_apps(graph, modules: set[str]) -> list[tuple[str, str]]:
    app_modules = {m for m in modules if m.split(".")[0] != PROJECT}
    return sorted(
        (importer, imported)
        for importer in app_modules
        for imported in graph.find_modules_directly_imported_by(importer)
        if imported.split(".")[0] == PROJECT
    )


def module_path(module: str) -> Path:
    path = ROOT.joinpath(*module.split("."))
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def imports_inside_functions(modules: set[str]) -> list[str]:
    """Every import statement nested in a function body (`file:line`)."""
    found = []
    for module in sorted(modules):
        path = module_path(module)
        tree = ast.parse(path.read_text(), str(path))
        for function in ast.walk(tree):
            if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                for node in ast.walk(function):
                    if isinstance(node, ast.Import | ast.ImportFrom) and node is not function:
                        found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return sorted(set(found))


def long_modules(modules: set[str]) -> list[tuple[str, int]]:
    lengths = ((module, len(module_path(module).read_text().splitlines())) for module in sorted(modules))
    return [(module, lines) for module, lines in lengths if lines > MAX_LINES]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="name the modules behind each figure")
    args = parser.parse_args()
    graph, modules = build_graph()
    found_circles = circles(graph, modules)
    from_apps = project_imports_from_apps(graph, modules)
    nested = imports_inside_functions(modules)
    long = long_modules(modules)
    print(f"modules: {len(modules)} in {', '.join(packages())}")
    print(f"import circles: {len(found_circles)} ({', '.join(str(len(c)) for c in found_circles) or '-'} modules)")
    print(f"imports of {PROJECT} from apps: {len(from_apps)}")
    print(f"imports inside functions: {len(nested)}")
    print(f"modules over {MAX_LINES} lines: {len(long)}")
    if args.list:
        for circle in found_circles:
            print("circle:", " <-> ".join(circle))
        for importer, imported in from_apps:
            print(f"app imports project: {importer} -> {imported}")
        for place in nested:
            print("inside a function:", place)
        for module, lines in long:
            print(f"long: {module} ({lines} lines)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
