"""Reminders: what is due (:mod:`.planner`, pure), the delivery ledger and one pass
(:mod:`.engine`), where they go (:mod:`.channels`), the long-running loop (:mod:`.daemon`) and the
systemd unit (:mod:`.service_unit`). See docs/reminders.md.

Kept empty on purpose: ``rollminder next`` imports :mod:`.reach` only, and must stay quick.
"""
