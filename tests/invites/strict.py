"""Strict checks of calendar bytes (RFC 5545, 5546), for any test that gets a calendar file.

icalendar and vobject accept broken files, so a parse is no proof: these helpers read the raw
octets. `assert_strict(raw)` checks line ends, folding, order and references;
`assert_no_personal_data(raw, forbidden)` checks that no forbidden text appears, also after
unfolding and unescaping; `assert_no_personal_data_in_mail(message, forbidden)` does so for
every header and every decoded part of an email (its calendar is base64 on the wire).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.header import decode_header, make_header
from email.message import Message

MAX_OCTETS = 75
# Calendar-level properties that must come before the first component, once each.
HEADER = ("VERSION", "PRODID", "METHOD")
# Date-time properties of an event that need UTC or a TZID defined in the file.
ZONED = {"DTSTART", "DTEND", "RECURRENCE-ID", "EXDATE", "RDATE"}
# Parameters that take one value: an unquoted comma in them is a mistake (e.g. CN=Doe\, Jane).
SINGLE_VALUED = {"CN", "CUTYPE", "PARTSTAT", "ROLE", "RSVP", "TZID", "VALUE", "LANGUAGE"}
_NAME = re.compile(r"[A-Za-z0-9-]+")
_ENCODED_PART = re.compile(
    rb"^content-transfer-encoding:[ \t]*(base64|quoted-printable)", re.IGNORECASE | re.MULTILINE
)
_PARAM = re.compile(r';([A-Za-z0-9-]+)=((?:"[^"]*"|[^";:,]*)(?:,(?:"[^"]*"|[^";:,]*))*)')


@dataclass
class Line:
    number: int
    name: str
    params: dict[str, list[str]]
    value: str


@dataclass
class Block:
    name: str
    lines: list[Line] = field(default_factory=list)
    children: list[Block] = field(default_factory=list)

    def all(self, name: str) -> list[Line]:
        return [line for line in self.lines if line.name == name]


def assert_strict(raw: bytes) -> None:
    problems = strict_problems(raw)
    if problems:
        raise AssertionError("not a strict RFC 5545 calendar:\n  " + "\n  ".join(problems))


def strict_problems(raw: bytes) -> list[str]:
    problems: list[str] = []
    physical = _physical_lines(raw, problems)
    lines = [line for line in (_parse(n, text, problems) for n, text in _unfold(physical)) if line]
    calendar = _blocks(lines, problems)
    if calendar is not None:
        _check_header(calendar, problems)
        _check_components(calendar, problems)
    return problems


def assert_no_personal_data(raw: bytes, forbidden: Sequence[str]) -> None:
    """None of `forbidden` (names, birth dates, offences) appears, however it was written."""
    if _ENCODED_PART.search(raw):
        # Its base64 or quoted-printable parts would hide any name: check what they decode to.
        raise ValueError("this is an encoded email: use assert_no_personal_data_in_mail")
    _assert_absent(raw.decode("utf-8", errors="replace"), forbidden, "the calendar")


def assert_no_personal_data_in_mail(message: bytes | Message, forbidden: Sequence[str]) -> None:
    """As assert_no_personal_data, for each header (RFC 2047 decoded) and the decoded
    payload of each MIME part of an email."""
    if isinstance(message, bytes):
        message = message_from_bytes(message, policy=policy.compat32)
    for number, part in enumerate(message.walk()):
        where = f"part {number} ({part.get_content_type()})"
        for name, value in part.items():
            header = str(make_header(decode_header(str(value))))
            _assert_absent(f"{name}: {header}", forbidden, f"{where}, header {name}")
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes), where
        text = payload.decode(part.get_content_charset() or "utf-8", errors="replace")
        _assert_absent(text, forbidden, where)


def _assert_absent(text: str, forbidden: Sequence[str], where: str) -> None:
    unfolded = re.sub(r"\r?\n[ \t]", "", text)
    readings = {"raw": text, "unfolded": unfolded, "unescaped": _unescape(unfolded)}
    for needle in forbidden:
        if not needle.strip():
            raise ValueError("an empty forbidden string matches everything")
        for reading, haystack in readings.items():
            if _normal(needle) in _normal(haystack):
                raise AssertionError(f"{needle!r} appears in {where} ({reading})")


def _physical_lines(raw: bytes, problems: list[str]) -> list[tuple[int, bytes]]:
    *ended, tail = raw.split(b"\n")
    if tail:
        problems.append(f"line {len(ended) + 1} has no line end (every line ends in CRLF)")
    lines: list[tuple[int, bytes]] = []
    for number, piece in enumerate([*ended, tail] if tail else ended, 1):
        if number <= len(ended) and not piece.endswith(b"\r"):
            problems.append(f"line {number} ends in LF without CR (every line ends in CRLF)")
        line = piece.removesuffix(b"\r")
        if b"\r" in line:
            problems.append(f"line {number} holds a bare CR")
        if len(line) > MAX_OCTETS:
            problems.append(f"line {number} is {len(line)} octets (at most {MAX_OCTETS})")
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            problems.append(f"line {number} is not UTF-8 on its own: a fold split a character")
        if not line:
            problems.append(f"line {number} is empty")
        elif line[:1] in (b" ", b"\t") and not lines:
            problems.append(f"line {number} is a continuation with nothing to continue")
        lines.append((number, line))
    return lines


def _unfold(physical: list[tuple[int, bytes]]) -> list[tuple[int, str]]:
    logical: list[tuple[int, bytearray]] = []
    for number, line in physical:
        if line[:1] in (b" ", b"\t") and logical:
            logical[-1][1].extend(line[1:])
        elif line:
            logical.append((number, bytearray(line)))
    return [(number, data.decode("utf-8", errors="replace")) for number, data in logical]


def _parse(number: int, text: str, problems: list[str]) -> Line | None:
    name = _NAME.match(text)
    if name is None:
        problems.append(f"line {number}: no property name: {text[:40]!r}")
        return None
    params: dict[str, list[str]] = {}
    position = name.end()
    while (param := _PARAM.match(text, position)) is not None:
        values = re.findall(r'"[^"]*"|[^",]*', param.group(2))
        params[param.group(1).upper()] = [v.strip('"') for v in values if v]
        position = param.end()
    if text[position : position + 1] != ":":
        problems.append(f"line {number}: cannot read the parameters of {text[:40]!r}")
        return None
    line = Line(number, name.group().upper(), params, text[position + 1 :])
    for key in SINGLE_VALUED & params.keys():
        if len(params[key]) > 1:
            problems.append(f"line {number}: {key} has {len(params[key])} values (quote it)")
    return line


def _blocks(lines: list[Line], problems: list[str]) -> Block | None:
    if not lines or (lines[0].name, lines[0].value) != ("BEGIN", "VCALENDAR"):
        problems.append("the file does not start with BEGIN:VCALENDAR")
        return None
    stack: list[Block] = []
    root: Block | None = None
    for line in lines:
        if line.name == "BEGIN":
            block = Block(line.value.upper())
            if stack:
                stack[-1].children.append(block)
            elif root is None:
                root = block
            else:
                problems.append(f"line {line.number}: content after END:VCALENDAR")
            stack.append(block)
        elif line.name == "END":
            if not stack or stack[-1].name != line.value.upper():
                open_name = stack[-1].name if stack else "nothing"
                problems.append(f"line {line.number}: END:{line.value} closes {open_name}")
                return None
            stack.pop()
        elif stack:
            stack[-1].lines.append(line)
        else:
            problems.append(f"line {line.number}: {line.name} outside any component")
    if stack:
        problems.append(f"BEGIN:{stack[-1].name} is never closed")
    return root


def _check_header(calendar: Block, problems: list[str]) -> None:
    for name in HEADER:
        count = len(calendar.all(name))
        if count != 1:
            problems.append(f"VCALENDAR has {count} {name} (exactly 1 needed)")
    if [line.value for line in calendar.all("VERSION")] not in ([], ["2.0"]):
        problems.append("VERSION is not 2.0")
    if not calendar.children:
        return
    first_component = min(_first_line(child) for child in calendar.children)
    for line in calendar.lines:
        if line.name in HEADER and line.number > first_component:
            problems.append(f"line {line.number}: {line.name} comes after the first component")


def _first_line(block: Block) -> int:
    numbers = [line.number for line in block.lines]
    numbers += [_first_line(child) for child in block.children]
    return min(numbers, default=10**9)


def _check_components(calendar: Block, problems: list[str]) -> None:
    tzids = set()
    for timezone in (child for child in calendar.children if child.name == "VTIMEZONE"):
        tzids.update(line.value for line in timezone.all("TZID"))
        if not any(child.name in ("STANDARD", "DAYLIGHT") for child in timezone.children):
            problems.append("a VTIMEZONE has no STANDARD or DAYLIGHT")
    for event in (child for child in calendar.children if child.name == "VEVENT"):
        uid = event.all("UID")[0].value if event.all("UID") else "?"
        for name in ("UID", "DTSTAMP", "DTSTART"):
            if len(event.all(name)) != 1:
                problems.append(f"VEVENT {uid} has {len(event.all(name))} {name} (exactly 1)")
        for line in event.all("DTSTAMP"):
            if not line.value.endswith("Z"):
                problems.append(f"line {line.number}: DTSTAMP is not in UTC")
        for line in event.lines:
            if line.name in ZONED:
                _check_zoned(line, tzids, problems)
    _check_addresses(calendar, problems)


def _check_zoned(line: Line, tzids: set[str], problems: list[str]) -> None:
    if line.params.get("VALUE") == ["DATE"]:
        return
    tzid = line.params.get("TZID", [None])[0]
    if all(value.endswith("Z") for value in line.value.split(",")) and tzid is None:
        return
    if tzid is None:
        problems.append(f"line {line.number}: {line.name} is neither UTC nor has a TZID")
    elif tzid not in tzids:
        problems.append(f"line {line.number}: TZID {tzid!r} has no VTIMEZONE in the file")


def _check_addresses(block: Block, problems: list[str]) -> None:
    for line in block.lines:
        if line.name in ("ORGANIZER", "ATTENDEE"):
            value = line.value.lower()
            if not value.startswith("mailto:") or "@" not in value:
                problems.append(f"line {line.number}: {line.name} is not a mailto: address")
    for child in block.children:
        _check_addresses(child, problems)


def _unescape(text: str) -> str:
    """Undo TEXT escapes (RFC 5545 3.3.11) and parameter escapes (RFC 6868)."""
    text = re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), text)
    return re.sub(r"\^([n'^])", lambda m: {"n": "\n", "'": '"', "^": "^"}[m.group(1)], text)


def _normal(text: str) -> str:
    return " ".join(text.casefold().split())
