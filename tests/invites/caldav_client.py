"""The CalDAV requests a calendar app makes, over httpx, on one calendar collection."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

NS = {"D": "DAV:", "C": "urn:ietf:params:xml:ns:caldav"}
ICS = "text/calendar; charset=utf-8"
XML = "application/xml; charset=utf-8"

QUERY = """\
<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/><C:calendar-data>{expand}</C:calendar-data></D:prop>
  <C:filter>
    <C:comp-filter name="VCALENDAR">
      <C:comp-filter name="VEVENT"><C:time-range start="{start}" end="{end}"/></C:comp-filter>
    </C:comp-filter>
  </C:filter>
</C:calendar-query>
"""
EXPAND = '<C:expand start="{start}" end="{end}"/>'
FREE_BUSY = """\
<?xml version="1.0" encoding="utf-8"?>
<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav">
  <C:time-range start="{start}" end="{end}"/>
</C:free-busy-query>
"""


@dataclass(frozen=True)
class Stored:
    text: str
    etag: str


@dataclass(frozen=True)
class Found:
    href: str
    data: str


class CalendarCollection:
    def __init__(self, http: httpx.Client, path: str) -> None:
        self.http = http
        self.path = path

    @classmethod
    def create(cls, http: httpx.Client, path: str) -> CalendarCollection:
        expect(http.request("MKCALENDAR", path), 201)
        return cls(http, path)

    def put(self, name: str, body: bytes, *, etag: str | None) -> httpx.Response:
        """Create (If-None-Match: *) or replace the version read before (If-Match)."""
        condition = {"If-Match": etag} if etag else {"If-None-Match": "*"}
        headers = {"Content-Type": ICS, **condition}
        return self.http.put(self.path + name, content=body, headers=headers)

    def delete(self, name: str, *, etag: str) -> httpx.Response:
        """Remove the version read before (If-Match)."""
        return self.http.delete(self.path + name, headers={"If-Match": etag})

    def get(self, name: str) -> Stored | None:
        response = self.http.get(self.path + name)
        if response.status_code == 404:
            return None
        expect(response, 200)
        return Stored(response.text, response.headers["ETag"])

    def query(self, start: datetime, end: datetime, *, expand: bool = False) -> list[Found]:
        """calendar-query for events overlapping [start, end), optionally expanded."""
        times = {"start": _utc(start), "end": _utc(end)}
        body = QUERY.format(expand=EXPAND.format(**times) if expand else "", **times)
        response = expect(self._report(body), 207)
        root = ET.fromstring(response.content)  # noqa: S314 (our own local test server)
        return [
            Found(item.findtext("D:href", "", NS), item.findtext(".//C:calendar-data", "", NS))
            for item in root.findall("D:response", NS)
        ]

    def free_busy(self, start: datetime, end: datetime) -> list[tuple[str, str]]:
        """(FBTYPE, period) of each FREEBUSY line of a free-busy-query."""
        body = FREE_BUSY.format(start=_utc(start), end=_utc(end))
        text = unfold(expect(self._report(body), 200).text)
        return re.findall(r"^FREEBUSY;FBTYPE=([A-Z-]+):(\S+)$", text, flags=re.MULTILINE)

    def _report(self, body: str) -> httpx.Response:
        headers = {"Depth": "1", "Content-Type": XML}
        return self.http.request("REPORT", self.path, content=body, headers=headers)


def expect(response: httpx.Response, *statuses: int) -> httpx.Response:
    """The response, if its status is one of `statuses`; else fail with the server's answer."""
    if response.status_code not in statuses:
        request = response.request
        raise AssertionError(
            f"{request.method} {request.url.path} answered {response.status_code} "
            f"{response.reason_phrase}, expected {statuses}:\n{response.text}"
        )
    return response


def unfold(text: str) -> str:
    """Calendar text with folded lines joined and CRLF made LF, for line matching."""
    return re.sub(r"\r?\n[ \t]", "", text).replace("\r\n", "\n")


def _utc(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
