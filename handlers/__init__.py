"""One router per flow, each built by its module's `create_router()` so that every
dispatcher (tests and benchmarks build many) gets routers of its own.

Order matters: the error handler and the commands that leave any flow come first, the
fallback that answers everything else comes last.
"""

from __future__ import annotations

from aiogram import Router


def build_routers() -> list[Router]:
    from handlers import (
        admin,
        common,
        errors,
        fallback,
        mandate_export,
        mandate_submit,
        mandate_work,
        my_mandates,
        onboarding,
    )

    order = (
        errors,
        common,
        onboarding,
        mandate_submit,
        my_mandates,
        mandate_work,
        mandate_export,
        admin,
        fallback,
    )
    return [module.create_router() for module in order]
