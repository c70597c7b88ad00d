"""The VTIMEZONE for Europe/Amsterdam that every casetafel calendar carries.

Written as yearly rules (the EU rule, in force in the Netherlands since 1996), the form that
Outlook, Google, Apple and Thunderbird write themselves. icalendar's `Timezone.from_tzid` gives
dated transitions for a fixed range instead: an open-ended weekly series would outrun it, and
Outlook reads a single STANDARD and DAYLIGHT, repeated yearly by their RRULE (MS-OXCICAL
2.1.3.1.1.19). The tests compare this definition with the tz database, so that a change of the
Dutch rules is noticed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from icalendar import Component, Timezone, TimezoneDaylight, TimezoneStandard, vRecur

from casetafel.clock import AMSTERDAM

TZID = AMSTERDAM.key
_CET = timedelta(hours=1)
_CEST = timedelta(hours=2)


def amsterdam_vtimezone() -> Timezone:
    timezone = Timezone()
    timezone.add("TZID", TZID)
    # DTSTART of an observance is the local time in the offset it changes from (RFC 5545 3.6.5).
    summer = TimezoneDaylight()
    _describe(summer, datetime(1981, 3, 29, 2), _CET, _CEST, "CEST", month=3)
    winter = TimezoneStandard()
    _describe(winter, datetime(1996, 10, 27, 3), _CEST, _CET, "CET", month=10)
    timezone.add_component(summer)
    timezone.add_component(winter)
    return timezone


def _describe(
    observance: Component,
    onset: datetime,
    offset_from: timedelta,
    offset_to: timedelta,
    name: str,
    *,
    month: int,
) -> None:
    """A change on the last Sunday of `month`, every year from `onset` on."""
    observance.add("DTSTART", onset)
    observance.add("TZOFFSETFROM", offset_from)
    observance.add("TZOFFSETTO", offset_to)
    observance.add("TZNAME", name)
    observance.add("RRULE", vRecur(freq="YEARLY", bymonth=month, byday="-1SU"))
