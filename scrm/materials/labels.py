"""Names shown to people: the kinds of material and the placeholders a script may use."""

from scrm.materials.models import MaterialKind

KIND_NAMES = {MaterialKind.text: "话术", MaterialKind.image: "图片", MaterialKind.file: "文件",
              MaterialKind.link: "链接", MaterialKind.miniprogram: "小程序"}
PLACEHOLDERS = {"{客户称呼}": "客户的姓氏加先生/女士（不知性别时为姓名）", "{产品}": "客户的贷款产品",
                "{金额}": "客户的需求金额"}
