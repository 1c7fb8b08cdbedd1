"""Joining: invites (`invites`) and a newcomer joining a branch (`joining`)."""
