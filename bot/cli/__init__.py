"""The `pervichka` command (also `python -m bot`); `main` is its entry point."""

from bot.cli.main import main

__all__ = ["main"]
