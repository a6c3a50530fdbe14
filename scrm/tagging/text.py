"""Pure text functions: normalising, jieba segmentation, Chinese numerals, amount / term / city extraction.

Nothing here touches the database; the dictionary and word lists are package data loaded once per process.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import unicodedata
from decimal import Decimal
from functools import lru_cache
from importlib import resources

MAX_TEXT_CHARS = 2000

_DATA = "scrm.tagging.data"


def data_text(name: str) -> str:
    return resources.files(_DATA).joinpath(name).read_text(encoding="utf-8")


# People type "50 万" and "5 w": a space between a number and its unit carries no meaning and would
# split the amount. Other spaces separate statements ("贷30万 3年"), so they stay.
_SPACES = re.compile(r"\s+")
_MEANINGLESS_SPACE = re.compile(r"(?<=\d)\s+(?=(?:万|千|元|块|期|年|个月|月|[wk](?![a-z])))")


def trie_pattern(phrases: list[str]) -> str:
    """One regex for many phrases, shaped as a trie: Python's ``re`` tries a flat alternation of hundreds
    of phrases one by one at every position, but a trie only follows the characters present. Greedy
    optional tails keep the longest phrase at each position, as the flat longest-first alternation did. Branches
    start with different characters, so their order changes no match; the engine tries them in turn, so the
    characters that begin the most phrases come first."""
    trie: dict = {}
    for phrase in phrases:
        node = trie
        for ch in phrase:
            node = node.setdefault(ch, {})
        node[""] = {}

    def size(node: dict) -> int:
        return sum(size(child) for ch, child in node.items() if ch) + ("" in node)

    def build(node: dict) -> str:
        ends = "" in node
        branches = [re.escape(ch) + build(child)
                    for ch, child in sorted(node.items(), key=lambda item: (-size(item[1]), item[0])) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if ends:
            return f"(?:{body})?" if len(branches) > 1 or len(body) > 1 else body + "?"
        return body

    return build(trie)


@lru_cache(maxsize=64)
def any_of(words: tuple[str, ...]) -> re.Pattern:
    """One pattern finding any of ``words``: a single search instead of a substring test per word (none: never)."""
    return re.compile(trie_pattern(list(words)) if words else "(?!)")


@lru_cache(maxsize=1)
def _voices() -> tuple[re.Pattern, dict[int, str], re.Pattern, re.Pattern, dict[str, str]]:
    """The rewrites in ``data/voices.json`` (dialect, abbreviations, typos and homophones): a character table for
    single characters no other word contains (萬 → 万, traditional characters), one trie-shaped pattern for the other
    words, one for the Latin abbreviations (only as whole words), and the table."""
    doc = json.loads(data_text("voices.json"))
    table = {**doc["words"], **doc["ascii"]}
    single = {k: v for k, v in doc["words"].items()
              if len(k) == 1 and not any(k in other for other in doc["words"] if other != k)}
    ascii_words = sorted(doc["ascii"], key=len, reverse=True)
    return (re.compile("[" + "".join(map(re.escape, single)) + "]"), str.maketrans(single),
            re.compile(trie_pattern([w for w in doc["words"] if w not in single])),
            re.compile(r"(?<![a-z])(?:" + "|".join(map(re.escape, ascii_words)) + r")(?![a-z])"), table)


_LATIN = re.compile(r"[a-z]{2}")


# 阿拉善, 阿拉尔: places whose names begin with a dialect word (阿拉, Shanghainese 我) keep their names
_NAMES_KEPT = re.compile("(阿拉善|阿拉尔)")


def rewrite_voices(text: str) -> str:
    """俺 → 我, 喺 → 在, xyd → 信用贷, 带款 → 贷款 …: the words of many voices as the rules know them."""
    if "阿拉" in text and _NAMES_KEPT.search(text):
        return "".join(part if i % 2 else rewrite_voices(part) for i, part in enumerate(_NAMES_KEPT.split(text)))
    single, chars, words, ascii_words, table = _voices()
    if single.search(text):
        text = text.translate(chars)
    text = words.sub(lambda m: table[m.group()], text)
    if _LATIN.search(text):
        # for 12 months → 12 个月 → 12个月: a unit read from English joins its figure as a Chinese one does
        text = _MEANINGLESS_SPACE.sub("", ascii_words.sub(lambda m: table[m.group()], text))
    return text


def normalize(text: str) -> str:
    """Bounded, NFKC (full-width digits and letters to ASCII), lower case, whitespace collapsed, voices rewritten."""
    text = (text or "")[: MAX_TEXT_CHARS * 2]
    if not unicodedata.is_normalized("NFKC", text):  # (a quick check: a third of texts need no rewriting)
        text = unicodedata.normalize("NFKC", text)
    text = _SPACES.sub(" ", text).strip().lower()
    return rewrite_voices(_MEANINGLESS_SPACE.sub("", text))[:MAX_TEXT_CHARS]


# ---------------------------------------------------------------------------------------------- jieba

_jieba_lock = threading.Lock()
_tokenizer = None


def tokenizer():
    """The process's jieba tokenizer with the loan-domain dictionary (built on first use)."""
    global _tokenizer
    if _tokenizer is None:
        with _jieba_lock:
            if _tokenizer is None:
                # lazy: jieba is imported when a text is first segmented: importing it and loading its
                # dictionary takes about a second that the web process should not pay at start
                import jieba

                jieba.setLogLevel(logging.WARNING)
                tk = jieba.Tokenizer()
                tk.initialize()
                for line in data_text("userdict.txt").splitlines():
                    parts = line.split()
                    if parts:
                        tk.add_word(parts[0], int(parts[1]) if len(parts) > 1 else None,
                                    parts[2] if len(parts) > 2 else None)
                _tokenizer = tk
    return _tokenizer


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    return frozenset(w.strip() for w in data_text("stopwords.txt").splitlines() if w.strip())


def segment(normalized: str) -> list[str]:
    """jieba tokens of an already-normalised text, stop words and spaces dropped."""
    stop = stopwords()
    # HMM off: the loan dictionary covers the domain words, and new-word guessing costs a third of the time
    return [t for t in tokenizer().lcut(normalized, HMM=False) if t.strip() and t not in stop]


# ---------------------------------------------------------------------------------------------- numbers

CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
             "九": 9, "壹": 1, "贰": 2, "叁": 3, "肆": 4, "伍": 5, "陆": 6, "柒": 7, "捌": 8, "玖": 9}
SMALL = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
# k multiplies the whole figure before it as 万 does (一百五十k is 150,000, not 100 + 50 + 1,000; 3k5 is 3,500)
BIG = {"万": 10_000, "w": 10_000, "亿": 100_000_000, "k": 1000}
_NUM_TOKEN = re.compile(r"\d+(?:\.\d+)?|.")


@lru_cache(maxsize=4096)  # the same few figures recur from text to text
def parse_number(s: str) -> Decimal | None:
    """Arabic, Chinese or mixed numerals with magnitudes: 50万, 1.5w, 一百二十万, 三万五, 一千五, 十二."""
    total = section = Decimal(0)
    current: Decimal | None = None
    colloquial = False  # the pending digit came right after a magnitude (一千五, 三万五)
    last_mult: int | None = None
    prev_mult = False
    seen = False
    for tok in _NUM_TOKEN.findall(s):
        if tok[0].isdigit() or tok in CN_DIGITS:
            current = Decimal(tok) if tok[0].isdigit() else Decimal(CN_DIGITS[tok])
            colloquial = prev_mult and len(tok) == 1
            prev_mult = False
        elif tok in SMALL:
            section += (current if current is not None else Decimal(1)) * SMALL[tok]
            current, last_mult, prev_mult = None, SMALL[tok], True
        elif tok in BIG:
            section += current or 0
            if section == 0:
                section = Decimal(1)
            if BIG[tok] == 100_000_000:
                total = (total + section) * BIG[tok]
            else:
                total += section * BIG[tok]
            section, current, last_mult, prev_mult = Decimal(0), None, BIG[tok], True
        else:
            return None
        seen = True
    if not seen:
        return None
    if current is not None:
        section += current * last_mult / 10 if colloquial and last_mult else current
    return total + section


_CN = "零〇一二两三四五六七八九十百千壹贰叁肆伍陆柒捌玖拾佰仟"
_CN_FIG = "零〇一二两三四五六七八九十百千"
_NUM = rf"(?:\d++(?:\.\d++)?|[{_CN}])(?:\d++(?:\.\d++)?|[{_CN}万亿wk])*"
_AMOUNT = re.compile(rf"(?P<num>{_NUM})(?P<unit>块钱|元|块)?")
_APPROX = re.compile(r"([十百千]|\d0)(来|多)(万|w)")
_APPROX_GE = re.compile(r"([十百]|\d0)来(个)")
# 五万八万都行: two figures said together, each with its magnitude, are alternatives (the larger counts)
_ALTERNATIVES = re.compile(rf"^((?:\d++(?:\.\d++)?|[{_CN_FIG}])+[万w])((?:\d++(?:\.\d++)?|[{_CN_FIG}])+[万w])$")
_RANGE_SEP = re.compile(r"\s*(?:-|~|到|至|—)\s*$")

_MONEY_BAD_BEFORE = ("收入", "工资", "月薪", "年薪", "薪资", "流水", "月供", "负债", "欠", "估值", "值", "价值", "首付",
                     "房价", "车价", "买的", "买了", "营业额", "利润", "还了", "已还", "信用卡", "花呗", "借呗", "网贷",
                     "年收", "挣", "赚", "存款", "存了", "余额", "利息", "押金", "基数", "每个月", "一个月", "每月", "月入", "还款",
                     "保费", "年缴", "年交", "交了", "缴了", "纳税", "还剩", "剩", "评估", "市值", "值了", "卖了", "欠着",
                     "一年", "每年", "营收", "进账", "到手", "白条", "微粒贷", "额度五", "用了", "不想要", "不要",
                     "不需要", "租金", "月入", "借了", "借过", "贷了", "贷过", "加起来", "注册资金", "注册资本",
                     "总共欠", "一共欠", "外债", "债务", "欠款",
                     # named online loans: the figure after one is what is owed on it
                     "每期", "每次", "亏了", "亏", "赔了", "损失", "下降了", "少了",
                     "分期乐", "金条", "美团", "有钱花", "360", "安逸花", "招联", "度小满", "借条", "拍拍贷", "月付",
                     # what a car cost (落地十五万), a valuation, contributions, the figure corrected away (不是二十万)
                     "落地", "估价", "月缴", "月交", "缴存", "不是", "开票", "销售额", "产值",
                     # money spent or charged, not wanted
                     "花了", "花费", "罚款", "手续费", "服务费", "违约金", "管理费",
                     # paid into a fund or a policy (一共缴三千)
                     "缴", "一共交", "每年交", "每月交",
                     # a pension, what is used of a card's limit, repayments on loans had
                     "退休金", "养老金", "已用", "车贷", "房贷",
                     # a policy's premium or cover (教育险两万, 保单十万)
                     "险", "保单",
                     # repayments, totals owed, money in hand (月还1.2w, 网贷总额6万, 手里有一百万)
                     "月还", "总额", "手里有", "手上有", "手头有",
                     # a loan had before (之前在银行做过一千万的经营贷)
                     "做过", "办过",
                     # approved already (额度批了5w), a base pay, a total owed
                     "批了", "只批", "批下来", "底薪", "一共", "总共",
                     # a purchase price said the southern way (当时买成八万多), a fee paid first (先交两千块)
                     "买成", "先交",
                     # rent, money put in or saved, a broker's fee, what a lender would only give (只给十万, 才批三万)
                     "房租", "月租", "投了", "投资了", "投入", "攒了", "中介费", "介绍费",
                     "只给", "只能给", "只肯给", "只能批", "只能贷", "才给", "才批", "才贷",
                     # a price (入手价, 总价八十万, 裸车十二万)
                     "入手", "价格", "售价", "总价", "成交价", "单价", "市价", "原价", "裸车",
                     # what a loan had still comes to (贷款还有五十万, 按揭还有三十万)
                     "贷款还有", "按揭还有", "贷还有", "贷款余", "按揭余", "本金还有", "本金还剩",
                     # money handed over or lost (给了中介两千块, 被骗了五万), what a lender would give at most
                     # (银行最多给十万), a loan taken before (之前做了个信用贷三十万)
                     "给了", "骗了", "被骗", "最多给", "最多能给", "最多只能", "最多批", "做了个", "办了个",
                     "做了一笔", "办了一笔",
                     # approved before (给我批的十万), money advanced, received or spent (垫了, 分红拿了, 开支), a
                     # fund's balance (公积金账户有六万)
                     "批的", "垫了", "垫付", "拿了", "分红", "开支", "支出", "成本", "花销", "账户",
                     # a sale, money owed to the customer, stock held, fees and bonuses (能卖个五万, 应收账款八十万,
                     # 压了二十万的货, 转让费二十万, 年终奖五万)
                     "能卖", "卖个", "应收", "账款", "工程款", "货款", "压了", "转让费", "会员费", "保证金", "定金",
                     "订金", "年终奖", "奖金", "提成",
                     # a purchase price however said (当时买才七万多, 买的时候十万, 买来八万, 落地价十二万)
                     # a quoted price (设备报价四十八万)
                     "报价",
                     "买才", "买时", "买的时候", "买来", "买回来", "买下来", "落地价", "当时买",
                     # a price asked, listed or said any way (人家要价八十万, 挂牌三百五十万, 市场价两百万)
                     "要价", "开价", "叫价", "标价", "挂牌", "市场价", "价",
                     # what a house would be valued at (别家说能给评一百二十万, 评了八十万)
                     "评",
                     # a figure of a past moment (落户的时候二十来万, 那时候八万, 买辰光一百五十万)
                     "的时候", "那时候", "那会儿", "辰光",
                     # trade over a period (出口额五百多万美金), compensation owed to the customer (判他赔我十二万)
                     "出口额", "进口额", "交易额", "成交额", "赔我", "赔给我", "赔偿",
                     # sales over a period, a base pay said in English, a loan taken before (月销五六十万, base 40k,
                     # 之前借的3万)
                     "月销", "年销", "日销", "base", "前借的", "次借的", "前贷的", "次贷的",
                     # a figure of the time something was bought (车开了三年，当初十二万)
                     "当初", "当年", "当时",
                     # what is paid into a fund each month (个人和单位各交一千, 公积金月存两千)
                     "各交", "各缴", "月存", "每月存",
                     # what a purpose costs in all (装修预算三十万; a budget alone is the loan's: 预算五十万左右), and a
                     # guarantee given for someone (给别人担保了五十万)
                     "装修预算", "总预算", "买车预算", "买房预算", "工程预算", "项目预算", "担保",
                     # invoices issued (去年开的票有三百来万), money held back from the customer (甲方拖了四十万), and
                     # counts that are not money at all (粉丝有两万多, 播放量十万)
                     "开的票", "开了票", "票开了", "发票开了", "拖了", "拖着", "欠我", "粉丝", "播放", "点赞", "关注",
                     "订单",
                     # an overdue of that much (逾期金额三千多) and a distance driven (公里数六万, 里程八万)
                     "逾期金额", "逾期款", "逾期额", "逾期了", "逾期的", "公里", "里程",
                     # money borrowed from people before (借朋友的五万要还)
                     "借朋友的", "借亲戚的", "借别人的", "借家里的", "借同事的", "借同学的", "借老乡的",
                     "朋友借的", "亲戚借的", "别人借的", "家里借的",
                     # money paid back (上个月刚还完5万), a sales target or result (这个月目标200万, 业绩八十万)
                     "还完", "还清", "刚还", "目标", "业绩", "指标", "kpi")
