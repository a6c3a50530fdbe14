"""Loan products' form definitions (LoanProduct.form_fields) and the checking of custom fields against them.

A field is ``{"key", "label", "type", "required", ...}`` with type one of text, number, integer,
money, choice, date, bool. ``min``/``max`` bound numbers (yuan for money), ``max_length`` texts,
``options`` ([{"value", "label"}]) choices. Money is stored in fen like every amount in the database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from scrm.core.money import from_fen, parse_yuan, to_fen

FIELD_TYPES = {"text", "number", "integer", "money", "choice", "date", "bool"}


def _opts(*pairs: tuple[str, str]) -> list[dict]:
    return [{"value": v, "label": label} for v, label in pairs]


PRODUCTS: list[dict] = [
    {
        "code": "house_mortgage", "name": "房抵贷",
        "required_materials": ["id_card", "property_deed", "credit_report", "bank_statement"],
        "fee": {"kind": "rate", "rate_bp": 150, "min_fen": 300000},
        "form_fields": [
            {"key": "property_city", "label": "房产所在城市", "type": "text", "required": True, "max_length": 32},
            {"key": "property_type", "label": "房产类型", "type": "choice", "required": True,
             "options": _opts(("residential", "住宅"), ("apartment", "公寓"), ("shop", "商铺"),
                              ("office", "写字楼"), ("villa", "别墅"))},
            {"key": "property_area", "label": "建筑面积", "type": "number", "required": True,
             "min": 10, "max": 5000, "unit": "㎡"},
            {"key": "property_value", "label": "房产估值", "type": "money", "required": True,
             "min": 100000, "max": 500000000, "unit": "元"},
            {"key": "mortgage_status", "label": "抵押状态", "type": "choice", "required": True,
             "options": _opts(("none", "无抵押（全款房）"), ("first", "有一押（按揭中）"), ("second", "已有二押"))},
            {"key": "remaining_mortgage", "label": "剩余按揭本金", "type": "money", "required": False,
             "min": 0, "max": 500000000, "unit": "元"},
            {"key": "ownership", "label": "产权归属", "type": "choice", "required": False,
             "options": _opts(("sole", "本人单独所有"), ("joint", "与配偶共有"), ("other", "与他人共有"))},
            {"key": "property_age_years", "label": "房龄", "type": "integer", "required": False,
             "min": 0, "max": 70, "unit": "年"},
        ],
    },
    {
        "code": "credit", "name": "信用贷",
        "required_materials": ["credit_report", "id_card"],
        "fee": {"kind": "rate", "rate_bp": 300, "min_fen": 100000},
        "form_fields": [
            {"key": "employer_type", "label": "单位性质", "type": "choice", "required": True,
             "options": _opts(("civil_servant", "公务员/事业单位"), ("state_owned", "国企/央企"),
                              ("listed", "上市公司/500强"), ("private", "民营企业"), ("self_employed", "个体/自由职业"))},
            {"key": "monthly_salary", "label": "税后月收入", "type": "money", "required": True,
             "min": 0, "max": 10000000, "unit": "元"},
            {"key": "salary_by_bank", "label": "工资银行代发", "type": "bool", "required": False},
            {"key": "social_security_months", "label": "社保连续缴纳月数", "type": "integer", "required": True,
             "min": 0, "max": 600, "unit": "月"},
            {"key": "provident_fund_months", "label": "公积金连续缴纳月数", "type": "integer", "required": False,
             "min": 0, "max": 600, "unit": "月"},
            {"key": "credit_overdue", "label": "近两年逾期情况", "type": "choice", "required": False,
             "options": _opts(("none", "无逾期"), ("minor", "偶有逾期（未连三累六）"), ("serious", "连三累六"))},
            {"key": "existing_debt", "label": "现有负债", "type": "money", "required": False,
             "min": 0, "max": 100000000, "unit": "元"},
        ],
    },
    {
        "code": "car_mortgage", "name": "车抵贷",
        "required_materials": ["id_card", "vehicle_license", "driving_license", "credit_report"],
        "fee": {"kind": "rate", "rate_bp": 300, "min_fen": 100000},
        "form_fields": [
            {"key": "car_brand", "label": "品牌车型", "type": "text", "required": True, "max_length": 64},
            {"key": "car_price", "label": "购车价格", "type": "money", "required": True,
             "min": 10000, "max": 20000000, "unit": "元"},
            {"key": "car_year", "label": "上牌年份", "type": "integer", "required": True, "min": 1995, "max": 2100},
            {"key": "plate_city", "label": "车牌所在城市", "type": "text", "required": True, "max_length": 32},
            {"key": "mileage_km", "label": "行驶里程", "type": "integer", "required": False,
             "min": 0, "max": 2000000, "unit": "公里"},
            {"key": "car_loan_status", "label": "车贷状态", "type": "choice", "required": True,
             "options": _opts(("paid_off", "全款/已结清"), ("repaying", "按揭中"))},
            {"key": "keep_driving", "label": "押证不押车", "type": "bool", "required": False},
        ],
    },
    {
        "code": "business", "name": "经营贷",
        "required_materials": ["id_card", "business_license", "bank_statement", "credit_report"],
        "fee": {"kind": "rate", "rate_bp": 200, "min_fen": 200000},
        "form_fields": [
            {"key": "company_name", "label": "企业名称", "type": "text", "required": True, "max_length": 100},
            {"key": "role_in_company", "label": "企业中的身份", "type": "choice", "required": True,
             "options": _opts(("legal_rep", "法人"), ("shareholder", "股东"), ("sole_trader", "个体工商户主"))},
            {"key": "business_years", "label": "经营年限", "type": "number", "required": True,
             "min": 0, "max": 100, "unit": "年"},
            {"key": "annual_revenue", "label": "年营业额", "type": "money", "required": True,
             "min": 0, "max": 10000000000, "unit": "元"},
            {"key": "industry", "label": "所属行业", "type": "text", "required": False, "max_length": 32},
            {"key": "has_tax_record", "label": "有纳税记录", "type": "bool", "required": False},
            {"key": "license_date", "label": "营业执照注册日期", "type": "date", "required": False},
        ],
    },
    {
        "code": "provident_fund", "name": "公积金贷",
        "required_materials": ["id_card", "social_security", "credit_report"],
        "fee": {"kind": "fixed", "fixed_fen": 150000, "min_fen": 0},
        "form_fields": [
            {"key": "fund_city", "label": "公积金缴存城市", "type": "text", "required": True, "max_length": 32},
            {"key": "fund_monthly", "label": "公积金月缴存额", "type": "money", "required": True,
             "min": 1, "max": 100000, "unit": "元"},
            {"key": "fund_months", "label": "连续缴存月数", "type": "integer", "required": True,
             "min": 0, "max": 600, "unit": "月"},
            {"key": "fund_base", "label": "缴存基数", "type": "money", "required": False,
             "min": 0, "max": 1000000, "unit": "元"},
            {"key": "employer", "label": "工作单位", "type": "text", "required": False, "max_length": 100},
        ],
    },
]


@dataclass
class FieldError:
    field: str
    message: str


FIELD_ATTRIBUTES = {"key", "label", "type", "required", "options", "min", "max", "max_length", "unit"}
MAX_FIELDS = 50
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


def _bound(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def definition_errors(fields: Any, name: str = "form_fields") -> list[FieldError]:
    """Every fault of a form definition, each naming its place (``form_fields[2].options``)."""
    if not isinstance(fields, list):
        return [FieldError(name, "表单字段应为列表")]
    if len(fields) > MAX_FIELDS:
        return [FieldError(name, f"表单最多 {MAX_FIELDS} 个字段")]
    errors: list[FieldError] = []
    seen: set[str] = set()
    for i, f in enumerate(fields):
        at = f"{name}[{i}]"
        if not isinstance(f, dict):
            errors.append(FieldError(at, "字段定义应为对象"))
            continue
        for extra in sorted(set(f) - FIELD_ATTRIBUTES):
            errors.append(FieldError(f"{at}.{extra}", f"字段没有 {extra} 这一项"))
        key = f.get("key")
        if not isinstance(key, str) or not _KEY.match(key):
            errors.append(FieldError(f"{at}.key", "字段代码须以小写字母开头，只含小写字母、数字和下划线，最多 32 个字符"))
        elif key in seen:
            errors.append(FieldError(f"{at}.key", f"字段代码 {key} 重复"))
        else:
            seen.add(key)
        label = f.get("label")
        if not isinstance(label, str) or not label.strip() or len(label) > 32:
            errors.append(FieldError(f"{at}.label", "请填写字段名称（最多 32 个字）"))
        kind = f.get("type")
        if kind not in FIELD_TYPES:
            errors.append(FieldError(f"{at}.type", f"未知的字段类型 {str(kind)[:20]!r}，可选：{', '.join(sorted(FIELD_TYPES))}"))
            continue
        if "required" in f and not isinstance(f["required"], bool):
            errors.append(FieldError(f"{at}.required", "required 应为 true 或 false"))
        if kind == "choice":
            options = f.get("options")
            values = [o.get("value") if isinstance(o, dict) else None for o in options or []] \
                if isinstance(options, list) else []
            if not values:
                errors.append(FieldError(f"{at}.options", "单选字段至少需要一个选项"))
            elif any(not isinstance(v, str) or not v.strip() for v in values) or any(
                    not isinstance(o.get("label"), str) or not o["label"].strip() for o in options):
                errors.append(FieldError(f"{at}.options", "每个选项都需要代码（value）和名称（label）"))
            elif len(set(values)) != len(values):
                errors.append(FieldError(f"{at}.options", "选项代码重复"))
        elif f.get("options"):
            errors.append(FieldError(f"{at}.options", "只有单选字段可以设置选项"))
        for bound in ("min", "max"):
            if f.get(bound) is not None and (kind not in ("number", "integer", "money") or not _bound(f[bound])):
                errors.append(FieldError(f"{at}.{bound}", "只有数字、整数和金额字段可以设置上下限，且应为数字"))
        if _bound(f.get("min")) and _bound(f.get("max")) and f["min"] > f["max"]:
            errors.append(FieldError(f"{at}.max", "上限不能小于下限"))
        if f.get("max_length") is not None and (kind != "text" or isinstance(f["max_length"], bool)
                                                or not isinstance(f["max_length"], int)
                                                or not 1 <= f["max_length"] <= 2000):
            errors.append(FieldError(f"{at}.max_length", "只有文字字段可以设置长度，1 到 2000"))
        if f.get("unit") is not None and (not isinstance(f["unit"], str) or len(f["unit"]) > 8):
            errors.append(FieldError(f"{at}.unit", "单位最多 8 个字"))
    return errors


def check_definition(fields: list[dict]) -> None:
    """Raise ValueError when a product's form definition itself is malformed."""
    errors = definition_errors(fields)
    if errors:
        raise ValueError(f"{errors[0].field}: {errors[0].message}")


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _number(value: Any, f: dict, label: str) -> tuple[Decimal | None, str | None]:
    if isinstance(value, bool):
        return None, f"{label}应为数字"
    try:
        number = parse_yuan(value) if not isinstance(value, float) else Decimal(repr(value))
    except (TypeError, ValueError):
        return None, f"{label}应为数字"
    if f.get("min") is not None and number < Decimal(str(f["min"])):
        return None, f"{label}不能小于 {f['min']}{f.get('unit', '')}"
    if f.get("max") is not None and number > Decimal(str(f["max"])):
        return None, f"{label}不能大于 {f['max']}{f.get('unit', '')}"
    return number, None


