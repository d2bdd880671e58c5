"""All API routers under /api/v1."""

from __future__ import annotations

from fastapi import APIRouter

from backend.api.routes import catalog, experiments, health, runs

api_router = APIRouter(prefix="/api/v1")
for module in (health, catalog, experiments, runs):
    api_router.include_router(module.router)
