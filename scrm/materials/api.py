"""Scripts and materials for managers: the library and its usage. Images and files are uploaded through the
console's 话术素材 page; salespeople send from the chat sidebar."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from scrm.auth import CurrentStaff, ManagerStaff, SessionDep
from scrm.core.errors import ERROR_RESPONSES
from scrm.core.params import Instant
from scrm.materials import schemas
from scrm.materials import service as materials_service
from scrm.materials.models import MaterialKind

router = APIRouter(prefix="/api/materials", tags=["materials"], responses=ERROR_RESPONSES)

MaterialId = Annotated[int, Path(ge=1)]


@router.get("", response_model=list[schemas.MaterialOut])
def list_materials(staff: CurrentStaff, session: SessionDep, q: str | None = None,
                   kind: MaterialKind | None = None) -> list[schemas.MaterialOut]:
    """The active scripts and materials by group and title; ``q`` searches titles, groups and texts."""
    return [schemas.MaterialOut.model_validate(m) for m in materials_service.list_materials(session, q=q, kind=kind)]


@router.post("", response_model=schemas.MaterialOut, status_code=201)
def create_material(body: schemas.MaterialIn, staff: ManagerStaff, session: SessionDep) -> schemas.MaterialOut:
    """Add a script, link or mini-program card (images and files need the console's upload form)."""
    return schemas.MaterialOut.model_validate(materials_service.create_material(session, staff, body))


@router.put("/{material_id}", response_model=schemas.MaterialOut)
def update_material(material_id: MaterialId, body: schemas.MaterialIn, staff: ManagerStaff,
                    session: SessionDep) -> schemas.MaterialOut:
    """Change a script or material (its kind stays)."""
    return schemas.MaterialOut.model_validate(materials_service.update_material(session, staff, material_id, body))


@router.post("/{material_id}/active", response_model=schemas.MaterialOut)
def set_active(material_id: MaterialId, body: schemas.ActiveIn, staff: ManagerStaff,
               session: SessionDep) -> schemas.MaterialOut:
    """Withdraw a script or material from the sidebar, or bring it back."""
    return schemas.MaterialOut.model_validate(materials_service.set_active(session, staff, material_id, body.active))


@router.get("/usage", response_model=list[schemas.UsageOut])
def usage(staff: ManagerStaff, session: SessionDep, since: Instant | None = None) -> list[schemas.UsageOut]:
    """Sends per script or material (by how many salespeople, to how many customers) and the customers who
    signed after they got it; most sent first."""
    return [schemas.UsageOut(material_id=u.material.id, title=u.material.title, kind=u.material.kind, sends=u.sends,
                             senders=u.senders, customers=u.customers, signed_after=u.signed_after,
                             last_sent_at=u.last_sent_at)
            for u in materials_service.usage(session, staff, since=since)]
