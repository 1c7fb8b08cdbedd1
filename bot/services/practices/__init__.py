"""Best practices («лучшие практики»): the feature's rules, one module per subject, no aiogram.

Tables: `storage/models/practices.py`. The search over published practices (one
service, the database's own full-text index, Snowball stems) is `search`.
"""
