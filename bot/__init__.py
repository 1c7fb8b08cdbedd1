"""Pervichka: a Telegram bot for the everyday work of a party's primary branches."""
