"""Which trained model the pipeline uses: the active row of tagging_model, or the shipped model."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from scrm.tagging.models import TaggingModel


def active_model(session: Session) -> TaggingModel | None:
    return session.scalars(select(TaggingModel).where(TaggingModel.active.is_(True))).first()


def active_model_path(session: Session):
    """The file of the model in use; None means the shipped one."""
    row = active_model(session)
    return None if row is None else Path(row.path)