# a want said between a figure and a word above (把债还了大概需要六十万) makes the figure the amount again
_MONEY_WANT = ("需要", "借", "想贷", "要贷", "贷个", "申请", "还差", "差", "缺", "押",
               # 首付十万准备好了, 剩下贷二十万: the rest of the price borrowed
               "下贷", "下的贷", "下要贷", "下想贷")
# a figure after one of these in its clause is a correction: it replaces every figure before it
_MONEY_CORRECTION = ("改成", "改为", "改到", "现在", "后来", "不要了", "只要", "就要", "其实", "最多", "最高",
                     "降到", "降为", "减到", "最后", "定了", "算了")
# a figure taken back at once (十万, 不对, 二十万): the word stands in the clause before the new figure
_MONEY_RETRACTION = ("不对", "哦不", "噢不", "不不", "说错", "打错", "写错", "错了", ",不,", "，不，")
# 五十万太多了，三十万吧, 三年太长了，两年吧: a figure found too much is replaced by the next one said
_TOO_MUCH = re.compile(r"(?:块钱|元|块|的话)?[,，]?(?:太多|太高|太大|太长|太久|多了|长了|用不了那么多|用不完)")
# 问了月供又说改成六万: a change of the figure said after a word of money had makes the figure the amount again
_MONEY_CHANGE = ("改成", "改为", "改到", "降到", "降为", "减到", "换成")
# 原计划贷三十万…改做信用贷，要八万: a figure marked as the first plan is replaced by any figure wanted after it
_MONEY_FIRST_PLAN = ("原计划", "原来要", "原来想", "原来说", "原本", "本来要", "本来想", "本来说", "先说", "一开始",
                     "起初", "刚开始", "开始说",
                     # 之前跟你们说要50万…就先弄20万: a figure said to the salesperson before
                     "之前说", "之前跟你", "之前和你", "上次说", "上次跟你", "上次和你", "刚才说", "前面说", "前几天说",
                     "当时说", "当初说", "那时说", "那时候说")
# 当时说要贷二十万，现在不用了…想问问还能贷个小额的吗: the first plan's figure dropped since, then a new want with no
# figure, leaves none (a want dropped and nothing asked after it keeps its figure: 本来想借五万…不借了)
_DROPPED = re.compile(r"不(?:用|需要|要|贷|借|做|办)(?:借|贷)?了|用不(?:上|着)了")
_NEW_WANT = re.compile(r"(?:想|还能|能不能|能否|可以|再)[^，。,.;；!！?？ ]{0,6}(?:贷|借|额度|办)")
_MONEY_SUFFICES = ("就够", "够了", "就行", "就可以", "足够")
_SUFFICES_RE = re.compile("(?:块钱|元|块)?(?:就够|够了|就行|就可以)")  # 急，5000就行: a bare figure that suffices
# 有十五万的额度吗: a limit asked for, not one had
# (昨天那个二十万的额度批下来没: the figure of an application still pending)
_LIMIT_ASKED = re.compile(r"的?额度(?:批下来|下来|批了|批)?(?:吗|么|嘛|没|不|呢|有没有|可以)")
# 想申请20万的额度, 要办个十万额度: a limit applied for is the loan wanted
_LIMIT_APPLIED = re.compile(r"(?:想|要|准备|打算)[^，。,.;；!！?？ ]{0,3}(?:申请|办|开通|贷|借|批)[个点]?$")
# 剩下的四十万想全用公积金贷: the rest borrowed, the want said after the figure
_REST = re.compile(r"剩下的?$")
_WANT_AFTER = re.compile(r"(?:的话)?(?:想|要|打算|准备|需要)[^，。,.;；!！?？ ]{0,6}(?:贷|借)")
_MONEY_BAD_AFTER = ("存款", "的存款", "现金", "的现金", "余额", "保证金", "的保证金",
                    "的房子", "的房产", "的车子", "月供", "利息", "的流水", "的收入", "的工资", "的负债", "的网贷", "的首付", "首付",
                    "工资", "的额度", "网贷", "保费", "左右的车", "的车", "买的", "买了", "房贷", "车贷", "的房贷", "的车贷",
                    "公里", "多公里", "的手机", "回款", "的回款", "个放心", "个愿意", "医疗",
                    # still owed (一押还有40万没还), an area (厂房三千平)
                    "没还", "未还", "还没还", "平", "平米", "平方", "㎡",
                    # a price paid (一百二十万拿下的, 八万买下)
                    "拿下", "买下", "入手", "拍下",
                    # a loan still owed (还有一百万贷款没还), a fee (两千块手续费)
                    "贷款没还", "贷款未还", "贷款还没", "的贷款没", "手续费", "的手续费", "服务费", "的服务费",
                    # an overdue of that much (一笔两万的逾期)
                    "的逾期", "逾期",
                    # money not yet paid to the customer, stock (工程款还有五十万没结, 二十万的货)
                    "没结", "未结", "没回", "没收回", "的货",
                    # a card or an online loan had, named by its limit (额度五十万的信用卡刷爆了)
                    "的信用卡", "的卡", "的借呗", "的花呗", "的白条", "的微粒贷",
                    # a debt of that much (还有四十多万的债)
                    "的债", "的外债", "债",
                    # money owed to the customer (拖了四十万工程款), followers (两万多粉丝)
                    "工程款", "的工程款", "货款", "的货款", "尾款", "的尾款", "欠款", "的欠款", "粉丝", "的粉丝")
# 贷个五万块钱利息怎么算: the interest asked on a figure makes it the figure borrowed, not an interest stated
_INTEREST_ASKED = re.compile(r"的?利息(?:怎么|咋|多少|是多少|几|高不高|贵不贵|大概|一般)")
_MONEY_GOOD_BEFORE = ("贷", "借", "额度", "要", "需要", "想", "融资", "周转", "缺", "差", "批", "下款", "放款", "申请",
                      "办", "做")
# 贷二十个 (not 名下有两个商铺; 30个w is 30w)
# 要10到15个: a range of 个 counts both ends as ten-thousands
# 个 stands for 万 only where no noun follows it: the clause ends, a question or a term follows (借二十个吗, 要二十个
# 分三年), not 借一个信用贷, 做了两个分期乐, 网贷有两个在还
_GE = re.compile(rf"((?:(?<![房车])贷|借|要|押|抵押|抵(?!押)|批|做|(?<!名)下)[^，。,.;；!！?？ \d{_CN}]{{0,2}})"
                 rf"(?:(\d++|[{_CN}]+)(到|至|-|~))?(\d++|[{_CN}]+)个"
                 rf"(?![月人网平口工小w万])(?=$|[^\u4e00-\u9fff]|[吗嘛么呢吧啊呀哦哈急能就够也左上期{_CN_FIG}]|分[\d{_CN_FIG}]|的话)")


_LINKS = (" is", " was", " are", " about", " around", " of")  # English words between a word of money and its figure
_SPACED_WANTS = ("想贷款", "要贷款", "想借", "要借", "想贷", "要贷", "需要", "想要")
# 贷款500000, 想借个50000左右, 需要30000: words of a loan wanted right before a bare number make it money
_BARE_FIGURE_AFTER = ("贷", "贷款", "借", "借款", "额度", "差", "缺", "金额", "借个", "贷个", "需要")
_WAN_BA = re.compile(rf"(?<![\d{_CN}])万把")
_ROUGH_FIGURES = {"万八千": "一万", "百八十万": "一百万", "三两": "三"}
_ROUGHLY = re.compile(rf"(?<![\d{_CN}])(?:万八千|百八十万|三两(?=[万千]))")
# 一万块一个月多少钱, 等于一万块一个月一百二利息: ten thousand (or a thousand) per period is the unit a rate is asked or
# told in, not the loan
# (一万块一个月八十块是吧, 一万一年就是一千二利息: the interest told, with its unit or the word 利息)
_RATE_UNIT = re.compile(rf"钱?(?:一个月|每个月|每月|一年|每年|一天|每天)(?:的)?(?:就是|就|是|要|得|才)?"
                        rf"(?:(?:利息)?(?:就是|就|是|要|得|才)?(?:多少|几)|利息(?:就是|就|是|要|得|才)?(?:\d|[{_CN_FIG}])"
                        rf"|(?:\d|[{_CN_FIG}])+(?:(?:块钱|块|元|毛)(?:的)?(?:利息)?|(?:的)?利息))")


def _ten_thousands(m: re.Match) -> str:
    low = f"{m.group(2)}万{m.group(3)}" if m.group(2) else ""
    return f"{m.group(1)}{low}{m.group(4)}万"
# 想弄个经营贷 五十个 两年, 20个左右: a figure of 个 standing as its own clause in a message about a loan
_GE_ALONE = re.compile(rf"(?:^|(?<=[，。,.;；!！?？ ]))((?:\d++|[{_CN_FIG}])+)个(?=左右|上下|吧|$|[，。,.;；!！?？ ])")
_LOAN_WORD = re.compile(r"贷|借|押|抵|周转")
_COUNTED_THINGS = re.compile(r"网贷|wd|网带|口子|卡|平台|借呗|花呗|[家笔张套辆台间]")
_COUNT_AFTER_FIGURE = re.compile(rf"(.+[万w])(?:\d+|[{_CN_FIG}]+)$")
_COUNTED = set("年个月期天次套辆台家张笔")
_MEASURES = frozenset("只头亩棵株箱斤吨件匹羽条")
_DATE_UNITS = frozenset("年月号日点期次天")
_THOUSANDS_AND = re.compile(r"[千k](?:[一二两三四五六七八九\d]|[一二两三四五六七八九]百)$")
_CLAUSE = re.compile(r"[，。！？；,.!?;\n ]")


_CLAUSE_CHARS = frozenset("，。！？；,.!?;\n ")
_NUMERAL = re.compile(rf"[\d{_CN}]")


_CORRECTION_RE, _RETRACTION_RE, _BAD_BEFORE_RE = map(any_of, (_MONEY_CORRECTION, _MONEY_RETRACTION, _MONEY_BAD_BEFORE))
_GOOD_BEFORE_RE = any_of(_MONEY_GOOD_BEFORE)  # one search, not a substring test per word
_LOAN_VERB = re.compile(r"贷|借|押|抵|额度|融资|批|缺|差(?!不多)")  # (还差八万: the shortfall borrowed)
_CHANGE_RE, _FIRST_PLAN_RE = any_of(_MONEY_CHANGE), any_of(_MONEY_FIRST_PLAN)
# 房子不值钱，估计也就二十来万: a figure in the clause after one about what an asset is worth is that worth
# (车是全款买的，二十万: a price paid, said the same way)
_WORTH = re.compile(r"值钱|值多少|能值|估值|市值|能卖|评估价|估价|买的$|落地$")
_MONEY_FIGURE = re.compile(rf"[\d{_CN}][万千亿wk块元]")
_EITHER = re.compile(r"(?:或者|或是|或|要么)(?:借|贷|要|是)?$")
# 老公月薪一万二，我八千: a figure after only who earns it, in the clause after a figure of money had, is more of it
_LISTED_OWNERS = frozenset(("我", "我的", "他", "她", "他的", "她的", "老婆", "老公", "媳妇", "爱人", "我老婆", "我老公",
                            "我媳妇", "我爱人", "另一个", "另一张", "另一家", "另外一个", "自己", "我自己"))
_MAGNITUDE, _SMALL_MAGNITUDE = re.compile("[万亿w]"), re.compile("[千k]")
# 信用卡额度五万, 借呗额度三万: a card's or an online loan's limit, which is had, not wanted
# (建行的额度是20万: a bank's limit had; 有没有额度高点的 is asked, no figure)
_LIMIT = re.compile(r"(?:信用卡|卡|借呗|花呗|微粒贷|白条|金条|网贷|银行|[工农中建交招邮兴]行)[^贷借要批想能申]{0,8}"
                    r"额度(?:是|有|才|就|只有)?$")
