"""Names shown to people: the facts, the overdue grades, the materials, the operators and the actions."""

from __future__ import annotations

from scrm.customers.labels import ATTACHMENT_KIND_NAMES

# the worst overdue on the credit report, mildest first
OVERDUE_NAMES = {"none": "无逾期", "m1": "M1（逾期 1–30 天）", "m2": "M2（逾期 31–60 天）", "m3_plus": "M3 及以上（逾期 60 天以上）"}

# the materials a customer may have on file, as the customers module names them; the position is the bit in
# ``RiskFact.materials_mask``, so new kinds go at the end
MATERIALS = ("id_card", "credit_report", "bank_statement", "social_security", "property_deed", "household_register",
             "marriage_cert", "vehicle_license", "driving_license", "income_proof", "business_license")
MATERIAL_NAMES = {k: ATTACHMENT_KIND_NAMES[k] for k in MATERIALS}

FACT_NAMES = {
    "inquiries_1m": "征信近1个月查询次数", "inquiries_3m": "征信近3个月查询次数", "inquiries_6m": "征信近6个月查询次数",
    "overdue_count": "逾期次数", "worst_overdue": "最严重逾期", "total_debt_fen": "总负债（分）",
    "monthly_income_fen": "月收入（分）", "debt_ratio": "负债率（%）", "online_loans": "网贷笔数",
    "materials": "已有资料", "materials_count": "已有资料项数", "social_security_months": "社保缴纳月数",
    "score": "资质评分",
}

OP_NAMES = {">": "大于", ">=": "大于等于", "<": "小于", "<=": "小于等于", "=": "等于", "in": "属于", "not_in": "不属于",
            "has_all": "齐全", "missing_any": "缺少任一", "present": "已填写", "absent": "未填写"}

ACTION_NAMES = {"add_tag": "打标签", "alert": "预警", "route_approval": "审批流转", "return": "驳回补充资料",
                "reject_pool": "终止并归入拒绝池"}
