"""gunicorn's configuration for the portal (`gunicorn -c portal/gunicorn_conf.py portal.wsgi`).

- The access log masks consent tokens and callback secrets in the request line, path, query and
  referer (portal.logging.mask_secrets_in_path): a log file must not hold a working consent link.
- Before any worker starts, the master runs Django's system checks and stops with the errors
  in words
  (portal/checks.py), so a bad configuration fails here and not in the middle of a job.
"""

import os
import sys
from pathlib import Path

from gunicorn.glogging import Logger

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

from portal.logging import mask_secrets_in_path  # noqa: E402  (needs the path above)

MASKED_ATOMS = ("r", "U", "q", "f", "{referer}i")


class MaskingLogger(Logger):
    """gunicorn's logger with secrets masked in the access log's atoms."""

    def atoms(self, resp, req, environ, request_time) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        for name in MASKED_ATOMS:
            value = atoms.get(name)
            if isinstance(value, str):
                atoms[name] = mask_secrets_in_path(("?" + value) if name == "q" else value)
                if name == "q":
                    atoms[name] = atoms[name][1:]
        return atoms


logger_class = MaskingLogger


def on_starting(server) -> None:
    from portal.checks import exit_on_startup_errors

    exit_on_startup_errors("web server (gunicorn)")
