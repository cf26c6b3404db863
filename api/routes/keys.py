"""API keys over HTTP (admin scope): list, create (the key is returned once), revoke."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from api.deps import SettingsDep, StoreDep
from api.key_schemas import ApiKeyCreatedOut, ApiKeyIn, ApiKeyOut
from api.routes import error_responses

router = APIRouter(tags=["keys"])

KeyId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The key's id.")]


@router.get("/keys", response_model=list[ApiKeyOut])
def list_keys(store: StoreDep, settings: SettingsDep) -> list[ApiKeyOut]:
    """Every key with its scopes, revoked ones included (never the key itself)."""
    return [ApiKeyOut.from_domain(key, settings.timezone) for key in store.list_api_keys()]


@router.post("/keys", response_model=ApiKeyCreatedOut, status_code=201,
             responses=error_responses(422))
def create_key(body: ApiKeyIn, store: StoreDep, settings: SettingsDep) -> ApiKeyCreatedOut:
    """Create a key; the response is the only place the key is ever shown."""
    key, token = store.create_api_key(body.name, body.scopes)
    out = ApiKeyOut.from_domain(key, settings.timezone)
    return ApiKeyCreatedOut(**out.model_dump(), key=token)


@router.delete("/keys/{key_id}", response_model=ApiKeyOut, responses=error_responses(404, 422))
def revoke_key(key_id: KeyId, store: StoreDep, settings: SettingsDep) -> ApiKeyOut:
    """Revoke a key; it stops working within `auth_cache_seconds` on every API worker."""
    return ApiKeyOut.from_domain(store.revoke_api_key(key_id), settings.timezone)
