"""GET /catalog."""

from __future__ import annotations

from fastapi import APIRouter

from backend.schemas import Catalog
from backend.services.catalog import build_catalog

router = APIRouter(tags=["catalog"])


@router.get("/catalog", response_model=Catalog)
def get_catalog() -> Catalog:
    """Algorithms, samplers, runners, suggested environments and the spec's JSON Schema."""
    return build_catalog()
