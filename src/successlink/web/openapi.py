"""The OpenAPI 3.0 description of the service's API (served at /api/v1/openapi.json)."""

from __future__ import annotations

from functools import cache
from typing import Any

from successlink import __version__


def _s(kind: str, nullable: bool = False, **more: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"type": kind, **more}
    if nullable:
        out["nullable"] = True
    return out


def _obj(**fields: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": list(fields), "properties": fields}


_TIME = _s("string", format="date-time")
_MINOR = _s("integer", description="Integer minor units (cents) of `currency`.")
SCHEMAS: dict[str, dict[str, Any]] = {
    "Error": _obj(error=_s("string")),
    "Affiliate": _obj(id=_s("string"), name=_s("string"), status=_s("string"),
                      group=_s("string", True), quality_tier=_s("string", True),
                      plan_id=_s("string", True), payout_method=_s("string"),
                      created_at=_TIME),
    "Link": _obj(id=_s("integer"), code=_s("string"), affiliate_id=_s("string"),
                 destination=_s("string"), disabled=_s("boolean"), created_at=_TIME),
    "Click": _obj(id=_s("string"), affiliate_id=_s("string", True),
                  link_id=_s("integer", True), clicked_at=_TIME, is_bot=_s("boolean"),
                  referer=_s("string", True)),
    "Referral": _obj(id=_s("integer"), affiliate_id=_s("string"), click_id=_s("string", True),
                     referred_at=_s("string", True, format="date-time")),
    "Commission": _obj(key=_s("string"), kind=_s("string", enum=[
        "accrual", "vesting", "lapse", "reversal", "adjustment"]),
        affiliate_id=_s("string"), currency=_s("string"), unvested_minor=_MINOR,
        vested_minor=_MINOR, lapsed_minor=_MINOR, reversed_minor=_MINOR,
        plan_id=_s("string", True), plan_version=_s("integer", True), effective_at=_TIME,
        explanation=_s("string")),
    "Payout": _obj(id=_s("integer"), affiliate_id=_s("string"), currency=_s("string"),
                   amount_minor=_MINOR, method=_s("string"), status=_s("string"),
                   created_at=_TIME, paid_at=_s("string", True, format="date-time"),
                   cancel_reason=_s("string", True),
                   cancelled_at=_s("string", True, format="date-time")),
    "Balance": _obj(affiliate_id=_s("string"), currency=_s("string"),
                    unvested_minor=_MINOR, vested_minor=_MINOR, paid_minor=_MINOR,
                    payable_minor=_MINOR, waiting_minor=_MINOR, lapsed_minor=_MINOR,
                    reversed_minor=_MINOR),
}
SCHEMAS["Stats"] = _obj(clicks=_s("integer"), referrals=_s("integer"),
                        balances={"type": "array", "items": {"$ref": "#/components/schemas/"
                                                                     "Balance"}})

_PAGING = [
    {"name": "limit", "in": "query", "required": False,
     "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 100}},
    {"name": "offset", "in": "query", "required": False,
     "schema": {"type": "integer", "minimum": 0, "maximum": 1_000_000_000, "default": 0}},
]
_FILTER = {"name": "affiliate_id", "in": "query", "required": False,
           "schema": {"type": "string"},
           "description": "Admin keys: one affiliate only. Affiliate keys see only their own."}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/Error"}}}}


_ERRORS = {"401": _error("No valid API key."), "404": _error("No such affiliate (or not "
                                                            "yours)."),
           "422": _error("A bad parameter.")}


def _list(name: str, summary: str, filtered: bool = True) -> dict[str, Any]:
    return {"get": {
        "summary": summary, "parameters": [*_PAGING, *([_FILTER] if filtered else [])],
        "responses": {"200": {"description": "OK", "content": {"application/json": {
            "schema": _obj(data={"type": "array",
                                 "items": {"$ref": f"#/components/schemas/{name}"}})}}},
            **_ERRORS}}}


@cache
def openapi_spec() -> dict[str, Any]:
    """The spec; every operation needs a bearer API key."""
    one = {"get": {
        "summary": "One affiliate.",
        "parameters": [{"name": "affiliate_id", "in": "path", "required": True,
                        "schema": {"type": "string"}}, *_PAGING],
        "responses": {"200": {"description": "OK", "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Affiliate"}}}}, **_ERRORS}}}
    stats = {"get": {
        "summary": "Clicks, referrals and balances.", "parameters": [_FILTER],
        "responses": {"200": {"description": "OK", "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Stats"}}}}, **_ERRORS}}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "SuccessLink affiliate program API", "version": __version__},
        "components": {"schemas": SCHEMAS, "securitySchemes": {
            "apiKey": {"type": "http", "scheme": "bearer"}}},
        "security": [{"apiKey": []}],
        "paths": {
            "/api/v1/affiliates": _list("Affiliate", "Affiliates."),
            "/api/v1/affiliates/{affiliate_id}": one,
            "/api/v1/links": _list("Link", "Tracked links."),
            "/api/v1/clicks": _list("Click", "Clicks, newest first."),
            "/api/v1/referrals": _list("Referral", "Referred customers."),
            "/api/v1/commissions": _list("Commission", "Ledger entries, newest first."),
            "/api/v1/payouts": _list("Payout", "Payouts."),
            "/api/v1/stats": stats,
        },
    }
