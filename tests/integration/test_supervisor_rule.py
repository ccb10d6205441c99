"""The supervisor page explains "who is called next" in the page's language, with the site's own numbers
(core/policy_words.py, rendered by the server); an agent's page does without it."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest

from core import config as site_config
from core.app import create_app


@pytest.fixture
def deadline_app(tmp_path: Any) -> Any:
    """The deadline order, one priority visitor for every 3 others, the aging bound at 45 minutes."""
    config = site_config.load(env={"DOUR_POLICY_ORDER": "deadline", "DOUR_POLICY_PRIORITY_SHARE": "3",
                                   "DOUR_POLICY_STARVATION_MINUTES": "45"})
    return create_app(config, str(tmp_path / "deadline.db"), start_devices=False)


def steps(page: str) -> list[str]:
    """The items of the rule's ordered list, as read (nested lists' items follow their step)."""
    rule = re.search(r'<ol class="rule" data-testid="rule">(.*?)</ol>', page, re.S)
    assert rule is not None
    return [" ".join(unescape(re.sub(r"<[^>]+>", " ", item)).split())
            for item in re.findall(r"<li>(.*?)(?=<li>|</li>)", rule.group(1), re.S)]


def test_the_default_rule_is_explained_in_french(app: Any, supervisor_client: Any) -> None:
    page = supervisor_client(app).get("/supervisor?lang=fr").get_data(as_text=True)
    assert '<h2 id="rule-title">Qui est appelé ensuite</h2>' in page
    assert steps(page) == [
        "Les visiteurs envoyés à ce guichet précis par un transfert, par ordre d'arrivée.",
        "Les rendez-vous dont l'heure est passée ou dans 15 minutes au plus, par heure de rendez-vous.",
        "Les visiteurs prioritaires de droit (personnes âgées, en situation de handicap, femmes enceintes) : "
        "un pour 2 autres visiteurs, tant que les uns et les autres attendent.",
        "Tous les autres par ordre d'arrivée (un transfert garde son heure d'arrivée d'origine).",
        "Les rendez-vous dont l'heure n'est pas encore venue, par heure de rendez-vous, plutôt que de "
        "laisser le guichet inoccupé.",
    ]


def test_the_deadline_rule_has_the_configured_numbers_in_french_and_arabic(deadline_app: Any,
                                                                          supervisor_client: Any) -> None:
    boss = supervisor_client(deadline_app)
    french = steps(boss.get("/supervisor?lang=fr").get_data(as_text=True))
    assert len(french) == 7 + 4  # seven steps, the promise step listing four target waits
    assert french[1].startswith("Quiconque attend depuis 45 minutes ou plus")
    assert "un pour 3 autres visiteurs" in french[3]
    assert french[4].startswith("Les tickets de Retrait de documents (quelques minutes au guichet)")
    assert "dans 5 minutes ou moins" in french[4]
    assert french[6:10] == ["10 minutes : Rapatriement des dépouilles mortelles et Retrait de documents",
                            "20 minutes : Légalisation", french[8], "40 minutes : État civil"]
    assert french[8].startswith("30 minutes : Passeport, ")

    page = boss.get("/supervisor?lang=ar").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl"' in page and "من يُنادى عليه تاليًا" in page
    arabic = steps(page)
    assert arabic[1].startswith("كل من انتظر 45 دقيقة أو أكثر")  # 11-99: the singular after the number
    assert "واحد مقابل كل 3 زوار آخرين" in arabic[3]  # 3-10: the plural
    assert "سحب الوثائق" in arabic[4] and "خلال 5 دقائق" in arabic[4]
    assert arabic[2].endswith("(الوعد: المناداة خلال 10 دقائق من وقت الموعد).")


def test_an_agent_page_does_without_the_rule(app: Any, add_agent: Any, login: Any) -> None:
    add_agent(app.extensions["dour.site"], "amina")
    agent = app.test_client()
    login(agent, "amina")
    page = agent.get("/counter?lang=fr").get_data(as_text=True)
    assert agent.get("/counter?lang=fr").status_code == 200
    assert 'data-testid="rule-panel"' not in page and "Qui est appelé ensuite" not in page
    assert agent.get("/supervisor?lang=fr").status_code == 403
