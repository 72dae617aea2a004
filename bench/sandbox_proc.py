"""The sandbox in a process of its own, so a benchmark measures only the portal's side of the wire
(its
memory, its CPU, its GIL). Prints one JSON line with the addresses and credentials, then serves
until
stdin closes.

    python -m bench.sandbox_proc STATE_DIR [PORTAL_BASE_URL]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main() -> None:
    from sandbox.server import Sandbox

    state_dir = Path(sys.argv[1])
    portal = sys.argv[2] if len(sys.argv) > 2 else None
    sb = Sandbox(
        host="127.0.0.1", port=0, state_dir=state_dir, portal_base_url=portal, auto_consent=False
    ).start()
    print(
        json.dumps(
            {
                "login_url": sb.login_url,
                "login_browser_url": sb.login_browser_url,
                "graph_url": sb.graph_url,
                "proofpoint_url": sb.proofpoint_url,
                "ca_path": str(sb.ca_path),
                "msp": sb.msp,
                "proofpoint_credentials": sb.proofpoint_credentials,
                "dns_nameservers": sb.dns_nameservers,
            }
        ),
        flush=True,
    )
    sys.stdin.read()  # until the parent closes our stdin (or ends)
    sb.stop()


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
