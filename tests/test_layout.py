"""The package shows its architecture: layers as subpackages, no cycles, small modules.

The layers themselves are checked by import-linter (``lint-imports`` in ``make test``,
contracts in ``pyproject.toml``); these tests cover what it does not.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import grimp
import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "cmscore"
LAYERS = ["app", "outputs", "store", "inputs", "engine", "rules"]


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            part = []
            while True:
                w = stack.pop()
                on.discard(w)
                part.append(w)
                if w == v:
                    break
            if len(part) > 1:
                found.append(sorted(part))

    for m in sorted(edges):
        if m not in index:
            visit(m)
    return found


def test_no_import_cycle() -> None:
    graph = grimp.build_graph("cmscore")
    edges = {m: {i for i in graph.find_modules_directly_imported_by(m) if i.startswith("cmscore")}
             for m in graph.modules}
    assert _cycles(edges) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: p.name)
def test_modules_stay_under_400_lines(path: Path) -> None:
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 400, path


@pytest.mark.parametrize("layer", LAYERS)
def test_each_layer_says_what_lives_there_and_what_it_may_import(layer: str) -> None:
    doc = importlib.import_module(f"cmscore.{layer}").__doc__ or ""
    assert "Lives here" in doc and "May import" in doc


def test_no_module_is_left_flat_beside_the_layers() -> None:
    flat = sorted(p.stem for p in PACKAGE.glob("*.py"))
    # commands: the click classes cli.py uses, one layer between cli and console.
    assert flat == ["__init__", "commands", "console", "numbers", "problems"]
    assert (PACKAGE / "cli" / "__init__.py").exists()  # the top layer, one module a family


def test_the_readme_code_map_names_every_module_once() -> None:
    """The README's tree is the map a newcomer reads: every module is in it, under its
    package, exactly once."""
    readme = (PACKAGE.parent.parent / "README.md").read_text(encoding="utf-8")
    tree = readme.split("```\nsrc/cmscore/\n", 1)[1].split("```", 1)[0]
    listed: list[str] = []
    package = ""
    for line in tree.splitlines():
        name = line.split()[0] if line.strip() else ""
        if line.startswith("  ") and not line.startswith("    "):
            package = name.rstrip("/") if name.endswith("/") else ""
            if not name.endswith("/"):
                listed.append(name)
        elif line.startswith("    ") and name.endswith(".py"):
            listed.append(f"{package}/{name}")
    modules = sorted(str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
                     if p.name not in ("__init__.py", "__main__.py"))
    assert sorted(listed) == modules


def _last_line(code: str) -> str:
    """The last line ``code`` prints in a fresh interpreter: what it imported, unseen by
    the modules this test run has already loaded."""
    import subprocess
    import sys

    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    return ran.stdout.strip().splitlines()[-1]


def test_help_imports_no_output_store_or_engine_module() -> None:
    """`cmscore --help` answers at once: the command modules import the layers below them
    inside the commands (a top-level import of one output module cost ~30 ms: xlsx pulls
    in the standard library's XML and URL modules)."""
    code = ("import sys\nsys.argv = ['cmscore', '--help']\nfrom cmscore.cli import app\n"
            "try:\n    app()\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.startswith(('cmscore.outputs', "
            "'cmscore.store', 'cmscore.engine', 'cmscore.inputs', 'rich', 'python_calamine'))))")
    assert _last_line(code) == "[]"


def test_reading_and_writing_workbooks_import_no_url_or_web_page_modules() -> None:
    """`score` on an .xlsx needs neither xml.sax.saxutils (which pulls in urllib.request,
    http.client and ssl) nor html.parser (web-page exports only): issue 19's lean start."""
    code = ("import sys\nimport cmscore.inputs.reader, cmscore.outputs.xlsx, cmscore.app.score\n"
            "print(sorted(m for m in sys.modules if m in ('xml.sax.saxutils', "
            "'urllib.request', 'http.client', 'ssl', 'html.parser')))")
    assert _last_line(code) == "[]"


def test_score_imports_neither_the_payroll_command_nor_the_side_file_readers() -> None:
    """A plain month's `score` pays only for what it runs: the payroll command (needed by
    a correction of a paid month) and the tasks/supervisors readers (needed with --tasks
    or by payroll) are imported where they are used (≈ a fifth of score's imports)."""
    code = ("import sys\nimport cmscore.cli, cmscore.app.score\n"
            "print(sorted(m for m in sys.modules if m in ('cmscore.app.payroll', "
            "'cmscore.outputs.payroll', 'cmscore.inputs.tasks', 'cmscore.inputs.supervisors')))")
    assert _last_line(code) == "[]"


@pytest.mark.parametrize("text", ["", "a&b<c>d\"e'f", "&amp;&lt;&quot;&apos;&gt;", "张&三"])
def test_own_xml_escaping_matches_the_standard_library(text: str) -> None:
    from xml.sax.saxutils import escape, unescape

    from cmscore.inputs.preflight import _unescape
    from cmscore.outputs.celltext import escape as own_escape

    assert own_escape(text) == escape(text)
    assert own_escape(text, {'"': "&quot;"}) == escape(text, {'"': "&quot;"})
    assert _unescape(text) == unescape(text, {"&quot;": '"', "&apos;": "'"})
