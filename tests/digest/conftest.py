"""The digest tests' prepared week (`week`), with the secretaries' duties
(`duty_week`), see helpers.py."""

from tests.digest.helpers import duty_week, week

__all__ = ["duty_week", "week"]
