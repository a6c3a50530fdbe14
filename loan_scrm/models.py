"""Every package's tables, so that ``metadata`` is complete (migrations, the app, backups, the tests)."""

from backoffice.accounting import models as _accounting  # noqa: F401
from backoffice.budgets import models as _budgets  # noqa: F401
from backoffice.common import models as _backoffice_common  # noqa: F401
from backoffice.direct_debit import models as _direct_debit  # noqa: F401
from backoffice.ledger import models as _ledger  # noqa: F401
from backoffice.orders import models as _orders  # noqa: F401
from backoffice.reimbursements import models as _reimbursements  # noqa: F401
from backoffice.reports import models as _reports  # noqa: F401
from backoffice.reports.builder import models as _report_builder  # noqa: F401
from backoffice.settlements import models as _settlements  # noqa: F401
from scrm.approvals import models as _approvals  # noqa: F401
from scrm.assignment import models as _assignment  # noqa: F401
from scrm.bot import models as _bot  # noqa: F401
from scrm.broadcast import models as _broadcast  # noqa: F401
from scrm.channels import models as _channels  # noqa: F401
from scrm.core import events as _events  # noqa: F401
from scrm.core import jobs as _jobs  # noqa: F401
from scrm.core.db import Base
from scrm.customers import models as _customers  # noqa: F401
from scrm.groups import models as _groups  # noqa: F401
from scrm.handover import models as _handover  # noqa: F401
from scrm.ingress import models as _ingress  # noqa: F401
from scrm.mandates import models as _mandates  # noqa: F401
from scrm.materials import models as _materials  # noqa: F401
from scrm.miniprogram_api import models as _miniprogram  # noqa: F401
from scrm.org import models as _org  # noqa: F401
from scrm.pipeline import models as _pipeline  # noqa: F401
from scrm.privacy import models as _privacy  # noqa: F401
from scrm.referral import models as _referral  # noqa: F401
from scrm.risk import models as _risk  # noqa: F401
from scrm.sop import models as _sop  # noqa: F401
from scrm.tagging import models as _tagging  # noqa: F401
from scrm.wechatpay import models as _wechatpay  # noqa: F401
from scrm.wecom import models as _wecom  # noqa: F401

metadata = Base.metadata