# 差不多四万 is no want; 总共贷二十四万, 再贷十万: 贷 said as a verb right before the figure is a want (not 贷了, 房贷,
# 做了个信用贷三十万)
_WANT_RE = re.compile(f"(?:{any_of(_MONEY_WANT).pattern})(?!不多)|(?<=[共再就先])贷$|(?<=一起)贷$")
# 押车贷二十万, 抵押厂房贷三百万: a loan on a pledged car or house, not a car loan or mortgage owed
# (抵押车贷个二十万, 用厂房贷两百万, 拿车贷五万)
_PLEDGE_LOAN = re.compile(r"(?:押[^，。,.;；!！?？ ]{0,4}|(?:用|拿)[^，。,.;；!！?？ ]{0,3})[房车]贷[款个]?$")
# 想整合债务20w: the debts to be paid off with the loan, not a debt stated
_DEBT_MERGED = re.compile(r"整合(?:一下)?(?:债务|负债|网贷|欠款)$")
# 之前做了个信用贷三十万: a loan named after a verb of one taken is one had, not one wanted
_LOAN_HAD_RE = re.compile(r"(?:做|办|贷|借)(?:了|过)")
_LISTED_DEBTS = frozenset(("银行贷款", "银行贷", "银行欠", "欠银行"))
# 最多能做四十万，客户嫌少: a figure offered that the customer finds too small is not what they want
_TOO_SMALL = re.compile(r"[^。！？!?]{0,6}?(?:嫌少|嫌低|太少了|太少)")
# 流水贷五十万, 发票贷两百万: a loan product named by what it rests on, right before the figure (not 房贷, 车贷,
# 网贷 or 微粒贷 owed)
_NAMED_LOAN = re.compile(r"(?:流水|发票|税|经营|信用|抵押|[房车]抵|保单|公积金|社保|工资|消费)贷款?$")


# a verb with 了 or 过 before the figure in its clause, and no want there: something done (not 算了, 好了, 对了, 不要了:
# a correction); 已 (已在他行放款50万) and money paid in (大人的交一千) the same
_DONE_GATE = re.compile("[了过已交缴付]")
_DONE = re.compile(r"(?<![算好对行够要为除罢到得成])[了过](?!多少|几)|已(?!有)|[交缴付]")
# a want anywhere in the clause before the figure (想抵押了整个三十万, 住院了急需三万)
_WANTISH = re.compile(r"想|要|需|急|能|可以|再|整|搞|弄|贷|借|差|缺|签|金额|额度")  # (已约周四面签50万)
_PLEDGED = ("押了", "押过", "抵了", "押过了")
_PLEDGE_WANTED = re.compile(r"想|要|准备|打算|能|可以|再")
# 三百万的贷款下个月到期, 200万下月到期, 五十万经营贷快到期了: a loan had, named by when it falls due (not 借十万一年到期)
_DUE_TIME = (r"(?:下个?月|下周|月底|年底|明年|今年|马上|快要?|就要|即将|已经|已|这个月|本月|"
             r"[\d一二三四五六七八九十]+月份?|[\d一二三四五六七八九十]+号)")
_LOAN_NAMED_AFTER = r"(?:块钱|元|块)?(?:的|那笔|一笔)?"
_FALLS_DUE = re.compile(rf"{_LOAN_NAMED_AFTER}(?:[^，。,.;；!！?？ \d]{{0,5}}?(?:贷款?|借款|按揭))?"
                        rf"{_DUE_TIME}{{1,2}}(?:就|也|都)?(?:要|快要?)?到期"
                        # 一笔五十万的民间借贷月底要还: a loan had that must be repaid (a loan named: not 借五万月底还)
                        rf"|{_LOAN_NAMED_AFTER}[^，。,.;；!！?？ \d]{{0,5}}?(?:贷款?|借款|按揭){_DUE_TIME}?(?:要|得)还")
# 上一笔贷款30万刚结清, 那笔二十万的经营贷已经还完了: a loan had and paid off (not 借十万把网贷还清了, a purpose)
_SETTLED = re.compile(r"[^，。,.;；!！?？ \d把]{0,10}?(?:(?:已经|已|刚刚?|早就?|都)(?:结清|还完|还清|还上)|"
                      r"(?:结清|还完|还清|还上)了)")
_GIVEN_UP = re.compile(r"(?:块钱|元|块)?(?:的[^，。,.;；!！?？ \d]{0,4})?(?:就|也|都)?不(?:做|要|贷|借|办|弄)了")
# (短信说能借五万, 广告上说: a notice's offer reported, as a pasted one)
_HEARSAY = re.compile(r"(?:他们|别家|人家|银行|那边|别人|朋友|中介|同事|亲戚|别的|经理|信贷员|业务员|客服|短信|广告|电话里)"
                      r"[^，。,.;；!！?？ ]{0,4}?(?:说|讲|话(?!费))")
# 借五万, 想贷十万: borrowing said as a verb right before the figure (not 经营贷200万, a loan named)
_BORROWED_RIGHT_BEFORE = re.compile(r"借[个点]?$|(?:^|[想要再就先能去])贷[个点]?$")
_SETTLE_WANTED = re.compile(r"想|要|需|急|准备|打算")


_THOUSANDS_SEP = re.compile(r"(?<![\d.])\d{1,3}(?:,\d{3})+(?!\d|,\d|\.(?!\d))")  # (200,000.00元)
# ¥80000, rmb 3万: the currency written before the figure is its unit, as 元 after it is
_CURRENCY_BEFORE = re.compile(r"(?:¥|(?<![a-z])(?:rmb|cny) ?)(\d++(?:\.\d++)?)(?:元|块)?(?![\d万千亿wk块元])")
# 我们这边最高可以做到50万，你看需要多少: a figure before the customer is asked what they need is not their want
_WANT_ASKED = re.compile(r"(?:你|您)(?:看|们)?(?:需要|要|想借|想贷|打算借|打算贷)(?:多少|几)(?:钱|万|个)?"
                         r"(?=$|[，。,.;；!！?？ 呢啊吧呀])")  # (not 你看需要多少资料)
# 看到广告说最高可借200万, 你们宣传上写能贷一百万: what an advertisement offers, not the loan wanted
_ADVERT = re.compile("广告|宣传|官网|海报|传单")
# 你跟他沟通一下，降到350万能不能接受: a figure put to the customer to accept is an offer, not the want
_OFFER_PUT = re.compile(r"(?:块钱|元|块)?(?:的话)?(?:他|她|客户|你)?(?:能不能|能否|可不可以|愿不愿意|是否|能)?接受")
# 前天说的那个50个, 这个二十个: a figure of 个 named by a demonstrative, as the clause ends, is ten-thousands
_GE_NAMED = re.compile(rf"[那这]个(\d{{2,3}}|[{_CN_FIG}]{{2,3}})个(?=$|[，。,.;；!！?？ ]|[吗呢吧啊能就])")


def _ten_thousands_alone(m: re.Match) -> str:
    """网贷多，七八个吧, wd 5个: a count of the loans or cards just named stays a count."""
    if _COUNTED_THINGS.search(m.string, max(0, m.start() - 16), m.start()):
        return m.group()
    return m.group(1) + "万"


# 十点五万, 三点五个w: a decimal point said in words, one digit after it and a magnitude right after that
_CN_DECIMAL = re.compile(r"([一二两三四五六七八九十百]+)点([零〇一二三四五六七八九])(?=个?[万w千k亿])")


def _cn_decimal(m: re.Match) -> str:
    whole = parse_number(m.group(1))
    return m.group() if whole is None else f"{int(whole)}.{CN_DIGITS[m.group(2)]}"


def _named_ten_thousands(m: re.Match) -> str:
    """那个50个 → 那个50万, unless loans or cards were just named (网贷那个3个平台 stays a count)."""
    if _COUNTED_THINGS.search(m.string, max(0, m.start() - 16), m.start()):
        return m.group()
    return m.group()[:2] + m.group(1) + "万"


def _before(text: str, start: int, n: int = 8) -> str:
    """Up to ``n`` characters before ``start``, within the clause."""
    chunk = text[max(0, start - n):start]
    for i in range(len(chunk) - 1, -1, -1):
        if chunk[i] in _CLAUSE_CHARS:
            return chunk[i + 1:]
    return chunk


# xiang dai 20 wan, jie 8 qian, 5nian, 12 ge yue: a figure's unit written in pinyin after digits
_PINYIN_UNITS = re.compile(r"(?<=\d) ?(wan|qian|nian|ge ?yue|qi)(?![a-z])")
_PINYIN_UNIT_WORDS = {"wan": "万", "qian": "千", "nian": "年", "qi": "期"}


def _pinyin_units(text: str) -> str:
    return _PINYIN_UNITS.sub(lambda m: _PINYIN_UNIT_WORDS.get(m.group(1), "个月"), text)


# 车贷还差三万多, 房贷还差二十万没还完: what is still owed on a loan had, not a shortfall to borrow
_BALANCE_OWED = re.compile(r"(?:[房车]贷|贷款|按揭)(?:还|也)?(?:差|欠)$")
# 医院让先交五万押金, 医院押金要三万: what a hospital asks to be paid now is the money needed
_HOSPITAL = re.compile("医院|住院|手术|icu|重症")
# 抵押货款三十万, 想抵压货款: 货款 right after a pledge is 贷款 mistyped (货 for 贷), not money owed for goods
_PLEDGE_TYPO = re.compile(r"[抵押][^，。,.;；!！?？ ]?货款$")
# 医院还差一万多，先借我一万五: a figure borrowed after a shortfall is the one asked for
_ASKED_RIGHT_BEFORE = re.compile(r"借(?:我|给我)?[个点]?$|(?:^|[想要再就先能去])贷[个点]?$")


# 【分期乐】您本期应还2,340.50元…。 / 短信：您有一笔20000元借款待领取: a pasted notice from a lender, a bank or an app
# speaks to the customer (您) of a bill, an offer or a balance; its figures are the sender's, not a loan or term wanted
# (【跟进】客户想贷二十万 is a note's heading)
_PASTED_NOTICE = re.compile(r"(?:【[^】]{1,16}】|\[短信\]|短信(?:内容)?[:：]|发来的[:：]|通知[:：]) ?"
                            r"(?:尊敬的[^，。,.!！?？:：]{0,10}|[^，。,.!！?？:：]{0,4}(?:先生|女士|客户|用户|会员))?"
                            r"(?:您好|你好)?[，,:：]? ?(?:您|你(?=的|本|有|已|在|尾号))[^。!！]*(?:[。!！]|$)")


def _without_pasted_notice(text: str) -> str:
    if ("您" in text or "你" in text) and ("】" in text or "短信" in text or ":" in text or "：" in text):
        return _PASTED_NOTICE.sub("。", text)
    return text


# 再借三万，合起来能办个五万吗, 两套房子抵押，总共要两百万: a total asked for is the loan wanted, when it is the last
# figure said (not 网贷加起来八万, a total owed; 装修一共要三十万，想借二十万: a cost, then the loan)
_TOTAL_WANTED = re.compile(r"(?:合起来|加起来|一共|总共|合计|总计|一起)(?:能|想|可以|就)?(?:办|借|贷|要|做|申请|批)[个点]?$")
# 之前欠的十万加上这次要借的五万，总共十五万能一起做吗: a total asked to be done after its figure
_TOTAL_BEFORE = re.compile(r"(?:合起来|加起来|一共|总共|合计|总计)$")
_TOTAL_ASKED_AFTER = re.compile(r"(?:块钱|元|块)?(?:的话)?(?:能|可以|能不能|可不可以)(?:一起|一块|一次)?(?:做|办|贷|借|批)")


# 手续费两个点，一百万就要两万块, 借二十万光手续费就得六千: a figure right after a sum and what it costs is the cost of
# that sum (a fee or interest); the sum is the loan
_COST_OF_SUM = re.compile(r"(?:块钱|元|块)?(?:的话)?(?:一个月|一年|每月|每年)?(?:光是?|就|都)?(?:手续费|服务费|利息|费用|中介费)?"
                          r"(?:就|都|光是?)?(?:(?:要|得|需要)(?:收|扣|交|付|花)?|收|扣|交|付|花)(?:掉)?$")


# 你们说只能批六十万，那六十万也行吧: a figure a lender offered, taken up by the customer after it, is the one settled on
_OFFERED = re.compile(r"批了|给我批|只能批|只能给|只能贷|只给|只批|只肯给|最多给|最多能给|最多批|最多能批|最多只能|才给|才批|才贷")
# 只能批六十万，那也行吧, 最多能批三十万，行，就这么办: an offer accepted without its figure said again
_ACCEPTED = re.compile(r"(?:块钱|元|块)?(?:是吧|对吧)?[,，。 ]? ?(?:那|那就|那我|我)?(?:觉得|看)?(?:也行|也可以|行吧|行啊|可以的|可以吧|"
                       r"(?:行|可以)(?=$|[,，。!！])|没问题|我接受|接受|就这么办|签了|签吧|同意)")
_TAKEN_UP = re.compile(rf"(?:块钱|元|块)?(?:也行|也可以|也成|也好|也ok|就[\d{_CN_FIG}万]+吧|吧)")

# 隔壁银行给我批了30万…你们能比这低吗？低的话我转过来做: a rival's offer the customer would bring over is the loan wanted
# from us, when no other figure is (not 工行批了30万已经到账了: a loan had)
_BRING_OVER = re.compile(r"转过来|转到你们|换到你们|挪到你们|在你们这[里边儿]?(?:做|办|贷)|你们(?:能|可以|要是|如果)?比(?:这|他|它|那|人家|别家)"
                         r"|比(?:他们|人家|别家|这个|这)(?:还)?(?:低|便宜|少)")

# need about 2 million rmb, 1.5 million, 2m rmb, half a million: a figure of millions written in English is a hundred
# 万 each (m alone only before a currency); 200 thousand is 200千; 300000 yuan is 300000元
_MILLION = re.compile(r"(?<![\d.])(\d++(?:\.\d++)?|half a) ?(?:million|mil|mn|m(?= ?(?:rmb|yuan|cny|元)))(?![a-z])")
_THOUSAND = re.compile(r"(?<=\d) ?thousand(?![a-z])")
_YUAN_AFTER = re.compile(r"(?<=\d) ?(?:yuan|rmb|cny|kuai)(?![a-z])")


