"""The simulator: determinism, a day computed by hand, the command line, and its SVG plots."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from core import config as site_config
from core.cli import main
from sim import kpis, profile, report
from sim.run import run_day

TINY = str(Path(__file__).with_name("tiny.toml"))


@pytest.fixture(scope="module")
def base() -> site_config.SiteConfig:
    return site_config.load(env={})


def test_same_seed_same_kpis(base) -> None:
    mid = profile.load("mid")
    assert run_day(base, mid, 3, "deadline").kpis == run_day(base, mid, 3, "deadline").kpis


def test_another_seed_another_day(base) -> None:
    mid = profile.load("mid")
    assert run_day(base, mid, 1, "current").kpis != run_day(base, mid, 2, "current").kpis


def test_a_tiny_day_by_hand(base) -> None:
    """Two walk-ins, one counter, 10 minutes each: the first waits 0, the second waits until the first is
    done, i.e. 10 minutes minus the gap between their arrivals (or 0 if it came after)."""
    tiny = profile.load(TINY)
    day = run_day(base, tiny, 5, "current")
    first, second = sorted(day.visitors, key=lambda v: v.arrives)
    expected_second = max(0.0, first.arrives + 10 - second.arrives)
    walk_in = day.kpis["kinds"]["walk_in"]
    assert (walk_in["n"], walk_in["max"]) == (2, round(expected_second, 2))
    assert day.kpis["tickets"] == 2 and day.kpis["uncalled"] == 0
    busy = 20 / (max(second.arrives + 10, first.arrives + 20, tiny.closes) - tiny.opens)
    assert day.kpis["utilisation"] == pytest.approx(busy, abs=1e-3)
    # What the journal says is what the simulator counted: 2 issued, 2 called, 2 finished.
    types = [event.type for event in day.record.events if event.type.startswith("ticket.")]
    assert sorted(types) == sorted(["ticket.issued"] * 2 + ["ticket.called"] * 2 + ["ticket.started"] * 2
                                   + ["ticket.finished"] * 2)


def test_median_of_days() -> None:
    days = [{"a": 1, "b": {"c": 2.0}, "t": "x"}, {"a": 3, "b": {"c": 4.0}, "t": "y"},
            {"a": 2, "b": {"c": 9.0}, "t": "z"}]
    assert kpis.median_of(days) == {"a": 2, "b": {"c": 4.0}, "t": "x"}


def test_cli_json_parses(capsys) -> None:
    assert main(["simulate", "--profile", "mid", "--seed", "1", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["profile"] == "mid" and figures["seed"] == 1
    assert set(figures["kinds"]) == {"appointment", "walk_in", "pickup", "priority"}
    assert 400 <= figures["visitors"] <= 500


def test_cli_table_and_plots(tmp_path, capsys) -> None:
    assert main(["simulate", "--profile", TINY, "--policy", "current,fifo", "--plots", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "walk_in ≤ 30 min" in out and "fifo" in out
    plots = sorted(tmp_path.glob("*.svg"))
    assert len(plots) == 4
    for path in plots:
        root = ET.parse(path).getroot()
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        assert root.findall(".//{http://www.w3.org/2000/svg}polyline") or root.findall(
            ".//{http://www.w3.org/2000/svg}rect")


def test_cli_refuses_an_unknown_policy() -> None:
    with pytest.raises(SystemExit, match="unknown policy"):
        main(["simulate", "--profile", TINY, "--policy", "lottery"])


def test_plot_text_is_escaped(tmp_path, base) -> None:
    day = run_day(base, profile.load(TINY), 1, "fifo")
    paths = report.write_plots(day.record, tmp_path, "a<b&c")
    assert all(ET.parse(path).getroot() is not None for path in paths)


def test_marhaba_is_the_large_post_with_more_walk_ins_and_pickups() -> None:
    large, marhaba = profile.load("large"), profile.load("marhaba")
    assert marhaba.walk_ins.per_day == 2 * large.walk_ins.per_day
    assert marhaba.pickups.per_day == 3 * large.pickups.per_day
    assert len(marhaba.counters) == len(large.counters) + 2
