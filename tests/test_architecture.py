"""The layering of docs/architecture.md, held by a test so a shortcut across layers fails CI.

domain ← storage ← services ← drivers (web, engine, notifications); outbound/ and background.py are
plumbing every driver may use. A driver never imports another driver, and only the request's unit of
work (web/deps.py) commits.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "statusping"
DRIVERS = ("web", "engine", "notifications")

# What each layer may not import (by first component under statusping.).
FORBIDDEN: dict[str, set[str]] = {
    "domain": {
        "storage",
        "services",
        "web",
        "engine",
        "notifications",
        "outbound",
        "background",
        "app",
        "cli",
    },
    "storage": {"services", "web", "engine", "notifications", "outbound", "background", "app", "cli"},
    "services": {"web", "engine", "notifications", "app", "cli"},
    "outbound": {"storage", "services", "web", "engine", "notifications", "app", "cli"},
    "engine": {"web", "notifications", "app", "cli"},
    "notifications": {"web", "engine", "app", "cli"},
    "web": {"engine", "notifications", "cli"},
}


def _modules(layer: str) -> list[Path]:
    root = PACKAGE / layer
    return sorted(root.rglob("*.py")) if root.is_dir() else [PACKAGE / f"{layer}.py"]


def _imported_layers(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "statusping" and len(parts) > 1:
                found.add(parts[1])
    return found


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_no_layer_imports_a_layer_above_it_or_a_sibling_driver(layer: str) -> None:
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(_imported_layers(path) & FORBIDDEN[layer])
        for path in _modules(layer)
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def _commits(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "commit"
    ]


def test_only_the_request_unit_of_work_commits() -> None:
    offenders = {
        str(path.relative_to(PACKAGE)): lines
        for layer in ("web", "services", "storage", "domain")
        for path in _modules(layer)
        if path != PACKAGE / "web" / "deps.py" and (lines := _commits(path))
    }
    assert offenders == {}
