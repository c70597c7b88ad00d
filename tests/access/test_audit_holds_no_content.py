"""The audit log says who did what to which case, when and on what basis, never the content:
not in the stored events, not on the privacy officer's page, not in the CSV export."""

from __future__ import annotations

import json
from datetime import date, timedelta

from casetafel import clock
from casetafel.access.models import AuditEvent
from casetafel.cases import service
from tests.conftest import login, velsen_case

NOTE = "Buurvrouw met kinderen op nummer 12 ongerust"
BIJ_DATE = (clock.today() - timedelta(days=3)).isoformat()


def content_values() -> list[str]:
    """Values of the changed fields, in every form the page or export could show them."""
    return [
        NOTE,
        "sex_offender",
        "Zedendelinquent",
        BIJ_DATE,
        date.fromisoformat(BIJ_DATE).strftime("%d-%m-%Y"),
        "tbs_conditional",
        "TBS met voorwaarden",
        "J. Testpersoon",
    ]


async def _case_changed_by_coordinator(users, directory, ladder) -> str:
    coordinator = users.actors["coordinator"]
    case = await service.create_case(
        coordinator, velsen_case(categories=["no_fixed_abode"]), directory, ladder
    )
    await service.update_case(
        coordinator,
        case.reference,
        {
            "categories": ["sex_offender"],
            "legal_framework": "tbs_conditional",
            "bij_notice_date": BIJ_DATE,
            "notes": NOTE,
        },
        directory,
        ladder,
    )
    return case.reference


async def test_stored_events_hold_only_the_names_of_changed_fields(users, directory, ladder):
    await _case_changed_by_coordinator(users, directory, ladder)
    for event in await AuditEvent.objects():
        text = json.dumps(event.details) if not isinstance(event.details, str) else event.details
        for value in content_values():
            assert value not in text, f"{event.action} stores {value!r}"
    update = await AuditEvent.objects().where(AuditEvent.action == "case.update").first()
    details = json.loads(update.details) if isinstance(update.details, str) else update.details
    assert details == {
        "fields": ["categories", "legal_framework", "bij_notice_date", "notes"],
    }


async def test_audit_page_and_export_show_no_case_content(users, directory, ladder, client):
    reference = await _case_changed_by_coordinator(users, directory, ladder)
    await login(client, "privacy")
    page = await client.get("/audit", params={"kenmerk": reference})
    assert page.status_code == 200
    assert reference in page.text
    for value in content_values():
        assert value not in page.text, f"the page shows {value!r}"
    assert "Categorieën" in page.text  # which fields changed, by their Dutch label
    export = await client.get("/audit/export.csv", params={"kenmerk": reference})
    assert export.status_code == 200
    assert "attachment" in export.headers["content-disposition"]
    assert reference in export.text
    for value in content_values():
        assert value not in export.text, f"the export shows {value!r}"
