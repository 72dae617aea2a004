"""HTML pages a person sees: the admin-consent page, the login error page, the front page.

Plain HTML with inline CSS (no external assets), so it opens anywhere, including the plain-http
front.
"""

from __future__ import annotations

from html import escape

STYLE = """
body{font-family:'Segoe UI',Arial,sans-serif;background:#f2f2f2;margin:0}
.card{background:#fff;max-width:440px;margin:60px auto;padding:44px;
      box-shadow:0 2px 6px rgba(0,0,0,.2)}
h1{font-size:24px;font-weight:600;margin:0 0 16px}
.who{color:#555;font-size:14px;margin-bottom:20px}
ul{padding-left:20px} li{margin:6px 0} .muted{color:#666;font-size:13px}
button{padding:8px 24px;font-size:15px;margin-right:8px;border:1px solid #8a8886;
       background:#fff;cursor:pointer}
button.primary{background:#0067b8;color:#fff;border-color:#0067b8}
.error{color:#a80000} input,select{width:100%;padding:6px;margin:6px 0 14px;font-size:15px}
code{background:#f4f4f4;padding:2px 4px}
"""


def layout(title: str, body: str) -> str:
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}</title>"
        f"<meta name='viewport' content='width=device-width,initial-scale=1'><style>{STYLE}</style>"
        f"</head><body><div class='card'>{body}"
        "<p class='muted'>Microsoft identity platform, sandbox emulator</p></div></body></html>"
    )


def consent_page(
    app_name: str,
    publisher: str,
    roles: list[str],
    scopes: list[str],
    action: str,
    admin: str | None,
    tenant_choices: list[str] | None = None,
    error: str = "",
) -> str:
    """The "Permissions requested / Accept for your organization" page, as a POST form."""
    items = "".join(f"<li>{escape(p)} <span class='muted'>(application)</span></li>" for p in roles)
    items += "".join(f"<li>{escape(p)} <span class='muted'>(delegated)</span></li>" for p in scopes)
    who = (
        f"<div class='who'>Signed in as {escape(admin)} (Global Administrator)</div>"
        if admin
        else ""
    )
    chooser = ""
    if tenant_choices is not None:
        options = "".join(
            f"<option value='{escape(d)}'>{escape(d)}</option>" for d in tenant_choices
        )
        chooser = (
            "<label for='tenant_domain'>Your organization's domain</label>"
            "<input id='tenant_domain' name='tenant_domain' list='tenants' autocomplete='off' "
            "required>"
            f"<datalist id='tenants'>{options}</datalist>"
        )
    problem = f"<p class='error' role='alert'>{escape(error)}</p>" if error else ""
    return layout(
        "Permissions requested",
        (
            f"{who}<h1>Permissions requested</h1><p><strong>{escape(app_name)}</strong><br>"
            f"<span class='muted'>{escape(publisher)}</span></p>"
            f"<p>This app would like to:</p><ul id='permissions'>{items}</ul>"
            "<p class='muted'>If you accept, this app will get access to the specified resources "
            "for all users in "
            "your organization. No one else will be prompted to review these permissions.</p>"
            f"{problem}<form method='post' action='{escape(action)}'>{chooser}"
            "<button type='submit' name='decision' value='decline' formnovalidate>Cancel</button>"
            "<button class='primary' type='submit' name='decision' "
            "value='approve'>Accept</button></form>"
        ),
    )


def error_page(code: int, message: str) -> str:
    return layout(
        "Sign in",
        (
            "<h1>Sorry, but we're having trouble signing you in.</h1>"
            f"<p class='error' id='error-code'>AADSTS{code}: {escape(message)}</p>"
        ),
    )


def front_page(links: list[tuple[str, str]]) -> str:
    items = "".join(f"<li><a href='{escape(href)}'>{escape(text)}</a></li>" for text, href in links)
    return layout("Sandbox", f"<h1>Sandbox identity platform</h1><ul>{items}</ul>")


def signin_page(
    app_name: str, people: list[tuple[str, str, str]], action: str, error: str = ""
) -> str:
    """ "Pick an account": the people the sandbox knows, each a button (no passwords here)."""
    buttons = "".join(
        f"<li><button type='submit' name='login' value='{escape(upn)}'>{escape(name)}</button> "
        f"<span class='muted'>{escape(upn)} &middot; {escape(label)}</span></li>"
        for upn, name, label in people
    )
    problem = f"<p class='error' role='alert'>{escape(error)}</p>" if error else ""
    return layout(
        "Sign in to your account",
        (
            "<h1>Pick an account</h1>"
            f"<p>to continue to <strong>{escape(app_name)}</strong></p>{problem}"
            f"<form method='post' action='{escape(action)}'><ul id='accounts'>{buttons}</ul>"
            "<button type='submit' name='decision' value='cancel'>Cancel</button></form>"
        ),
    )
