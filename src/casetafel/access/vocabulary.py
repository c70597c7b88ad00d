"""The audit log's words: every action with its Dutch label, and the purpose of processing.

One list, used by the privacy officer's page, its filter and the CSV export.
"""

from __future__ import annotations

ACTION_LABELS: dict[str, str] = {
    "case.create": "Casus geregistreerd",
    "case.read": "Casus ingezien",
    "case.update": "Casus gewijzigd",
    "case.close": "Casus afgesloten",
    "case.denied": "Toegang tot casus geweigerd",
    "case.list": "Casuslijst ingezien",
    "case.escalate": "Casus opgeschaald",
    "case.deescalate": "Casus afgeschaald",
    "case.progress": "Voortgang vastgelegd",
    "case.escalations.read": "Escalaties van casus ingezien",
    "case.actions.read": "Acties van casus ingezien",
    "dashboard.read": "Dashboard ingezien",
    "dashboard.actions.read": "Acties op dashboard ingezien",
    "dashboard.deadlines.read": "Termijnen op dashboard ingezien",
    "queue.read": "Werkvoorraad ingezien",
    "deadline.list": "Termijnen ingezien",
    "agenda.read": "Agenda ingezien",
    "agenda.add": "Casus geagendeerd",
    "agenda.refer": "Casus verwezen naar overleg",
    "agenda.move": "Volgorde agenda gewijzigd",
    "agenda.remove": "Agendapunt verwijderd",
    "agenda.outcome": "Uitkomst agendapunt vastgelegd",
    "agenda.decision": "Besluit vastgelegd",
    "action.add": "Actie vastgelegd",
    "action.complete": "Actie gereedgemeld",
    "meeting.plan": "Overleg gepland",
    "meeting.reschedule": "Overleg verplaatst",
    "meeting.cancel": "Overleg geannuleerd",
    "meeting.occurrence_move": "Bijeenkomst verplaatst",
    "meeting.occurrence_cancel": "Bijeenkomst geannuleerd",
    "meeting.attendee_add": "Deelnemer uitgenodigd",
    "meeting.attendee_remove": "Deelnemer afgemeld",
    "meeting.answer": "Antwoord op uitnodiging",
    "feed.create": "Agenda-link aangemaakt",
    "feed.revoke": "Agenda-link ingetrokken",
    "person.create": "Deelnemer zonder account toegevoegd",
    "person.update": "Deelnemer zonder account gewijzigd",
    "person.deactivate": "Deelnemer zonder account gedeactiveerd",
    "mail.resend": "E-mail opnieuw verstuurd",
    "user.create": "Gebruiker aangemaakt",
    "session.login": "Ingelogd",
    "session.login_failed": "Inloggen mislukt",
    "api_token.create": "API-sleutel aangemaakt",
    "api_token.revoke": "API-sleutel ingetrokken",
    "bulk.generate": "Testcasussen gegenereerd",
    "audit.read": "Auditlog ingezien",
    "audit.export": "Auditlog geëxporteerd",
    "audit.verify": "Hashketen gecontroleerd",
}

# The purpose of processing, by the first part of the action.
_PURPOSES: dict[str, str] = {
    "case": "casusbehandeling",
    "dashboard": "casusbehandeling",
    "queue": "casusbehandeling",
    "deadline": "casusbehandeling",
    "agenda": "casusoverleg",
    "action": "casusoverleg",
    "meeting": "casusoverleg",
    "feed": "casusoverleg",
    "person": "beheer deelnemers",
    "mail": "beheer e-mail",
    "user": "toegangsbeheer",
    "session": "toegangsbeheer",
    "api_token": "toegangsbeheer",
    "bulk": "beheer",
    "audit": "toezicht gegevensbescherming",
}
DEFAULT_PURPOSE = "verantwoording"


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


def default_purpose(action: str) -> str:
    return _PURPOSES.get(action.partition(".")[0], DEFAULT_PURPOSE)
