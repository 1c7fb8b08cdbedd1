"""The admin's panel in the chat (/admin): loading the structure from CSV, making invites."""
