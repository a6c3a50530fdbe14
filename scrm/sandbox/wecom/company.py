"""A company already on WeCom before the product arrives: N customers over M followers, the same every time.

``seed_company`` fills a sandbox for the import's tests, its benchmark and ``scrm sandbox wecom --company N``.
One customer in ``shared_every`` is followed by two or three salespeople; one in ``tag_every`` carries corp
tags; one in ``text_every`` has a remark and a description that read as a loan need; one in ``mobile_every``
has a remark mobile.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scrm.sandbox.wecom.server import SandboxWecom

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
TITLES = ("先生", "女士", "老板", "总")
TAGS = {"贷款类型": ["房抵贷", "信用贷", "车抵贷", "经营贷", "公积金贷"], "客户来源": ["抖音", "朋友圈", "转介绍", "老客户"]}
NEEDS = ("名下有房想做抵押贷款，需要80万，期限3年", "公积金月缴2000，想贷信用贷20万", "开厂的，经营贷周转100万",
         "车子想抵押贷15万，急用", "想了解房抵贷利率，广州的房子")
BASE_TIME = 1_700_000_000  # 2023-11-14: the company's customers were added before the product arrived


def external_userid(i: int) -> str:
    """The i-th customer's external_userid: WeCom's shape ("wm" + 30 letters and digits), fixed per index."""
    return "wm" + hashlib.sha256(f"company-customer-{i}".encode()).hexdigest()[:30]


def follower_userid(j: int) -> str:
    return f"sales{j + 1:03d}"


@dataclass
class Company:
    customers: int
    followers: int
    follows: int  # (customer, follower) pairs
    shared: int  # customers followed by more than one salesperson
    chats: list[str]

    @property
    def userids(self) -> list[str]:
        return [follower_userid(j) for j in range(self.followers)]


def seed_company(sandbox: SandboxWecom, customers: int = 20_000, followers: int = 50, *, shared_every: int = 20,
                 tag_every: int = 10, text_every: int = 100, mobile_every: int = 10, groups: int = 10) -> Company:
    corp = sandbox.corp
    with corp.lock:
        if 10 not in corp.departments:
            corp.add_department(10, "销售部", 1)
        for j in range(followers):
            userid = follower_userid(j)
            if userid not in corp.users:
                corp.add_user(userid, f"销售{j + 1:03d}", [10], position="营销专员",
                              mobile=f"137{j + 1:08d}")
        for group, names in TAGS.items():
            corp.add_tag_group(group, names)
        tag_ids = [corp.tag_id(name, group) for group, names in TAGS.items() for name in names]
        follows = shared = 0
        for i in range(customers):
            owner = i % followers
            userids = [owner]
            if shared_every and i % shared_every == 0 and followers > 1:
                userids += [(owner + 1 + k) % followers for k in range(1 + (i // shared_every) % 2)]
                shared += 1
            specs = []
            for k, j in enumerate(userids):
                spec = {"userid": follower_userid(j), "createtime": BASE_TIME + i * 60 + k, "add_way": 1 if k else 3,
                        "remark": "", "description": ""}
                if k == 0 and tag_every and i % tag_every == 0:
                    spec["tags"] = [tag_ids[i // tag_every % len(tag_ids)]]
                if k == 0 and text_every and i % text_every == 0:
                    spec["remark"] = f"{SURNAMES[i % len(SURNAMES)]}{TITLES[i % len(TITLES)]}-意向"
                    spec["description"] = NEEDS[i // text_every % len(NEEDS)]
                if k == 0 and mobile_every and i % mobile_every == 0:
                    spec["remark_mobiles"] = [f"139{i:08d}"]
                specs.append(spec)
            follows += len(specs)
            corp.add_contact(f"{SURNAMES[i % len(SURNAMES)]}{TITLES[(i // 7) % len(TITLES)]}", specs,
                             external_userid=external_userid(i), gender=1 + i % 2,
                             unionid="o" + hashlib.sha256(f"unionid-{i}".encode()).hexdigest()[:27])
        chats = []
        for g in range(min(groups, customers)):
            members = [external_userid(i) for i in range(g, min(customers, g + 30 * followers), followers)][:30]
            chat_id = "wr" + hashlib.sha256(f"company-chat-{g}".encode()).hexdigest()[:30]
            corp.add_chat(follower_userid(g % followers), f"贷款咨询{g + 1}群", members, chat_id=chat_id)
            chats.append(chat_id)
    return Company(customers, followers, follows, shared, chats)
