"""The tree tells the architecture: device code and domain rules stay free of the web and the database."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COMPOSITION = {"app.py", "cli.py", "web.py", "web_security.py", "realtime.py", "screens.py", "serve.py",
               "demo.py"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


HARDWARE = sorted((ROOT / "hardware").rglob("*.py"))
DOMAIN = sorted(p for p in (ROOT / "core").glob("*.py") if p.name not in COMPOSITION)


def test_layers_found() -> None:
    assert HARDWARE and len(DOMAIN) >= 10


@pytest.mark.parametrize("path", HARDWARE, ids=lambda p: str(p.relative_to(ROOT)))
def test_hardware_imports_no_flask_core_or_database(path: Path) -> None:
    banned = {"flask", "flask_socketio", "flask_babel", "core", "sqlite3", "sqlite_utils", "kiosk", "counter",
              "display", "sync"}
    assert imported_modules(path) & banned == set()


@pytest.mark.parametrize("path", DOMAIN, ids=lambda p: str(p.relative_to(ROOT)))
def test_domain_modules_import_no_flask_or_devices(path: Path) -> None:
    banned = {"flask", "flask_socketio", "flask_babel", "werkzeug", "escpos", "smartcard", "serial",
              "hardware", "kiosk", "counter", "display"}
    assert imported_modules(path) & banned == set()


SURFACES = ("kiosk", "counter", "display", "ops")
FLOOR = sorted((ROOT / "floor").rglob("*.py"))


def surface_modules(surface: str) -> list[Path]:
    return sorted((ROOT / surface).rglob("*.py"))


def test_floor_found() -> None:
    assert FLOOR and all(surface_modules(surface) for surface in SURFACES)


@pytest.mark.parametrize("path", FLOOR, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_floor_knows_no_surface(path: Path) -> None:
    """Printing, card terminals and payment recovery serve every surface: they import none of them."""
    assert imported_modules(path) & {*SURFACES, "sync"} == set()


@pytest.mark.parametrize("surface", SURFACES)
def test_surfaces_do_not_reach_into_each_other(surface: str) -> None:
    """A surface imports `core/`, `floor/` and itself, never another surface."""
    others = set(SURFACES) - {surface}
    reaching = {str(path.relative_to(ROOT)): sorted(imported_modules(path) & others)
                for path in surface_modules(surface) if imported_modules(path) & others}
    assert reaching == {}


def test_cli_roles_and_kinds_match_the_domain() -> None:
    from core import cli, devices, users

    assert cli.ROLES == users.ROLES and cli.DEVICE_KINDS == devices.DEVICE_KINDS
