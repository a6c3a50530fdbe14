"""Salespeople sending the same new image at the same instant, on PostgreSQL and on the embedded default:
WeCom gets one upload and everyone sends the one media_id."""

from __future__ import annotations

from scrm.core.db import session_scope
from scrm.materials import schemas
from scrm.materials import service as materials_service
from scrm.org.models import Role
from scrm.wecom.client import get_client
from tests.conftest import race
from tests.factories.org import make_employee

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(200))


def test_six_sends_of_a_new_image_at_once_upload_it_once(committed_any, sandbox_wecom):
    with session_scope() as s:
        manager = make_employee(s, role=Role.manager)
        poster = materials_service.create_material(s, manager, schemas.MaterialIn(kind="image", title="海报"),
                                                   ("poster.png", PNG))
        poster_id = poster.id
    client = get_client()

    def send(_: int) -> str:
        with session_scope() as s:
            return materials_service.media_id_for(s, client, materials_service.get(s, poster_id))

    results = race(6, send)
    assert all(isinstance(r, str) for r in results), results
    assert len(set(results)) == 1 and sandbox_wecom.call_count("media/upload") == 1
