"""`python manage.py sandbox`: run the emulators (login, Graph, Proofpoint, browser front) until
Ctrl-C."""

from __future__ import annotations

import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from sandbox.server import DEFAULT_PORT, Sandbox


class Command(BaseCommand):
    requires_system_checks: list = []  # the emulators need none of the portal's settings
    help = (
        "Run local emulators of the Microsoft identity platform, Microsoft Graph and Proofpoint "
        "Essentials."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument(
            "--port", type=int, default=DEFAULT_PORT, help="first of five ports (0 = any free)"
        )
        parser.add_argument(
            "--scenario", help="scenario JSON file (default: sandbox/scenarios/demo.json)"
        )
        parser.add_argument(
            "--state-dir", default=None, help="where the CA lives (default: var/sandbox)"
        )
        parser.add_argument(
            "--portal-url", default=None, help="portal base URL for the consent redirect URI"
        )
        parser.add_argument(
            "--auto-consent", action="store_true", help="approve consent links without a page"
        )

    def handle(self, *args, **options) -> None:
        state_dir = Path(
            options["state_dir"] or Path(getattr(settings, "BASE_DIR", ".")) / "var" / "sandbox"
        )
        portal = options["portal_url"] or getattr(settings, "PORTAL_BASE_URL", None)
        sandbox = Sandbox(
            host=options["host"],
            port=options["port"],
            state_dir=state_dir,
            scenario=options["scenario"],
            portal_base_url=portal,
            auto_consent=True if options["auto_consent"] else None,
        )
        sandbox.start()
        self._print(sandbox)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            self.stdout.write("stopping")
        finally:
            sandbox.stop()

    def _print(self, sb: Sandbox) -> None:
        pp, msp = sb.proofpoint_credentials, sb.msp
        lines = [
            f"MICROSOFT_LOGIN_URL={sb.login_url}",
            f"MICROSOFT_GRAPH_URL={sb.graph_url}",
            f"PROOFPOINT_API_URL={sb.proofpoint_url}",
            f"OUTBOUND_CA_BUNDLE={sb.ca_path}",
            "# consent pages for people (plain http, no certificate warning): "
            f"{sb.login_browser_url}",
            f"MSP_APP_CLIENT_ID={msp.get('app_id', '')}",
            f"MSP_APP_CLIENT_SECRET={msp.get('secret', '')}",
            f"PROOFPOINT_API_USER={pp['user']}",
            f"PROOFPOINT_API_PASSWORD={pp['password']}",
            f"PROOFPOINT_PARTNER_DOMAIN={pp['partner_domain']}",
            f"DNS_NAMESERVERS={','.join(sb.dns_nameservers)}",
            f"# dns_nameservers: {sb.dns_nameservers} (UDP, MX/A/TXT for the demo domains)",
            f"# admin: {sb.login_url}/_sandbox/state  (also /_sandbox/knobs, /_sandbox/requests)",
            "Sandbox running; Ctrl-C to stop.",
        ]
        self.stdout.write("\n".join(lines))