def _millions(m: re.Match) -> str:
    wan = Decimal(50) if m.group(1) == "half a" else Decimal(m.group(1)) * 100
    return f"{int(wan) if wan == wan.to_integral_value() else wan}万"


def _english_figures(text: str) -> str:
    if "m" in text:
        text = _MILLION.sub(_millions, text)
    if "thousand" in text:
        text = _THOUSAND.sub("千", text)
    return _YUAN_AFTER.sub("元", text)


# 这是我的借款合同，借款金额20万…想再借十万: a figure of a contract, a bill or an IOU of a loan had, before any want
# (客户已签合同，放款金额68万: this loan's contract signed; 购房合同总价一百万: a price, no want either)
_PAPER_HAD = re.compile(r"(?:(?<!签)(?<!签了)(?<!签的)(?:合同|协议)|账单|借据|借条|还款计划)[^。!！?？]{0,12}$")
_WANT_WORDS = re.compile("想|要|打算|准备|需要")
_SENTENCE = re.compile(r"[^。!！?？]*$")  # (the sentence so far)
# 我在银行有十万的信用贷还没还完: a loan the customer has, named by its figure after 有 (not 有没有十万的信用贷, asked)
_LOAN_HAD_BEFORE = re.compile(r"(?<![没想要能])有$")
_LOAN_NAMED = re.compile(r"(?:块钱|元|块)?的(?:[^，。,.;；!！?？ \d]{0,4}?)(?:信用贷|经营贷|贷款|消费贷|抵押贷|借款|按揭|网贷|房贷|车贷)")

# 后天要交房租 5k, 下周要付货款三十万: a payment falling due on a near day is the money needed (not 每个月要交房租三千;
# 下个月要交首付三十万: a down payment)
_PAYMENT_DUE = re.compile(rf"(?:今天|明天|后天|这两天|这几天|过几天|这周|下周|周[一二三四五六日末]|月底|这个月|下个月|马上|"
                          rf"[\d一二三四五六七八九十]+号)[^，。,.;；!！?？ ]{{0,3}}(?:要|得|该|需要|就要)(?:交|付|给|发|缴|结)"
                          rf"(?!首付|月供|利息|房贷|车贷)"  # (a down payment or a repayment stays what it is)
                          rf"[^，。,.;；!！?？ \d{_CN}]{{0,4}}$")
_NUMERAL_WRITTEN_OTHERWISE = re.compile("万把|廿|卅|仨|half a")  # (figures a rewrite below writes with numerals)
_AS_MUCH_AS_CAN = re.compile(r"能(贷|借|批)多少就?(?:能)?\1多少|越多越好|有多少要多少")
_PAYING = re.compile("(?:要|得|该|需要)(?:交|付|给|发|缴|结)")  # (no payment due is said: most texts stop here)


def extract_amount(text: str) -> int | None:
    """The loan amount wanted, in whole yuan (a range gives its upper end); None when none is stated."""
    if _NUMERAL.search(text) is None and not _NUMERAL_WRITTEN_OTHERWISE.search(text):
        return None  # no figure at all: most texts stop here
    text = _without_pasted_notice(text)
    good, plain, said, borrowed = [], [], [], []
    total: int | None = None  # a total asked for (合起来能办个五万吗), when one is
    said_end = -1  # where the last figure said ends
    offered: set[int] = set()  # figures a lender offered (只能批六十万)
    last_offer: tuple[int, int] | None = None  # the last of them, and where it ends
    shortfall_first = -1  # the first figure said as a shortfall (还差一万), when one is
    asked_after: int | None = None  # a figure borrowed said after that shortfall
    corrected: int | None = None
    bad_at = first_plan = -1  # where the last figure of money had ends; how many figures were said up to a first plan
    plan_end = -1  # where the first plan's figure ends
    rejected = False  # the last figure said was found too much
    if "万把" in text:
        text = _WAN_BA.sub("一万", text)  # 借个万把块钱: about ten thousand
    if "万八千" in text or "百八十万" in text or "三两" in text:
        # 整个万八千的, 贷个百八十万: about ten thousand, about a million; 三两万: two or three, the upper end
        text = _ROUGHLY.sub(lambda m: _ROUGH_FIGURES[m.group()], text)
    if "," in text and _THOUSANDS_SEP.search(text):
        text = _THOUSANDS_SEP.sub(lambda m: m.group().replace(",", ""), text)  # 50,000元: one figure, not two
    if "¥" in text or "rmb" in text or "cny" in text:
        text = _CURRENCY_BEFORE.sub(r"\1元", text)
    if "廿" in text or "卅" in text or "仨" in text:
        # 想借廿万: twenty, the old way of writing it; 仨万: three, the northern way of saying it
        text = text.replace("廿", "二十").replace("卅", "三十").replace("仨", "三")
    if "wan" in text or "qian" in text:
        text = _pinyin_units(text)
    if "m" in text or "thousand" in text or "yuan" in text or "rmb" in text or "cny" in text or "kuai" in text:
        text = _english_figures(text)
    if _NUMERAL.search(text) is None:
        return None
    hospital = "押金" in text and _HOSPITAL.search(text) is not None
    too_small = "嫌" in text or "太少" in text
    due = "到期" in text or "要还" in text or "得还" in text
    given_up = "不" in text
    hearsay = "说" in text or "讲" in text
    offer = "接受" in text
    asks_want = ("你" in text or "您" in text) and ("多少" in text or "几" in text)
    advert = "广告" in text or "宣传" in text or "官网" in text or "海报" in text or "传单" in text
    settled = "结清" in text or "还完" in text or "还清" in text or "还上" in text
    fee = "费" in text or "利息" in text or "个点" in text
    too_much = "太" in text or "多了" in text or "用不" in text
    papers = "合同" in text or "协议" in text or "账单" in text or "借据" in text or "借条" in text or "还款计划" in text
    due_soon = ("交" in text or "付" in text or "发" in text or "缴" in text or "结" in text or "给" in text) and (
        _PAYING.search(text) is not None)
    totals = "共" in text or "起" in text or "合计" in text or "总计" in text
    if "点" in text:
        text = _CN_DECIMAL.sub(_cn_decimal, text)  # 十点五万: 10.5万, the decimal point said
    if "来" in text or "多" in text:
        text = _APPROX.sub(r"\1\3", text)  # 二十来万, 三十多万: the round figure
    if "个" in text:
        if "来个" in text:
            text = _APPROX_GE.sub(r"\1个", text)  # 想贷个二十来个: about twenty ten-thousands (not 二十来个人)
        text = _GE.sub(_ten_thousands, text)  # 贷二十个, 抵押60个: brokers count ten-thousands as 个
        if "那个" in text or "这个" in text:
            text = _GE_NAMED.sub(_named_ten_thousands, text)
        if _LOAN_WORD.search(text):
            text = _GE_ALONE.sub(_ten_thousands_alone, text)
        text = text.replace("个w", "w").replace("个万", "万").replace("个亿", "亿")  # 6个w, 1个亿
    for m in _AMOUNT.finditer(text):
        num, unit = m.group("num"), m.group("unit")
        if text[m.start() - 1:m.start()] == "几" and m.start() > 0 and not (
                m.start() >= 2 and text[m.start() - 2] in _CN_FIG[2:] and any(c in num for c in "万w")):
            continue  # 几千, 十几万: no figure stated; but 十几二十万 is a range with its upper end stated
        counted = _COUNT_AFTER_FIGURE.match(num) if not unit and text[m.end():m.end() + 1] in _COUNTED else None
        if counted:
            num = counted.group(1)  # 十万一年, 15万36期: the digits after 万 count the years or periods

        if num in ("千万", "万万") or (num.endswith("千万") and text[m.end():m.end() + 1] and text[m.end()] in "别不要记"):
            continue
        has_mag = _MAGNITUDE.search(num) is not None or (unit and _SMALL_MAGNITUDE.search(num) is not None)
        bare_arabic = num.isdigit() and not unit
        if not (has_mag or unit or (num[-1] in "千k") or _THOUSANDS_AND.search(num)):  # 一千五, 3k5: thousands
            if not bare_arabic:
                continue
        alt = _ALTERNATIVES.match(num)
        value = max(parse_number(alt.group(1)), parse_number(alt.group(2))) if alt else parse_number(num)
        if value is None:
            continue
        after = text[m.end():m.end() + 4]
        if text[m.start() - 1:m.start()] == "上" and m.start() > 0 and num[0] in "百千万":
            continue  # 上百万, 上千万: a vague figure, none stated
        if after.startswith("火急"):
            continue  # 十万火急: urgency, not a figure
        if not unit and after[:1] in _MEASURES:
            continue  # 养了两千只鸡, 三万斤: a count of things, not money
        rate = _RATE_UNIT.match(text, m.start() + len(num) if counted else m.end()) if value in (1000, 10000) else None
        if rate and (rate.group().endswith(("多少", "几")) or not _ASKED_RIGHT_BEFORE.search(_before(text, m.start()))):
            continue  # 一万块一个月多少钱, 一万一个月一百块利息: the unit a rate is asked or told in (not 借一万…, a loan)
        if not unit and not has_mag and num[-1] not in "千k":
            if after[:1] and after[0] in _DATE_UNITS:
                continue  # 贷款2024年到期, 贷款1015号: a date or a count, not money
            # a bare number is an amount only right after a loan word (贷款500000), never a phone number
            # (进货差5000: money short for a purpose is wanted)
            if not (len(num) <= 9 and value >= 1000 and (
                    _before(text, m.start(), 4).rstrip(":¥").endswith(_BARE_FIGURE_AFTER)
                    or (len(num) <= 7 and _SUFFICES_RE.match(text, m.end())))):
                continue
        if value < 1000 or value > 1_000_000_000:
            continue
        if too_small and _TOO_SMALL.match(text, m.end()):
            continue
        if said_end >= 0 and fee and _COST_OF_SUM.fullmatch(text, said_end, m.start()):
            continue  # 一百万就要两万块: what the sum just said costs
        before = _before(text, m.start())
        deposit = hospital and (after.startswith(("押金", "的押金")) or before.endswith(("押金", "押金要", "押金得"))) and (
            _HOSPITAL.search(_before(text, m.start(), 12)) is not None)  # (the hospital's, named in its clause)
        spaced = not before and text[m.start() - 1:m.start()] == " "
        if due_soon and not deposit and (before or spaced) and _PAYMENT_DUE.search(
                _before(text, m.start() - spaced, 14)):
            deposit = True  # 后天要交房租 5k, 下周要付货款三十万: a payment due soon is the money needed
        if spaced:
            if text.endswith(_SPACED_WANTS, 0, m.start() - 1):
                before = "借"  # 想dk 10w: a want one space before the figure (not 借了网贷 500万, a loan had)
            elif not deposit and _before(text, m.start() - 1).rstrip("了着过").endswith(_MONEY_BAD_BEFORE):
                continue  # 欠了 5w, 估值 300w: money had or owed named right before the space (not 利息多少 5w)
            elif (text.endswith(_LINKS, 0, m.start() - 1)
                  and _before(text, text.rindex(" ", 0, m.start() - 1)).endswith((*_MONEY_BAD_BEFORE, "rent"))):
                continue  # my 收入 is 300k, rent is 8k: the same, an English verb between
        if _DONE_GATE.search(before) and not deposit:
            done = _DONE.search(before)
            if done and not _WANTISH.search(before) and not _CORRECTION_RE.search(before):
                if _OFFERED.search(before):
                    offered.add(int(value))
                    last_offer = (int(value), m.end())
                continue  # 上个月付了两万, 之前转过五万: money a verb says was already paid or moved, not wanted
        if hearsay and _HEARSAY.search(_before(text, m.start(), 14)) and not _SETTLE_WANTED.search(
                _before(text, m.start(), 14)):
            offered.add(int(value))
            last_offer = (int(value), m.end())
            continue  # 他们说我这个房子能做八十万: what another lender said it would give, not the loan wanted
        if asks_want and _WANT_ASKED.search(text, m.end()):
            continue  # 最高可以做到50万，你看需要多少: the customer's want is yet to be said
        if offer and _OFFER_PUT.match(text, m.end()):
            continue  # 降到350万能不能接受: an offer put to the customer
        if advert and _ADVERT.search(text, max(0, m.start() - 16), m.start()) and not _SETTLE_WANTED.search(before):
            continue  # 看到广告说最高可借200万: what is advertised (not 看到你们广告，想借十万)
        if papers and _PAPER_HAD.search(text, max(0, m.start() - 24), m.start()) and not _WANT_WORDS.search(
                _SENTENCE.search(text, max(0, m.start() - 40), m.start()).group()):
            offered.add(int(value))
            last_offer = (int(value), m.end())
            continue  # 这是我的借款合同，借款金额20万: a figure of a loan had, shown
        if before.endswith("有") and _LOAN_HAD_BEFORE.search(before) and _LOAN_NAMED.match(text, m.end()):
            bad_at = m.end()
            continue  # 有十万的信用贷还没还完: a loan had
        if before.endswith(("全款", "全款买的", "全款买")):
            continue  # 全款二十六万: the price paid in full (not 全款那套抵五十万)
        if before.endswith(_PLEDGED) and not _PLEDGE_WANTED.search(before):
            continue  # 已经在银行抵押了一百万: a pledge made already (not 想押了借二十万, 想抵押了整个三十万)
        if (settled and _SETTLED.match(text, m.end()) and not _SETTLE_WANTED.search(before)
                and not _BORROWED_RIGHT_BEFORE.search(before)):
            continue  # 上一笔贷款30万刚结清: a loan had and paid off (not 借五万下个月就还清了, when it will be)
        if before.endswith(("贷的", "借的")) and not _SETTLE_WANTED.search(before):
            continue  # 去年在农商行贷的五十万: a loan had (not 想贷的是五十万)
        if given_up and _GIVEN_UP.match(text, m.end()):
            continue  # 之前谈的20万不做了: a figure given up (二十万不要了，十万就行: the next one counts)
        if due and _FALLS_DUE.match(text, m.end()) and not _BORROWED_RIGHT_BEFORE.search(before):
            continue  # 那笔三百万的贷款下个月到期, 经营贷200万下月到期: a loan had that falls due, not one wanted
        if ("差" in before or "欠" in before) and _BALANCE_OWED.search(before):
            bad_at = m.end()
            continue  # 车贷还差三万多: still owed on a loan had
        if after.startswith(_MONEY_BAD_AFTER) and not deposit and not (
                after.startswith(("的额度", "额度")) and (_LIMIT_ASKED.match(text, m.end()) or _LIMIT_APPLIED.search(
                    before))) and not (
                has_mag and after.startswith(("利息", "的利息")) and _INTEREST_ASKED.match(text, m.end())):
            continue
        asks_total = totals and (_TOTAL_WANTED.search(before) is not None or (
            _TOTAL_BEFORE.search(before) is not None and _TOTAL_ASKED_AFTER.match(text, m.end()) is not None))
        if not deposit and not asks_total and _bad_before(before) and not (
                _REST.search(before) and _WANT_AFTER.match(text, m.end())):
            bad_at = m.end()
            if _OFFERED.search(before):
                offered.add(int(value))
                last_offer = (int(value), m.end())
            continue
        if (bad_at >= 0 and before.rstrip("也都就才") in _LISTED_OWNERS
                and sum(c in _CLAUSE_CHARS for c in text[bad_at:m.start()]) == 1):
            bad_at = m.end()
            continue
        if (not _GOOD_BEFORE_RE.search(before) and not _CORRECTION_RE.search(before)
                and _worth_goes_on(text, m.start() - len(before))):
            continue
        if _LIMIT.search(text, max(0, m.start() - 14), m.start()):
            continue
        if _RANGE_SEP.search(text[max(0, m.start() - 3):m.start()]) and plain + good:
            # "30-50万": the upper end replaces the lower one just seen
            (good or plain).pop()
        yuan = int(value.to_integral_value())
        if said and _EITHER.search(text, max(0, m.start() - 6), m.start()):
            # 借三万或者五万都行, 要么借十万要么借十五万: alternatives, the larger counts (as a range's upper end)
            previous = said.pop()
            for figures in (good, plain):
                if figures and figures[-1] == previous:
                    figures.pop()
                    break
            yuan = max(yuan, previous)
        (good if _GOOD_BEFORE_RE.search(before) else plain).append(yuan)
        if _LOAN_VERB.search(before):
            borrowed.append(yuan)
        if shortfall_first < 0 and before.endswith(("差", "缺")):
            shortfall_first = yuan
        elif shortfall_first >= 0 and asked_after is None and _ASKED_RIGHT_BEFORE.search(before):
            asked_after = yuan
        said.append(yuan)
        if rejected:
            corrected, rejected = yuan, False  # (五十万太多了，三十万吧)
        if too_much and _TOO_MUCH.match(text, m.end()):
            rejected = True
        said_end = m.end()
        total = yuan if asks_total else None
        clause = _before(text, m.start(), 12)
        if first_plan < 0 and _FIRST_PLAN_RE.search(clause):
            first_plan, plan_end = len(said), m.end()
        if (good or plain) and (_CORRECTION_RE.search(clause) or (yuan in offered and _TAKEN_UP.match(text, m.end()))
                                or _RETRACTION_RE.search(text, max(0, m.start() - 6), m.start())
                                or text[m.end():m.end() + 4].lstrip("块钱元吧的").startswith(_MONEY_SUFFICES)):
            corrected = yuan
    if last_offer is not None and said_end < last_offer[1] and _ACCEPTED.match(text, last_offer[1]):
        return last_offer[0]  # 你们说只能批六十万，那也行吧: an offer accepted, after any figure wanted
    if total is not None:
        return total
    if corrected is not None and len(good) + len(plain) > 1:
        return corrected
    if 0 < first_plan < len(said):
        return said[-1]
    if first_plan == len(said) > 0 and (dropped := _DROPPED.search(text, plan_end)) and _NEW_WANT.search(
            text, dropped.end()):
        return None  # (当时说要贷二十万，现在不用了…还能贷个小额的吗)
    if asked_after is not None:
        return asked_after  # 还差一万多，先借我一万五: the figure asked to be lent, not the shortfall
    if good:
        if not borrowed and ("多少" in text or "越多越好" in text) and _AS_MUCH_AS_CAN.search(text):
            return None  # 做手术要十万块钱…能贷多少就贷多少: what a purpose costs, and as much as can be lent asked
        # 彩礼要二十万，想借十万: what a purpose costs gives way to the figure said with a word of borrowing
        return borrowed[0] if borrowed and good[0] not in borrowed else good[0]
    if plain:
        return plain[0]
    if len(offered) == 1 and _BRING_OVER.search(text):
        return offered.pop()  # (隔壁银行批了30万，你们能比这低吗)
    return None


