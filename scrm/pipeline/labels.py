"""Names shown to people: who owns a step and the entry requirements."""

from scrm.pipeline.models import OwnerKind

OWNER_KIND_NAMES = {OwnerKind.salesperson: "跟进销售", OwnerKind.role: "指定角色", OwnerKind.employee: "指定人员"}
REQUIREMENT_NAMES = {"product_chosen": "已选贷款产品", "materials_complete": "资料齐全", "min_score": "资质评分达标"}
SOURCE_NAMES = {"manual": "手动移动", "order.signed": "合同签署", "loan.disbursed": "放款", "created": "新客户",
                "placed": "按客户阶段归入"}

