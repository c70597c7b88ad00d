"""Master data: regions, municipalities and organisations, kept in step with the config."""

from __future__ import annotations

from dataclasses import dataclass

from casetafel import db
from casetafel.organisations.config import RegionConfig
from casetafel.organisations.models import Municipality, Organisation, Region


def municipality_org_key(cbs_code: str) -> str:
    return f"gemeente-{cbs_code.lower()}"


async def sync_regions(regions: list[RegionConfig]) -> None:
    """Insert or update every region, municipality and organisation of the config.

    Rows that left the config stay (cases refer to them); nothing is deleted.
    """
    async with db.transaction():
        for config in regions:
            region = await _upsert_region(config)
            for m in config.municipalities:
                municipality = await _upsert(
                    Municipality,
                    Municipality.cbs_code == m.cbs_code,
                    {"cbs_code": m.cbs_code, "name": m.name, "region": region.id},
                )
                await _upsert(
                    Organisation,
                    Organisation.key == municipality_org_key(m.cbs_code),
                    {
                        "key": municipality_org_key(m.cbs_code),
                        "name": f"Gemeente {m.name}",
                        "kind": "gemeente",
                        "region": region.id,
                        "municipality": municipality.id,
                        "national": False,
                    },
                )
            for o in config.organisations:
                await _upsert(
                    Organisation,
                    Organisation.key == o.key,
                    {
                        "key": o.key,
                        "name": o.name,
                        "kind": o.kind,
                        "region": None if o.national else region.id,
                        "municipality": None,
                        "national": o.national,
                    },
                )


async def _upsert_region(config: RegionConfig) -> Region:
    region: Region = await _upsert(
        Region,
        Region.code == config.code,
        {
            "code": config.code,
            "name": config.name,
            "zvh_name": config.zvh_name,
            "mailbox": config.mailbox,
        },
    )
    return region


async def _upsert(table: type, where: object, values: dict[str, object]):  # type: ignore[no-untyped-def]
    row = await table.objects().where(where).first()  # type: ignore[attr-defined]
    if row is None:
        row = table(**values)
        await row.save()
        return row
    changed = {k: v for k, v in values.items() if getattr(row, k) != v}
    if changed:
        for key, value in changed.items():
            setattr(row, key, value)
        await row.save()
    return row


@dataclass(frozen=True)
class Directory:
    """A snapshot of master data for forms and labels; it changes only with the config."""

    regions: dict[int, Region]
    municipalities: dict[int, Municipality]
    organisations: dict[int, Organisation]

    def municipality_by_code(self, cbs_code: str) -> Municipality | None:
        return next((m for m in self.municipalities.values() if m.cbs_code == cbs_code), None)

    def organisation_by_key(self, key: str) -> Organisation | None:
        return next((o for o in self.organisations.values() if o.key == key), None)

    def region_municipalities(self, region_id: int) -> list[Municipality]:
        found = [m for m in self.municipalities.values() if m.region == region_id]
        return sorted(found, key=lambda m: m.name)

    def region_organisations(self, region_id: int) -> list[Organisation]:
        found = [o for o in self.organisations.values() if o.region == region_id or o.national]
        return sorted(found, key=lambda o: (o.kind != "gemeente", o.name))


async def load_directory() -> Directory:
    regions = await Region.objects()
    municipalities = await Municipality.objects()
    organisations = await Organisation.objects()
    return Directory(
        regions={r.id: r for r in regions},
        municipalities={m.id: m for m in municipalities},
        organisations={o.id: o for o in organisations},
    )
