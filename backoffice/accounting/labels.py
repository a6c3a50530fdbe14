"""Names people see for the accounting export."""

from __future__ import annotations

VOUCHER_WORD = "记"
AUX_NAMES = {"customer": "客户", "department": "部门", "employee": "职员"}
TARGET_NAMES = {"kingdee_k3cloud": "金蝶云星空（K/3 Cloud）", "kingdee_kis": "金蝶 KIS", "yonyou_u8": "用友 U8",
                "yonyou_tplus": "用友 T+"}
