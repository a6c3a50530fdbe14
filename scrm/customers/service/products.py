"""Loan products: their forms, kept as versions (an application keeps the version it was filled with), the
materials an application needs on file, and the fee rule that fills a sign-up's service fee. Managers and
admins create, edit and retire them; the standard five come with the migrations."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from scrm.core.db import utcnow
from scrm.core.errors import Conflict, Forbidden, NotFound
from scrm.core.money import from_fen, round_fen, to_fen
from scrm.customers import forms
from scrm.customers.labels import ATTACHMENT_KIND_NAMES
from scrm.customers.models import Attachment, FeeKind, LoanProduct, LoanProductForm
from scrm.customers.schemas import ProductChanges
from scrm.customers.service.common import ATTACHMENT_KINDS, _fail
from scrm.org.models import Employee, Role

EDITORS = (Role.manager, Role.admin)
MAX_RATE_BP = 5000  # 50%: anything above is a typo
MAX_FEE_FEN = 100_000_000_00  # 1亿元
_CODE = re.compile(r"^[a-z][a-z0-9_]{1,31}$")


@dataclass(frozen=True)
class FeeRule:
    """A product's service fee: ``rate_bp`` basis points of the loan amount, or ``fixed_fen``; never below
    ``min_fen``."""

    kind: FeeKind
    rate_bp: int | None = None
    fixed_fen: int | None = None
    min_fen: int = 0

    def fee_fen(self, amount_fen: int) -> int:
        """The fee on ``amount_fen``, rounded once (half up) to the fen."""
        if self.kind == FeeKind.fixed:
            fee = self.fixed_fen or 0
        else:
            fee = rate_fee_fen(amount_fen, self.rate_bp or 0)
        return max(fee, self.min_fen)

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "rate_bp": self.rate_bp, "fixed_fen": self.fixed_fen, "min_fen": self.min_fen}


def rate_fee_fen(amount_fen: int, rate_bp: int) -> int:
    """``amount × rate`` rounded once to the fen."""
    return to_fen(round_fen(from_fen(amount_fen) * Decimal(rate_bp) / 10000))


def fee_rule(product: LoanProduct) -> FeeRule:
    return FeeRule(FeeKind(product.fee_kind), product.fee_rate_bp, product.fee_fixed_fen, product.fee_min_fen or 0)


def materials(kinds: list[str]) -> list[dict[str, str]]:
    """``[{kind, label}]`` for attachment kinds, in the order given."""
    return [{"kind": k, "label": ATTACHMENT_KIND_NAMES.get(k, k)} for k in kinds or []]


# ---------------------------------------------------------------------------------------------
# reading


def list_products(session: Session, *, include_inactive: bool = False) -> list[LoanProduct]:
    stmt = select(LoanProduct).order_by(LoanProduct.id)
    if not include_inactive:
        stmt = stmt.where(LoanProduct.active.is_(True))
    return list(session.scalars(stmt))


def get_product(session: Session, code: str) -> LoanProduct | None:
    return session.scalars(select(LoanProduct).where(LoanProduct.code == code)).first()


def product_by_code(session: Session, code: str, *, lock: bool = False) -> LoanProduct:
    """The product, or NotFound."""
    session.flush()
    stmt = select(LoanProduct).where(LoanProduct.code == code)
    if lock:  # read afresh under the lock: the copy loaded before it may be another edit behind
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    product = session.scalars(stmt).first()
    if product is None:
        raise NotFound(f"没有代码为 {code} 的贷款产品")
    return product


def current_form(session: Session, product: LoanProduct) -> LoanProductForm | None:
    return session.scalars(select(LoanProductForm).where(LoanProductForm.product_id == product.id,
                                                         LoanProductForm.version == product.form_version)).first()


def get_form(session: Session, form_id: int | None) -> LoanProductForm | None:
    return session.get(LoanProductForm, form_id) if form_id else None


def list_forms(session: Session, product: LoanProduct) -> list[LoanProductForm]:
    """Every version of the product's form, newest first."""
    return list(session.scalars(select(LoanProductForm).where(LoanProductForm.product_id == product.id)
                                .order_by(LoanProductForm.version.desc())))


