"""Onboarding in the chat: /start, consent, joining a branch by invite or by picking it."""
