"""Configuration layers: built-in defaults, a TOML file, the environment; refusal of broken settings."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime

import pytest

from core import config as site_config
from core.config import LANGUAGES
from core.errors import InvalidInput

# Every service a post handles on eConsulat, the newer ones included (driving-licence authentication,
# judicial documents, repatriation of remains; remote consular registration is finished at "registration").
SERVICES = ["passport", "cnie", "civil_status", "registration", "legalisation", "driving_licence",
            "judicial", "repatriation", "pickup"]


def test_defaults_have_every_service_in_seven_languages(config) -> None:
    assert list(config.services) == SERVICES
    for service in config.services.values():
        assert set(service.names) == set(LANGUAGES), service.code
        assert all(name.strip() for name in service.names.values())
    assert len({s.prefix for s in config.services.values()}) == len(SERVICES)
    assert config.services["pickup"].kinds == ("pickup",)
    assert config.site["timezone"] == "Europe/Paris"
    assert config.site["languages"] == list(LANGUAGES)


def test_every_default_counter_serves_known_services(config) -> None:
    assert sorted(config.counters) == list(range(1, 9))
    served = {code for counter in config.counters.values() for code in counter.services}
    assert served == set(SERVICES)  # nobody waits for a service no counter serves


def test_toml_file_overrides_defaults(tmp_path) -> None:
    path = tmp_path / "site.toml"
    path.write_text(textwrap.dedent("""
        [site]
        name = "Consulat de Montréal"
        timezone = "America/Montreal"
        [policy]
        priority_share = 3
    """), encoding="utf-8")
    config = site_config.load(path, env={})
    assert config.site["name"] == "Consulat de Montréal"
    assert config.policy["priority_share"] == 3
    assert config.site["id"] == "ma-paris"  # untouched keys keep their default
    assert config.local_day(datetime(2025, 1, 16, 4, 0, tzinfo=UTC)) == "2025-01-15"


def test_config_file_from_environment(tmp_path) -> None:
    path = tmp_path / "site.toml"
    path.write_text('[server]\nport = 9100\n', encoding="utf-8")
    assert site_config.load(env={"DOUR_CONFIG": str(path)}).server["port"] == 9100


def test_environment_overrides_with_types(tmp_path) -> None:
    path = tmp_path / "site.toml"
    path.write_text('[server]\nport = 9100\n', encoding="utf-8")
    config = site_config.load(path, env={
        "DOUR_SERVER_PORT": "9000", "DOUR_POLICY_REPLAY_LIMIT": "3", "DOUR_SITE_LANGUAGES": "fr, ar",
        "DOUR_SITE_NAME": "Test site",
    })
    assert config.server["port"] == 9000  # environment beats the file, and is an int
    assert config.policy["replay_limit"] == 3
    assert config.site["languages"] == ["fr", "ar"]
    assert config.site["name"] == "Test site"


def test_environment_with_bad_number_is_refused() -> None:
    with pytest.raises(ValueError):
        site_config.load(env={"DOUR_SERVER_PORT": "eighty"})


def test_file_services_replace_the_default_list(tmp_path) -> None:
    path = tmp_path / "site.toml"
    path.write_text(textwrap.dedent("""
        [[services]]
        code = "visa"
        prefix = "V"
        target_wait_minutes = 20
        average_service_minutes = 5
        kinds = ["walk_in"]
        names = { fr = "Visa", en = "Visa" }
        [[counters]]
        number = 1
        services = ["visa"]
    """), encoding="utf-8")
    config = site_config.load(path, env={})
    assert list(config.services) == ["visa"]
    assert list(config.counters) == [1]


BROKEN = {
    "duplicate-prefix": """
        [[services]]
        code = "a"
        prefix = "A"
        target_wait_minutes = 1
        average_service_minutes = 1
        kinds = ["walk_in"]
        names = { fr = "A" }
        [[services]]
        code = "b"
        prefix = "A"
        target_wait_minutes = 1
        average_service_minutes = 1
        kinds = ["walk_in"]
        names = { fr = "B" }
        [[counters]]
        number = 1
        services = ["a"]
    """,
    "counter-serves-unknown-service": """
        [[counters]]
        number = 1
        services = ["passport", "visa"]
    """,
    "negative-priority-share": """
        [policy]
        priority_share = -1
    """,
    "break-not-a-time": """
        [[counters]]
        number = 1
        services = ["passport"]
        breaks = [["noon", 45]]
    """,
    "break-too-long": """
        [[counters]]
        number = 1
        services = ["passport"]
        breaks = [["12:00", 600]]
    """,
    "unknown-order": """
        [policy]
        order = "random"
    """,
    "negative-quick-urgent-minutes": """
        [policy]
        quick_urgent_minutes = -1
    """,
}


def test_planned_breaks_are_read_in_the_order_of_the_day(tmp_path) -> None:
    path = tmp_path / "site.toml"
    path.write_text(textwrap.dedent("""
        [[counters]]
        number = 4
        services = ["passport"]
        breaks = [["12:30", 45], ["10:15", 15]]
        [[counters]]
        number = 5
        services = ["passport"]
    """), encoding="utf-8")
    config = site_config.load(path, env={})
    assert config.counter(4).breaks == ((615, 15), (750, 45))
    assert config.counter(5).breaks == ()


@pytest.mark.parametrize("text", BROKEN.values(), ids=BROKEN.keys())
def test_invalid_configuration_is_refused(tmp_path, text) -> None:
    path = tmp_path / "site.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    with pytest.raises(ValueError):
        site_config.load(path, env={})


def test_unknown_time_zone_is_refused() -> None:
    # zoneinfo's ZoneInfoNotFoundError is a KeyError; either way the message names the zone.
    with pytest.raises((ValueError, KeyError), match="Mars/Olympus"):
        site_config.load(env={"DOUR_SITE_TIMEZONE": "Mars/Olympus"})


def test_lookups_of_unknown_service_or_counter(config) -> None:
    assert config.service("passport").name("ar") == "جواز السفر"
    with pytest.raises(InvalidInput):
        config.service("visa")
    with pytest.raises(InvalidInput):
        config.counter(99)
    with pytest.raises(InvalidInput):
        config.counter("x")


def test_public_url_defaults_to_the_servers_own_address_and_follows_the_command_line() -> None:
    config = site_config.load(env={})
    assert config.public_url == "http://127.0.0.1:8080"
    config.listen_on("127.0.0.1", 9123)
    assert config.public_url == "http://127.0.0.1:9123"
    configured = site_config.load(env={"DOUR_SERVER_PUBLIC_URL": "https://dour.example/"})
    configured.listen_on(None, 9123)
    assert configured.public_url == "https://dour.example"
