"""Best practices («лучшие практики»): the feature's rules, one module per subject, no aiogram.

- `rules`: the categories (settings: `PRACTICE_CATEGORIES`) and the limits of each answer;
- `draft`: a practice being written, and the check of each answer;
- `sharing`: sending it to moderation, and sending a returned one again;
- `access`: who moderates, who sees what (the one place that decides it);
- `moderation`: publish, return with a comment (one decision counts), `/moderation`;
- `reactions`: «Полезно», «Берём в работу», «Получилось?» four weeks later (due work);
- `queries`: the catalogue (newest, by category, most useful), a card, «Мои практики»;
- `contact`: «Связаться с автором», the accounts hidden;
- `records`: loading (and locking) a practice, its origin, its moderators;
- `notices`: the messages, as outbox notices, and their callback data;
- `errors`: the feature's refusals, with texts in `locales/ru/practices.toml`.

Tables: `storage/models/practices.py`. The search over published practices (one
service, the database's own full-text index, Snowball stems) is `search`.
"""
