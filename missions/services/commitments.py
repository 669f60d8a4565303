"""The outbox's writer for the notices of `commitments` (rounds opened, reminders), through the
port `clusters.notices`: commitments renders the subject and body, this writes them as
Notification rows the way missions.services.notices writes its own (once per user and event,
e-mailed after commit). Registered at start-up by MissionsConfig.ready.
"""

from __future__ import annotations

from clusters.notices import notice_writer
from missions.services.notices import notify_written

# Commitments' notices are about no mission: written as they come.
notice_writer(notify_written)
