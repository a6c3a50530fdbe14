"""The names people see for approval codes."""

from __future__ import annotations

SUBJECT_NAMES = {"application": "贷款申请", "contract": "合同审核"}
STATUS_NAMES = {"pending": "审批中", "approved": "已通过", "rejected": "已驳回", "returned": "已退回",
                "cancelled": "已撤销"}
ACTION_NAMES = {"approve": "同意", "reject": "驳回", "return": "退回", "submit": "提交", "resubmit": "重新提交",
                "cancel": "撤销", "approve_step": "同意"}
# what a card's button turns into once pressed
DONE_NAMES = {"approve": "已同意", "reject": "已驳回", "return": "已退回"}
APPROVER_KINDS = {"supervisor": "申请人的主管", "role": "角色", "employee": "指定人员", "routed": "风控规则流转的审批人"}
VIA_NAMES = {"console": "后台", "wecom_card": "企业微信卡片", "system": "系统"}
