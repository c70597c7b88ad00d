"""Regions with their municipalities and organisations, from config/regions/*.toml."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from casetafel.ladder import ORGANISATION_KINDS
from casetafel.settings import SettingsError, load_toml

CBS_CODE = re.compile(r"GM\d{4}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@dataclass(frozen=True)
class MunicipalityConfig:
    cbs_code: str
    name: str


@dataclass(frozen=True)
class OrganisationConfig:
    key: str
    name: str
    kind: str
    national: bool


@dataclass(frozen=True)
class RegionConfig:
    code: str
    name: str
    zvh_name: str
    mailbox: str
    municipalities: tuple[MunicipalityConfig, ...]
    organisations: tuple[OrganisationConfig, ...]


def load_regions(config_dir: Path) -> list[RegionConfig]:
    folder = config_dir / "regions"
    paths = sorted(folder.glob("*.toml"))
    if not paths:
        raise SettingsError(str(folder), "-", "no region files (*.toml) found")
    regions = [_region(load_toml(path), str(path)) for path in paths]
    _check_unique(regions, str(folder))
    return regions


def _region(raw: dict[str, Any], source: str) -> RegionConfig:
    code = _text(raw, "code", source)
    if not re.fullmatch(r"[A-Z]{2,5}", code):
        raise SettingsError(source, "code", "must be 2-5 capital letters, e.g. KEN")
    mailbox = _text(raw, "mailbox", source)
    if not EMAIL.fullmatch(mailbox):
        raise SettingsError(source, "mailbox", f"{mailbox!r} is not an email address")
    municipalities = tuple(
        _municipality(entry, f"municipalities[{i}]", source)
        for i, entry in enumerate(_list(raw, "municipalities", source))
    )
    organisations = tuple(
        _organisation(entry, f"organisations[{i}]", source)
        for i, entry in enumerate(raw.get("organisations", []))
    )
    return RegionConfig(
        code=code,
        name=_text(raw, "name", source),
        zvh_name=_text(raw, "zvh_name", source),
        mailbox=mailbox,
        municipalities=municipalities,
        organisations=organisations,
    )


def _municipality(entry: Any, where: str, source: str) -> MunicipalityConfig:
    if not isinstance(entry, dict):
        raise SettingsError(source, where, "must be a table")
    code = _text(entry, "cbs_code", source, where)
    if not CBS_CODE.fullmatch(code):
        raise SettingsError(source, f"{where}.cbs_code", f"{code!r} is not a CBS code like GM0392")
    return MunicipalityConfig(cbs_code=code, name=_text(entry, "name", source, where))


def _organisation(entry: Any, where: str, source: str) -> OrganisationConfig:
    if not isinstance(entry, dict):
        raise SettingsError(source, where, "must be a table")
    kind = _text(entry, "kind", source, where)
    if kind not in ORGANISATION_KINDS:
        raise SettingsError(source, f"{where}.kind", f"unknown organisation kind {kind!r}")
    key = _text(entry, "key", source, where)
    if not re.fullmatch(r"[a-z0-9-]+", key):
        raise SettingsError(source, f"{where}.key", "use lower-case letters, digits and '-'")
    national = entry.get("national", False)
    if not isinstance(national, bool):
        raise SettingsError(source, f"{where}.national", "must be true or false")
    return OrganisationConfig(
        key=key, name=_text(entry, "name", source, where), kind=kind, national=national
    )


def _text(raw: dict[str, Any], key: str, source: str, where: str = "") -> str:
    value = raw.get(key)
    full_key = f"{where}.{key}" if where else key
    if not isinstance(value, str) or not value.strip():
        raise SettingsError(source, full_key, "missing or empty")
    return value.strip()


def _list(raw: dict[str, Any], key: str, source: str) -> list[Any]:
    value = raw.get(key)
    if not isinstance(value, list) or not value:
        raise SettingsError(source, key, "at least one entry is required")
    return value


def _check_unique(regions: list[RegionConfig], source: str) -> None:
    seen: set[str] = set()
    for region in regions:
        names = [f"region {region.code}"]
        names += [f"municipality {m.cbs_code}" for m in region.municipalities]
        names += [f"organisation {o.key}" for o in region.organisations if not o.national]
        for name in names:
            if name in seen:
                raise SettingsError(source, name, "defined twice")
            seen.add(name)