def _worth_goes_on(text: str, head: int) -> bool:
    """房子不值钱，估计也就二十来万: the clause before says what an asset is worth and states no figure itself."""
    if head <= 0:
        return False
    previous = _before(text, head - 1, 16)
    # (按房产评估价能贷几成，十万左右: a clause asking what can be lent is no worth)
    return (_WORTH.search(previous) is not None and _MONEY_FIGURE.search(previous) is None
            and _LOAN_WORD.search(previous) is None)


def _bad_before(before: str) -> bool:
    """A word of money had or owed before the figure (月薪, 欠), and no want after that word."""
    if "货款" in before and _PLEDGE_TYPO.search(before):
        return False  # 抵押货款: a loan on a pledge, mistyped
    if (_PLEDGE_LOAN.search(before) or _NAMED_LOAN.search(before)) and not _LOAN_HAD_RE.search(before):
        return False
    if _DEBT_MERGED.search(before):
        return False
    if before in _LISTED_DEBTS:
        return True  # 负债高 银行贷款1500w: a loan listed among a note's facts, no want in its clause
    bad, m = -1, _BAD_BEFORE_RE.search(before)
    while m is not None:  # where the last of them ends: the longest at each position where one starts
        bad = max(bad, m.end())
        m = _BAD_BEFORE_RE.search(before, m.start() + 1)
    if bad < 0:
        return False
    return _WANT_RE.search(before, bad) is None and _CHANGE_RE.search(before, bad) is None


_TERM_NUM = rf"(?:\d+|[{_CN}]+)"
_TERM = re.compile(rf"分(?P<periods>{_TERM_NUM})期|(?P<p2>{_TERM_NUM})期|(?P<years>{_TERM_NUM})年半|(?P<half>半)年"
                   rf"|(?P<y>{_TERM_NUM})年|(?P<m>{_TERM_NUM})个?月(?!份)")
_TERM_BAD_BEFORE = ("工作", "上班", "打工", "在职", "去年", "今年", "干了", "开了", "经营", "做了", "买了", "交了", "缴了", "社保", "公积金", "住了",
                    "逾期", "成立", "营业", "执照", "注册", "开店", "开厂", "生意", "车龄", "房龄", "已经", "最近", "近",
                    "前", "过去", "工龄", "满", "连续", "结婚", "毕业", "每", "已缴", "养", "还有", "还剩", "剩", "上了",
                    "入职", "保费", "交", "缴", "提前", "等", "过", "这", "干", "开", "跑", "做", "利息", "多少",
                    "不到", "刚", "办下来", "断", "借了", "停", "拖", "用了", "利润", "流水", "营业额", "营收",
                    "收入", "年薪", "赚", "挣", "租期", "缴费期", "合同期", "怀孕", "怀了",
                    # time since a purchase (车才提两个月, 刚提三个月)
                    "提车", "才提", "刚提", "才买", "才开",
                    # time spent somewhere, at sea or abroad (海上待九个月, 出国劳务三年, 在部队服役五年)
                    "待", "呆", "劳务", "出国", "外派", "驻外", "服役", "当兵", "部队", "出海", "漂",
                    # how long a licence, a warranty or a deposit runs (营业执照有效期20年)
                    "有效期", "保修", "质保", "保质期", "存期")
_TERM_BAD_BEFORE_RE = any_of(_TERM_BAD_BEFORE)
_CALENDAR_YEAR = re.compile(r"一[四五六七八九]|二[〇零一二三]|[零〇][一二三四五六七八九]")  # 一九年的车, 二〇年买的, 零八年的桑塔纳
# 十八年的途观: a model year said as a number of tens (2018), unless a loan word comes just before (贷十五年的)
_TENS_YEAR = re.compile(r"十[一二三四五六七八九]")
_TERM_BAD_AFTER = ("前", "内", "以来", "里", "了", "多了", "的时间", "以上", "工龄", "社保", "公积金", "度", "份", "底",
                   "初", "后", "查", "被查", "申请", "没", "逾期", "的逾期", "才", "的车", "的房", "班", "两万",
                   "一万", "交", "缴", "保费", "被", "借了", "点了", "利息", "加起来", "收入", "工资", "挣", "赚",
                   "能挣", "能赚", "收入", "流水", "营业额", "营收", "利润", "开票", "的流水", "老",
                   "的银行", "的工资", "的社保", "的公积", "的记录", "的账", "左右的", "就查", "光还",
                   # 一个月申了7个平台, 一个月下来查询十几次, 一个月有十几条, 一个月得还一万五: counts per period
                   "申", "下来", "有十", "有好", "有几", "得还", "硬查", "连续",
                   # 半年以后再找你, 一个月多少钱: after a wait, a price per period
                   "以后", "之后", "多少钱",
                   # a record kept that long (两年纳税记录, 三年的经营流水)
                   "纳税", "的纳税", "经营", "的经营", "完税", "的完税",
                   # what a year yields, costs or is owed in interest (一年产值两个亿, 一年学费三万, 还一年的利息)
                   "产值", "的产值", "销售", "销量", "产量", "开支", "花销", "学费", "房租", "租金", "的租金", "车险",
                   "的利息", "的利",
                   # a time as a customer (五年的老客户), periods still to pay on a loan had (车贷36期还剩12期)
                   "的老", "还剩", "只剩",
                   # a deposit's term (一年期的定期存款有十万)
                   "定期", "的定期", "期的定", "期定期", "存款", "的存款", "期存款",
                   # a statement of that period asked for (补半年对公流水, 一年银行流水, 半年的工资流水)
                   "对公", "对私", "银行流", "工资流", "个人流", "公司流", "微信流", "的对公", "的银行流", "的工资流",
                   # a school grade (孩子上三年级)
                   "级")
# 两年内还清: the term; 半年后还, 一年以后一次性还清: repaid when the period is over, the term too
_TERM_PAID_OFF = ("内还", "之内还", "以内还", "内结清")
_TERM_PAID_AFTER = re.compile(r"(?:之|以)?后(?:就|能|就能|再)?(?:一次性|一起|全部)?(?:还|结清)(?![要有没不是在得])")
# 半年内就能还上, 一年之内肯定还完: paid off within the period, a few words between
_TERM_PAID_WITHIN = re.compile(r"(?:之|以)?内[^，。,.;；!！?？ \d]{0,4}(?:还|结清)")
_CN_DIGIT_CHARS = "一二两三四五六七八九十几"
# 不要超过五年, 最长不超过三年: a ceiling on the term wanted, not a time gone by (过)
_TERM_CEILING = ("不超过", "不要超过", "不好超过", "别超过", "不能超过", "不想超过", "最长")
# 六个月能不能先还一半: when part is paid back, not the term
_TERM_PART_PAID = re.compile(r"(?:能不能|能否|可不可以|可以|能|就)?先还")
_TERM_GOOD_BEFORE = ("贷", "借", "期限", "分", "还", "年限", "周期", "用")
_TERM_GOOD_BEFORE_RE = any_of(_TERM_GOOD_BEFORE)
# 期限能做到五年吗, 年限可以放到十年: the term named earlier in the clause, whatever verb comes between (not 期限过了)
_TERM_NAMED = re.compile(r"(?:期限|年限)[^了过]{0,5}到$")
# 想贷二十年的房抵: a term said as an attribute of the loan wanted
_TERM_OF_LOAN = re.compile(r"的(?:[房车]抵|[房车]贷|抵押贷?|经营贷|信用贷|贷款|公积金贷)")


_MONTH_DAY = re.compile(r"(?:\d+|[一二三四五六七八九十]+)(?:号|日)|初|底|中旬|上旬|下旬|末")
# 分36期和分60期利息差多少, 三年还是五年划算: two terms weighed against each other, neither is chosen
_EITHER_FINE = re.compile(r"(?:的)?(?:都行|都可以|都成|都ok|均可)")
_TERMS_COMPARED = re.compile(rf"{_TERM_NUM}(?:期|年|个月)(?:的)?(?:和|跟|与|还是|或者|或|比|对比|vs)(?:分)?{_TERM_NUM}(?:期|年|个月)")


# 一个月进账二十多万: a figure of money said after the period, its round figure approximate
_MONEY_FIGURE_ABOUT = re.compile(rf"[\d{_CN}][多来余几]?[万千亿wk块元]")
# 负债一万八一个月, 工资六千五一个月: money had or owed, then the period it comes in
_MONEY_THEN_PERIOD = re.compile(rf"(?:负债|月入|收入|工资|月薪|薪水|房租|租金|月供|开销|花销|开支|进账|流水|营业额|利润|赚|挣|还款|"
                                rf"要还|欠|生活费)[^，。,.;；!！?？ ]{{0,3}}?(?:\d+(?:\.\d+)?|[{_CN}])+[多来余]?"
                                rf"(?:[万千kw块元](?:\d|[{_CN}])*)?$")
