"""Placeholder until the flow lands."""

from __future__ import annotations

from aiogram import Router


def create_router() -> Router:
    return Router(name="practices_react")
