"""The URL configuration as a list of concrete paths, so a new view is covered without editing a
test."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from django.urls import URLPattern, URLResolver, get_resolver

# Routes open to anonymous visitors (logging in, health, and what a customer opens from an email).
PUBLIC = {
    "login",
    "healthz",
    "consent-landing",
    "consent-callback",
    "consent-go",
    "login-microsoft",
    "login-microsoft-callback",
}  # staff sign-in with Microsoft


def walk(patterns=None, prefix: str = "") -> Iterator[tuple[str, str | None, object]]:
    """(route, name, callback) for every pattern; regex routes keep their ^...$ form."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.name, pattern.callback


def concrete(route: str, ids: Mapping[str, int] | None = None, default_id: int = 1) -> str:
    """A path for a route: <int:...> becomes the id of the object its first segment names (ids maps
    "tenants" -> tenant.pk, "jobs" -> job.pk, ...), other converters become "x". Regex routes (DRF
    routers, the admin) get the same treatment for their named groups; a format suffix is
    dropped."""
    parts = [p for p in re.split(r"[/^]", route) if p and not p.startswith(("<", "("))]
    first = (
        parts[1] if parts and parts[0] == "api" and len(parts) > 2 else (parts[0] if parts else "")
    )
    if first.startswith("v") and first[1:].isdigit() and len(parts) > 2:
        first = parts[2]
    number = str((ids or {}).get(first, default_id))
    route = re.sub(r"\\?\.?\(\?P<format>[^)]*\)", "", route)
    route = re.sub(r"\(\?P<\w+>[^)]*\)", number, route)
    route = route.replace("^", "").replace("$", "").replace("\\Z", "").replace("\\.", ".")
    route = re.sub(r"<int:\w+>", number, route)
    route = re.sub(r"<(?:str|slug|path):\w+>", "x", route)
    route = re.sub(r"<uuid:\w+>", "00000000-0000-0000-0000-000000000000", route)
    route = re.sub(r"<\w+>", "x", route)
    return "/" + route


def find_route(name: str) -> str | None:
    """The concrete path of a named route, or None while that route does not exist."""
    for route, route_name, _ in walk():
        if route_name == name:
            return concrete(route)
    return None


def page_routes(
    ids: Mapping[str, int] | None = None, skip_prefixes=("admin/", "api/")
) -> list[tuple[str, str]]:
    """(path, name) of every page route outside the admin and the API."""
    found = []
    for route, name, _ in walk():
        if route.startswith(skip_prefixes) or route.startswith("static/") or "(?P<format>" in route:
            continue
        found.append((concrete(route, ids), name or route))
    return found


def api_routes(ids: Mapping[str, int] | None = None) -> list[tuple[str, str]]:
    found = []
    for route, name, _ in walk():
        if (
            route.startswith("api/")
            and "<drf_format_suffix" not in route
            and "(?P<format>" not in route
        ):
            found.append((concrete(route, ids), name or route))
    return found
