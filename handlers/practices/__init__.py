"""Best practices in the chat: thin handlers over `bot.services.practices`.

- `share`: sharing a practice one question at a time, the summary, sending it again after
  it was returned;
- `moderate`: a moderator's «Опубликовать» / «Вернуть на доработку» (with the comment),
  `/moderation`;
- `catalogue`: `/practices` (newest, most useful, by category, search), a card with its
  photos, `/my_practices`, the `pr_<id>` deep link (drawn by `catalogue_view`; the
  search, `/practices WORDS` and «🔎 Поиск», is `find`, on the catalogue's router);
- `react`: «Полезно», «Берём в работу», «Связаться с автором», the answer to «Получилось?»;
- `inline`: `@<bot> WORDS` in any chat offers published practices.
"""
