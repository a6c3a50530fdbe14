"""Names shown to people: case and item states, strategies and warning flags."""

from scrm.handover.models import CaseStatus, ItemStatus

CASE_STATUS_NAMES = {CaseStatus.open: "待计划", CaseStatus.planned: "已计划", CaseStatus.running: "转接中",
                     CaseStatus.closed: "已完成", CaseStatus.cancelled: "已取消"}
ITEM_STATUS_NAMES = {ItemStatus.pending: "待分配", ItemStatus.planned: "已计划", ItemStatus.queued: "发送中",
                     ItemStatus.waiting: "等待客户接受", ItemStatus.accepted: "已接替", ItemStatus.refused: "客户拒绝",
                     ItemStatus.lost: "客户流失", ItemStatus.over_limit: "接替人超上限", ItemStatus.no_record: "无转接记录",
                     ItemStatus.failed: "调用失败", ItemStatus.rejected: "企微拒绝", ItemStatus.skipped: "已跳过"}
STRATEGY_NAMES = {"one": "全部交给一人", "round_robin": "轮流分配", "least_loaded": "负载最少优先",
                  "by_tier": "按客户分层"}
FLAG_NAMES = {"contract_in_progress": "签约办理中", "gone": "客户已删除好友", "onjob_limit": "90 天内已转接两次"}
