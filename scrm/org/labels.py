"""Names shown to people: roles."""

from scrm.org.models import Role

ROLE_NAMES = {Role.sales: "营销专员", Role.processor: "做单专员", Role.supervisor: "主管", Role.finance: "财务",
              Role.manager: "经理", Role.admin: "管理员"}