def clean(form_fields: list[dict], values: dict[str, Any]) -> tuple[dict[str, Any], list[FieldError]]:
    """Check ``values`` against a form: returns the values to store, and one error per bad field."""
    errors: list[FieldError] = []
    out: dict[str, Any] = {}
    by_key = {f["key"]: f for f in form_fields}
    for key in values:
        if key not in by_key:
            errors.append(FieldError(f"custom_fields.{key}", f"该产品没有字段 {key}"))
    for key, f in by_key.items():
        label = f.get("label") or key
        name = f"custom_fields.{key}"
        value = values.get(key)
        if _is_empty(value):
            if f.get("required"):
                errors.append(FieldError(name, f"请填写{label}"))
            continue
        kind = f["type"]
        if kind == "text":
            if not isinstance(value, str):
                errors.append(FieldError(name, f"{label}应为文字"))
                continue
            value = value.strip()
            if len(value) > int(f.get("max_length") or 200):
                errors.append(FieldError(name, f"{label}最多 {f.get('max_length') or 200} 个字"))
                continue
            out[key] = value
        elif kind in ("number", "integer", "money"):
            number, message = _number(value, f, label)
            if message:
                errors.append(FieldError(name, message))
            elif kind == "integer":
                if number != number.to_integral_value():
                    errors.append(FieldError(name, f"{label}应为整数"))
                else:
                    out[key] = int(number)
            elif kind == "money":
                if number.as_tuple().exponent < -2:
                    errors.append(FieldError(name, f"{label}最多精确到分"))
                else:
                    out[key] = to_fen(number)
            else:
                # not money: a plain quantity such as an area, kept as a JSON number
                out[key] = int(number) if number == number.to_integral_value() else float(number)
        elif kind == "choice":
            allowed = [o["value"] if isinstance(o, dict) else o for o in f.get("options") or []]
            if value not in allowed:
                errors.append(FieldError(name, f"{label}只能是 {', '.join(map(str, allowed))} 之一"))
            else:
                out[key] = value
        elif kind == "bool":
            if not isinstance(value, bool):
                errors.append(FieldError(name, f"{label}应为是或否（true/false）"))
            else:
                out[key] = value
        elif kind == "date":
            try:
                out[key] = date.fromisoformat(str(value)).isoformat()
            except ValueError:
                errors.append(FieldError(name, f"{label}应为日期，格式 YYYY-MM-DD"))
    return out, errors


def present(form_fields: list[dict], stored: dict[str, Any]) -> dict[str, Any]:
    """Stored values as the API shows them: money back to yuan."""
    money = {f["key"] for f in form_fields if f.get("type") == "money"}
    return {k: (from_fen(v) if k in money and isinstance(v, int) else v) for k, v in (stored or {}).items()}
