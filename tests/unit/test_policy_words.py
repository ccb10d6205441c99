"""The calling rule in words (core/policy_words.py): for each `policy.order`, its steps in the policy's own
order, with the site's numbers in them."""

from __future__ import annotations

from dataclasses import replace

from core import config as site_config
from core.policy import APPOINTMENT_EARLY_MINUTES, APPOINTMENT_GRACE_MINUTES, Waiting, rank_deadline
from core.policy_words import (
    ARRIVAL_ONLY,
    EVERYONE_ELSE,
    NOT_DUE,
    TRANSFERRED,
    Sentence,
    Step,
    rule_steps,
    target_waits,
)


def config_with(**policy: str) -> site_config.SiteConfig:
    return site_config.load(env={f"DOUR_POLICY_{key.upper()}": value for key, value in policy.items()})


def sentences(steps: tuple[Step, ...]) -> list[Sentence]:
    return [step.sentence for step in steps]


def test_current_lists_its_five_groups_with_the_share_and_the_early_minutes() -> None:
    transfer, due, priority, others, later = sentences(rule_steps(config_with(order="current"), "fr"))
    assert (transfer.message, others.message, later.message) == (TRANSFERRED, EVERYONE_ELSE, NOT_DUE)
    assert due.message.startswith("Appointments due within") and due.plural
    assert due.params == {"num": APPOINTMENT_EARLY_MINUTES} and due.count == 15
    assert priority.message.startswith("Visitors with legal priority") and "one for every" in priority.message
    assert priority.params == {"num": 2} and priority.count == 2 and priority.plural


def test_the_share_is_the_configured_one_and_zero_puts_priority_always_first() -> None:
    priority = sentences(rule_steps(config_with(order="current", priority_share="3"), "fr"))[2]
    assert priority.params == {"num": 3} and priority.count == 3
    always = sentences(rule_steps(config_with(order="current", priority_share="0"), "fr"))[2]
    assert "always first" in always.message and always.plural is None and always.params == {}
    deadline_always = sentences(rule_steps(config_with(order="deadline", priority_share="0"), "fr"))[3]
    assert deadline_always == always


def test_fifo_is_arrival_order_only() -> None:
    assert rule_steps(config_with(order="fifo"), "ar") == (Step(Sentence(ARRIVAL_ONLY)),)


def test_deadline_lists_its_seven_tiers_with_the_site_numbers() -> None:
    config = config_with(order="deadline", starvation_minutes="45", quick_urgent_minutes="7")
    steps = rule_steps(config, "fr")
    transfer, aging, slot, priority, quick, promise, later = sentences(steps)
    assert (transfer.message, later.message) == (TRANSFERRED, NOT_DUE)
    assert aging.message.startswith("Anyone who has waited") and aging.params == {"num": 45}
    assert slot.message.startswith("Appointments whose slot has come")
    assert slot.params == {"num": APPOINTMENT_GRACE_MINUTES} and slot.count == 10
    assert priority.params == {"num": 2}
    assert quick.params == {"num": 7, "services": ("Retrait de documents",)} and quick.count == 7
    assert promise.message.startswith("Everyone else by their promise")
    assert steps[5].details == target_waits(config, "fr")
    assert all(not step.details for index, step in enumerate(steps) if index != 5)


def test_the_quick_services_are_named_in_the_page_language_and_left_out_when_there_are_none() -> None:
    quick = sentences(rule_steps(config_with(order="deadline"), "ar"))[4]
    assert quick.params["services"] == ("سحب الوثائق",) and quick.params["num"] == 5
    none_quick = rule_steps(config_with(order="deadline", quick_service_minutes="2"), "fr")
    assert len(none_quick) == 6 and not any("services" in step.sentence.params for step in none_quick[:5])


def test_the_starvation_bound_keeps_a_fraction() -> None:
    """A TOML file may set `starvation_minutes = 7.5`: the words say 7.5, the plural form is chosen for 7."""
    config = config_with(order="deadline")
    config = replace(config, policy={**config.policy, "starvation_minutes": 7.5})
    aging = sentences(rule_steps(config, "fr"))[1]
    assert aging.params == {"num": 7.5} and aging.count == 7


def test_target_waits_group_the_walk_in_and_pickup_services_shortest_first() -> None:
    config = config_with()
    groups = [(words.params["num"], words.params["services"]) for words in target_waits(config, "fr")]
    assert groups == [
        (10, ("Rapatriement des dépouilles mortelles", "Retrait de documents")),
        (20, ("Légalisation",)),
        (30, tuple(config.services[code].name("fr") for code in
                   ("passport", "cnie", "registration", "driving_licence", "judicial"))),
        (40, ("État civil",)),
    ]
    assert all(sentence.plural for sentence in target_waits(config, "fr"))


def test_the_deadline_steps_are_rank_deadline_tiers_in_order() -> None:
    """One waiting ticket per step, in the order the words give them: rank_deadline calls them in that
    order (transferred here, waited 90 min, slot come, priority on its turn, a pickup due within 5 min, a
    walk-in by its promise, an appointment not due)."""
    tickets = [
        Waiting("transfer", "passport", "walk_in", False, -1.0, None, True),
        Waiting("aged", "passport", "walk_in", False, -95.0, None, False),
        Waiting("slot", "passport", "appointment", False, -30.0, -2.0, False),
        Waiting("priority", "passport", "walk_in", True, -3.0, None, False),
        Waiting("pickup", "pickup", "pickup", False, -8.0, None, False),
        Waiting("walk_in", "passport", "walk_in", False, -25.0, None, False),
        Waiting("later", "passport", "appointment", False, -1.0, 30.0, False),
    ]
    assert len(tickets) == len(rule_steps(config_with(order="deadline"), "en"))
    targets = {"passport": 30.0, "pickup": 10.0}
    called: list[str | None] = []
    while len(called) < len(tickets):
        left = [ticket for ticket in tickets if ticket.id not in called]
        called.append(rank_deadline(left, 0.0, targets, True, 90.0, frozenset({"pickup"}), 5.0))
    assert called == [ticket.id for ticket in tickets]
