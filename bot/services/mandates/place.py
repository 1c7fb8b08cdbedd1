"""Where a mandate is, for people: a shared location as a link that opens a map with a
pin, and as the pin itself (the handlers send it with `sendVenue`). One place, so the
staff's notice, the staff's card and the author's card say it the same way."""

from __future__ import annotations

import html
from dataclasses import dataclass

from bot.texts import t


def map_url(latitude: float, longitude: float) -> str:
    """Yandex Maps with a pin at the point (the maps people in Russia have on their phones;
    the link opens the app when it is installed, the site otherwise)."""
    return f"https://yandex.ru/maps/?pt={longitude:.6f},{latitude:.6f}&z=17&l=map"


@dataclass(frozen=True, slots=True)
class Place:
    """A pin to send: `sendVenue(latitude, longitude, title, address)`."""

    latitude: float
    longitude: float
    title: str
    address: str


def place_of(
    number: str, latitude: float | None, longitude: float | None, address: str | None
) -> Place | None:
    """The pin of a mandate with a shared location (none without one); the typed address,
    when there is one too, is the pin's address."""
    if latitude is None or longitude is None:
        return None
    return Place(
        latitude=latitude,
        longitude=longitude,
        title=t("mandates.place.title", number=number),
        address=address or t("mandates.place.no_address"),
    )


def place_line(latitude: float, longitude: float) -> str:
    """One HTML line: «📍 Место: точка на карте — открыть карту» with the link."""
    return t("mandates.place.line", url=html.escape(map_url(latitude, longitude)))
