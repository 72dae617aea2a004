"""A Content-Security-Policy without 'unsafe-inline' on every HTML page, and nothing inline for it
to block.

Two views of the same rule: every page the URL configuration has, rendered for a technician and a
manager over a populated world, and every page template on disk (which also covers branches the
world
does not reach). Email templates are exempt: mail clients need inline styles and no CSP applies.
"""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from tests.security.routes import find_route, page_routes
from tests.world import build_world, client_for

PAGE_TEMPLATE_DIRS = [Path(django_settings.BASE_DIR) / "templates"]
EXEMPT_TEMPLATE_PARTS = ("emails",)
SCRIPT_TYPES_THAT_DO_NOT_RUN = {"application/json", "application/ld+json", "text/template"}


class InlineCode(HTMLParser):
    """Collects what a strict CSP would block: inline scripts, style attributes and blocks, on*
    handlers,
    javascript: URLs, and htmx's hx-on (which evaluates code)."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self._in_inline_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, value in attrs:
            if name == "style" or name.startswith("on") or name.startswith(("hx-on", "data-hx-on")):
                self.found.append(f"<{tag} {name}=...>")
            if (
                value
                and name in ("href", "src", "action", "formaction")
                and value.strip().lower().startswith("javascript:")
            ):
                self.found.append(f"<{tag} {name}=javascript:...>")
        if (
            tag == "script"
            and not attributes.get("src")
            and (attributes.get("type") or "text/javascript") not in SCRIPT_TYPES_THAT_DO_NOT_RUN
        ):
            self._in_inline_script = True
        if tag == "style":
            self.found.append("<style> block")

    def handle_data(self, data):
        if self._in_inline_script and data.strip():
            self.found.append(f"inline <script>: {data.strip()[:60]!r}")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_inline_script = False


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    return parser.found


def assert_strict_policy(response, path):
    policy = response.get("Content-Security-Policy", "")
    assert policy, f"{path} has no Content-Security-Policy"
    directives = dict(
        (part.strip().split(" ", 1) + [""])[:2] for part in policy.split(";") if part.strip()
    )
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy, f"{path}: {policy}"
    for name in ("default-src", "script-src", "style-src", "frame-ancestors", "object-src"):
        assert name in directives, f"{path}: no {name} in {policy}"
    assert "*" not in directives["script-src"].split(), f"{path}: {policy}"


@pytest.fixture
def world(settings, technician, dispatched):
    return build_world(settings, technician)


def rendered_pages(client, world):
    for path, name in page_routes(world.ids):
        response = client.get(path)
        if response.streaming or "text/html" not in response.get("Content-Type", ""):
            continue
        yield path, name, response


@pytest.mark.parametrize("who", ["technician", "manager"])
def test_every_html_page_has_a_strict_policy_and_no_inline_code(world, technician, manager, who):
    client = client_for(technician if who == "technician" else manager)
    seen = []
    for path, _name, response in rendered_pages(client, world):
        seen.append(path)
        assert response.status_code < 500, path
        assert_strict_policy(response, path)
        assert inline_code(response.content.decode()) == [], path
    assert len(seen) >= 10, seen  # the walk really rendered the portal, not just a few redirects


def test_the_public_and_error_pages_have_the_policy_too(client, world):
    paths = [
        "/login/",
        "/tenants/999999/",
        "/no-such-page/",
        f"/consent/{world.consent_token}/",
        "/consent/not-a-token/",
        "/consent/callback/?error=access_denied&error_description=No",
    ]
    for path in paths:
        if path.startswith("/consent/") and find_route("consent-landing") is None:
            continue
        response = client.get(path, follow=True)
        assert "text/html" in response["Content-Type"], path
        assert_strict_policy(response, path)
        assert inline_code(response.content.decode()) == [], path


def page_templates():
    for folder in PAGE_TEMPLATE_DIRS:
        for template in sorted(folder.rglob("*.html")):
            if not any(part in template.parts for part in EXEMPT_TEMPLATE_PARTS):
                yield pytest.param(template, id=str(template.relative_to(folder)))


@pytest.mark.parametrize("template", list(page_templates()))
def test_no_page_template_has_inline_script_or_style(template):
    text = template.read_text()
    without_tags = re.sub(r"{%.*?%}|{{.*?}}", "x", text, flags=re.S)
    assert inline_code(without_tags) == []


def test_the_detector_finds_what_a_strict_policy_blocks():
    html = (
        '<div style="color:red"><button onclick="go()">x</button><a href="javascript:go()">y</a>'
        '<script>alert(1)</script><script src="/static/a.js"></script>'
        '<script type="application/json">{"a": 1}</script><style>p{}</style><div '
        'hx-on:click="x"></div></div>'
    )
    assert len(inline_code(html)) == 6
