"""The outbox sender: delivers stored notices within Telegram's limits.

Rows are written by `bot.services.outbox.enqueue` in the transaction that owes them; this
module claims what is due, sends it and records the outcome. Everything it needs to go on
is in the table, so a restart simply picks up the pending rows again.

Delivery is at-least-once: a row is marked `sent` only after Telegram answered. If the
process dies between that answer and the commit, the row is still pending and goes out
again once its claim runs out. The opposite order (mark first, send after) could lose a
message, which the spec forbids; a rare duplicate notice is the lesser harm.

Several senders (processes) may share one database. A pass claims a small batch of due
rows for `CLAIM_LEASE` (on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so two senders never
take the same row; on SQLite the one writer serialises the claims), sends them and clears
the claim with the outcome. Through the table too:

- a chat's rows go strictly in the order queued: only the oldest pending row of a chat
  (its head) may be claimed, so a row that is claimed or waits for a retry holds back the
  rows behind it, whichever sender would take them;
- a chat gets one message a second: recording an attempt moves the chat's other pending
  rows to a second later (`not_before`), so the next one is not due before, for any sender;
- quiet hours: a row that respects them, found inside the recipient's quiet hours, gets
  `held_until` (their end) and stands aside from its chat's queue until then, so an answer
  to the person's own action queued behind it still goes at once.

The global rate is this process's own (`OUTBOX_RATE`): with several senders their rates
must add up to Telegram's 30 a second (see README, «Reliability»).

The pieces: `sender` (the loop, a pass, the claim), `queue` (which rows a pass may claim),
`throttle` (the global pace), `outcomes` (what an attempt leaves in the table: sent, a
wait, a retry, failed, expired, blocked), `requests` (the Bot API call a row stands for).
"""

from bot.delivery.sender import CLAIM_LEASE, OutboxSender, default_sender_id
from bot.delivery.throttle import Throttle

__all__ = ["CLAIM_LEASE", "OutboxSender", "Throttle", "default_sender_id"]
