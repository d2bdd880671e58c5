"""API tokens over the API: list, create, revoke. Every route needs the admin scope."""

from __future__ import annotations

from fastapi import APIRouter, status

from backend.api.common import NOT_FOUND, IdPath
from backend.api.deps import SessionDep
from backend.schemas import Token, TokenCreate, TokenCreated
from backend.services import auth

router = APIRouter(prefix="/tokens", tags=["tokens"])


@router.get("", response_model=list[Token])
def list_tokens(session: SessionDep) -> list[Token]:
    """Every token, revoked ones included, oldest first; never their secrets."""
    return [Token.from_row(row) for row in auth.list_tokens(session)]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=TokenCreated)
def create_token(body: TokenCreate, session: SessionDep) -> TokenCreated:
    """A new token; its secret is in this response only (the server keeps its SHA-256)."""
    row, secret = auth.create_token(session, body.name, body.scope)
    return TokenCreated(**Token.from_row(row).model_dump(), secret=secret)


@router.post("/{id}/revoke", response_model=Token, responses=NOT_FOUND)
def revoke_token(token_id: IdPath, session: SessionDep) -> Token:
    """Revoke a token for good (again: no change); its requests get 401 from now on."""
    return Token.from_row(auth.revoke_token(session, token_id))
