"""The digest tests' prepared week (`week`), see helpers.py."""

from tests.digest.helpers import week

__all__ = ["week"]
