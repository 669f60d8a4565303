"""The HCSS admin: missions, the triage queue and dashboard, planning records."""

from missions.admin import mission, planning, triage

__all__ = ["mission", "planning", "triage"]
