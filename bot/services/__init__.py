"""Domain rules as plain async Python over an SQLAlchemy session: no aiogram here."""