def missing_materials(session: Session, customer_id: int, required: list[str]) -> list[str]:
    """The required attachment kinds the customer has no stored file of yet."""
    if not required:
        return []
    session.flush()
    have = set(session.scalars(select(Attachment.kind).where(
        Attachment.customer_id == customer_id, Attachment.key_id.is_not(None), Attachment.kind.in_(required))))
    return [k for k in required if k not in have]


# ---------------------------------------------------------------------------------------------
# editing


def require_editor(actor: Employee) -> None:
    if actor.role not in EDITORS:
        raise Forbidden("只有经理或管理员可以编辑贷款产品")


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, (str, Decimal)) and re.fullmatch(r"\s*\d+\s*", str(value)):
        return int(str(value))
    return None


def _check_fee(fee: Any, errors: list[tuple[str, str]]) -> FeeRule | None:
    if not isinstance(fee, dict):
        errors.append(("fee_rule", "请填写收费规则"))
        return None
    unknown = sorted(set(fee) - {"kind", "rate_bp", "fixed_fen", "min_fen"})
    if unknown:
        errors.append((f"fee_rule.{unknown[0]}", f"收费规则没有 {unknown[0]} 这一项"))
        return None
    kind = fee.get("kind")
    if kind not in FeeKind.__members__:
        errors.append(("fee_rule.kind", "收费方式只能是 rate（按比例）或 fixed（固定金额）"))
        return None
    rate = fixed = None
    if kind == "rate":
        rate = _int(fee.get("rate_bp"))
        if rate is None or not 0 <= rate <= MAX_RATE_BP:
            errors.append(("fee_rule.rate_bp", f"费率以基点计（1% = 100），应为 0 到 {MAX_RATE_BP} 的整数"))
        if fee.get("fixed_fen") is not None:
            errors.append(("fee_rule.fixed_fen", "按比例收费时不填固定金额"))
    else:
        fixed = _int(fee.get("fixed_fen"))
        if fixed is None or not 0 <= fixed <= MAX_FEE_FEN:
            errors.append(("fee_rule.fixed_fen", "固定服务费以分计，应为不小于 0 的整数"))
        if fee.get("rate_bp") is not None:
            errors.append(("fee_rule.rate_bp", "固定收费时不填费率"))
    minimum = _int(fee.get("min_fen") or 0)
    if minimum is None or not 0 <= minimum <= MAX_FEE_FEN:
        errors.append(("fee_rule.min_fen", "最低服务费以分计，应为不小于 0 的整数"))
    return FeeRule(FeeKind(kind), rate, fixed, minimum or 0)


def _check_materials(kinds: Any, errors: list[tuple[str, str]]) -> list[str]:
    if not isinstance(kinds, list):
        errors.append(("required_materials", "所需资料应为资料类别的列表"))
        return []
    out: list[str] = []
    for i, kind in enumerate(kinds):
        if kind not in ATTACHMENT_KINDS or kind == "other":
            errors.append((f"required_materials[{i}]", f"没有资料类别 {str(kind)[:20]}，可选："
                                                       + "、".join(k for k in ATTACHMENT_KIND_NAMES if k != "other")))
        elif kind in out:
            errors.append((f"required_materials[{i}]", f"资料类别 {kind} 重复"))
        else:
            out.append(kind)
    return out


def _check_name(session: Session, name: Any, product_id: int | None, errors: list[tuple[str, str]]) -> str:
    name = name.strip() if isinstance(name, str) else ""
    if not name or len(name) > 32:
        errors.append(("name", "请填写产品名称（最多 32 个字）"))
    elif session.scalar(select(LoanProduct.id).where(LoanProduct.name == name, LoanProduct.id != (product_id or 0))):
        errors.append(("name", f"已有名为 {name} 的产品"))
    return name


def _new_form(session: Session, product: LoanProduct, version: int, fields: list[dict], kinds: list[str],
              actor_id: int | None) -> LoanProductForm:
    form = LoanProductForm(product_id=product.id, version=version, fields=fields, required_materials=kinds,
                           created_at=utcnow(), created_by_id=actor_id)
    try:
        with session.begin_nested():
            session.add(form)
            session.flush()
    except IntegrityError:
        raise Conflict("这个产品的表单刚被其他人修改过，请刷新后再改", field="form_fields") from None
    product.form_fields, product.required_materials, product.form_version = fields, kinds, version
    return form


