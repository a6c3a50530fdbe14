"""Chinese names of the customer's stages, for every page, bot answer and export that shows them."""

from __future__ import annotations

from scrm.customers.models import Stage

STAGE_NAMES = {Stage.lead: "线索", Stage.contacted: "已联系", Stage.appointment: "已预约", Stage.signed: "已签约",
               Stage.processing: "办理中", Stage.disbursed: "已放款", Stage.settled: "已结算", Stage.lost: "已流失"}
