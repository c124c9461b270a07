"""`guardstream bench behaviour`: events per CPU-second of the stateful stage (behaviour
detectors + alert suppression) alone and with the per-event stage, next to the per-event
baseline measured in the same run, and the state's size per 10k active users."""

from __future__ import annotations

import json
import random
import time
from datetime import timedelta
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from guardstream.detectors.behaviour.state import DictState
from guardstream.detectors.pipeline import build_pipeline
from guardstream.streams.behaviour_traffic import START, scripted_traffic
from guardstream.streams.commands.bench import pin_to_one_core
from guardstream.streams.processing import RawMessage, apply_state, process_batch

out = Console()


def many_users(users: int, per_user: int, seed: int = 3) -> list[dict]:
    """`users` active users, `per_user` events each over 10 minutes, one app."""
    rng = random.Random(seed)
    base = scripted_traffic(benign=20, seed=seed)
    events = []
    for u in range(users):
        for n in range(per_user):
            template = dict(rng.choice(base))
            at = START + timedelta(seconds=rng.uniform(0, 600))
            template |= {
                "event_id": f"bench-{u}-{n}",
                "user_id": f"user-{u:06d}",
                "session_id": f"user-{u:06d}-s",
                "timestamp": at.isoformat().replace("+00:00", "Z"),
            }
            events.append(template)
    events.sort(key=lambda e: e["timestamp"])
    return events


def bench_behaviour(
    users: Annotated[int, typer.Option(help="Active users in the mix.")] = 2000,
    per_user: Annotated[int, typer.Option(help="Events per user.")] = 3,
    batch: Annotated[int, typer.Option(help="Events per batch.")] = 256,
) -> None:
    """Throughput of the behaviour stage, with and without per-event scoring, and state size."""
    pin_to_one_core()
    events = many_users(users, per_user)
    messages = [RawMessage(json.dumps(e).encode(), "bench", 0, n) for n, e in enumerate(events)]
    pipeline = build_pipeline({})
    chunks = [messages[s : s + batch] for s in range(0, len(messages), batch)]

    started = time.process_time()
    stateless = [process_batch(c, pipeline, 10**7) for c in chunks]
    per_event = time.process_time() - started

    state = DictState()
    started = time.process_time()
    for chunk, output in zip(chunks, stateless, strict=True):
        apply_state(chunk, output, pipeline, state)
    behaviour_only = time.process_time() - started

    state2 = DictState()
    started = time.process_time()
    for chunk in chunks:
        process_batch(chunk, pipeline, 10**7, state2)
    both = time.process_time() - started

    n = len(messages)
    sizes = state.size_bytes()
    total = sum(sizes.values())
    table = Table(title=f"guardstream bench behaviour ({n} events, {users} users, one core)")
    table.add_column("what")
    table.add_column("events per CPU-second", justify="right")
    table.add_row("per-event stage alone (baseline)", f"{n / per_event:,.0f}")
    table.add_row("behaviour stage alone (+ suppression)", f"{n / behaviour_only:,.0f}")
    table.add_row("per-event + behaviour", f"{n / both:,.0f}")
    out.print(table)
    sizes_table = Table(title="state size (JSON bytes, as the changelogs carry it)")
    sizes_table.add_column("namespace")
    sizes_table.add_column("bytes", justify="right")
    sizes_table.add_column("per 10k active users", justify="right")
    for name, size in sorted(sizes.items()):
        sizes_table.add_row(name, f"{size:,}", f"{size * 10_000 / users:,.0f}")
    sizes_table.add_row("total", f"{total:,}", f"{total * 10_000 / users:,.0f}")
    out.print(sizes_table)
    out.print(
        json.dumps(
            {
                "events": n,
                "users": users,
                "per_event_eps": round(n / per_event),
                "behaviour_eps": round(n / behaviour_only),
                "both_eps": round(n / both),
                "state_bytes_per_10k_users": round(total * 10_000 / users),
            }
        )
    )
