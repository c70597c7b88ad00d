"""The closed lists of the case register, with their Dutch labels (DOMAIN.md)."""

from __future__ import annotations

CATEGORIES = {
    "sex_offender": "Zedendelinquent",
    "violent_offender": "Ernstig geweldsdelinquent",
    "victim_proximity": "Woning nabij slachtoffers",
    "public_unrest": "Verwachte maatschappelijke onrust",
    "no_fixed_abode": "Zonder vaste woon- of verblijfplaats",
    "sudden_tbs_end": "Plotseling einde TBS",
    "terrorist_offence": "Terroristisch misdrijf",
    "forensic_care_outflow": "Uitstroom forensische zorg",
}

# The BIJ population: the mayor must be told 60 days ahead (BIJ-regeling).
BIJ_CATEGORIES = frozenset({"sex_offender", "violent_offender"})

LEGAL_FRAMEWORKS = {
    "vi": "Voorwaardelijke invrijheidstelling (VI)",
    "conditional_sentence": "Voorwaardelijke straf",
    "tbs_conditional": "TBS met voorwaarden",
    "long_term_supervision": "Langdurig toezicht",
    "none": "Geen justitieel kader",
}

RELEASE_CERTAINTIES = {
    "known": "Bekend",
    "expected": "Verwacht",
    "unknown": "Onbekend",
    "immediate": "Per direct",
}

CONDITION_STATES = {
    "unknown": "Onbekend",
    "missing": "Ontbreekt",
    "in_progress": "In behandeling",
    "arranged": "Geregeld",
}

BASIC_CONDITION_LABELS = {
    "id_document": "Identiteitsbewijs",
    "housing": "Huisvesting",
    "income": "Inkomen of werk",
    "debts": "Schulden",
    "care": "Zorg (incl. zorgverzekering)",
}

STATUSES = {"open": "Open", "closed": "Afgesloten"}

OUTCOMES = {
    "returned_home": "Teruggekeerd in de herkomstgemeente",
    "housed_elsewhere": "Gehuisvest in een andere gemeente",
    "moved_out_of_region": "Vertrokken naar een andere regio",
    "detained_again": "Opnieuw gedetineerd of opgenomen",
    "no_longer_needed": "Geen casusoverleg meer nodig",
    "other": "Anders",
}
