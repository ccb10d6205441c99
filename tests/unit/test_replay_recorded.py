"""The replay gives the forecasts it gave before its speed-ups (core/replay.py, core/forecast.py): on random
queues with every feature it knows — transfers, families, priority visitors, checked-in and expected
appointments with and without today's check-in times, counters serving, away, back from a break, with
planned breaks — the same seed gives the same ranges and every run the same minutes, as recorded from the
code before (commit e2dcaa1)."""

from __future__ import annotations

import hashlib
import json
import math
import random
from datetime import UTC, datetime

import pytest

from core.forecast import Desk, Queue, forecast, ghosts, replay
from core.punctuality import Arrivals, Punctuality
from core.replay import Plan, QueuedTicket, Rules

NOW = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
SERVICES = ("passport", "cnie", "civil_status", "legalisation", "pickup")


def random_desks(rng: random.Random) -> list[Desk]:
    desks = []
    for number in range(1, rng.randint(2, 9)):
        services = frozenset(rng.sample(SERVICES, rng.randint(1, 3)))
        held = rng.choice([None, *sorted(services)])
        away = rng.uniform(0, 40) if held is None and rng.random() < 0.15 else None
        back = rng.uniform(1, 20) if away is not None and rng.random() < 0.5 else None
        planned = tuple(sorted((rng.uniform(-20, 200), rng.choice([15.0, 45.0]))
                               for _ in range(rng.randint(0, 2))))
        desks.append(Desk(number, services, held, rng.uniform(0, 15), away, back, planned))
    return desks


def random_waiting(rng: random.Random, desks: list[Desk]) -> list[QueuedTicket]:
    waiting = []
    for index in range(rng.randint(5, 60)):
        service = rng.choice(SERVICES)
        kind = "pickup" if service == "pickup" else rng.choice(["walk_in", "walk_in", "appointment"])
        arrived = -rng.uniform(0, 120)
        slot = arrived + rng.uniform(-10, 40) if kind == "appointment" else None
        target = rng.choice([d.number for d in desks]) if rng.random() < 0.05 else None
        waiting.append(QueuedTicket(f"t{index}", service, kind, rng.random() < 0.1, arrived, slot, target,
                                    rng.choice([1, 1, 1, 2, 3])))
    return sorted(waiting, key=lambda t: (t.arrived, t.id))


def random_queue(order: str, seed: int) -> Queue:
    rng = random.Random(seed)
    desks = random_desks(rng)
    waiting = random_waiting(rng, desks)
    expected = []
    for index in range(rng.randint(0, 60)):
        slot = rng.uniform(-29, 180)
        expected.append(QueuedTicket(f"expected:r{index}", rng.choice(SERVICES[:4]), "appointment", False,
                                     max(0.0, slot - 15), slot, None, rng.choice([1, 1, 2]), expected=True))
    offsets = tuple(sorted(rng.gauss(-10, 12) for _ in range(rng.choice([0, 12, 40]))))
    punctuality = Punctuality(rng.uniform(0.6, 0.95), offsets) if rng.random() < 0.8 else Punctuality()
    means = {code: rng.uniform(2, 15) for code in (*SERVICES, "registration", "driving_licence", "judicial",
                                                    "repatriation")}
    recent = tuple((rng.choice(SERVICES), rng.random() < 0.2) for _ in range(rng.randint(0, 10)))
    return Queue(NOW, tuple(waiting), tuple(desks), means, recent, order, rng.choice([0, 1, 2, 3]),
                 rng.choice([30.0, 90.0]), {code: rng.choice([10.0, 20.0, 30.0]) for code in SERVICES},
                 tuple(expected), punctuality, rng.uniform(10, 40), frozenset({"pickup"}), 5.0)


def ranges(queue: Queue, config, seed: int) -> str:
    result = forecast(queue, config, 40, seed)
    shown = {name: {key: value.to_json() for key, value in part.items()}
             for name, part in (("tickets", result.tickets), ("walk_in", result.walk_in),
                                ("priority", result.priority))}
    return hashlib.sha256(json.dumps(shown, sort_keys=True).encode()).hexdigest()[:16]


