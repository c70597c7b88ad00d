"""A meeting's title or place naming the subject is refused (meetings/privacy.py): the
boundaries of that check, which no other test pinned down."""

from __future__ import annotations

from datetime import date

import pytest

from casetafel.cases.models import Case
from casetafel.meetings.privacy import names_subject


def subject(name: str, birth: date | None = None) -> Case:
    return Case(
        reference="KEN-2026-0001",
        region=1,
        home_municipality=1,
        subject_name=name,
        subject_birth_date=birth,
    )


@pytest.mark.parametrize(
    ("text", "name", "named"),
    [
        ("Overleg Smit", "P. Smit", True),  # a surname of four letters counts
        ("Overleg SMIT over huisvesting", "P. Smit", True),
        ("Overleg Jansen", "K. de Jong", False),
        ("Overleg de driehoek", "K. de Jong", False),  # "de" is too short to count
        ("Overleg Bos", "A. Bos", False),  # three letters: too short, would match too much
        ("Overleg K. de Jong", "K. de Jong", True),  # the whole name
    ],
)
def test_a_name_part_of_four_letters_or_more_is_found(text: str, name: str, named: bool) -> None:
    assert names_subject(text, subject(name)) is named


@pytest.mark.parametrize("text", ["Overleg 17-05-1980", "Overleg 17/5/1980", "Overleg 1980-05-17"])
def test_the_birth_date_in_any_common_form_is_found(text: str) -> None:
    assert names_subject(text, subject("", date(1980, 5, 17)))
    assert not names_subject(text, subject("", date(1980, 5, 18)))
