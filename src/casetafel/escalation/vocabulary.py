"""Dutch labels of the escalation engine's deadline kinds and states."""

from __future__ import annotations

DEADLINE_KINDS = {
    "housing_deadline": "Huisvesting geregeld",
    "time_box": "Besluit op dit niveau",
    "conference_due": "Casusoverleg gehouden",
    "conference_reminder": "Herinnering casusoverleg",
    "bij_missing": "BIJ-melding ontvangen",
    "warning": "Waarschuwing vooraf",
}

DEADLINE_STATES = {
    "pending": "Loopt",
    "met": "Gehaald",
    "missed": "Verstreken",
    "cancelled": "Vervallen",
}

DIRECTIONS = {"up": "Opgeschaald", "down": "Afgeschaald", "start": "Gestart"}
