"""The layer rule of DESIGN.md: db/ imports neither app/ nor ui/; app/ imports neither ui/ nor PySide6."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _violations(package: str, forbidden: set[str], root: Path = ROOT) -> list[str]:
    found = []
    for path in sorted((root / package).rglob("*.py")):
        bad = _imports(path) & forbidden
        if bad:
            found.append(f"{path.relative_to(root)} imports {sorted(bad)}")
    return found


def test_db_imports_neither_app_nor_ui():
    assert _violations("db", {"app", "ui", "PySide6"}) == []


def test_app_imports_neither_ui_nor_qt():
    assert _violations("app", {"ui", "PySide6", "shiboken6"}) == []


def test_the_checker_sees_a_violation(tmp_path):
    pkg = tmp_path / "db"
    pkg.mkdir()
    (pkg / "bad.py").write_text("def f():\n    from app.cli import main\n", encoding="utf-8")
    assert _violations("db", {"app"}, root=tmp_path) == ["db/bad.py imports ['app']"]
