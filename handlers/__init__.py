"""One router per flow, each built by its module's `create_router()` so that every
dispatcher (tests and benchmarks build many) gets routers of its own.

Order matters: the error handler, what is not a private conversation (groups, edits,
blocking) and the commands that leave any flow come first, the fallback that answers
everything else comes last. They hang under one root router, whose callback middleware
gives every button handler the pressed message (or answers a press on a message that is
gone without calling any).
"""

from __future__ import annotations

from aiogram import Router

from bot.middlewares import PressedMessageMiddleware


def build_routers() -> list[Router]:
    from handlers import chats, common, digest, duties, errors, fallback, settings
    from handlers.admin import panel
    from handlers.mandates import author, export, my_list, submit, work
    from handlers.masterclasses import attend, catalogue, create, manage
    from handlers.onboarding import joining
    from handlers.practices import catalogue as practices
    from handlers.practices import inline, moderate, react, share

    order = (
        errors,
        chats,
        common,
        catalogue,  # before joining: it answers /start mc_<id> of an onboarded person
        practices,  # before joining too: /start pr_<id>
        joining,
        author,
        submit,
        my_list,
        work,
        export,
        create,
        manage,
        attend,
        share,
        moderate,
        react,
        inline,
        digest,
        duties,
        settings,
        panel,
        fallback,
    )
    root = Router(name="root")
    root.callback_query.outer_middleware(PressedMessageMiddleware())
    root.include_routers(*(module.create_router() for module in order))
    return [root]