# 一年海上待九个月, 一年有八个月在外面跑: a part of each year, neither is a term
_PART_OF_A_YEAR = re.compile(rf"[^，。,.;；!！?？ \d{_CN}]{{0,6}}?(?:\d+|[{_CN}])+个?(?:月|天)")
_YEAR_FRAME = re.compile(rf"(?:一年|每年)[^，。,.;；!！?？ \d{_CN}]{{0,6}}$")
# 在别家借的十万分三年, 去年办的车贷分三年: the term of a loan had (not 想借的十万分三年)
_LOAN_HAD_TERM = re.compile(r"(?:借|贷|办|做)的[^，。,.;；!！?？ ]{0,8}$")
# 这是我的借款合同，期限36个月: the term of a document shown of a loan had (not 想借十万，合同签三年)
# (跟进：客户已签合同，放款金额68万，分60期: this loan's contract signed, its term the one wanted)
# ([截图] 借款周期：6个月: a screenshot of a loan had, as its papers are)
_DOCUMENT_HAD = re.compile("(?:" + _PAPER_HAD.pattern[:-1] + r"|\[(?:图片|截图)\][^。!！?？]{0,24})$")
# 回款周期三个月, 账期三个月, 生产周期两个月: a business's cycle, not the loan's term
_BUSINESS_CYCLE = re.compile(r"(?:回款|账|结算|生产|工程|项目|销售|养殖|种植|出栏|收款|付款|回笼|进货|备货|压货)(?:周期|期)"
                             r"[^。!！?？]{0,8}$")
_DOCUMENT_WORD = re.compile(r"合同|账单|借据|借条|协议|还款计划|图片\]|截图\]")
# 借10w一年多少钱, 贷二十万三年利息多少: years right after a figure borrowed are its term, whatever is asked of them
_BORROWED_FIGURE = re.compile(rf"(?:借|贷)[个点]?(?:\d+(?:\.\d+)?|[{_CN}])+(?:[万wk千]|块钱?|元)$")
_HYPHENED_TERM = re.compile(r"(?<=\d)-(?=个月|年|期)")
_HALF_A_YEAR = re.compile(r"(?<![a-z])half an? ?(?:年|year)")
_PERIODS_LEFT = re.compile(r"(?:还有|剩下?)(?:\d|[一二两三四五六七八九十几])")
# 信用卡分期 24期, 花呗分期12期: the instalments of a card or an online loan had
_INSTALMENTS_HAD = re.compile(r"(?:信用卡|卡|花呗|白条|借呗|网贷)(?:账单)?分期 ?(?:了|的|是|还有|还剩)?$")


def extract_term(text: str) -> int | None:
    """The term wanted, in months (3年 → 36, 分24期 → 24, 半年 → 6); None when none is stated."""
    if ("nian" in text or "yue" in text or "qi" in text) and _PINYIN_UNITS.search(text):
        text = _pinyin_units(text)  # 10w, 5nian: a term's unit in pinyin
    if "期" not in text and "年" not in text and "月" not in text:
        return None  # every term is said with one of them
    text = _without_pasted_notice(text)
    good, plain = [], []
    last: list[int] | None = None
    corrected: int | None = None
    instalments = "分期" in text
    year_said = "年" in text
    too_much = "太" in text or "长了" in text
    retraction = "不" in text or "错" in text
    rejected = False  # the last term said was found too long
    documents = _DOCUMENT_WORD.search(text) is not None
    cycles = "周期" in text or "账期" in text or "货期" in text
    if "half a" in text:
        text = _HALF_A_YEAR.sub("半年", text)  # half a year (half a 年 once year is read): six months
    if "-" in text:
        text = _HYPHENED_TERM.sub("", text)  # a 12-month loan, a 3-year loan: the term written as an attribute
    if "仨" in text:
        text = text.replace("仨月", "三个月").replace("仨", "三")  # 仨月就还, 仨年: three (仨 is 三个), the northern way
    if "廿" in text or "卅" in text:
        text = text.replace("廿", "二十").replace("卅", "三十")  # 分卅六期: thirty, the old way of writing it
    if "把" in text:
        text = text.replace("个把月", "一个月").replace("年把", "一年")  # 个把月就还, 年把时间: about one, as 万把
    # (一年或者两年都行: either is fine, so they are alternatives and the longer counts, as a range's upper end)
    compared = [m.span() for m in _TERMS_COMPARED.finditer(text) if not _EITHER_FINE.match(text, m.end())] if (
        "期" in text or "年" in text) else []
    for m in _TERM.finditer(text):
        if compared and any(s < m.end() and m.start() < e for s, e in compared):
            continue
        g = m.groupdict()
        if g["periods"] or g["p2"]:
            n = parse_number(g["periods"] or g["p2"])
            months = int(n) if n is not None else None
        elif g["years"]:
            if text.startswith("载", m.end()):
                continue  # 一年半载: a while, no term stated
            n = parse_number(g["years"])
            months = int(n * 12 + 6) if n is not None else None
        elif g["half"]:
            if text[m.start() - 1:m.start()] in ("上", "下", "大", "小") and m.start() > 0:
                continue  # 下半年再看: a half of the calendar year; 漂了大半年: a while
            months = 6
        elif g["y"]:
            if _CALENDAR_YEAR.fullmatch(g["y"]) or (len(g["y"]) == 2 and g["y"].isdigit()
                                                      and text.startswith("的", m.end())) or (
                    _TENS_YEAR.fullmatch(g["y"]) and text.startswith("的", m.end())
                    and not _TERM_GOOD_BEFORE_RE.search(_before(text, m.start(), 3))):
                continue  # 一九年的车, 19年的朗逸: a calendar year
            n = parse_number(g["y"])
            months = int(n * 12) if n is not None and n <= 30 else None
        else:
            if text[m.end() - 2:m.end() - 1] != "个" and (
                    text[max(0, m.start() - 1):m.start()] in ("年", "到", "在") or _MONTH_DAY.match(text, m.end())
                    or (not g["m"].isdigit() and not _TERM_GOOD_BEFORE_RE.search(_before(text, m.start(), 3)))):
                continue  # 明年九月上学, 到三月, 五月十号, 娃九月要上学: a month of the calendar, not a number of months
            n = parse_number(g["m"])
            months = int(n) if n is not None else None
        if not months or months > 360:
            continue
        before, after = _before(text, m.start(), 6), text[m.end():m.end() + 3]
        if instalments and _INSTALMENTS_HAD.search(text, max(0, m.start() - 9), m.start()):
            continue  # 信用卡分期 24期 月还2千: a card's instalments being repaid, not the term of the loan wanted
        # 贷30万3年: a term right after the amount
        # 那就做三年, 能不能做五年: a term done (做了三年 ends with 了, caught below)
        if _TERM_BAD_BEFORE_RE.search(before) and (not before.endswith(("分", "贷", "借", "期限", "万", "w", "做"))
                                                   or before.endswith("养贷")) and not before.endswith(_TERM_CEILING) \
                and not before.endswith(("本息", "本金", "后本")) \
                and not _TERM_NAMED.search(before):
            continue  # (以贷养贷半年: how long it has gone on; 期限能做到五年: the term named in its clause)
        if before.endswith("不是") and not before.endswith("是不是"):
            continue  # 不是三年，是五年: a term denied
        if before.endswith("了") or (after.startswith("多") and not after.startswith("多少")):
            continue  # 待了五年, 签了三年, 两年多: how long something has been, not a term wanted
        if months in (1, 12) and g["half"] is None and (
                _MONEY_THEN_PERIOD.search(_before(text, m.start(), 14))
                or (months == 12 and g["y"] and _PART_OF_A_YEAR.match(text, m.end()))) or (
                g["m"] and year_said and _YEAR_FRAME.search(_before(text, m.start(), 12))):
            continue  # 负债一万八一个月: money per period; 一年海上待九个月: a part of each year
        if cycles and _BUSINESS_CYCLE.search(text, max(0, m.start() - 16), m.start()):
            continue  # 回款周期三个月: a business's cycle
        if documents and _DOCUMENT_HAD.search(text, max(0, m.start() - 40), m.start()) and not _WANT_WORDS.search(
                _SENTENCE.search(text, max(0, m.start() - 40), m.start()).group()):
            continue  # 这是我的借款合同，期限36个月: the term of a loan had, shown
        clause = _before(text, m.start(), 16) if "的" in text else ""
        if "的" in clause and (loan_had := _LOAN_HAD_TERM.search(clause)) and not _WANT_WORDS.search(
                clause, 0, loan_had.start()):
            continue  # 在别家借的十万分三年: the term of a loan had
        if (months in (1, 12) and not _TERM_GOOD_BEFORE_RE.search(before)
                and _MONEY_FIGURE_ABOUT.search(_CLAUSE.split(text[m.end():m.end() + 10], 1)[0])
                and not after.startswith(("期", "内", "之内", "以内", "还", "就还", "的"))):
            continue  # 一个月到手六千五, 一年能赚个二三十万: money per period, not a term
        paid = after.lstrip("要还交缴付就跑给我")  # 一个月还八千, 半年就2次, 一个月给我四千: paid or done per period
        if _TERM_PART_PAID.match(text, m.end()) or _PERIODS_LEFT.match(text, m.end()):
            continue  # (车贷36期还有12期: the periods of a loan had, some still to pay)
        if months == 1 and g["m"] and after.lstrip("要得光").startswith(("还", "多少")) and not after.startswith(
                ("还清", "还完")):
            continue  # 一个月还信用卡要还一万多, 一个月多少利息: a month's repayment or price, not a month's loan
        if not (text.startswith(_TERM_PAID_OFF, m.end()) or _TERM_PAID_WITHIN.match(text, m.end())
                or _TERM_PAID_AFTER.match(text, m.end())
                or (before.endswith(("贷", "借", "做", "办")) and _TERM_OF_LOAN.match(text, m.end()))
                or (g["m"] is None and after.startswith(("多少", "利息")) and _BORROWED_FIGURE.search(
                    _before(text, m.start(), 12)))) and (
                after.startswith(_TERM_BAD_AFTER) or (paid and (paid[0].isdigit() or paid[0] in _CN_DIGIT_CHARS))):
            continue  # 一个月三四千, 一年两万: a rate per period, not a term
        if last is not None and (_RANGE_SEP.search(text[max(0, m.start() - 3):m.start()]) or (
                _EITHER.search(text, max(0, m.start() - 6), m.start()) and _EITHER_FINE.match(text, m.end()))):
            last.pop()  # 半年到一年, 1年到3年, 一年或者两年都行: the upper end replaces the lower one just seen
        last = good if _TERM_GOOD_BEFORE_RE.search(before) else plain
        last.append(months)
        if _CORRECTION_RE.search(_before(text, m.start(), 12)) or rejected or (
                retraction and _RETRACTION_RE.search(text, max(0, m.start() - 6), m.start())):
            corrected = months  # 先说五年还, 后来说三年就行, 三年太长了，两年吧, 五年，不对，三年: the last said
        rejected = too_much and _TOO_MUCH.match(text, m.end()) is not None
    if corrected is not None and len(good) + len(plain) > 1:
        return corrected
    if good:
        return good[0]
    return plain[0] if plain else None


