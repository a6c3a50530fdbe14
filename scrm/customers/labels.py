"""Chinese names of the customer's stages and document kinds, for every page, bot answer and export that shows them."""

from __future__ import annotations

from scrm.customers.models import Stage

STAGE_NAMES = {Stage.lead: "线索", Stage.contacted: "已联系", Stage.appointment: "已预约", Stage.signed: "已签约",
               Stage.processing: "办理中", Stage.disbursed: "已放款", Stage.settled: "已结算", Stage.lost: "已流失"}

ATTACHMENT_KIND_NAMES = {
    "id_card": "身份证", "credit_report": "征信报告", "bank_statement": "银行流水", "property_deed": "房产证",
    "household_register": "户口本", "marriage_cert": "婚姻证明", "vehicle_license": "行驶证", "driving_license": "驾驶证",
    "income_proof": "收入证明", "social_security": "社保/公积金", "business_license": "营业执照", "contract": "合同",
    "other": "其他",
}

# the types of a loan product's form fields (scrm.customers.forms.FIELD_TYPES)
FIELD_TYPE_NAMES = {"text": "文字", "number": "数字", "integer": "整数", "money": "金额（元）", "choice": "单选",
                    "date": "日期", "bool": "是/否"}
FEE_KIND_NAMES = {"rate": "按贷款金额比例", "fixed": "固定金额"}
