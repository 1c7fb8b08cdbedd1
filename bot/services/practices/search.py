"""The catalogue's search: published practices found by their words in any Russian form.

The index is kept by the practice's own transactions: `index_practice` when a practice is
published or its published text changes, `unindex_practice` when it leaves the catalogue.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Practice


async def index_practice(session: AsyncSession, practice: Practice) -> None:
    """Puts the published practice's title and text into the search index (or refreshes
    them). Placeholder until the index lands: finds nothing yet."""


async def unindex_practice(session: AsyncSession, practice_id: int) -> None:
    """Takes a practice out of the search index."""
