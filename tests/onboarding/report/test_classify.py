"""classify_user / classify_group on the cases the report meets, pinned to what the functions
answered before
their hot path was tuned for 100,000-user tenants (same emails, aliases, kinds, roles, flags)."""

import json

import pytest

from onboarding.report.classify import addresses, classify_group, classify_user
from onboarding.steps.build_report import _json_strings

DOMAINS = frozenset({"contoso.example", "mail.contoso.example"})
SKUS = frozenset({"sku-ex"})

USERS = {
    "licensed member": {
        "id": "1",
        "displayName": "Ann Lee",
        "givenName": "Ann",
        "surname": "Lee",
        "accountEnabled": True,
        "assignedLicenses": [{"skuId": "sku-other"}, {"skuId": "sku-ex"}],
        "userType": "Member",
        "proxyAddresses": [
            "SMTP:Ann.Lee@Contoso.example",
            "smtp:ann@MAIL.contoso.example",
            "smtp:ann@contoso.onmicrosoft.example",
            "smtp:ANN@mail.contoso.example",
            "smtp:ann.lee@contoso.example",
            "X500:/o=x",
            "Smtp:ignored@contoso.example",
        ],
    },
    "primary outside the domains": {
        "id": "2",
        "displayName": "Bo",
        "accountEnabled": True,
        "assignedLicenses": [{"skuId": "sku-ex"}],
        "proxyAddresses": [
            "SMTP:bo@contoso.onmicrosoft.example",
            "smtp:bo@mail.contoso.example",
            "smtp:b@contoso.example",
        ],
    },
    "disabled": {
        "id": "3",
        "displayName": "Cy",
        "accountEnabled": False,
        "assignedLicenses": [{"skuId": "sku-ex"}],
        "mail": "Cy@Contoso.Example",
    },
    "unlicensed": {
        "id": "4",
        "displayName": None,
        "givenName": None,
        "proxyAddresses": [],
        "mail": "shared@contoso.example",
    },
    "guest": {
        "id": "5",
        "displayName": "Dee (ext)",
        "userType": "Guest",
        "userPrincipalName": "dee_ext#EXT#@contoso.onmicrosoft.example",
        "proxyAddresses": ["SMTP:dee@partner.example", "smtp:d@contoso.example"],
        "assignedLicenses": [],
    },
    "guest without mail": {
        "id": "6",
        "userType": "guest",
        "userPrincipalName": "Eve_x#EXT#@contoso.onmicrosoft.example",
    },
    "guest without any address": {"id": "7", "userType": "Guest"},
    "nowhere": {
        "id": "8",
        "mail": "f@elsewhere.example",
        "proxyAddresses": ["SMTP:f@elsewhere.example", "smtp:f@contoso.onmicrosoft.example"],
    },
}
# (email, display_name, kind, proofpoint_type, entra_id, firstname, surname, licensed, enabled,
# guest, aliases)
EXPECTED = {
    "licensed member": (
        "ann.lee@contoso.example",
        "Ann Lee",
        "user",
        "silent_user",
        "1",
        "Ann",
        "Lee",
        True,
        True,
        False,
        ["ann@mail.contoso.example"],
    ),
    "primary outside the domains": (
        "bo@mail.contoso.example",
        "Bo",
        "user",
        "silent_user",
        "2",
        "",
        "",
        True,
        True,
        False,
        ["b@contoso.example"],
    ),
    "disabled": (
        "cy@contoso.example",
        "Cy",
        "functional",
        "functional_account",
        "3",
        "",
        "",
        True,
        False,
        False,
        [],
    ),
    "unlicensed": (
        "shared@contoso.example",
        "",
        "functional",
        "functional_account",
        "4",
        "",
        "",
        False,
        True,
        False,
        [],
    ),
    "guest": ("dee@partner.example", "Dee (ext)", "user", "", "5", "", "", False, True, True, []),
    "guest without mail": (
        "eve_x#ext#@contoso.onmicrosoft.example",
        "",
        "user",
        "",
        "6",
        "",
        "",
        False,
        True,
        True,
        [],
    ),
    "guest without any address": None,
    "nowhere": None,
}


def fields(account):
    if account is None:
        return None
    return (
        account.email,
        account.display_name,
        str(account.kind),
        account.proofpoint_type,
        account.entra_id,
        account.firstname,
        account.surname,
        account.licensed,
        account.enabled,
        account.guest,
        account.aliases,
    )


@pytest.mark.parametrize("name", USERS)
def test_users_are_classified_as_before(name):
    assert fields(classify_user(USERS[name], SKUS, DOMAINS, "silent_user")) == EXPECTED[name]


def test_groups_are_classified_as_before():
    group = {
        "id": "g",
        "displayName": "Sales",
        "mailEnabled": True,
        "proxyAddresses": [
            "SMTP:sales@contoso.onmicrosoft.example",
            "smtp:Sales@contoso.example",
            "smtp:s@mail.contoso.example",
        ],
    }
    account = classify_group(group, DOMAINS)
    assert (
        account.email,
        account.display_name,
        str(account.kind),
        account.proofpoint_type,
        account.entra_id,
        account.aliases,
    ) == (
        "sales@contoso.example",
        "Sales",
        "group",
        "functional_account",
        "g",
        ["s@mail.contoso.example"],
    )
    assert classify_group({"mailEnabled": False, "mail": "x@contoso.example"}, DOMAINS) is None


def test_addresses_keep_the_first_of_repeated_aliases_and_never_the_primary():
    primary, aliases = addresses(
        {
            "proxyAddresses": [
                "smtp:B@x.example",
                "SMTP:a@x.example",
                "smtp:A@x.example",
                "smtp:b@x.example",
                "smtp:c@x.example",
            ]
        }
    )
    assert (primary, aliases) == ("a@x.example", ["b@x.example", "c@x.example"])
    assert addresses({"mail": "M@x.example"}) == ("m@x.example", [])


@pytest.mark.parametrize(
    "aliases",
    [
        [],
        ["a@x.example"],
        ["a@x.example", 'q"uo\\te@x.example', "ünï@x.example"],
        ("t@x.example", "u@x.example"),
    ],
)
def test_aliases_are_written_as_json_dumps_writes_them(aliases):
    assert _json_strings(aliases) == json.dumps(list(aliases))