# places the city list leaves out that people name as where they are: a district or a nickname names its city (浦东 →
# 上海, 九龙坡 → 重庆, 哈市 → 哈尔滨), a county or a county-level city names itself (福清, 温岭, 大理)
_CITY_OF = {
    # (a district two cities have, 朝阳区, 白云区, 西湖区, 长安区, 普陀区, 铁西, 鼓楼, names no city)
    **dict.fromkeys(("浦东", "闵行", "静安", "徐汇", "虹口", "杨浦", "嘉定", "松江", "青浦", "奉贤", "黄浦", "陆家嘴", "浦西", "宝山区", "金山区", "长宁区",
                     "崇明"), "上海"),
    **dict.fromkeys(("海淀", "丰台", "昌平", "顺义", "大兴", "望京", "中关村", "亦庄", "通州区"), "北京"),
    **dict.fromkeys(("番禺", "海珠", "天河", "越秀", "荔湾", "花都区", "增城", "从化", "南沙"), "广州"),
    **dict.fromkeys(("福田", "罗湖", "宝安", "龙岗", "龙华", "坪山", "南山区", "光明区", "盐田", "石岩", "观澜", "布吉", "横岗"), "深圳"),
    **dict.fromkeys(("顺德", "禅城", "南海区", "三水区", "高明区"), "佛山"),
    **dict.fromkeys(("沙坪坝", "九龙坡", "大渡口", "渝北", "渝中", "巴南", "北碚", "江津", "永川", "涪陵", "万州", "南岸区"), "重庆"),
    **dict.fromkeys(("汉口", "武昌", "汉阳", "硚口", "光谷", "洪山", "江夏", "东西湖", "黄陂", "蔡甸"), "武汉"),
    **dict.fromkeys(("双流", "郫县", "郫都", "温江", "龙泉驿", "武侯", "青羊", "锦江区", "金牛区", "成华", "新都", "天府新区"),
                    "成都"),
    **dict.fromkeys(("余杭", "萧山", "临平", "富阳", "临安", "拱墅", "上城区", "滨江区", "滨江", "西溪"), "杭州"),
    **dict.fromkeys(("江宁", "浦口", "秦淮", "建邺", "栖霞", "玄武区", "六合", "溧水", "高淳"), "南京"),
    **dict.fromkeys(("塘沽", "南开区", "滨海新区", "武清", "宝坻", "静海"), "天津"),
    **dict.fromkeys(("雁塔", "碑林", "未央", "临潼", "曲江"), "西安"),
    **dict.fromkeys(("鼓浪屿", "思明", "集美", "海沧", "翔安"), "厦门"),
    **dict.fromkeys(("海曙", "鄞州", "北仑", "镇海"), "宁波"),
    **dict.fromkeys(("岳麓", "望城", "开福区", "天心区", "芙蓉区"), "长沙"),
    **dict.fromkeys(("黄岛", "崂山", "即墨", "李沧", "城阳", "市南区", "市北区"), "青岛"),
    **dict.fromkeys(("历下", "历城", "章丘", "槐荫"), "济南"),
    **dict.fromkeys(("樟木头", "虎门", "厚街", "塘厦", "长安镇", "大朗", "常平", "凤岗", "寮步", "松山湖"), "东莞"),
    **dict.fromkeys(("浑南", "于洪", "沈北"), "沈阳"),
    **dict.fromkeys(("甘井子", "沙河口", "金州", "旅顺"), "大连"),
    **dict.fromkeys(("南岗", "香坊", "松北"), "哈尔滨"),
    **dict.fromkeys(("金水区", "二七区", "管城", "郑东", "中原区"), "郑州"),
    **dict.fromkeys(("蜀山", "包河", "庐阳", "瑶海", "肥西", "肥东"), "合肥"),
    **dict.fromkeys(("红谷滩", "青山湖"), "南昌"),
    **dict.fromkeys(("盘龙区", "呈贡"), "昆明"),
    **dict.fromkeys(("观山湖", "花溪", "云岩"), "贵阳"),
    **dict.fromkeys(("青秀", "西乡塘"), "南宁"),
    **dict.fromkeys(("迎泽", "杏花岭", "万柏林"), "太原"),
    **dict.fromkeys(("七里河",), "兰州"),
    **dict.fromkeys(("沙依巴克", "米东"), "乌鲁木齐"),
    **dict.fromkeys(("吴江", "相城", "吴中"), "苏州"),
    **dict.fromkeys(("惠山", "锡山"), "无锡"),
    **dict.fromkeys(("鹿城", "瓯海"), "温州"),
    **dict.fromkeys(("惠阳",), "惠州"),
    **dict.fromkeys(("海拉尔", "扎兰屯"), "呼伦贝尔"),
    **dict.fromkeys(("涪城", "游仙"), "绵阳"),
    **dict.fromkeys(("五华区", "官渡区", "西山区"), "昆明"),
    **dict.fromkeys(("麒麟区", "沾益"), "曲靖"),
    **dict.fromkeys(("良庆", "邕宁", "武鸣"), "南宁"),
    **dict.fromkeys(("柳北", "鱼峰", "柳南", "柳江"), "柳州"),
    **dict.fromkeys(("临桂", "七星区", "象山区"), "桂林"),
    **dict.fromkeys(("银海", "铁山港"), "北海"),
    **dict.fromkeys(("花桥",), "昆山"),
    **dict.fromkeys(("清溪", "黄江", "石碣", "莞城", "万江", "麻涌", "横沥", "大岭山"), "东莞"),
    **dict.fromkeys(("乐从", "北滘", "容桂", "大良", "狮山"), "佛山"),
    **dict.fromkeys(("斗门", "金湾", "横琴", "拱北"), "珠海"),
    **dict.fromkeys(("长丰",), "合肥"),
    **dict.fromkeys(("镜湖", "鸠江", "弋江", "繁昌", "南陵"), "芜湖"),
    **dict.fromkeys(("星沙", "雨花区"), "长沙"),
    **dict.fromkeys(("芦淞", "石峰", "天元区"), "株洲"),
    **dict.fromkeys(("潮阳", "澄海"), "汕头"),
    **dict.fromkeys(("香洲",), "珠海"),
    **dict.fromkeys(("裕华",), "石家庄"),
    **dict.fromkeys(("仓山", "晋安", "闽侯", "长乐"), "福州"),
    **dict.fromkeys(("柯桥", "越城", "上虞", "诸暨"), "绍兴"),
    **dict.fromkeys(("铜山", "贾汪", "邳州", "睢宁"), "徐州"),
    **dict.fromkeys(("夷陵", "秭归", "枝江"), "宜昌"),
    "哈市": "哈尔滨", "呼市": "呼和浩特", "乌市": "乌鲁木齐", "广洲": "广州",
    # a city typed with a character of the same sound (嘉木斯 for 佳木斯, 哈尔宾 for 哈尔滨)
    "嘉木斯": "佳木斯", "佳木思": "佳木斯", "哈尔宾": "哈尔滨", "石家装": "石家庄", "齐齐哈而": "齐齐哈尔", "乌鲁木其": "乌鲁木齐",
    "呼和浩持": "呼和浩特",
    **{c: c for c in ("香港", "福清", "温岭", "大理", "普洱", "伊犁", "澄迈", "宁乡", "二连浩特", "桐城", "仙游", "霞浦", "高邮", "榆中",
                      "中宁", "宁海", "西双版纳", "安顺", "白银", "宜兴", "海宁", "普宁", "南安", "莱阳", "莱州",
                      # prefectures the list leaves out, and county-level cities of the north and east people name
                      "阿拉善", "兴安盟", "锡林郭勒", "延边", "哈密", "甘南", "阿勒泰", "塔城", "大兴安岭", "满洲里",
                      "绥芬河", "珲春", "敦化", "公主岭", "梅河口", "瓦房店", "庄河", "海城", "任丘", "定州",
                      "涿州", "霸州", "燕郊", "寿光", "青州", "诸城", "荣成", "胶州", "平度", "滕州", "曲阜", "新泰",
                      "肥城", "招远", "蓬莱", "莱西", "太仓", "辛集", "乳山", "邹平", "阿拉尔", "澳门",
                      # and of the south-west and south (prefectures, then county-level cities and counties)
                      "红河", "德宏", "怒江", "迪庆", "阿坝", "甘孜", "凉山", "来宾", "黄山", "瑞丽", "开远", "腾冲",
                      "芒市", "都江堰", "彭州", "邛崃", "崇州", "简阳", "阆中", "广汉", "什邡", "绵竹", "江油", "峨眉山",
                      "夹江", "犍为", "宣威", "陆良", "富源", "罗平", "会泽", "嵩明", "宜良", "横县", "横州", "宾阳",
                      "阳朔", "恭城", "荔浦", "合浦", "浏阳", "醴陵", "攸县", "茶陵")},
}
# a county-level city's prefecture: where both are named (老家泉州的，在晋江做鞋厂, 株洲的，在醴陵做陶瓷) the prefecture is
# the city, as it is right before its county (温州瑞安)
_PREFECTURE_OF = {
    **dict.fromkeys(("昆山", "常熟", "张家港", "太仓"), "苏州"), **dict.fromkeys(("江阴", "宜兴"), "无锡"),
    **dict.fromkeys(("义乌",), "金华"), **dict.fromkeys(("慈溪", "余姚", "宁海"), "宁波"), "诸暨": "绍兴",
    **dict.fromkeys(("瑞安", "乐清"), "温州"), **dict.fromkeys(("晋江", "石狮", "南安"), "泉州"), "福清": "福州",
    "仙游": "莆田", "霞浦": "宁德", "高邮": "扬州", "温岭": "台州", "海宁": "嘉兴", "普宁": "揭阳", "桐城": "安庆",
    "榆中": "兰州", "中宁": "中卫", "宁乡": "长沙", "浏阳": "长沙", **dict.fromkeys(("醴陵", "攸县", "茶陵"), "株洲"),
    **dict.fromkeys(("阳朔", "荔浦", "恭城"), "桂林"), **dict.fromkeys(("都江堰", "彭州", "邛崃", "崇州", "简阳"), "成都"),
    "江油": "绵阳", **dict.fromkeys(("峨眉山", "夹江", "犍为"), "乐山"), **dict.fromkeys(("广汉", "什邡", "绵竹"), "德阳"),
    "阆中": "南充", **dict.fromkeys(("宣威", "陆良", "富源", "罗平", "会泽"), "曲靖"), **dict.fromkeys(("嵩明", "宜良"), "昆明"),
    **dict.fromkeys(("横县", "横州", "宾阳"), "南宁"), "合浦": "北海", **dict.fromkeys(("燕郊", "霸州"), "廊坊"),
    **dict.fromkeys(("寿光", "青州", "诸城"), "潍坊"), **dict.fromkeys(("荣成", "乳山"), "威海"),
    **dict.fromkeys(("胶州", "平度", "莱西"), "青岛"), **dict.fromkeys(("招远", "蓬莱", "莱阳", "莱州"), "烟台"),
    "滕州": "枣庄", "曲阜": "济宁", **dict.fromkeys(("新泰", "肥城"), "泰安"), "邹平": "滨州", "任丘": "沧州",
    **dict.fromkeys(("定州", "涿州"), "保定"), "辛集": "石家庄", "梅河口": "通化", "绥芬河": "牡丹江",
    **dict.fromkeys(("瓦房店", "庄河"), "大连"), "海城": "鞍山", **dict.fromkeys(("珲春", "敦化", "延吉"), "延边"),
    "满洲里": "呼伦贝尔", "二连浩特": "锡林郭勒", "西昌": "凉山", "吉首": "湘西", **dict.fromkeys(("瑞丽", "芒市"), "德宏"),
    **dict.fromkeys(("开远", "蒙自", "个旧"), "红河"), "腾冲": "保山", "景洪": "西双版纳", **dict.fromkeys(("伊宁", "奎屯"), "伊犁"),
}
# 大理石, 普洱茶, 平安顺利, 大兴安岭, 福田货车: the same characters as a word or a brand, not a place
_CITY_NOT_BEFORE = {"集美": ("们",), "六合": ("彩", "一", "院"), "滨江": ("花园", "公园", "小区", "新城"),
                    "大理": ("石", "寺"), "普洱": ("茶",), "安顺": ("利",), "白银": ("首饰",), "大兴": ("安", "土木"),
                    "福田": ("汽车", "货车", "的车", "欧曼", "轻卡", "卡车", "牌"), "哈密": ("瓜",)}
# 厦门中山路: a street named after a city is no city; nor is a rural bank or a university named after one (上海农商行,
# 在吉林大学当老师), which may stand in another city
_STREET = re.compile("路(?!桥)|街|大道|农商|农村商业|大学")  # (台州路桥 is a district)
# 吉林四平: a province's name that is also a city's, before a city in that province
_PROVINCE_CITIES = frozenset(("吉林",))


# wo zai fuzhou, based in shanghai, qing dao de: a city typed in pinyin, its syllables together or apart
_PINYIN_CITY_SYLLABLES = (
    ("bei jing", "北京"), ("shang hai", "上海"), ("guang zhou", "广州"), ("shen zhen", "深圳"), ("cheng du", "成都"),
    ("chong qing", "重庆"), ("hang zhou", "杭州"), ("wu han", "武汉"), ("nan jing", "南京"), ("tian jin", "天津"),
    ("su zhou", "苏州"), ("chang sha", "长沙"), ("zheng zhou", "郑州"), ("fu zhou", "福州"), ("xia men", "厦门"),
    ("qing dao", "青岛"), ("ji nan", "济南"), ("shen yang", "沈阳"), ("da lian", "大连"), ("kun ming", "昆明"),
    ("he fei", "合肥"), ("nan ning", "南宁"), ("gui yang", "贵阳"), ("nan chang", "南昌"), ("dong guan", "东莞"),
    ("fo shan", "佛山"), ("ning bo", "宁波"), ("wuxi", "无锡"), ("ha er bin", "哈尔滨"), ("shi jia zhuang", "石家庄"),
    ("tai yuan", "太原"), ("lan zhou", "兰州"), ("hui zhou", "惠州"), ("zhu hai", "珠海"), ("wen zhou", "温州"),
    ("quan zhou", "泉州"), ("chang zhou", "常州"), ("xu zhou", "徐州"), ("xi ning", "西宁"),
    ("yan tai", "烟台"), ("la sa", "拉萨"), ("yan ji", "延吉"), ("wei fang", "潍坊"), ("lin yi", "临沂"),
    ("bao ding", "保定"), ("tang shan", "唐山"), ("luo yang", "洛阳"), ("mao ming", "茂名"), ("zhan jiang", "湛江"),
    ("mian yang", "绵阳"), ("heng yang", "衡阳"), ("zhu zhou", "株洲"), ("kai feng", "开封"), ("bang bu", "蚌埠"),
    ("hu he hao te", "呼和浩特"), ("wu lu mu qi", "乌鲁木齐"), ("xiang gang", "香港"), ("ao men", "澳门"),
)
_PINYIN_CITY_OTHERS = {"harbin": "哈尔滨", "urumqi": "乌鲁木齐", "hong kong": "香港", "macau": "澳门"}
# looked up with its spaces taken out (qingdao, qing dao)
_PINYIN_CITY = {p.replace(" ", ""): c for p, c in (*_PINYIN_CITY_SYLLABLES, *_PINYIN_CITY_OTHERS.items())}
# initials only right after 在 (人在bj), since gz is also 工资 and sz is also 苏州
_INITIALS_CITY = {"bj": "北京", "sh": "上海", "gz": "广州", "cq": "重庆"}
_PINYIN_CITY_RE = re.compile(
    r"(?<![a-z])(?:" + "|".join(p.replace(" ", " ?") for p in sorted(
        (*(p for p, _ in _PINYIN_CITY_SYLLABLES), *_PINYIN_CITY_OTHERS), key=len, reverse=True))
    + r"|(?<=[在住])(?:" + "|".join(_INITIALS_CITY) + r"))(?![a-z])")


@lru_cache(maxsize=1)
def _city_re() -> re.Pattern:
    return re.compile(trie_pattern(sorted(_city_names())))


@lru_cache(maxsize=1)
def _city_names() -> dict[str, str]:
    """Every name the city reader knows and the city it names: the list, the places above, and the list's 州 typed as
    洲 and 洲 as 州 (兰洲, 杭洲, 株州), the same sound with the other character."""
    listed = {c.strip() for c in data_text("cities.txt").splitlines() if c.strip()}
    swapped = {c[:-1] + ("洲" if c[-1] == "州" else "州"): c for c in listed if c[-1] in "州洲"}
    return {**{k: v for k, v in swapped.items() if k not in listed}, **{c: c for c in listed}, **_CITY_OF}


