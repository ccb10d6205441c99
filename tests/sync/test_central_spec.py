"""docs/central-api.yaml is the contract: every route of the reference central is in it and vice versa."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from sync.central.app import create_app

ROOT = Path(__file__).resolve().parents[2]
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "docs" / "central-api.yaml").read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def routes(tmp_path_factory: pytest.TempPathFactory) -> set[tuple[str, str]]:
    app = create_app(str(tmp_path_factory.mktemp("spec") / "central.db"), "spec-admin-token-0123456789")
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        found |= {(path, method.lower()) for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}}
    return found


def documented(spec: dict[str, Any]) -> set[tuple[str, str]]:
    return {(path, method) for path, item in spec["paths"].items() for method in item if method in METHODS}


def test_it_is_openapi_3_1_version_1(spec: dict[str, Any]) -> None:
    assert str(spec["openapi"]).startswith("3.1")
    assert spec["info"]["version"] == "1" and spec["servers"]
    assert {scheme["scheme"] for scheme in spec["components"]["securitySchemes"].values()} == {"bearer"}


def test_every_route_is_documented(routes: set[tuple[str, str]], spec: dict[str, Any]) -> None:
    assert sorted(routes - documented(spec)) == []


def test_every_documented_route_exists(routes: set[tuple[str, str]], spec: dict[str, Any]) -> None:
    assert sorted(documented(spec) - routes) == []


def references(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if "$ref" in node else []
        return own + [ref for value in node.values() for ref in references(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in references(value)]
    return []


def test_every_reference_resolves(spec: dict[str, Any]) -> None:
    for ref in references(spec):
        node: Any = spec
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]
        assert node, ref


def test_every_path_parameter_is_declared(spec: dict[str, Any]) -> None:
    parameters = spec["components"]["parameters"]
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            declared = {(parameters[p["$ref"].rsplit("/", 1)[1]] if "$ref" in p else p)["name"]
                        for p in operation.get("parameters", [])}
            assert set(re.findall(r"{([a-z_]+)}", path)) <= declared, (path, method)


def test_site_calls_document_the_errors_a_worker_handles(spec: dict[str, Any]) -> None:
    for path, item in spec["paths"].items():
        if path.startswith("/v1/"):
            for method, operation in item.items():
                assert {"401", "500", "503"} <= set(operation["responses"]), (path, method)
