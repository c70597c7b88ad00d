"""Start the escalation engine in a process: read its configuration and connect it to the
case register (hooks) and to the case page and dashboard (sections)."""

from __future__ import annotations

from pathlib import Path

from casetafel.escalation import hooks, views
from casetafel.escalation.config import EscalationConfig, load_escalation
from casetafel.organisations.config import load_regions


def load_config(config_dir: Path) -> EscalationConfig:
    regions = load_regions(config_dir)
    return load_escalation(config_dir, [region.code for region in regions])


def start(config_dir: Path) -> EscalationConfig:
    config = load_config(config_dir)
    hooks.install(config)
    views.install_sections(config)
    return config
