"""Channel QR codes (渠道活码) for managers, and their numbers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from scrm.auth import ManagerStaff, SessionDep, SupervisorStaff
from scrm.channels import schemas
from scrm.channels import service as channel_service
from scrm.core.errors import ERROR_RESPONSES

router = APIRouter(prefix="/api/channels", tags=["channels"], responses=ERROR_RESPONSES)


@router.get("", response_model=list[schemas.ChannelOut])
def list_channels(staff: SupervisorStaff, session: SessionDep, active: bool | None = None) -> list[schemas.ChannelOut]:
    """Every channel, newest first."""
    return [schemas.ChannelOut.model_validate(c) for c in channel_service.list_channels(session, active=active)]


@router.post("", response_model=schemas.ChannelOut, status_code=status.HTTP_201_CREATED)
def create_channel(body: schemas.ChannelCreate, staff: ManagerStaff, session: SessionDep) -> schemas.ChannelOut:
    """Create a channel. Its WeCom QR code is made right after (see `sync_status`, then `qr_code_url`).
    A team of more than one makes a multi-person code; the welcome message is checked against WeCom's rules."""
    channel = channel_service.create_channel(session, staff, **body.model_dump())
    return schemas.ChannelOut.model_validate(channel)


@router.get("/{channel_id}", response_model=schemas.ChannelOut)
def get_channel(channel_id: Annotated[int, Path(ge=1)], staff: SupervisorStaff,
                session: SessionDep) -> schemas.ChannelOut:
    """One channel."""
    return schemas.ChannelOut.model_validate(channel_service.get_channel(session, channel_id))


@router.patch("/{channel_id}", response_model=schemas.ChannelOut)
def update_channel(channel_id: Annotated[int, Path(ge=1)], body: schemas.ChannelUpdate, staff: ManagerStaff,
                   session: SessionDep) -> schemas.ChannelOut:
    """Change a channel; a new team or name goes to WeCom. The state never changes. Changing between one
    and several members makes a new QR code (WeCom cannot change a code's type)."""
    channel = channel_service.update_channel(session, staff, channel_id, body)
    return schemas.ChannelOut.model_validate(channel)


@router.post("/{channel_id}/deactivate", response_model=schemas.ChannelOut)
def deactivate_channel(channel_id: Annotated[int, Path(ge=1)], staff: ManagerStaff,
                       session: SessionDep) -> schemas.ChannelOut:
    """Stop a channel and delete its QR code at WeCom. Customers keep it as their source."""
    return schemas.ChannelOut.model_validate(channel_service.deactivate_channel(session, staff, channel_id))