def _apply_fee(product: LoanProduct, rule: FeeRule) -> None:
    product.fee_kind, product.fee_rate_bp, product.fee_fixed_fen, product.fee_min_fen = (
        rule.kind, rule.rate_bp, rule.fixed_fen, rule.min_fen)


def create_product(session: Session, actor: Employee | None, *, code: Any, name: Any, form_fields: Any,
                   required_materials: Any = None, fee_rule: Any = None) -> LoanProduct:
    """A new product with version 1 of its form. Every bad input is named at once (422); nothing is written."""
    if actor is not None:
        require_editor(actor)
    errors: list[tuple[str, str]] = []
    session.flush()
    if not isinstance(code, str) or not _CODE.match(code):
        errors.append(("code", "产品代码须以小写字母开头，只含小写字母、数字和下划线，2 到 32 个字符"))
    elif get_product(session, code) is not None:
        errors.append(("code", f"已有代码为 {code} 的产品"))
    name = _check_name(session, name, None, errors)
    errors += [(e.field, e.message) for e in forms.definition_errors(form_fields)]
    kinds = _check_materials([] if required_materials is None else required_materials, errors)
    rule = _check_fee(fee_rule, errors)
    _fail(errors)
    product = LoanProduct(code=code, name=name, form_fields=form_fields, required_materials=kinds, form_version=1,
                          active=True, updated_at=utcnow())
    _apply_fee(product, rule)
    try:
        with session.begin_nested():
            session.add(product)
            session.flush()
    except IntegrityError:
        raise Conflict(f"已有代码为 {code} 或名为 {name} 的产品", field="code") from None
    _new_form(session, product, 1, form_fields, kinds, actor.id if actor else None)
    return product


def update_product(session: Session, actor: Employee, product: LoanProduct, command: ProductChanges) -> LoanProduct:
    """Change the name, the fee rule or the form (only the fields the command sets). A changed form or list of
    required materials is a new version; applications already made keep theirs."""
    changes = command.changes()
    require_editor(actor)
    errors: list[tuple[str, str]] = []
    product = product_by_code(session, product.code, lock=True)
    name = _check_name(session, changes["name"], product.id, errors) if "name" in changes else product.name
    fields = changes.get("form_fields", product.form_fields)
    if "form_fields" in changes:
        errors += [(e.field, e.message) for e in forms.definition_errors(fields)]
    kinds = _check_materials(changes["required_materials"], errors) if "required_materials" in changes \
        else list(product.required_materials or [])
    rule = _check_fee(changes["fee_rule"], errors) if "fee_rule" in changes else None
    _fail(errors)
    product.name = name
    if rule is not None:
        _apply_fee(product, rule)
    if fields != product.form_fields or kinds != list(product.required_materials or []):
        _new_form(session, product, product.form_version + 1, fields, kinds, actor.id)
    product.updated_at = utcnow()
    session.flush()
    return product


def retire_product(session: Session, actor: Employee, product: LoanProduct) -> LoanProduct:
    """No new applications or sign-ups for it; what was made with it keeps showing it."""
    require_editor(actor)
    product = product_by_code(session, product.code, lock=True)
    if product.active:
        product.active, product.retired_at, product.updated_at = False, utcnow(), utcnow()
        session.flush()
    return product


def reinstate_product(session: Session, actor: Employee, product: LoanProduct) -> LoanProduct:
    """Offer a retired product again."""
    require_editor(actor)
    product = product_by_code(session, product.code, lock=True)
    if not product.active:
        product.active, product.retired_at, product.updated_at = True, None, utcnow()
        session.flush()
    return product


def seed_products(session: Session) -> list[LoanProduct]:
    """The standard products (``forms.PRODUCTS``), creating those that are missing; existing ones, maybe
    edited by a manager, are left alone. The migrations already made them; the tests call this after
    emptying the tables."""
    session.flush()
    have = {p.code: p for p in session.scalars(select(LoanProduct))}
    out = []
    for spec in forms.PRODUCTS:
        product = have.get(spec["code"])
        if product is None:
            product = create_product(session, None, code=spec["code"], name=spec["name"],
                                     form_fields=spec["form_fields"], required_materials=spec["required_materials"],
                                     fee_rule=spec["fee"])
        out.append(product)
    session.flush()
    return out
