"""payments/ sits below the apps that sell: it imports none of them (DESIGN.md, STYLE.md "Floors")."""

import ast
from pathlib import Path

SELLING_APPS = {"orders", "catalog", "crowdfunding", "engagement", "partners", "analytics"}
PAYMENTS = Path(__file__).resolve().parents[2] / "payments"


def _imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            roots.add(node.module.split(".")[0])
    return roots


def test_payments_imports_no_selling_app():
    files = [p for p in PAYMENTS.rglob("*.py")]
    assert files
    offenders = {str(p.relative_to(PAYMENTS)): sorted(_imported_roots(p) & SELLING_APPS) for p in files}
    assert not {name: apps for name, apps in offenders.items() if apps}
