"""Mandates: whole submission conversations through the real dispatcher, many members at
once, and the time to build /inbox and /export for a branch with 10,000 mandates.

Submissions go through `bot.app.build_dispatcher` over a migrated SQLite file, as in
`dispatcher_bench`; each scripted member reads the keyboards the bot showed and presses
buttons by their labels, so the run follows the flow as a person meets it, and a step
that is not answered as expected counts the conversation as broken. The big branch is
seeded with bulk inserts (not through the chat), then the services and the handlers are
timed on it.
"""

from __future__ import annotations

from bench import Result
from bench.mandate_big_branch import bench_big_branch
from bench.mandate_submissions import bench_submissions


async def run(users: int, per_user: int, branch_mandates: int) -> list[Result]:
    results: list[Result] = []
    if users and per_user:
        results.append(await bench_submissions(users, per_user, at_once=False))
        results.append(await bench_submissions(users, per_user, at_once=True))
    if branch_mandates:
        results += await bench_big_branch(branch_mandates)
    return results
