"""Backend memory per connected client, SpeakPro's home page next to `bench/minimal_app`'s blank page.

Both backends run side by side in production mode (in-memory state manager, as `bench/bench_handlers.py`
starts them). N clients connect to each over the real websocket and hydrate their page (SpeakPro: the demo
learner's home, its on_load included); the resident memory of each backend's processes is read before, with
all N connected, and 30 s after they all left. Printed: MiB per connected client, its ratio to the minimal
app's, and what stays after the clients leave.

Usage: .venv/bin/python bench/bench_clients.py [--clients 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_handlers import Page, side_by_side  # noqa: E402

OPEN_AT_ONCE = 20


def rss_mib(pids: list[int]) -> float:
    """The summed resident memory of `pids`, in MiB."""
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


async def connect_all(count: int, open_one) -> list[Page]:
    pages: list[Page] = []
    for start in range(0, count, OPEN_AT_ONCE):
        pages += await asyncio.gather(*(open_one() for _ in range(min(OPEN_AT_ONCE, count - start))))
    return pages


async def measure_app(name: str, pids, count: int, open_one) -> dict:
    warm = await connect_all(20, open_one)
    for page in warm:
        page.sock.abort()
    await asyncio.sleep(5)
    before = rss_mib(pids())
    pages = await connect_all(count, open_one)
    await asyncio.sleep(5)
    connected = rss_mib(pids())
    for page in pages:
        page.sock.abort()
    pages.clear()
    gc.collect()
    await asyncio.sleep(30)
    after = rss_mib(pids())
    return {"name": name, "before": before, "connected": connected, "after": after, "count": count}


async def measure(args) -> None:
    async with side_by_side("clients") as (made, speakpro, minimal):
        cookie = f"speakpro_session={made['learner_token']}"
        rows = [
            await measure_app(
                "minimal app, blank page", minimal.pids, args.clients, lambda: Page.open(minimal.url, path="/")
            ),
            await measure_app(
                "SpeakPro, learner home",
                speakpro.pids,
                args.clients,
                lambda: Page.open(speakpro.url, path="/home", cookie=cookie),
            ),
        ]
        base = (rows[0]["connected"] - rows[0]["before"]) / rows[0]["count"]
        print(f"\n{args.clients} clients per app, {OPEN_AT_ONCE} connecting at a time\n")
        print(f"{'app':26} {'before':>8} {'connected':>10} {'per client':>11} {'ratio':>6} {'30 s after':>11}")
        for row in rows:
            per = (row["connected"] - row["before"]) / row["count"]
            print(
                f"{row['name']:26} {row['before']:7.0f}M {row['connected']:9.0f}M {per * 1024:9.1f}KB "
                f"{per / base:6.2f} {row['after'] - row['before']:+10.0f}M"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000)
    asyncio.run(measure(parser.parse_args()))


if __name__ == "__main__":
    main()
