"""The little WSGI framework the three emulators share: routing by template, faults, request log.

Routes are templates such as "/v1.0/applications(appId='{app_id}')"; the template (not the concrete
path) is what the request log counts, so tests can assert "GET /v1.0/users was called 3 times".
"""

from __future__ import annotations

import json
import re
import time

from werkzeug.wrappers import Request, Response

from .common import clock_offset
from .knobs import Fault


class HttpError(Exception):
    """Raised by handlers to answer with a ready response (each service builds its own error
    shape)."""

    def __init__(self, response: Response):
        super().__init__(response.status)
        self.response = response


def json_response(
    data,
    status: int = 200,
    headers: dict | None = None,
    content_type: str = "application/json; charset=utf-8",
) -> Response:
    body = json.dumps(data, separators=(",", ":")) if data is not None else ""
    return Response(body, status=status, headers=headers or {}, content_type=content_type)


def retry_after_header(value) -> dict:
    """Retry-After as the services send it: whole or fractional seconds, or absent."""
    if value is None:
        return {}
    if isinstance(value, float) and not value.is_integer():
        return {"Retry-After": f"{value:g}"}
    return {"Retry-After": str(int(float(value)))}


def read_json(request: Request):
    """The JSON body, or the sentinel INVALID when it is not JSON."""
    if not request.get_data():
        return None
    try:
        return json.loads(request.get_data(as_text=True))
    except ValueError:
        return INVALID


INVALID = object()


class Router:
    """(method, template) → handler; templates compile to regexes, `{name}` matches one segment."""

    def __init__(self):
        self.routes: list[tuple[str, str, re.Pattern, object]] = []

    def add(self, method: str, template: str, handler) -> None:
        pattern, pos = "", 0
        for m in re.finditer(r"\{(\w+)\}", template):
            pattern += re.escape(template[pos : m.start()]) + f"(?P<{m.group(1)}>[^/']+)"
            pos = m.end()
        pattern += re.escape(template[pos:])
        self.routes.append((method, template, re.compile(pattern + "/?$", re.IGNORECASE), handler))

    def match(self, method: str, path: str):
        """(template, handler, params), or (None, None, 405|404)."""
        allowed = False
        for route_method, template, regex, handler in self.routes:
            m = regex.match(path)
            if m:
                if route_method == method:
                    return template, handler, m.groupdict()
                allowed = True
        return None, None, 405 if allowed else 404


class Service:
    """Base WSGI app: subclasses register routes and say how their errors and faults look."""

    name = "service"

    def __init__(self, world):
        self.world = world
        self.router = Router()
        self.register()

    def register(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    # Hooks -----------------------------------------------------------------------------------
    def tenant_keys(self, request: Request, params: dict) -> tuple[str, ...]:
        return ()

    def unmatched(self, request: Request, status: int) -> Response:
        return json_response({"error": "not found"}, status)

    def fault(self, request: Request, fault: Fault) -> Response:
        body = fault.body if fault.body is not None else {"error": "throttled"}
        return json_response(body, fault.status, retry_after_header(fault.retry_after))

    def finish(self, request: Request, response: Response) -> Response:
        return response

    # WSGI --------------------------------------------------------------------------------------
    def __call__(self, environ, start_response):
        request = Request(environ)
        if request.path.startswith("/_sandbox/"):
            from .inspect import handle_admin

            response = handle_admin(self.world, request)
        else:
            response = self.dispatch(request)
        return response(environ, start_response)

    def scope(self, request: Request, params: dict, keys: tuple[str, ...]) -> str | None:
        """Where a call counts for in-flight limits (the request log): by default the tenant id."""
        return keys[0] if keys else None

    def is_write(self, request: Request, template: str) -> bool | None:
        """Whether the call changes anything (None: by its method). A POST to an OAuth token
        endpoint only issues a token: a read."""
        return False if template.endswith("/oauth2/v2.0/token") else None

    def dispatch(self, request: Request) -> Response:
        template, handler, params = self.router.match(request.method, request.path)
        log = self.world.log
        if template is None:
            response = self.finish(request, self.unmatched(request, params))
            log.record(
                self.name,
                request.method,
                "(unmatched)",
                response.status_code,
                request.path,
                write=False,
            )
            return response
        keys = self.tenant_keys(request, params)
        ticket = log.begin(self.name, self.scope(request, params, keys))
        status = 500
        try:
            self._delay(keys)
            fault = self.world.knobs.draw_fault(self.name, f"{request.method} {template}", keys)
            if fault:
                response = self.fault(request, fault)
            else:
                with clock_offset(self.world.knobs.get("clock_offset_s", keys)):
                    try:
                        response = handler(request, **params)
                    except HttpError as error:
                        response = error.response
            response = self.finish(request, response)
            status = response.status_code
        finally:
            log.end(
                ticket,
                request.method,
                template,
                status,
                request.path,
                self.is_write(request, template),
            )
        return response

    def _delay(self, keys: tuple[str, ...]) -> None:
        knobs = self.world.knobs
        if self.name in knobs.get("services", keys):
            latency = float(knobs.get("latency_ms", keys) or 0)
            if latency > 0:
                time.sleep(latency / 1000.0)
