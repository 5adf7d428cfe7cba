"""The house stays one-way: no import circle between the project's modules (imports inside
functions counted), no app importing the project package, no non-test module over 400 lines.
scripts/import_graph.py draws the graph; `make lint` also runs the import-linter contract."""

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "import_graph.py"


@pytest.fixture(scope="module")
def house():
    spec = importlib.util.spec_from_file_location("import_graph", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    graph, modules = module.build_graph()
    return module, graph, modules


def test_no_import_circles(house):
    module, graph, modules = house
    assert module.circles(graph, modules) == []


def test_no_app_imports_the_project_package(house):
    module, graph, modules = house
    assert module.project_imports_from_apps(graph, modules) == []


def test_the_graph_sees_imports_inside_functions(house):
    module, graph, modules = house
    # clinic.health imports pages.models inside a function only; the graph must count it.
    assert graph.direct_import_exists(importer="clinic.health", imported="pages.models")


def test_no_non_test_module_over_400_lines(house):
    module, graph, modules = house
    assert module.long_modules(modules) == []