_CITY_GOOD_BEFORE = ("在", "坐标", "来自", "人在", "住", "是", "户口", "回")
# where the customer is now, above all; where the customer him- or herself is (我自己在深圳返工, 本人在) above where
# a relative or a house is (我媽喺香港有物業)
_CITY_NOW_BEFORE = ("现在在", "目前在", "如今在", "现在人在", "现在住", "自己在", "本人在", "我人在", "现居", "现住", "定居在",
                    "定居")
_CITY_LEFT = ("返", "回来")  # 香港返嚟东莞: where one has come back from
# 老家在南阳, 之前在深圳打工: where the customer comes from or was, below where they are
_CITY_PAST_BEFORE = ("老家", "老家在", "老家是", "之前在", "以前在", "原来在", "原先在", "本来在")
# 之前在福州交了三年，现在回老家了: a city left behind names none when the text says the customer has moved since
_CITY_GONE_BEFORE = ("之前在", "以前在", "原来在", "原先在", "本来在")
_MOVED = re.compile("现在回|回老家|回来了|搬走|搬到|离开")
# 女儿在深圳上班, 俺闺女在青岛上大学, 孙子在济南买房: where a child, a sibling or a friend works, studies or buys is
# theirs, not the customer's (not 我和儿子在深圳打工, said of both; 老爹在莱阳有套房 names a house that may be pledged)
_OTHERS_CITY_BEFORE = re.compile(r"(?<![和跟同与])(?:儿子|女儿|闺女|孙子|孙女|弟弟|妹妹|哥哥|姐姐|我弟|我妹|我哥|我姐|"
                                 r"朋友|亲戚|同事|同学)(?:他|她)? ?在 ?$")
# 在广州打了八年工，刚回来: a city where one spent years and has come back from is one left
# (not 在广州打了八年工，想贷款: still there)
_SPENT_YEARS_THERE = re.compile(r"[^，。,.;；!！?？ ]{0,3}(?:打了|干了|待了|呆了|做了|工作了|上了)[^，。,.;；!！?？ ]{0,4}(?:年|个月)")
_CAME_BACK = re.compile("刚回来|回来了|回老家|回到老家|现在回|搬回")
_OTHERS_DOING = re.compile(r" ?(?:上班|上大学|上学|读书|读大学|念书|打工|工作|买房|上班的|(?P<trade>开厂|开店|开公司))")
# 俺哥在郑州开厂，俺自己在家种大棚: a relative's trade is theirs where the customer says what they do themselves (not
# 我弟在昆明开店，他想借十万: the relative borrowing, where their trade is)
_SELF_SAID = re.compile("我自己|俺自己|本人|自己在|自己是|我在家|俺在家")
_WHO_ONE_IS = re.compile(r"[的个](?:[,，。.;；!！?？ ]|$)")
_ORIGIN_BEFORE = ("籍贯", "祖籍", "原籍", "老家", "老家是", "老家在", "户籍", "户籍在", "户籍是")
_ELSEWHERE = re.compile(r"(?:人|籍|那边的?)?[,，]?(?:一直|常年|长期|现在|目前)?在(?:外地|外省|外面|外头|国外|河北|山西|辽宁|"
                        r"吉林|黑龙江|江苏|浙江|安徽|福建|江西|山东|河南|湖北|湖南|广东|海南|四川|贵州|云南|陕西|甘肃|青海|广西|"
                        r"内蒙|西藏|宁夏|新疆)")
# 本人住澳门，横琴有一个单位: Hong Kong and Macau give way to a mainland city named, where the loan is asked
_OUTSIDE = frozenset(("香港", "澳门"))
# 在澳门赌输了, 去三亚旅游: a place visited, not where one is
_VISITED = re.compile(r"(?:赌输|赌博|赌钱|输了|旅游|旅行|度假|出差|玩了|玩的时候)")
# 俺爹在洛阳有套房, 我婆婆家在济南有一套老房子, 朋友的房子在昆明: a house a parent, an in-law, a sibling or a friend has
# is theirs and names their city, unless the message pledges or uses it for the loan (我爸在兰州有套房子，能用他的房子
# 抵押给我贷款吗)
_HOUSE_HOLDER_BEFORE = re.compile(r"(?<![和跟同与])(?:爸|妈|爹|父母|爸妈|老人|婆婆|公公|岳父|岳母|丈母娘|老丈人|爷爷|奶奶|外公|外婆|"
                                  r"姥姥|姥爷|儿子|女儿|闺女|弟弟|妹妹|哥哥|姐姐|我弟|我妹|我哥|我姐|朋友|亲戚)(?:家|他|她|他们)?"
                                  r"(?P<where> ?在 ?|的(?:房子?|门面|铺子?|商铺|厂房)在 ?)$")
_HOUSE_HELD = re.compile(r"[^,，。.;；!！?？ ]{0,2}有[^,，。.;；!！?？ ]{0,5}(?:房|门面|铺|厂房|别墅|宅基地)"
                         # (我爸在太原，我在晋中上班: where they live)
                         r"|[,，。.;；!！?？ ]|$|住|生活|养老|带孩子|带孙|看病|住院")
_SELF = re.compile("我|本人|自己|客户")
_SPOUSE_BEFORE = re.compile(r"(?:老公|老婆|媳妇|爱人|丈夫|妻子|其妻|其夫|男人|对象) ?在 ?$")
_HOLDER_WORD = re.compile("爸|妈|爹|父母|老人|婆|公公|岳|丈|爷|奶|外公|姥|儿子|女儿|闺女|弟|妹|哥|姐|朋友|亲戚")
_HOUSE_PLEDGED = re.compile(r"抵押|押|房抵|用(?:他|她|他们|她们|父母|爸妈|老人|家里)的|用来|拿来|拿去|过户")
# 在西安当兵刚退伍回家: where one served, studied or worked and has come home from is left
_LEFT_FOR_HOME = re.compile(r"[^。.;；!！?？]{0,12}?(?:退伍|退役|毕业|辞职|离职|辞工)(?:了|后)?(?:就)?回(?:家|来|老家|到)")
# 一套在珠海一套在江门: houses listed in parallel name no one city; 想用江门那套抵押: the one chosen does
_ONE_OF_SEVERAL = re.compile(r"一(?:套|个|间|处|栋|层)(?:房子?|门面|铺子?|楼)?在$")  # (Cantonese 一层喺广州: a flat)
_ONE_OF_SEVERAL_AFTER = re.compile(r"(?:的)?一(?:套|个|间|处|栋|层)")  # (北京一套，老家保定一套)
_CHOSEN_ONE = re.compile(r"(?:那|的那|嗰)(?:套|个|间|处|栋|块|层)")
_CHOOSING = re.compile(r"(?:用|拿|押|抵押|抵)$")
_PLEDGE_AFTER = re.compile(r"[^。.;；!！?？]{0,14}?(?:抵押|押|抵|做房抵)")  # (保定那套没贷款，想抵押)
# 听口音是莆田的: an accent heard is a guess, not where the customer is
_ACCENT = ("口音是", "口音像", "口音像是", "口音")
# I had 公积金 from working in 深圳…since I moved to Toronto: a city left, said in English
_WAS_THERE_EN = re.compile(r"(?:from working|worked|lived|was|were|studied|used to [a-z]+) in ?$")
_MOVED_EN = re.compile(r"moved (?:to|away|abroad|out)|left|relocated|搬到|移民")


def extract_city(text: str) -> str | None:
    """The customer's city (我在济南, 坐标杭州); a city after 在/坐标/来自 wins over a bare mention and one after
    现在在 over both, where one comes from (湛江人, 老家在南阳) gives way to where one is (在广州), and a city named
    right after its province (吉林四平) is the more exact of the two."""
    found: list[tuple[int, int, str]] = []
    names = _city_names()
    for m in _city_re().finditer(text):
        name = m.group()
        if (name in _CITY_NOT_BEFORE and text.startswith(_CITY_NOT_BEFORE[name], m.end())) or _STREET.match(
                text, m.end()):
            continue
        city = names[name]
        if found and found[-1][1] == m.start() and found[-1][2] in _PROVINCE_CITIES:
            found.pop()  # 吉林四平: the province before the city in it (温州瑞安 names the prefecture, as 泉州晋江)
        found.append((m.start(), m.end(), city))
    if _LATIN.search(text):
        found.extend((m.start(), m.end(), _PINYIN_CITY.get(m.group().replace(" ", ""))
                      or _INITIALS_CITY[m.group()])
                     for m in _PINYIN_CITY_RE.finditer(text))
        found.sort()
    if not found:
        return None
    best, best_rank = found[0][2], -1
    several, each = False, set()  # 在南宁和柳州各有一套房: two cities with one each, none chosen (where each starts)
    if len(found) > 1:
        several = sum(_ONE_OF_SEVERAL.search(_before(text, start, 8)) is not None
                      or _ONE_OF_SEVERAL_AFTER.match(text, end) is not None for start, end, _ in found) > 1
        for (s1, e1, _), (s2, e2, _) in zip(found, found[1:]):
            if text[e1:s2] in ("和", "跟", "与", "、") and text.startswith("各", e2):
                each.update((s1, s2))
    theirs: set[str] = set()  # cities named as someone else's
    named: set[str] = set()  # cities named as the customer's, of any rank
    relatives = None  # whether a relative is named at all, looked for once a city comes right after 在
    left = "回" in text and ("退" in text or "毕业" in text or "辞" in text or "离职" in text)  # (退伍回家)
    english = " in" in text
    for start, end, city in found:
        before = _before(text, start, 4)
        if before.endswith("zai"):
            before = "在"  # wo zai fuzhou: 在 in pinyin
        holder = None
        if before.endswith(("在", "在 ")):
            if relatives is None:
                relatives = _HOLDER_WORD.search(text) is not None
            if relatives:
                holder = _HOUSE_HOLDER_BEFORE.search(text, max(0, start - 12), start)
        if _CHOSEN_ONE.match(text, end) and (_CHOOSING.search(_before(text, start, 6)) or (
                not before and _PLEDGE_AFTER.match(text, end))):
            rank = 2.5  # 想用江门那套抵押, 保定那套没贷款，想抵押: the house chosen for the loan (below 我人在: where one is now)
        elif ((before.endswith("在") or before.endswith("在 ") or not before) and _OTHERS_CITY_BEFORE.search(
                text, max(0, start - 8), start) and (doing := _OTHERS_DOING.match(text, end)) and (
                not doing.group("trade") or _SELF_SAID.search(text))) or (
                holder and (holder.group("where").strip() != "在" or _HOUSE_HELD.match(text, end))
                and not _HOUSE_PLEDGED.search(text)) or (city in theirs and not _SELF.search(_before(text, start, 8))):
            rank = -1  # (where someone else lives their life or has a house: none, unless another city is named)
            theirs.add(city)
            if best_rank < 0:
                best = None
        elif ((before.endswith(_ORIGIN_BEFORE) or text.startswith(("人", "籍", "那边"), end)) and _ELSEWHERE.match(
                text, end) and not _CAME_BACK.search(text, end)):
            rank = -1  # 莆田人，在江苏开了三家诊所, 祖籍温州，在外地: a native living in another province, city unsaid
            if best_rank < 0:
                best = None
        elif (several and (_ONE_OF_SEVERAL.search(_before(text, start, 8)) or _ONE_OF_SEVERAL_AFTER.match(
                text, end))) or start in each or before.endswith(_ACCENT) or (
                before.endswith(("在", "去", "到")) and _VISITED.match(text, end)) or (
                left and _LEFT_FOR_HOME.match(text, end)) or (
                english and _WAS_THERE_EN.search(text, max(0, start - 16), start) and _MOVED_EN.search(text, end)):
            rank = -1  # (one of several houses, an accent heard, a place left: none, unless another city is named)
            if best_rank < 0:
                best = None
        elif (before.endswith(_CITY_PAST_BEFORE) and not before.endswith("我在老家")) or (
                text.startswith(_CITY_LEFT, end) and not text.startswith("返工", end)):
            rank = 0
            if before.endswith(_CITY_GONE_BEFORE) and _MOVED.search(text, end):
                rank = -1  # (a city the customer has left: none, unless another is named)
                if best_rank < 0:
                    best = None
        elif (before.endswith("在") and _SPENT_YEARS_THERE.match(text, end)
              and _CAME_BACK.search(text, end, end + 24)):
            rank = -1  # (a city where years were spent, then left: none, unless another is named)
            if best_rank < 0:
                best = None
        elif before.endswith(_CITY_NOW_BEFORE):
            rank = 3  # 我在昆明，不对，现在在曲靖了: where one is now
        else:  # (我是湛江人 says where one is from: a bare mention, below 在广州)
            rank = 2 if (before.endswith((*_CITY_GOOD_BEFORE, "我在老家")) and not text.startswith("人", end)) or (
                before.endswith("(") and text.startswith(")", end)) else 1  # (客户王某（成都）: a note's city field)
            if rank == 2 and before.endswith("是") and _WHO_ONE_IS.match(text, end):
                rank = 1.5  # 我是河源个，在深圳做装修: who one is gives way to where one is
            elif rank == 2 and before.endswith("在") and _SPOUSE_BEFORE.search(text, max(0, start - 6), start):
                rank = 1.5  # 老公在宁波上班，我在老家温州带孩子: the couple's city, below the customer's own
        if city in _OUTSIDE and rank > 0:
            rank = 0
        if rank > best_rank:  # the first of the highest rank
            best, best_rank = city, rank
        if rank >= 0:
            named.add(city)
    return _PREFECTURE_OF[best] if best in _PREFECTURE_OF and _PREFECTURE_OF[best] in named else best
