"""The project's design documents stay true: every setting the portal reads is in the configuration
table of docs/architecture.md and explained in .env.example."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = (ROOT / "portal" / "settings.py").read_text()
READ = sorted(set(re.findall(r'env(?:bool|int|list|url)?\(\s*"([A-Z][A-Z0-9_]+)"', SETTINGS)))


def test_the_settings_file_reads_settings():
    assert "DATABASE_URL" in READ and "PORTAL_BASE_URL" in READ


@pytest.mark.parametrize("name", READ)
def test_each_setting_is_in_the_architecture_table(name):
    table = (ROOT / "docs" / "architecture.md").read_text().split("## Configuration", 1)[1]
    assert re.search(rf"(^|[\s|/,(]){re.escape(name)}\b", table), name


@pytest.mark.parametrize("name", [n for n in READ if n != "ONBOARDING_PIPELINE"])
def test_each_setting_is_explained_in_env_example(name):
    assert re.search(rf"^#?\s*{name}=", (ROOT / ".env.example").read_text(), re.M), name
