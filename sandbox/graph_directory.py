"""Graph: users, groups, domains, subscribedSkus, organization, read from the generated directory.

Docs: user-list (default properties; others only with $select), group-list, domain-list,
subscribedsku-list, organization-get; paging per "Paging Microsoft Graph data in your app".
"""

from __future__ import annotations

from .generate import SKUS, sku_catalog
from .graph_base import Call, bad_request, entity, graph_json, not_found, paged, selected

# user-list: "By default, only a limited set of properties are returned".
USER_DEFAULT = [
    "businessPhones",
    "displayName",
    "givenName",
    "id",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
]
USER_TYPE = "microsoft.graph.user"
GROUP_TYPE = "microsoft.graph.group"


def _user_props(call: Call) -> set[str]:
    return (
        set(call.tenant.directory.user(0))
        if call.tenant.directory.user_count
        else set(USER_DEFAULT)
    )


def _no_filter(call: Call) -> None:
    if call.request.args.get("$filter") or call.request.args.get("$search"):
        raise bad_request(
            call.request,
            "The sandbox does not support $filter or $search on this collection.",
            "Request_UnsupportedQuery",
        )


def list_users(call: Call):
    _no_filter(call)
    directory = call.tenant.directory
    fields = selected(call, _user_props(call), USER_DEFAULT, USER_TYPE)
    extra = (
        {"@odata.count": directory.user_count}
        if call.request.args.get("$count") == "true"
        else None
    )
    return paged(
        call,
        "users",
        directory.user_count,
        lambda a, b: (directory.user(i) for i in range(a, b)),
        fields,
        extra,
    )


def get_user(call: Call, id: str):
    directory = call.tenant.directory
    index = directory.find_user(id)
    if index is None:
        raise not_found(call.request, id)
    fields = selected(call, _user_props(call), USER_DEFAULT, USER_TYPE)
    return entity(call, "users/$entity", directory.user(index), fields)


def list_groups(call: Call):
    _no_filter(call)
    directory = call.tenant.directory
    props = set(directory.group(0)) if directory.group_count else {"id", "displayName"}
    fields = selected(call, props, None, GROUP_TYPE)
    return paged(
        call,
        "groups",
        directory.group_count,
        lambda a, b: (directory.group(i) for i in range(a, b)),
        fields,
    )


def get_group(call: Call, id: str):
    directory = call.tenant.directory
    index = directory.find_group(id)
    if index is None:
        raise not_found(call.request, id)
    fields = selected(call, set(directory.group(0)), None, GROUP_TYPE)
    return entity(call, "groups/$entity", directory.group(index), fields)


def list_domains(call: Call):
    domains = call.tenant.domains
    fields = selected(call, set(domains[0]), None, "microsoft.graph.domain")
    return paged(call, "domains", len(domains), lambda a, b: domains[a:b], fields)


def get_domain(call: Call, id: str):
    domain = next((d for d in call.tenant.domains if d["id"] == id.lower()), None)
    if domain is None:
        raise not_found(call.request, id)
    return entity(call, "domains/$entity", domain)


def _sku(call: Call, part: str, consumed: int) -> dict:
    info = sku_catalog()[part]
    enabled = max(consumed + 5, int(consumed * 1.1))
    return {
        "accountId": call.tenant.id,
        "accountName": call.tenant.name,
        "appliesTo": "User",
        "capabilityStatus": "Enabled",
        "consumedUnits": consumed,
        "id": f"{call.tenant.id}_{info['skuId']}",
        "prepaidUnits": {"enabled": enabled, "lockedOut": 0, "suspended": 0, "warning": 0},
        "servicePlans": [
            {
                "appliesTo": "User",
                "provisioningStatus": "Success",
                "servicePlanId": info["planId"],
                "servicePlanName": info["plan"],
            }
        ],
        "skuId": info["skuId"],
        "skuPartNumber": part,
        "subscriptionIds": [],
    }


def list_subscribed_skus(call: Call):
    consumed = call.tenant.directory.sku_consumed()
    skus = [_sku(call, part, consumed.get(part, 0)) for part in SKUS]
    return graph_json({"@odata.context": call.context("subscribedSkus"), "value": skus})


def list_organization(call: Call):
    tenant = call.tenant
    verified = [
        {
            "capabilities": "Email, OfficeCommunicationsOnline",
            "isDefault": d["isDefault"],
            "isInitial": d["isInitial"],
            "name": d["id"],
            "type": "Managed",
        }
        for d in tenant.domains
        if d["isVerified"]
    ]
    org = {
        "id": tenant.id,
        "businessPhones": [],
        "city": None,
        "countryLetterCode": "US",
        "createdDateTime": tenant.directory.created,
        "displayName": tenant.name,
        "onPremisesSyncEnabled": None,
        "preferredLanguage": "en",
        "tenantType": "AAD",
        "verifiedDomains": verified,
        "assignedPlans": [],
        "technicalNotificationMails": [f"admin@{tenant.default_domain}"],
    }
    return graph_json({"@odata.context": call.context("organization"), "value": [org]})
