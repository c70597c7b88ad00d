"""REQUEST, CANCEL and PUBLISH: strict bytes, and the same meaning in icalendar and vobject."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from casetafel.invites.calendar import (
    PRODID,
    AttendeeLine,
    InviteError,
    Party,
    cancel,
    publish,
    request,
    uninvite,
)
from tests.invites.examples import ANNA, CHAIR, MARIEKE, MEETING, SERIES, meeting, series
from tests.invites.readers import events, params, read_both, vevents
from tests.invites.strict import assert_no_personal_data

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def test_request_has_the_itip_header_and_one_amsterdam_vtimezone() -> None:
    raw = request([MEETING])
    ical, vob = read_both(raw)
    assert raw.startswith(
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//casetafel//casetafel//NL\r\n"
        b"CALSCALE:GREGORIAN\r\nMETHOD:REQUEST\r\n"
    )
    assert (ical["METHOD"], ical["PRODID"], ical["CALSCALE"]) == ("REQUEST", PRODID, "GREGORIAN")
    assert vob.method.value == "REQUEST"
    assert [timezone.tz_name for timezone in ical.timezones] == ["Europe/Amsterdam"]
    assert [timezone.tzid.value for timezone in vob.contents["vtimezone"]] == ["Europe/Amsterdam"]


def test_request_writes_local_amsterdam_times_with_tzid_and_a_utc_dtstamp() -> None:
    raw = request([MEETING])
    ical, vob = read_both(raw)
    assert b"DTSTART;TZID=Europe/Amsterdam:20260317T090000\r\n" in raw
    assert b"DTEND;TZID=Europe/Amsterdam:20260317T103000\r\n" in raw
    assert b"DTSTAMP:20260310T091530Z\r\n" in raw  # microseconds dropped
    (event,) = events(ical)
    assert event.start == MEETING.start
    assert event.start.tzinfo == AMSTERDAM
    assert event.end == MEETING.end
    (vevent,) = vevents(vob)
    assert vevent.dtstart.value == MEETING.start
    assert vevent.dtstart.value.hour == 9
    assert vevent.dtend.value == MEETING.end


def test_request_carries_the_meeting_and_its_attendees() -> None:
    ical, vob = read_both(request([MEETING]))
    (event,) = events(ical)
    assert str(event["UID"]) == "overleg-42@casetafel.example"
    assert event["SEQUENCE"] == 0
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["LOCATION"]) == MEETING.location
    assert str(event["URL"]) == MEETING.url
    assert event["ORGANIZER"] == "mailto:casetafel@zvh-kennemerland.example"
    assert event["ORGANIZER"].params["CN"] == "ZVH Kennemerland"
    by_email = {attendee.email: attendee.params for attendee in event.attendees}
    assert dict(by_email["a.pietersen@haarlem.example"]) == {
        "CN": "Pietersen, Anna",
        "CUTYPE": "INDIVIDUAL",
        "ROLE": "REQ-PARTICIPANT",
        "PARTSTAT": "NEEDS-ACTION",
        "RSVP": "TRUE",
    }
    (vevent,) = vevents(vob)
    assert vevent.uid.value == MEETING.uid
    assert vevent.sequence.value == "0"
    assert vevent.status.value == "CONFIRMED"
    assert vevent.organizer.value == "mailto:casetafel@zvh-kennemerland.example"
    lines = {line.value: params(line) for line in vevent.attendee_list}
    assert lines["mailto:m.jansen@reclassering.example"] == {
        "CN": "Marieke Jansen",
        "CUTYPE": "INDIVIDUAL",
        "ROLE": "OPT-PARTICIPANT",
        "PARTSTAT": "TENTATIVE",
        "RSVP": "TRUE",
    }
    assert lines["mailto:coordinator@zvh-kennemerland.example"]["ROLE"] == "CHAIR"


def test_a_comma_in_a_name_is_quoted_not_escaped() -> None:
    lines = request([MEETING]).replace(b"\r\n ", b"").split(b"\r\n")
    (anna,) = [line for line in lines if line.endswith(ANNA.email.encode())]
    assert b'CN="Pietersen, Anna"' in anna
    assert b"\\" not in anna


def test_a_name_with_line_breaks_becomes_one_line() -> None:
    anna = AttendeeLine(ANNA.email, "Anna\r\n  Pietersen\x0b", "REQ-PARTICIPANT", "NEEDS-ACTION")
    _, vob = read_both(request([meeting(attendees=(anna,))]))
    assert params(vevents(vob)[0].attendee)["CN"] == "Anna Pietersen"


def test_an_attendee_without_rsvp_gets_no_rsvp_parameter() -> None:
    chair = AttendeeLine(CHAIR.email, CHAIR.name, "CHAIR", "ACCEPTED", rsvp=False)
    _, vob = read_both(request([meeting(attendees=(chair, ANNA))]))
    lines = {line.value: params(line) for line in vevents(vob)[0].attendee_list}
    assert "RSVP" not in lines[f"mailto:{CHAIR.email}"]
    assert lines[f"mailto:{ANNA.email}"]["RSVP"] == "TRUE"


def test_an_update_keeps_the_uid_and_writes_the_sequence_it_is_given() -> None:
    moved = meeting(
        sequence=3,
        start=MEETING.start + timedelta(days=1),
        end=MEETING.end + timedelta(days=1),
        location="Gemeentehuis Velsen",
    )
    first, _ = read_both(request([MEETING]))
    ical, vob = read_both(request([moved]))
    assert events(first)[0]["UID"] == events(ical)[0]["UID"] == MEETING.uid
    assert events(ical)[0]["SEQUENCE"] == 3
    assert vevents(vob)[0].sequence.value == "3"
    assert vevents(vob)[0].dtstart.value == datetime(2026, 3, 18, 9, tzinfo=AMSTERDAM)


def test_long_dutch_text_is_folded_by_octets_and_read_back_whole() -> None:
    summary = "Casusoverleg ZVH-2026-0042 – overeenkomst één, geëvalueerd 🙂 " * 4
    description = "Coördinatie met reclassering: café-overleg, ideeën en ‘plan’ 🗓️ — " * 6
    raw = request([meeting(summary=summary.strip(), description=description.strip())])
    ical, vob = read_both(raw)  # the strict check proves the folding
    assert max(len(line) for line in raw.split(b"\r\n")) <= 75
    assert str(events(ical)[0]["SUMMARY"]) == summary.strip()
    assert vevents(vob)[0].description.value == description.strip()


def test_line_breaks_are_kept_and_control_characters_dropped() -> None:
    description = "Agenda:\r\n1. Woning\n2. Zorg\x0b\x00 en werk\tvervolg"
    ical, vob = read_both(request([meeting(description=description)]))
    expected = "Agenda:\n1. Woning\n2. Zorg en werk\tvervolg"
    assert str(events(ical)[0]["DESCRIPTION"]) == expected
    assert vevents(vob)[0].description.value == expected


def test_empty_description_location_and_url_are_left_out() -> None:
    raw = request([meeting(description="", location="", url="")])
    read_both(raw)
    for name in (b"DESCRIPTION", b"LOCATION", b"URL"):
        assert b"\r\n" + name not in raw


def test_a_weekly_series_keeps_nine_oclock_amsterdam_across_dst() -> None:
    raw = request([SERIES])
    ical, vob = read_both(raw)
    assert str(events(ical)[0]["RRULE"].to_ical().decode()) == (
        "FREQ=WEEKLY;UNTIL=20261231T230000Z;BYDAY=TU"
    )
    occurrences = list(vevents(vob)[0].getrruleset())
    assert len(occurrences) == 42
    assert {occurrence.astimezone(AMSTERDAM).hour for occurrence in occurrences} == {9}
    march, april, november = (
        next(o for o in occurrences if (o.month, o.day) == day)
        for day in ((3, 24), (4, 7), (11, 3))
    )
    assert march.astimezone(UTC).hour == 8  # CET
    assert april.astimezone(UTC).hour == 7  # CEST
    assert november.astimezone(UTC).hour == 8  # CET again


def test_exdates_are_written_in_amsterdam_time() -> None:
    skipped = (datetime(2026, 11, 3, 8, tzinfo=UTC), datetime(2026, 4, 7, 7, tzinfo=UTC))
    raw = request([series(exdates=skipped)])
    _, vob = read_both(raw)
    assert b"EXDATE;TZID=Europe/Amsterdam:20260407T090000,20261103T090000\r\n" in raw.replace(
        b"\r\n ", b""
    )
    occurrences = set(vevents(vob)[0].getrruleset())
    assert not occurrences & set(skipped)
    assert datetime(2026, 4, 14, 7, tzinfo=UTC) in occurrences


def test_one_moved_occurrence_is_sent_alone_with_its_recurrence_id() -> None:
    original = datetime(2026, 3, 31, 7, tzinfo=UTC)  # 09:00 CEST
    moved = series(
        rrule=None,
        recurrence_id=original,
        start=original + timedelta(hours=4),
        end=original + timedelta(hours=5, minutes=30),
        sequence=2,
    )
    raw = request([moved])
    ical, vob = read_both(raw)
    assert b"RECURRENCE-ID;TZID=Europe/Amsterdam:20260331T090000\r\n" in raw
    assert b"RRULE" not in raw.split(b"BEGIN:VEVENT")[1]
    (event,) = events(ical)
    assert event["RECURRENCE-ID"].dt == original
    assert event["SEQUENCE"] == 2
    (vevent,) = vevents(vob)
    assert vevent.recurrence_id.value == original
    assert vevent.dtstart.value == datetime(2026, 3, 31, 13, tzinfo=AMSTERDAM)


def test_a_series_and_its_override_go_together_under_one_uid() -> None:
    original = datetime(2026, 3, 31, 7, tzinfo=UTC)
    override = series(rrule=None, recurrence_id=original, location="Online")
    ical, vob = read_both(request([SERIES, override]))
    assert [str(event["UID"]) for event in events(ical)] == [SERIES.uid, SERIES.uid]
    assert [hasattr(vevent, "recurrence_id") for vevent in vevents(vob)] == [False, True]


def test_cancel_marks_the_meeting_cancelled_for_the_attendees_given() -> None:
    raw = cancel([meeting(sequence=4)])
    ical, vob = read_both(raw)
    assert ical["METHOD"] == "CANCEL"
    (event,) = events(ical)
    assert (str(event["UID"]), event["SEQUENCE"], str(event["STATUS"])) == (
        MEETING.uid,
        4,
        "CANCELLED",
    )
    assert sorted(attendee.email for attendee in event.attendees) == sorted(
        line.email for line in MEETING.attendees
    )
    assert b"RSVP" not in raw
    (vevent,) = vevents(vob)
    assert (vob.method.value, vevent.status.value) == ("CANCEL", "CANCELLED")


def test_cancel_of_one_occurrence_names_it() -> None:
    original = datetime(2026, 11, 3, 8, tzinfo=UTC)
    raw = cancel([series(rrule=None, recurrence_id=original, sequence=5)])
    ical, vob = read_both(raw)
    assert b"RECURRENCE-ID;TZID=Europe/Amsterdam:20261103T090000\r\n" in raw
    assert events(ical)[0]["RECURRENCE-ID"].dt == original
    assert vevents(vob)[0].status.value == "CANCELLED"


def test_uninvite_cancels_for_the_removed_attendee_only_without_status() -> None:
    raw = uninvite([meeting(sequence=2, attendees=(MARIEKE,))])
    ical, vob = read_both(raw)
    assert ical["METHOD"] == "CANCEL"
    (event,) = events(ical)
    assert "STATUS" not in event
    assert [attendee.email for attendee in event.attendees] == [MARIEKE.email]
    assert [line.value for line in vevents(vob)[0].attendee_list] == [f"mailto:{MARIEKE.email}"]


def test_publish_has_no_attendees_and_no_rsvp() -> None:
    other = meeting(uid="overleg-43@casetafel.example", summary="Casusoverleg ZVH-2026-0043")
    raw = publish([MEETING, other, SERIES])
    ical, vob = read_both(raw)
    assert ical["METHOD"] == "PUBLISH"
    assert b"ATTENDEE" not in raw.replace(b"\r\n ", b"")
    assert b"RSVP" not in raw.replace(b"\r\n ", b"")
    assert [str(event["UID"]) for event in events(ical)] == [MEETING.uid, other.uid, SERIES.uid]
    assert all(event["ORGANIZER"] == f"mailto:{MEETING.organizer.email}" for event in events(ical))
    assert all(not hasattr(vevent, "attendee") for vevent in vevents(vob))
    people = [text for line in MEETING.attendees for text in (line.email, line.name)]
    assert_no_personal_data(raw, people)


def test_an_empty_feed_is_a_valid_calendar() -> None:
    raw = publish([])
    ical, _ = read_both(raw)
    assert ical["METHOD"] == "PUBLISH"
    assert events(ical) == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"end": MEETING.start}, "must be after start"),
        ({"start": datetime(2026, 3, 17, 9)}, "timezone-aware"),
        ({"dtstamp": datetime(2026, 3, 17, 9)}, "timezone-aware"),
        ({"uid": " "}, "uid"),
        ({"uid": "a\nb"}, "uid"),
        ({"sequence": -1}, "sequence"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"status": "DONE"}, "status"),
        ({"rrule": "WEEKLY"}, "rrule"),
        ({"rrule": "FREQ=SOMETIMES"}, "rrule"),
        ({"rrule": "FREQ=WEEKLY;UNTIL=20261231"}, "UNTIL must be a UTC time"),
        ({"rrule": "FREQ=WEEKLY;COUNT=3;UNTIL=20261231T230000Z"}, "both UNTIL and COUNT"),
        ({"rrule": "FREQ=WEEKLY", "recurrence_id": MEETING.start}, "cannot have its own rrule"),
        ({"exdates": (MEETING.start,)}, "exdates need an rrule"),
        ({"recurrence_id": datetime(2026, 3, 17, 9)}, "timezone-aware"),
        ({"attendees": (ANNA, ANNA)}, "more than once"),
    ],
)
def test_invalid_event_data_is_refused(change: dict[str, object], message: str) -> None:
    with pytest.raises(InviteError, match=message):
        meeting(**change)


@pytest.mark.parametrize(
    "email", ["", "anna", "anna@", "@haarlem.nl", "anna@haarlem", "an na@haarlem.nl", "a@b@c.nl"]
)
def test_addresses_that_are_not_email_addresses_are_refused(email: str) -> None:
    with pytest.raises(InviteError, match="not an email address"):
        Party(email, "Anna")
    with pytest.raises(InviteError, match="not an email address"):
        AttendeeLine(email, "Anna", "REQ-PARTICIPANT", "NEEDS-ACTION")


def test_an_unknown_role_or_partstat_is_refused() -> None:
    with pytest.raises(InviteError, match="role"):
        AttendeeLine(ANNA.email, ANNA.name, "GUEST", "NEEDS-ACTION")  # type: ignore[arg-type]
    with pytest.raises(InviteError, match="partstat"):
        AttendeeLine(ANNA.email, ANNA.name, "CHAIR", "DELEGATED")  # type: ignore[arg-type]


def test_one_message_is_about_one_meeting() -> None:
    other = meeting(uid="overleg-43@casetafel.example")
    for build in (request, cancel, uninvite):
        with pytest.raises(InviteError, match="one meeting"):
            build([MEETING, other])
        with pytest.raises(InviteError, match="no events"):
            build([])
    publish([MEETING, other])


def test_the_same_event_twice_is_refused() -> None:
    with pytest.raises(InviteError, match="twice"):
        publish([MEETING, meeting(summary="Dubbel")])


def test_occurrences_need_a_master_with_an_rrule() -> None:
    occurrence = meeting(recurrence_id=MEETING.start)
    with pytest.raises(InviteError, match="no rrule"):
        request([MEETING, occurrence])
    request([occurrence])
