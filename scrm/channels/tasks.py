"""Jobs for channels: keep each channel's WeCom contact way (QR code) in step with the channel."""

from __future__ import annotations

from scrm.core import jobs
from scrm.channels import service
from scrm.core.db import session_scope
from scrm.wecom.client import get_client


@jobs.job("channels.sync_channel")
def sync_channel(channel_id: int) -> None:
    """Job: add / update / delete the channel's contact way at WeCom; idempotent, retried on failure."""
    try:
        with session_scope() as session:
            service.sync_contact_way(session, channel_id, get_client())
    except Exception as exc:
        errcode = getattr(exc, "errcode", None)
        message = f"企业微信返回 {errcode}: {getattr(exc, 'errmsg', '')}" if errcode else f"调用企业微信失败: {exc}"
        with session_scope() as session:
            service.record_sync_failure(session, channel_id, message)
        raise
