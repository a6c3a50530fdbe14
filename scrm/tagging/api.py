"""Tagging for staff: try the pipeline on text, read a customer's profile (画像)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from scrm.auth import CurrentStaff, SessionDep
from scrm.core.errors import ERROR_RESPONSES, NotFound, ValidationFailed
from scrm.customers import service as customer_service
from scrm.tagging import learning, schemas
from scrm.tagging import service as tagging_service

router = APIRouter(prefix="/api/tagging", tags=["tagging"], responses=ERROR_RESPONSES)


@router.post("/preview", response_model=schemas.PreviewOut)
def preview(body: schemas.PreviewIn, staff: CurrentStaff, session: SessionDep) -> schemas.PreviewOut:
    """What the pipeline reads in each text — tags, product, intent (high | medium | low), amount in yuan,
    term in months, city; null where the text does not say. Nothing is stored."""
    return schemas.PreviewOut(results=[schemas.TaggedText(**r) for r in tagging_service.preview(body.texts, session)])


@router.post("/corrections", response_model=schemas.CorrectionOut, status_code=201)
def correct(body: schemas.CorrectionIn, staff: CurrentStaff, session: SessionDep) -> schemas.CorrectionOut:
    """Correct what the pipeline read in a text (a tag, the product, the intent, amount, term or city). The
    correction is kept with its text and trains the next model; with a customer their profile follows it."""
    if body.customer_id is not None:
        customer_service.get_visible(session, staff, body.customer_id)
    if body.evidence_id is not None and body.customer_id is None:
        raise ValidationFailed("更正一条依据时请同时给出 customer_id", field="customer_id")
    row = learning.record_correction(session, field_name=body.field, value=body.value, tag=body.tag,
                                            text=body.text, evidence_id=body.evidence_id,
                                            customer_id=body.customer_id, employee_id=staff.id)
    return schemas.CorrectionOut.model_validate(row)


@router.get("/profiles/{customer_id}", response_model=schemas.ProfileOut)
def get_profile(customer_id: Annotated[int, Path(ge=1)], staff: CurrentStaff, session: SessionDep) -> schemas.ProfileOut:
    """The customer's profile with the evidence behind each tag and field (404 outside your data scope,
    or before anything about the customer was read)."""
    customer_service.get_visible(session, staff, customer_id)
    profile = tagging_service.get_profile(session, customer_id)
    if profile is None:
        raise NotFound(f"客户 {customer_id} 还没有画像")
    return schemas.ProfileOut.model_validate(profile)


@router.get("/precision", response_model=dict[str, schemas.TagPrecision])
def precision(staff: CurrentStaff, session: SessionDep) -> dict[str, schemas.TagPrecision]:
    """Per tag, what staff corrections reveal: confirmed, removed (the pipeline was wrong), added (it missed
    one), and precision = confirmed / (confirmed + removed)."""
    return {t: schemas.TagPrecision(**v) for t, v in learning.precision_from_corrections(session).items()}
