"""The calling rule in words, as the supervisor page explains it: "who is called next" at a counter, step by
step, for the site's `policy.order` (core/policy.py), with the site's own numbers (the priority share, the
starvation bound, the quick services and their urgency, the services' target waits).

Pure: a SiteConfig and a language in (the language only names services), sentences out, still to translate:
each `Sentence` is a message id and its parameters, which the web layer translates in the page's language
(counter/supervisor.py). docs/queue-policy.md states the same rule at length.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from core.config import SiteConfig
from core.errors import N_
from core.policy import APPOINTMENT_EARLY_MINUTES, APPOINTMENT_GRACE_MINUTES, quick_services

Param = int | float | str | tuple[str, ...]  # a tuple: names, joined as a list in the page's language


@dataclass(frozen=True)
class Sentence:
    """A sentence to translate later: `message`, or with `plural` the form the language's rule picks for
    `count` (given to the translation as `num`)."""

    message: str
    params: Mapping[str, Param] = field(default_factory=dict)
    plural: str | None = None
    count: int = 1


@dataclass(frozen=True)
class Step:
    """One step of the rule, and what it lists (the services' target waits)."""

    sentence: Sentence
    details: tuple[Sentence, ...] = ()


def ngettext(singular: str, plural: str, count: float, **params: Param) -> Sentence:
    """The deferred twin of flask_babel.ngettext (core imports no Flask): Babel extracts the pair by its
    default `ngettext` keyword, the web layer translates it. `num` shows `count` (90, or 7.5 minutes)."""
    return Sentence(singular, {"num": int(count) if count == int(count) else count, **params}, plural,
                    int(count))


TRANSFERRED = N_("Visitors sent to this very counter by a transfer, in order of arrival.")
EVERYONE_ELSE = N_("Everyone else in order of arrival (a transfer keeps its first arrival time).")
NOT_DUE = N_("Appointments not yet due, by slot time, rather than leave the counter idle.")
ARRIVAL_ONLY = N_("Everyone in order of arrival, whatever the ticket: appointments, visitors with legal "
                  "priority and transfers get no precedence.")


def rule_steps(config: SiteConfig, lang: str) -> tuple[Step, ...]:
    """The steps of the site's order, first to last: a counter calls from the first step with someone
    waiting for it."""
    order = str(config.policy.get("order", "current"))
    if order == "fifo":
        return (Step(Sentence(ARRIVAL_ONLY)),)
    if order == "deadline":
        return deadline_steps(config, lang)
    return current_steps(config)


def current_steps(config: SiteConfig) -> tuple[Step, ...]:
    """core.policy._choose_current's five groups."""
    due = ngettext("Appointments due within %(num)s minute, by slot time.",
                   "Appointments due within %(num)s minutes, by slot time.", APPOINTMENT_EARLY_MINUTES)
    return tuple(Step(sentence) for sentence in (
        Sentence(TRANSFERRED), due, priority(config), Sentence(EVERYONE_ELSE), Sentence(NOT_DUE)))


def deadline_steps(config: SiteConfig, lang: str) -> tuple[Step, ...]:
    """core.policy.rank_deadline's tiers; the quick services' tier only when some service is quick."""
    bound = float(config.policy.get("starvation_minutes", 90))
    aging = ngettext("Anyone who has waited %(num)s minute or more, longest wait first: nobody waits for "
                     "ever.",
                     "Anyone who has waited %(num)s minutes or more, longest wait first: nobody waits for "
                     "ever.", bound)
    slot = ngettext("Appointments whose slot has come, by slot time (promised: called within %(num)s minute "
                    "of the slot).",
                    "Appointments whose slot has come, by slot time (promised: called within %(num)s minutes "
                    "of the slot).", APPOINTMENT_GRACE_MINUTES)
    steps = [Step(Sentence(TRANSFERRED)), Step(aging), Step(slot), Step(priority(config))]
    fast = quick_services(config)
    quick = [service.name(lang) for code, service in config.services.items() if code in fast]
    if quick:
        urgent = float(config.policy.get("quick_urgent_minutes", 5))
        steps.append(Step(ngettext(
            "Tickets for %(services)s (a few minutes at the counter) whose promise runs out within %(num)s "
            "minute, earliest first.",
            "Tickets for %(services)s (a few minutes at the counter) whose promise runs out within %(num)s "
            "minutes, earliest first.", urgent, services=tuple(quick))))
    promise = Sentence(N_("Everyone else by their promise, earliest first: arrival time plus the target wait "
                          "of their service:"))
    steps += [Step(promise, target_waits(config, lang)), Step(Sentence(NOT_DUE))]
    return tuple(steps)


def priority(config: SiteConfig) -> Sentence:
    """Visitors with legal priority: their share of the calls (`policy.priority_share`; 0: always first)."""
    share = int(config.policy["priority_share"])
    if share == 0:
        return Sentence(N_("Visitors with legal priority (elderly, disabled, pregnant): always first, before "
                           "everyone below."))
    return ngettext("Visitors with legal priority (elderly, disabled, pregnant): one for every %(num)s other "
                    "visitor while both wait.",
                    "Visitors with legal priority (elderly, disabled, pregnant): one for every %(num)s other "
                    "visitors while both wait.", share)


def target_waits(config: SiteConfig, lang: str) -> tuple[Sentence, ...]:
    """The walk-in and pickup services grouped by `target_wait_minutes`, the shortest promise first (each
    group in the configuration's order)."""
    groups: dict[int, list[str]] = {}
    for service in config.services.values():
        if set(service.kinds) - {"appointment"}:
            groups.setdefault(int(service.target_wait_minutes), []).append(service.name(lang))
    return tuple(ngettext("%(num)s minute: %(services)s", "%(num)s minutes: %(services)s", minutes,
                          services=tuple(names))
                 for minutes, names in sorted(groups.items()))
