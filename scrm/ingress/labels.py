"""Names people see for the WeCom import's runs."""

from scrm.ingress.models import ImportKind, ImportStatus

IMPORT_KIND_NAMES = {ImportKind.import_: "导入", ImportKind.reconcile: "每日核对"}
IMPORT_STATUS_NAMES = {ImportStatus.running: "进行中", ImportStatus.stopped: "已停止（可继续）",
                       ImportStatus.failed: "失败（可继续）", ImportStatus.done: "完成"}
