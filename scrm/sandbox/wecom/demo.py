"""A small loan-broker company for the demo and ``scrm sandbox wecom --seed``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scrm.sandbox.wecom.server import SandboxWecom

DEPARTMENTS = [(2, "营销中心", 1), (3, "营销一部", 2), (4, "营销二部", 2), (5, "做单部", 1), (6, "财务部", 1)]
STAFF = [
    ("zhangsan", "张三", 3, "营销专员", "13800000001"),
    ("lisi", "李四", 4, "营销专员", "13800000002"),
    ("wangwu", "王五", 2, "营销主管", "13800000003"),
    ("zhaoliu", "赵六", 5, "做单专员", "13800000004"),
    ("qianqi", "钱七", 6, "财务", "13800000005"),
]
TAGS = {"贷款类型": ["房贷", "车贷", "信用贷", "经营贷"], "客户等级": ["A", "B", "C"], "来源": ["抖音", "朋友圈", "转介绍"]}
CUSTOMERS = [
    ("陈先生", "zhangsan", "13900000001", "douyin-0601", ["房贷", "A", "抖音"]),
    ("刘女士", "zhangsan", "13900000002", "moments-07", ["信用贷", "B", "朋友圈"]),
    ("周老板", "lisi", "13900000003", "referral-zhangsan", ["经营贷", "A", "转介绍"]),
    ("吴先生", "lisi", "13900000004", "", ["车贷", "C"]),
]


def seed_demo(sandbox: SandboxWecom) -> dict:
    """Departments, five staff, corp tags, four customers and one customer group. Returns the ids made."""
    for dept_id, name, parent in DEPARTMENTS:
        sandbox.seed_department(dept_id, name, parent)
    for userid, name, dept, position, mobile in STAFF:
        sandbox.seed_user(userid, name, [dept], position=position, mobile=mobile,
                          customer_contact=dept in (2, 3, 4))
    tags = {group: sandbox.seed_tag_group(group, names)["tags"] for group, names in TAGS.items()}
    customers = [
        sandbox.seed_external_contact(name, [{"userid": owner, "remark": name, "remark_mobiles": [mobile],
                                              "state": state, "tags": tag_names}])
        for name, owner, mobile, state, tag_names in CUSTOMERS
    ]
    chat_id = sandbox.seed_group("zhangsan", "A类客户服务群", customers[:1] + ["wangwu"], notice="欢迎咨询贷款业务")
    return {"customers": customers, "tags": tags, "chat_id": chat_id}
