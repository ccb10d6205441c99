"""The docs are part of the product: a route, event, configuration key or CLI command without docs fails."""

from __future__ import annotations

import argparse
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from core import config as site_config
from core.app import create_app
from core.cli import build_parser
from core.journal import EVENT_TYPES

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
CODE_DIRS = ("core", "kiosk", "counter", "display", "hardware", "sync", "ops")


def code_files() -> list[Path]:
    folders = [ROOT / folder for folder in CODE_DIRS if (ROOT / folder).is_dir()]
    return [path for folder in folders for path in folder.rglob("*.py")]


@pytest.fixture(scope="module")
def routes(tmp_path_factory: pytest.TempPathFactory) -> set[tuple[str, str]]:
    database = tmp_path_factory.mktemp("docs") / "docs.db"
    app = create_app(site_config.load(env={}), str(database), start_devices=False)
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.endswith(".static"):
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            found.add((path, method.lower()))
    return found


@pytest.fixture(scope="module")
def spec() -> dict:
    return yaml.safe_load((DOCS / "api.yaml").read_text(encoding="utf-8"))


def test_openapi_version(spec: dict) -> None:
    assert str(spec["openapi"]).startswith("3.1")


def test_every_route_is_documented(routes: set[tuple[str, str]], spec: dict) -> None:
    documented = {(path, method) for path, item in spec["paths"].items() for method in item}
    assert sorted(routes - documented) == []


def test_every_documented_route_exists(routes: set[tuple[str, str]], spec: dict) -> None:
    documented = {(path, method) for path, item in spec["paths"].items() for method in item}
    assert sorted(documented - routes) == []


def socket_events() -> set[str]:
    names = set()
    for path in code_files():
        text = path.read_text(encoding="utf-8")
        names.update(re.findall(r"""\bemit\(\s*["']([a-z_]+)["']""", text))
        if "Namespace" in text:
            names.update(re.findall(r"def on_([a-z_]+)\(", text))
    return names


def test_socket_events_found_in_code() -> None:
    assert {"event", "snapshot", "connect", "resume"} <= socket_events()


@pytest.mark.parametrize("name", sorted(socket_events()))
def test_every_socket_event_is_documented(name: str) -> None:
    assert f"`{name}`" in (DOCS / "events.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_every_journal_event_type_is_documented(event_type: str) -> None:
    assert f"`{event_type}`" in (DOCS / "events.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("key", site_config.default_keys())
def test_every_configuration_key_is_documented(key: str) -> None:
    assert f"`{key}`" in (DOCS / "configuration.md").read_text(encoding="utf-8")


def environment_variables() -> set[str]:
    names = set()
    for path in code_files():
        names.update(re.findall(r"""["'](DOUR_[A-Z_]+)["']""", path.read_text(encoding="utf-8")))
    return names


@pytest.mark.parametrize("name", sorted(environment_variables()))
def test_every_environment_variable_is_documented(name: str) -> None:
    assert f"`{name}`" in (DOCS / "configuration.md").read_text(encoding="utf-8")


def cli_commands(parser: argparse.ArgumentParser, prefix: str = "dour") -> list[str]:
    commands = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                nested = cli_commands(sub, f"{prefix} {name}")
                commands.extend(nested or [f"{prefix} {name}"])
    return commands


def test_cli_commands_found() -> None:
    assert "dour user add" in cli_commands(build_parser())


@pytest.mark.parametrize("command", cli_commands(build_parser()))
def test_every_cli_command_is_documented(command: str) -> None:
    assert f"`{command}" in (DOCS / "cli.md").read_text(encoding="utf-8")


def test_readme_opens_with_the_two_commands() -> None:
    head = (ROOT / "README.md").read_text(encoding="utf-8")[:1500]
    assert "make demo" in head and "make test" in head


def test_example_site_file_loads() -> None:
    config = site_config.load(DOCS / "site.example.toml", env={})
    assert config.site_id == "ma-montreal" and set(config.services) == {"passport", "civil_status", "pickup"}
    assert config.local_day(datetime(2026, 1, 1, 3, tzinfo=UTC)) == "2025-12-31"  # 22:00 in Montréal