def runs(queue: Queue, config, seed: int) -> str:
    """Every run's minutes to each call (expected visitors and ghosts too), as `forecast` replays them."""
    rules = Rules(queue.order, queue.priority_share, queue.starvation_minutes, queue.targets, queue.quick,
                  queue.urgent_minutes)
    desks = [(d.number, d.services) for d in queue.desks]
    plan = Plan([*queue.waiting, *queue.expected, *ghosts(config)], desks, rules)
    first = len(queue.waiting)
    arrivals = Arrivals(queue.punctuality, [(first + i, t.slot or 0.0) for i, t in enumerate(queue.expected)])
    rng = random.Random(seed)
    laws = {code: (math.log(mean) - 0.45 ** 2 / 2, 0.45) for code, mean in queue.mean_minutes.items()}
    digest = hashlib.sha256()
    for _ in range(40):
        called = replay(plan, queue, laws, rng, *arrivals.draw(rng))
        digest.update(repr([None if minutes is None else round(minutes, 4) for minutes in called]).encode())
    return digest.hexdigest()[:16]


RECORDED: dict[tuple[str, int], tuple[str, str]] = {  # (order, seed): (ranges, runs), before the speed-ups
    ("current", 0): ("98518247b8a13714", "0c82574e6ab8b7e6"),
    ("current", 1): ("39569c72ba01f0ea", "6e6a00128d54ea60"),
    ("current", 2): ("9a96bf1080bc4e7c", "e54559abbf287e08"),
    ("current", 3): ("cd72410ec417b43d", "50cc2c993eca0fd6"),
    ("current", 4): ("8c36865aec1fdb50", "42d85e14283f5ab5"),
    ("current", 5): ("c439a838a97f3bec", "e9c457b2bb8fb7d4"),
    ("current", 6): ("172113befc56c248", "399ba6ba0ddafb67"),
    ("current", 7): ("274019330e4c3720", "d56d03c3f815ecc2"),
    ("fifo", 0): ("77279ddfc2a14ac1", "87dd60568f57aa9e"),
    ("fifo", 1): ("79f2f83369a7710c", "79e0f6e6337af62f"),
    ("fifo", 2): ("ae6c80ab5a5d63c5", "091a9ffe139e0a1c"),
    ("fifo", 3): ("ed093913369cce3a", "e5df238e76fcc601"),
    ("fifo", 4): ("08724332f58de6c8", "77aafbff128a5d19"),
    ("fifo", 5): ("e253120ebf39bfde", "2d37496d0fdf3c90"),
    ("fifo", 6): ("94afc2e2c058ff1e", "781c45d4a57b6265"),
    ("fifo", 7): ("5ff07ea8572339cf", "0668999293b33449"),
    ("deadline", 0): ("db4724632152d8d0", "12b69d5f29d5d962"),
    ("deadline", 1): ("f839a5b6009434a0", "3f804732aaa89b95"),
    ("deadline", 2): ("2754c5420a3dcf3a", "59ad554573557aa3"),
    ("deadline", 3): ("27a54e223a58d215", "fba32100acff3145"),
    ("deadline", 4): ("260011d76c851718", "6fd1cf9990ccadbd"),
    ("deadline", 5): ("03c5ba474effe9cf", "2bfb4953b1dd1e2f"),
    ("deadline", 6): ("471705cd3a30dfc5", "503f7abc1c25187b"),
    ("deadline", 7): ("92c8f5cef75dc37b", "6a43d63cd11d120c"),
}


@pytest.mark.parametrize(("order", "seed"), sorted(RECORDED))
def test_the_same_queue_and_seed_give_the_recorded_forecast(config, order: str, seed: int) -> None:
    queue = random_queue(order, seed)
    assert (ranges(queue, config, seed), runs(queue, config, seed)) == RECORDED[order, seed]
