"""What the meetings services need besides the database: settings (base URL, secret for
RSVP links, working hours), the meeting kinds, the ladder and the master data."""

from __future__ import annotations

from dataclasses import dataclass

from casetafel.escalation.config import EscalationConfig
from casetafel.meetings.config import MeetingsConfig
from casetafel.organisations.service import Directory
from casetafel.settings import Settings


@dataclass(frozen=True)
class MeetingContext:
    settings: Settings
    meetings: MeetingsConfig
    escalation: EscalationConfig
    directory: Directory

    def link(self, path: str) -> str:
        return f"{self.settings.base_url}{path}"
