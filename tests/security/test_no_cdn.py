"""Pages work offline: every script, style and image comes from this server, never a CDN."""

import re

import pytest

PAGES = ["/tenants/", "/tenants/new/", "/help/", "/api/docs/"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_load_assets_only_from_this_server(tech_client, path):
    body = tech_client.get(path).content.decode()
    assets = re.findall(r'<(?:script|link|img)[^>]+(?:src|href)="([^"]+)"', body)
    assert assets, path
    assert [a for a in assets if a.startswith(("http:", "https:", "//"))] == []
