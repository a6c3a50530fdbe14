"""Names shown to people: task states and actions."""

from scrm.sop.models import TaskStatus

TASK_STATUS_NAMES = {TaskStatus.open: "待办", TaskStatus.done: "已完成", TaskStatus.cancelled: "已取消"}
TASK_ACTION_NAMES = {"complete": "完成", "snooze": "推迟", "reassign": "转交", "cancel": "取消"}
