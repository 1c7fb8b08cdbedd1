"""`python -m bench` (or `make bench`): every benchmark, then one table. See bench/README.md."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import platform
import sys

from bench import Result, format_table


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, about a minute")
    parser.add_argument("--updates", type=int, help="updates fed to each dispatcher (20000)")
    parser.add_argument("--users", type=int, help="members already onboarded (2000)")
    parser.add_argument("--newcomers", type=int, help="people going through consent (200)")
    parser.add_argument("--outbox", type=int, help="notices sent with the limit raised (3000)")
    parser.add_argument(
        "--outbox-limited", type=int, help="notices sent at the real 30/s limit (300)"
    )
    parser.add_argument(
        "--mandate-users", type=int, help="members submitting mandates at once (200)"
    )
    parser.add_argument("--mandates-each", type=int, help="mandates each of them submits (5)")
    parser.add_argument(
        "--branch-mandates", type=int, help="mandates in the branch for /inbox and /export (10000)"
    )
    parser.add_argument(
        "--mc-people", type=int, help="people registering at once for one masterclass (2000)"
    )
    parser.add_argument("--mc-seats", type=int, help="its seats (100)")
    parser.add_argument(
        "--mc-reminders", type=int, help="registrations whose day-before reminders run (10000)"
    )
    parser.add_argument(
        "--backlog", help="outbox passes with this many pending, comma-separated (300,50000,300000)"
    )
    parser.add_argument(
        "--broadcast", type=int, help="a broadcast at 30/s with /help meanwhile (10000)"
    )
    parser.add_argument(
        "--export-sizes", help="branches exported for time and memory, comma-separated (2000,10000)"
    )
    parser.add_argument(
        "--practices", type=int, help="published practices searched by 1,000 queries (10000)"
    )
    parser.add_argument(
        "--digest-curators", type=int, help="curators whose weekly digests are built (1000)"
    )
    parser.add_argument(
        "--digest-mandates", type=int, help="mandates the digests are built over (100000)"
    )
    parser.add_argument(
        "--only",
        choices=(
            "dispatcher",
            "outbox",
            "backlog",
            "mandates",
            "export",
            "delayed",
            "masterclasses",
            "practices",
            "digest",
        ),
        help="run one of the benchmarks",
    )
    parser.add_argument(
        "--delays", default="50,200", help="Bot API delays in ms for --only delayed (50,200)"
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="with --postgres-url, --only delayed also runs the bot as this many processes "
        "sharing the database (as the webhook setup does)",
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("TEST_POSTGRES_URL"),
        help="the delayed benchmark on this PostgreSQL database (wiped!) instead of SQLite, "
        "the practices' search on it too; "
        "`scripts/with-postgres.sh` sets TEST_POSTGRES_URL",
    )
    return parser


def _sizes(args: argparse.Namespace) -> dict[str, int]:
    if args.quick:
        sizes = {"updates": 2000, "users": 200, "newcomers": 20, "outbox": 500, "limited": 90}
        sizes |= {"mandate_users": 20, "mandates_each": 2, "branch_mandates": 1000}
        sizes |= {"broadcast": 300, "mc_people": 300, "mc_seats": 20, "mc_reminders": 1000}
        sizes |= {"practices": 2000, "digest_curators": 100, "digest_mandates": 10000}
        lists = {"backlog": [300, 5000], "export_sizes": [500, 2000]}
    else:
        sizes = {"updates": 20000, "users": 2000, "newcomers": 200, "outbox": 3000, "limited": 300}
        sizes |= {"mandate_users": 200, "mandates_each": 5, "branch_mandates": 10000}
        sizes |= {"broadcast": 10000, "mc_people": 2000, "mc_seats": 100, "mc_reminders": 10000}
        sizes |= {"practices": 10000, "digest_curators": 1000, "digest_mandates": 100000}
        lists = {"backlog": [300, 50000, 300000], "export_sizes": [2000, 10000]}
    for name, value in [
        ("updates", args.updates),
        ("users", args.users),
        ("newcomers", args.newcomers),
        ("outbox", args.outbox),
        ("limited", args.outbox_limited),
        ("mandate_users", args.mandate_users),
        ("mandates_each", args.mandates_each),
        ("branch_mandates", args.branch_mandates),
        ("broadcast", args.broadcast),
        ("mc_people", args.mc_people),
        ("mc_seats", args.mc_seats),
        ("mc_reminders", args.mc_reminders),
        ("practices", args.practices),
        ("digest_curators", args.digest_curators),
        ("digest_mandates", args.digest_mandates),
    ]:
        if value is not None:
            sizes[name] = value
    for name, text in [("backlog", args.backlog), ("export_sizes", args.export_sizes)]:
        if text is not None:
            lists[name] = [int(n) for n in text.split(",") if n]
    args.lists = lists
    if sizes["users"] < 1 or sizes["updates"] < 1:
        raise SystemExit("--updates and --users must be at least 1")
    return sizes


async def _run(args: argparse.Namespace, sizes: dict[str, int]) -> list[Result]:
    from bench import (
        delayed_api_bench,
        digest_bench,
        dispatcher_bench,
        export_bench,
        mandate_bench,
        masterclass_bench,
        outbox_backlog,
        outbox_bench,
        practice_search_bench,
    )

    results: list[Result] = []
    if args.only in (None, "dispatcher"):
        results += await dispatcher_bench.run(sizes["updates"], sizes["users"], sizes["newcomers"])
    if args.only in (None, "outbox"):
        results += await outbox_bench.run(sizes["outbox"], sizes["limited"])
    if args.only in (None, "backlog"):
        results += await outbox_backlog.run(args.lists["backlog"], sizes["broadcast"])
    if args.only in (None, "mandates"):
        results += await mandate_bench.run(
            sizes["mandate_users"], sizes["mandates_each"], sizes["branch_mandates"]
        )
    if args.only in (None, "export"):
        results += await export_bench.run(args.lists["export_sizes"])
    if args.only in (None, "delayed"):
        delays = [int(ms) / 1000 for ms in args.delays.split(",")]
        # 1,000 members; at 200 ms fewer of them press, so the slow "before" run ends.
        active = {d: (1000, 60) if d < 0.1 else (300, 20) for d in delays}
        results += await delayed_api_bench.run(
            delays, 1000, active, args.postgres_url, args.processes
        )
    if args.only in (None, "masterclasses"):
        results += await masterclass_bench.run(
            sizes["mc_people"], sizes["mc_seats"], sizes["mc_reminders"]
        )
    if args.only in (None, "practices"):
        results += await practice_search_bench.run(sizes["practices"], 1000, args.postgres_url)
    if args.only in (None, "digest"):
        # 10,000 registrations and 5,000 practices for 100,000 mandates, in proportion.
        mandates = sizes["digest_mandates"]
        results += await digest_bench.run(
            sizes["digest_curators"], mandates, mandates // 10, mandates // 20
        )
    return results


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    sizes = _sizes(args)
    # Handlers' failures are counted in the table; their tracebacks would drown it.
    logging.basicConfig(level=logging.CRITICAL)
    print(
        f"python {platform.python_version()} on {platform.machine()}, "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; sizes: {sizes}",
        flush=True,
    )
    results = asyncio.run(_run(args, sizes))
    print(format_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
