"""`python -m bot` is the `pervichka` command."""

from bot.cli import main

raise SystemExit(main())
