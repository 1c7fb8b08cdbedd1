"""Mandates («наказы избирателей»): the feature's rules, one module per subject.

- `draft`: the mandate being written, the checks on each answer, `MandateRules`;
- `submission`: saving it, with its number and deadline;
- `similarity`: similar open mandates, and supporting one instead of a duplicate;
- `lifecycle`: statuses, the allowed changes, what a person may do now;
- `decisions`: the changes — the secretary's decisions, the author's answer and rating,
  the curator's comment; `records` holds the steps they share;
- `access`: who may see and do what (the one place that decides it);
- `notices`: the messages changes owe people, as outbox notices;
- `queries` and `card`: the lists and one mandate's card;
- `export` and `workbook`: the `.xlsx`.
"""
