"""RS256 access tokens shaped like Entra's v1 app-only tokens for Microsoft Graph.

Signed with a key kept in the state dir (so tokens survive a restart); its public half is published
at
the tenant's jwks_uri. Graph emulation verifies signature, audience and expiry, as real Graph does.
"""

from __future__ import annotations

import json

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from .common import b64url, b64url_decode, guid, now

GRAPH_AUDIENCE = "https://graph.microsoft.com"


class TokenInvalid(Exception):
    """Why a bearer token was refused; the message is Graph's."""


def key_id(key) -> str:
    numbers = key.public_key().public_numbers()
    return guid("signing-key", numbers.n)[:27].replace("-", "")


def sign(key, claims: dict) -> str:
    header = {"typ": "JWT", "alg": "RS256", "kid": key_id(key), "x5t": key_id(key)}
    parts = [b64url(json.dumps(p, separators=(",", ":")).encode()) for p in (header, claims)]
    signing_input = ".".join(parts).encode()
    signature = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    return f"{parts[0]}.{parts[1]}.{b64url(signature)}"


def unverified_claims(token: str) -> dict:
    """Claims without checking anything; used only to pick per-tenant knobs before auth."""
    try:
        return json.loads(b64url_decode(token.split(".")[1]))
    except (ValueError, IndexError):
        return {}


def verify(key, token: str) -> dict:
    """Claims of a valid Graph token, or TokenInvalid with Graph's wording."""
    if not token:
        raise TokenInvalid("Access token is empty.")
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenInvalid("IDX14100: JWT is not well formed, there are no dots (.).")
    try:
        key.public_key().verify(
            b64url_decode(parts[2]),
            f"{parts[0]}.{parts[1]}".encode(),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
        claims = json.loads(b64url_decode(parts[1]))
    except (InvalidSignature, ValueError):
        raise TokenInvalid(
            "Access token validation failure. Invalid audience or signature."
        ) from None
    if claims.get("aud") not in (
        GRAPH_AUDIENCE,
        f"{GRAPH_AUDIENCE}/",
        "00000003-0000-0000-c000-000000000000",
    ):
        raise TokenInvalid("Access token validation failure. Invalid audience.")
    if float(claims.get("exp", 0)) < now():
        raise TokenInvalid("Lifetime validation failed, the token is expired.")
    return claims


def jwks(key) -> dict:
    numbers = key.public_key().public_numbers()
    n = numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")
    e = numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big")
    return {
        "keys": [
            {
                "kty": "RSA",
                "use": "sig",
                "kid": key_id(key),
                "x5t": key_id(key),
                "n": b64url(n),
                "e": b64url(e),
            }
        ]
    }
