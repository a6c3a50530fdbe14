"""Scripts and materials: placeholders, WeCom temporary media reused until they expire, sends and their usage."""

from __future__ import annotations

from datetime import timedelta

import pytest

from scrm.core.db import utcnow
from scrm.core.errors import Forbidden, ValidationFailed
from scrm.customers import service as customer_service
from scrm.customers.models import Stage
from scrm.materials import schemas
from scrm.materials import service as materials_service
from scrm.materials.models import MaterialKind
from scrm.org.models import Role
from tests.factories.customers import make_customer
from tests.factories.org import make_employee

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(200))


@pytest.mark.pure
def test_salutation_and_fill():
    assert materials_service.salutation("王小明", 1) == "王先生"
    assert materials_service.salutation("李娜", 2) == "李女士"
    assert materials_service.salutation("Lucy", 2) == "Lucy"
    assert materials_service.salutation("", 0) == "您"
    values = {"客户称呼": "王先生", "产品": "房抵贷", "金额": "50万元"}
    assert materials_service.fill("{客户称呼}您好，{产品}{金额}已可办理，{其他}照旧", values) \
        == "王先生您好，房抵贷50万元已可办理，{其他}照旧"


def test_a_script_is_filled_with_the_customers_values(db, products):
    manager = make_employee(db, role=Role.manager)
    customer = make_customer(db, name="王小明", gender=1, product_id=products["house_mortgage"].id,
                             amount_fen=50_000_000)
    script = materials_service.create_material(db, manager, schemas.MaterialIn(
        kind="text", title="开场", content="{客户称呼}您好，您咨询的{产品}{金额}今天可以提交。"))
    message = materials_service.chat_message(db, None, script, customer)
    assert message == {"msgtype": "text", "text": {"content": "王先生您好，您咨询的房抵贷50万元今天可以提交。"}}
    unknown = make_customer(db, name="Lucy")
    assert materials_service.chat_message(db, None, script, unknown)["text"]["content"] \
        == "Lucy您好，您咨询的贷款产品所需金额今天可以提交。"


def test_only_managers_keep_the_library_and_bad_input_names_the_field(db):
    sales = make_employee(db)
    manager = make_employee(db, role=Role.manager)
    with pytest.raises(Forbidden):
        materials_service.create_material(db, sales, schemas.MaterialIn(kind="text", title="x", content="y"))
    with pytest.raises(ValidationFailed) as exc:
        materials_service.create_material(db, manager, schemas.MaterialIn(kind="link", title="利率表"))
    assert exc.value.field == "url"
    with pytest.raises(ValidationFailed) as exc:
        materials_service.create_material(db, manager, schemas.MaterialIn(kind="image", title="海报"),
                                          ("poster.gif", b"GIF89a" + bytes(50)))
    assert exc.value.field == "file"
    assert materials_service.list_materials(db) == []


def test_an_image_is_uploaded_once_and_its_media_id_reused_until_it_expires(db, wecom_client, sandbox_wecom):
    manager = make_employee(db, role=Role.manager)
    poster = materials_service.create_material(db, manager, schemas.MaterialIn(kind="image", title="利率海报"),
                                               ("利率海报.png", PNG))
    assert poster.filename == "利率海报.png" and poster.content_type == "image/png"
    first = materials_service.chat_message(db, wecom_client, poster, None)
    again = materials_service.chat_message(db, wecom_client, poster, None)
    media_id = first["image"]["mediaid"]
    assert first == again == {"msgtype": "image", "image": {"mediaid": media_id}}
    assert sandbox_wecom.call_count("media/upload") == 1
    upload = sandbox_wecom.media[media_id]
    assert upload["type"] == "image" and upload["filename"] == "利率海报.png" and upload["size"] == len(PNG)
    # WeCom: "该media_id仅三天内有效" (上传临时素材, document 90253); within the last hour it is uploaded again
    later = utcnow() + timedelta(days=3) - timedelta(minutes=30)
    renewed = materials_service.media_id_for(db, wecom_client, poster, now=later)
    assert renewed != media_id and sandbox_wecom.call_count("media/upload") == 2


def test_usage_counts_sends_and_the_customers_who_signed_after(db):
    manager = make_employee(db, role=Role.manager)
    li, wang = make_employee(db, "小李"), make_employee(db, "小王")
    script = materials_service.create_material(db, manager, schemas.MaterialIn(kind="text", title="利率", content="x"))
    other = materials_service.create_material(db, manager, schemas.MaterialIn(kind="text", title="资料", content="y"))
    signed_before = make_customer(db, li)
    customer_service.set_stage(db, signed_before.id, Stage.signed)
    signs_later, never = make_customer(db, li), make_customer(db, wang)
    for customer, who in ((signed_before, li), (signs_later, li), (signs_later, li), (never, wang)):
        materials_service.record_send(db, script, who, customer_id=customer.id)
    materials_service.record_send(db, other, wang, chat_id="wrGroup1")
    customer_service.set_stage(db, signs_later.id, Stage.signed)

    usage = materials_service.usage(db, manager)
    assert [(u.material.id, u.sends, u.senders, u.customers) for u in usage] == [(script.id, 4, 2, 3), (other.id, 1, 1, 0)]
    assert usage[0].signed_after == [signs_later.id]
    with pytest.raises(Forbidden):
        materials_service.usage(db, li)
    with pytest.raises(ValidationFailed):
        materials_service.record_send(db, script, li)
    assert MaterialKind.text in {u.material.kind for u in usage}
