"""``/v1/commitments``: earmark supply for an account; read, list, release."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from earmark.api.commands import respond
from earmark.api.deps import (
    EMPTY_IS_NONE,
    CommandsDep,
    IdempotencyDep,
    IdPath,
    IdQuery,
    PageRequest,
    keyset_page,
)
from earmark.api.problems import not_found
from earmark.api.routes import problems
from earmark.api.schemas.commitments import (
    CommitmentCreate,
    CommitmentOut,
    CommitmentPage,
    CommitmentRelease,
    CommitmentStatus,
)
from earmark.service import commitments
from earmark.service.queries import COMMITMENTS, get_commitment, list_commitments

router = APIRouter(prefix="/v1/commitments", tags=["commitments"])

CommitmentsPage = Annotated[PageRequest, keyset_page(COMMITMENTS.cursors)]


@router.post("", response_model=CommitmentOut, status_code=201,
             responses={200: {"model": CommitmentOut, "description": "An identical replay."},
                        **problems(400, 409, 422)})
def post_commitment(body: CommitmentCreate, commands: CommandsDep,
                    key: IdempotencyDep) -> JSONResponse:
    """Earmark supply. A strict commitment that cannot be confirmed in full by
    its need date is refused (409) with ``shortfall`` and ``earliest_date``."""
    command = commitments.CreateCommitment(
        body.id, body.account, body.sku, body.location, body.quantity, body.need_date,
        body.expires_on, body.kind, body.mode,
    )
    return commands.run(commitments.create_commitment, command, CommitmentOut, key)


@router.get("", response_model=CommitmentPage, responses=problems(422))
def get_commitments(
    page: CommitmentsPage, commands: CommandsDep, account: IdQuery = None, sku: IdQuery = None,
    status: Annotated[CommitmentStatus | None, EMPTY_IS_NONE, Query()] = None,
) -> JSONResponse:
    with commands.reading() as uow:
        return respond(CommitmentPage, list_commitments(
            uow.tx, uow.today, account, sku, status, page.after, page.limit))


@router.get("/{id}", response_model=CommitmentOut, responses=problems(404, 422))
def get_one_commitment(id: IdPath, commands: CommandsDep) -> JSONResponse:
    with commands.reading() as uow:
        commitment = get_commitment(uow.tx, id, uow.today)
    if commitment is None:
        raise not_found(f"no commitment {id!r}")
    return respond(CommitmentOut, commitment)


@router.post("/{id}/release", response_model=CommitmentOut,
             responses=problems(400, 404, 409, 422))
def release_commitment(id: IdPath, commands: CommandsDep, key: IdempotencyDep,
                       body: CommitmentRelease | None = None) -> JSONResponse:
    """Release remaining units (default: all); freed supply goes to the queue."""
    command = commitments.ReleaseCommitment(id, body.quantity if body else None)
    return commands.run(commitments.release_commitment, command, CommitmentOut, key)
