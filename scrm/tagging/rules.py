"""Keyword and pattern rules read from data (``data/rules.json``), with negation. Pure: no database."""

from __future__ import annotations

import json
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field, replace
from functools import lru_cache

import ahocorasick

from scrm.tagging.text import any_of, data_text, parse_number, trie_pattern


@dataclass(frozen=True)
class Rule:
    id: str
    tag: str | None  # an asset / risk tag, or None for a field rule
    field: str | None  # "product" | "intent"
    value: str | None
    keywords: tuple[str, ...]
    patterns: tuple[re.Pattern, ...]
    negative: tuple[str, ...]
    negatable: bool
    negative_patterns: tuple[re.Pattern, ...] = ()
    gates: dict = field(default_factory=dict, compare=False, hash=False)  # pattern -> literals one of which it needs


@dataclass(frozen=True)
class Count:
    """"查询了十几次", "网贷有五六个": a tag asserted when the counted number reaches ``least``, denied below it."""
    id: str
    tag: str
    pattern: re.Pattern  # with a group ``n``
    least: int
    needs: tuple[str, ...] | None = None
    # 上周被查了三次, 这周又查了四次: counts of windows that do not overlap (said with one of these words) add up
    adds: tuple[str, ...] = ()
    # 被拒了两次: a count that asserts the tag at ``least`` but below it says nothing (two rejections deny no inquiries)
    denies: bool = True


@dataclass(frozen=True)
class Named:
    """借呗, 微粒贷, 花呗 …: ``least`` distinct names in one text assert the tag."""
    id: str
    tag: str
    names: tuple[str, ...]
    least: int
    pattern: re.Pattern | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Ratio:
    """Monthly repayments against income: repayments of at least ``share`` of the income assert the tag."""
    id: str
    tag: str
    spend: re.Pattern  # with a group ``n``: the monthly repayment
    income: re.Pattern  # with a group ``n``: the monthly income
    share: float
    needs: tuple[str, ...] | None = None
    # 房贷每月一万二, 车贷四千: the repayments of several loans add up (a figure in group ``b``, said with no word of a
    # month, counts only when it is no more than the income: above it, it is what is owed, not a month's repayment)
    total: bool = False
    # 月供控制在三千以内, 月供别超过四千: a repayment wished for (one of these words in the match or right after it),
    # not one paid now
    wished: tuple[str, ...] = ()
    # 花呗借呗京东白条加起来四万多: a sum said with none of the month words near it is what is owed in all, not a
    # month's repayment, when it is above the income (每个月加起来要还两万八 is a month's)
    sums: tuple[str, ...] = ()
    months: tuple[str, ...] = ()


@dataclass(frozen=True)
class Denial:
    """"名下啥都没有": one phrase denying several tags."""
    id: str
    tags: tuple[str, ...]
    phrases: tuple[str, ...]


@dataclass(frozen=True)
class Implication:
    """A product asked about (or, with ``mention``, merely named) implies a tag: 房抵贷 ⇒ 有房产."""
    product: str
    tag: str
    mention: bool


@dataclass(frozen=True)
class Reasoning:
    counts: tuple[Count, ...] = ()
    named: tuple[Named, ...] = ()
    ratios: tuple[Ratio, ...] = ()
    denials: tuple[Denial, ...] = ()
    implications: tuple[Implication, ...] = ()
    collateral_words: tuple[str, ...] = ()
    collateral: tuple[tuple[str, str], ...] = ()  # (asset tag, product) for a pledge of that asset
    topics: tuple[tuple[str, str], ...] = ()  # (word, tag): what a loss word or an enumeration refers back to
    losses: tuple[str, ...] = ()
    enum_assert: tuple[str, ...] = ()
    enum_deny: tuple[str, ...] = ()
    past: tuple[str, ...] = ()
    present: tuple[str, ...] = ()
    others: tuple[str, ...] = ()
    together: tuple[str, ...] = ()
    future: tuple[str, ...] = ()
    others_bare: tuple[str, ...] = ()  # ``others`` without a leading 我 (老公 for 我老公)
    about_to: tuple[str, ...] = ()  # right before an asset (想开个店, 借钱开公司): not had yet
    purposes: tuple[tuple[tuple[str, ...], str, str], ...] = ()  # (words, tag, product): 周转 by an 企业主 ⇒ 经营贷
    # compiled once: every loss word, every enumeration word, every named platform, every topic
    losses_re: re.Pattern | None = field(default=None, compare=False)
    enum_re: re.Pattern | None = field(default=None, compare=False)
    topic_re: re.Pattern | None = field(default=None, compare=False)
    topic_tags: dict = field(default_factory=dict, compare=False, hash=False)
    answers: tuple[str, ...] = ()  # "征信有问题吗? 没问题": a question answered with one of these denies what it asked
    declines: tuple[str, ...] = ()  # "车抵不做了": right after a product, declines it
    changes: tuple[str, ...] = ()  # "不要了, 改成二十万": a low-intent phrase followed by one is a change of plan
    gains: tuple[str, ...] = ()  # "离婚后归我了": asserts the nearest topic before it, as a loss word denies it
    pronouns: tuple[str, ...] = ()  # a clause opening with one is about the someone else the text named
    gains_re: re.Pattern | None = field(default=None, compare=False)
    recoveries: dict = field(default_factory=dict, compare=False, hash=False)  # tag -> phrases that do not retract it
    product_asides: tuple[str, ...] = ()  # right before a product: 啥是 / 做过 (asked what it is, or had it before)
    product_questions: tuple[str, ...] = ()  # of the asides, those asking what it is: 啥叫车抵 implies no car
    comparisons: tuple[str, ...] = ()  # "公积金贷和信用贷哪个…": two products compared, neither is asked for
    bases: tuple[tuple[str, str, tuple[str, ...], frozenset], ...] = ()  # (tag, product, loan words, other tags)
    pledged_states: tuple[str, ...] = ()  # 已抵押, 抵押着: a pledge that exists, not one offered
    pledged_re: re.Pattern = field(default=re.compile("(?!)"), compare=False)  # any of them, in one search
    # 在外贸公司上班, 在餐饮店打工: a business named as where the customer works says nothing of running one
    workplace_tags: frozenset = frozenset()
    workplace_after: tuple[str, ...] = ()
    workplace_nouns: frozenset = frozenset()  # 我们公司, 厂里: a place an employee names as well as an owner
    # 二押 said of a car (车子押在别家了, 还能二押吗): a pledge word of no asset of its own takes the one named
    second_pledges: tuple[str, ...] = ()
    asset_words: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (product, words naming its asset)
    # 车抵贷利息多少: a pledge loan only named (one of these names) in a question about the lender's terms (these words)
    terms_names: tuple[str, ...] = ()
    terms_words: tuple[str, ...] = ()
    terms_ahead: frozenset = frozenset()  # 提前了解, 提前问问: a low intent of asking early, whatever the loan's name
    owners: re.Pattern | None = field(default=None, compare=False)  # in a denial: the asset is someone else's (车是我爸的)
    # 想做经营贷…最好不用抵押: a wish for no pledge (these words of the unsecured product) said of another loan that
    # needs none (these products) is that loan's
    unsecured: tuple[str, tuple[str, ...], tuple[str, ...]] | None = None
    enough: tuple[str, ...] = ()  # 资金够用: right after a purpose word, the money is not needed
    # 装修: a purpose word that is also a trade (做装修的, 装修公司) or a home's (装修房子): (words, before, after)
    trade_purposes: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]] = ((), (), ())
    # 想房抵二十万…还在比较几家: comparing lenders with a need stated (a figure) is no low intent
    comparing: tuple[str, ...] = ()
    # 想贷二十万，不急 / 下周再联系: no hurry with a need stated (a figure) is no low intent by itself
    calm: tuple[str, ...] = ()
    # 就是想问问我这情况能不能借个三万: only asking, with an amount asked in the same clause, states a need
    asking: frozenset = frozenset()
    # 她不同意抵押: a pledge someone refuses leaves no pledge loan for the model to guess, and says nothing of the asset
    pledge_refusals: tuple[tuple[str, ...], frozenset] = ((), frozenset())
    refusal_re: re.Pattern | None = field(default=None, compare=False)  # 不想拿房子去押: a refusal naming the asset
    choices: tuple[str, ...] = ()  # 最后说还是想走经营贷: the product named first after one of these is the one asked for
    # compiled once (texts are many): the scope words, and the ends of what names someone else's asset (他的, 老公)
    scope_res: dict = field(default_factory=dict, compare=False, hash=False)
    elsewhere_ends: tuple[str, ...] = ()
    planned: tuple[str, ...] = ()  # right before a loss word (房子要卖了, 准备卖掉): a loss to come, the asset had now
    # 营业执照是我老婆的…我们家想借: what the spouse holds is the couple's when they borrow together
    couple_losses: frozenset = frozenset()
    # 两套房都没贷款: a denying enumeration word followed by one of these denies that, not the topics listed
    deny_objects: tuple[str, ...] = ()
    # 房子是我老婆名下的，我们俩一起贷: an asset denied as the spouse's is the couple's when they borrow together
    spouses: re.Pattern | None = field(default=None, compare=False)
    # 想贷款三十万做生意: a business loan named only by a business to start implies no business run now
    ventures: tuple[str, ...] = ()
    weak_lows: frozenset = frozenset()  # 了解下, 想了解: low only when the text states no urgency at all
    # 怎么弄, 要什么手续: asking how to go about it is high only when the text says no word of only asking or waiting
    weak_highs: tuple[str, ...] = ()
    declared: frozenset = frozenset()  # 意向中, 意向较强: a salesperson's own word for the intent, whatever else is said
    # 怕征信花了, 万一还不上: right before a risk, what is feared or supposed, not what the customer has
    fears: tuple[str, ...] = ()
    # 如果有房子, 要是有车的话, 要求有车吗: right before an asset (or 的话 right after it), an asset supposed, not had
    suppositions: tuple[str, ...] = ()
    exceptions: re.Pattern | None = field(default=None, compare=False)  # 除了: the topic after it is kept
    # 过桥, 转贷: money to repay a bank loan falling due until it is renewed is a bridge, none of the products; the
    # bank's loan named as falling due (经营贷下个月到期) and the advance (垫资) are no business loan asked for
    bridges: tuple[str, ...] = ()
    again: tuple[str, ...] = ()  # 想再做一次: after a product had before (做过车抵), asks for it again
    asset_loans: tuple[str, ...] = ()  # 车贷, 房贷: after a loss of the asset, its loan named says nothing of it
    transfers: tuple[str, ...] = ()  # 车押在别家，想转过来: a pledge that exists, moved to this lender, is offered
    carried: tuple[str, ...] = ()  # 有公积金, 有逾期: a clause opening with one of these has no subject of its own
    # 我们一起贷, 两口子: words of borrowing together, stricter than ``together`` (我们县城 is no couple's loan)
    borrowing_together: re.Pattern | None = field(default=None, compare=False)
    bridge_product: str | None = None
    bridge_advances: tuple[str, ...] = ()
    bridge_due: tuple[str, ...] = ()
    bridge_not: tuple[str, ...] = ()  # 过桥米线: a bridge word inside another word
    # 帮我老公问问, 我妈让我问, 我不是本人: the text asks for someone else, whose facts are theirs, not the customer's
    behalf: re.Pattern | None = field(default=None, compare=False)
    own: tuple[str, ...] = ()  # a clause opening with one of these is the customer's own (我自己, 客户自己, 我们)
    behalf_cues: tuple[str, ...] = ()  # every ``behalf`` match holds one of these: a text without them is skipped
    # 刚回来, 今年回国: after one of these, a job (one of ``returns_tags``) said before it is one left
    returns: re.Pattern | None = field(default=None, compare=False)
    returns_tags: tuple[str, ...] = ()

    @property
    def purpose_products(self) -> tuple[str, ...]:
        return tuple(product for *_, product in self.purposes)


@dataclass(frozen=True, eq=False)
class RuleSet:
    version: int
    vocabulary: dict[str, list[str]]
    intent_tags: dict[str, str]
    rules: tuple[Rule, ...]
    negators: tuple[str, ...]
    fillers: tuple[str, ...]
    clause_break: re.Pattern
    reasoning: Reasoning | None = None

    @property
    def vocabulary_order(self) -> list[str]:
        return [t for tags in self.vocabulary.values() for t in tags]

    @property
    def product_tags(self) -> list[str]:
        return self.vocabulary["贷款产品"]

    def group_of(self, tag: str) -> str | None:
        return next((g for g, tags in self.vocabulary.items() if tag in tags), None)


@dataclass
class Hit:
    rule: str
    phrase: str
    positive: bool
    end: int


@dataclass
class RuleResult:
    tags: dict[str, bool] = field(default_factory=dict)  # asserted True, or asserted not (negation)
    product: str | None = None
    negated_products: set[str] = field(default_factory=set)
    intent: str | None = None
    hits: dict[str, Hit] = field(default_factory=dict)  # tag / "product" / "intent" -> the deciding hit
    # assets the text names as someone else's (他的房子) or names only by a loan asked about (车抵贷利息多少)
    elsewhere: set[str] = field(default_factory=set)
    # products only asked what they are (啥叫车抵), compared (房抵和经营贷有啥区别) or pledged already (车抵押在银行):
    # not asked for, and no asset implied by them
    asked_about: set[str] = field(default_factory=set)


def parse_rules(doc: dict) -> RuleSet:
    """Validate and compile a rules document (the shipped file, or one a manager edits later)."""
    vocabulary = doc["vocabulary"]
    known = {t for tags in vocabulary.values() for t in tags}
    rules = []
    for r in doc["rules"]:
        tag, fld = r.get("tag"), r.get("field")
        if (tag is None) == (fld is None):
            raise ValueError(f"rule {r.get('id')}: exactly one of tag and field")
        if tag is not None and tag not in known:
            raise ValueError(f"rule {r['id']}: tag {tag} is not in the vocabulary")
        if fld == "product" and r["value"] not in vocabulary["贷款产品"]:
            raise ValueError(f"rule {r['id']}: product {r['value']} is not in the vocabulary")
        if fld == "intent" and r["value"] not in ("high", "medium", "low"):
            raise ValueError(f"rule {r['id']}: intent must be high, medium or low")
        if any(len(t) > 30 for t in known):
            raise ValueError("WeCom tag names are at most 30 characters")
        rules.append(Rule(r["id"], tag, fld, r.get("value"), tuple(r.get("any", [])),
                          tuple(re.compile(p) for p in r.get("patterns", [])), tuple(r.get("negative", [])),
                          bool(r.get("negatable", True)),
                          tuple(re.compile(p) for p in r.get("negative_patterns", []))))
        rules[-1].gates.update({p: gate(p.pattern) for p in (*rules[-1].patterns, *rules[-1].negative_patterns)})
    neg = doc["negation"]
    breaks = sorted(neg["clause_breaks"], key=len, reverse=True)
    reasoning = parse_reasoning(doc.get("reasoning") or {}, known, set(vocabulary["贷款产品"]))
    return RuleSet(int(doc["version"]), vocabulary, doc["intent_tags"], tuple(rules),
                   tuple(sorted(neg["negators"], key=len, reverse=True)), tuple(neg["fillers"]),
                   re.compile("|".join(map(re.escape, breaks))), reasoning)


def parse_reasoning(doc: dict, tags: set[str], products: set[str]) -> Reasoning:
    """The reasoning section of a rules document: counts, named platforms, ratios, denials, implications."""
    def tag_of(item: dict, what: str) -> str:
        if item["tag"] not in tags:
            raise ValueError(f"{what} {item.get('id', '')}: tag {item['tag']} is not in the vocabulary")
        return item["tag"]

    counts = tuple(Count(c["id"], tag_of(c, "count"), re.compile(c["pattern"]), int(c["least"]),
                         tuple(c["needs"]) if c.get("needs") else gate(c["pattern"]), tuple(c.get("adds", [])),
                         bool(c.get("denies", True)))
                   for c in doc.get("counts", []))
    named = tuple(Named(n["id"], tag_of(n, "named"), tuple(n["names"]), int(n["least"]),
                        _alternation(tuple(n["names"])))
                  for n in doc.get("named", []))
    ratios = tuple(Ratio(r["id"], tag_of(r, "ratio"), re.compile(r["spend"]), re.compile(r["income"]),
                         float(r["share"]), tuple(r["needs"]) if r.get("needs") else gate(r["spend"]),
                         bool(r.get("total", False)), tuple(r.get("wished", [])), tuple(r.get("sums", [])),
                         tuple(r.get("months", [])))
                   for r in doc.get("ratios", []))
    denials = []
    for d in doc.get("denials", []):
        unknown = set(d["tags"]) - tags
        if unknown:
            raise ValueError(f"denial {d['id']}: tags {sorted(unknown)} are not in the vocabulary")
        denials.append(Denial(d["id"], tuple(d["tags"]), tuple(d["any"])))
    implications = []
    for i in doc.get("implications", []):
        if i["product"] not in products:
            raise ValueError(f"implication: product {i['product']} is not in the vocabulary")
        implications.append(Implication(i["product"], tag_of(i, "implication"), bool(i.get("mention", False))))
    collateral = doc.get("collateral", {})
    for tag, product in collateral.get("products", {}).items():
        if tag not in tags or product not in products:
            raise ValueError(f"collateral: {tag} → {product} names an unknown tag or product")
    topics = tuple((w, t) for w, t in doc.get("topics", []))
    if any(t not in tags for _, t in topics):
        raise ValueError("topics: every topic names a tag in the vocabulary")
    enum, scopes = doc.get("enumerations", {}), doc.get("scopes", {})
    losses = tuple(sorted(doc.get("losses", []), key=len, reverse=True))
    enum_assert, enum_deny = tuple(enum.get("assert", [])), tuple(enum.get("deny", []))
    gains = tuple(sorted(doc.get("gains", []), key=len, reverse=True))
    reasoning = Reasoning(counts, named, ratios, tuple(denials), tuple(implications),
                          tuple(collateral.get("words", [])), tuple(collateral.get("products", {}).items()), topics,
                          losses, enum_assert, enum_deny,
                          tuple(scopes.get("past", [])), tuple(scopes.get("present", [])),
                          tuple(scopes.get("others", [])), tuple(scopes.get("together", [])),
                          tuple(scopes.get("future", [])), tuple(o.lstrip("我") for o in scopes.get("others", [])),
                          tuple(scopes.get("about_to", [])),
                          tuple((tuple(p["words"]), p["tag"], p["product"]) for p in doc.get("purposes", [])),
                          _alternation(losses), _alternation(enum_assert + enum_deny),
                          _alternation(tuple(w for w, _ in topics)), dict(topics))
    return replace(reasoning,
                   answers=tuple(doc.get("answers", [])), declines=tuple(doc.get("declines", [])),
                   changes=tuple(doc.get("changes", [])), gains=gains, gains_re=_alternation(gains),
                   pronouns=tuple(scopes.get("pronouns", [])),
                   recoveries={tag_of(x, "recovery"): frozenset(x["phrases"]) for x in doc.get("recoveries", [])},
                   product_asides=tuple(doc.get("product_asides", [])), comparisons=tuple(doc.get("comparisons", [])),
                   product_questions=tuple(doc.get("product_questions", [])),
                   bases=tuple((tag_of(b, "basis"), _product_of(b, products), tuple(b["words"]), frozenset(b["unless"]))
                               for b in doc.get("bases", [])),
                   pledged_states=tuple(doc.get("pledged_states", [])),
                   pledged_re=any_of(tuple(doc.get("pledged_states", []))),
                   workplace_tags=frozenset(tag_of({"tag": t}, "workplace")
                                            for t in doc.get("workplaces", {}).get("tags", [])),
                   workplace_after=tuple(doc.get("workplaces", {}).get("after", [])),
                   workplace_nouns=frozenset(doc.get("workplaces", {}).get("nouns", [])),
                   second_pledges=tuple(doc.get("second_pledges", {}).get("words", [])),
                   asset_words=tuple((_product_of({"product": p}, products), tuple(w))
                                     for p, w in doc.get("second_pledges", {}).get("assets", {}).items()),
                   terms_names=tuple(doc.get("terms_questions", {}).get("names", [])),
                   terms_words=tuple(doc.get("terms_questions", {}).get("words", [])),
                   terms_ahead=frozenset(doc.get("terms_questions", {}).get("ahead", [])),
                   owners=re.compile(doc["owners"]["pattern"]) if doc.get("owners") else None,
                   choices=tuple(doc.get("choices", [])), comparing=tuple(doc.get("comparing_with_need", [])),
                   calm=tuple(doc.get("calm_with_need", [])),
                   asking=frozenset(doc.get("asking_with_need", [])),
                   pledge_refusals=(tuple(doc.get("pledge_refusals", {}).get("words", [])),
                                    frozenset(_product_of({"product": p}, products)
                                              for p in doc.get("pledge_refusals", {}).get("products", []))),
                   enough=tuple(doc.get("purposes_enough", [])),
                   trade_purposes=tuple(tuple(doc.get("purposes_trades", {}).get(k, []))
                                        for k in ("words", "before", "after")),
                   refusal_re=(re.compile(doc["pledge_refusals"]["pattern"])
                               if doc.get("pledge_refusals", {}).get("pattern") else None),
                   planned=tuple(sorted(doc.get("planned_losses", []), key=len, reverse=True)),
                   couple_losses=frozenset(doc.get("couple_losses", [])),
                   deny_objects=tuple(enum.get("deny_objects", [])),
                   spouses=_alternation(tuple(doc.get("spouses", []))),
                   ventures=tuple(doc.get("ventures", [])),
                   weak_lows=frozenset(doc.get("weak_lows", [])),
                   weak_highs=tuple(doc.get("weak_highs", [])),
                   declared=frozenset(doc.get("declared_intents", [])),
                   fears=tuple(doc.get("fears", [])),
                   suppositions=tuple(doc.get("suppositions", [])),
                   exceptions=_alternation(tuple(doc.get("exceptions", []))),
                   bridges=tuple(doc.get("bridges", {}).get("words", [])),
                   again=tuple(doc.get("product_again", [])),
                   carried=tuple(scopes.get("carried", [])),
                   transfers=tuple(doc.get("transfers", [])),
                   asset_loans=tuple(doc.get("asset_loans", [])),
                   borrowing_together=(any_of(tuple(scopes["borrowing_together"]))
                                       if scopes.get("borrowing_together") else None),
                   bridge_product=(_product_of(doc["bridges"], products) if doc.get("bridges") else None),
                   bridge_advances=tuple(doc.get("bridges", {}).get("advances", [])),
                   bridge_due=tuple(doc.get("bridges", {}).get("due", [])),
                   bridge_not=tuple(doc.get("bridges", {}).get("not", [])),
                   behalf=_behalf_pattern(doc.get("behalf", {}), reasoning.others_bare),
                   own=tuple(doc.get("behalf", {}).get("own", [])),
                   behalf_cues=tuple(doc.get("behalf", {}).get("cues", [])),
                   returns=(any_of(tuple(doc["returns"]["words"])) if doc.get("returns") else None),
                   returns_tags=tuple(doc.get("returns", {}).get("tags", [])),
                   scope_res={name: any_of(tuple(words)) for name, words in (
                       ("past", scopes.get("past", [])), ("present", scopes.get("present", [])),
                       ("others", scopes.get("others", [])), ("together", scopes.get("together", [])),
                       ("future", scopes.get("future", [])), ("choices", doc.get("choices", [])),
                       ("fears", doc.get("fears", [])), ("suppositions", doc.get("suppositions", [])),
                       ("definitions", doc.get("definitions", [])),
                       ("someone", (*reasoning.others_bare, "他", "她")))},
                   elsewhere_ends=reasoning.others_bare + ("他", "她", "他们", "她们"),
                   unsecured=((_product_of(doc["unsecured"], products), tuple(doc["unsecured"]["words"]),
                               tuple(_product_of({"product": p}, products) for p in doc["unsecured"]["others"]))
                              if doc.get("unsecured") else None))


def _behalf_pattern(doc: dict, others: tuple[str, ...]) -> re.Pattern | None:
    """The patterns of asking for someone else, ``{who}`` standing for anyone the scopes name (老公, 我爸, 他)."""
    if not doc.get("patterns"):
        return None
    who = "(?:" + trie_pattern(list({*others, *doc.get("pronouns", [])})) + ")"
    return re.compile("|".join(p.replace("{who}", who) for p in doc["patterns"]))


def _product_of(item: dict, products: set[str]) -> str:
    if item["product"] not in products:
        raise ValueError(f"product {item['product']} is not in the vocabulary")
    return item["product"]


_META = set(".^$*+?{}[]\\|()")


def gate(pattern: str) -> tuple[str, ...] | None:
    """Literals one of which every match of ``pattern`` contains ("(房子|房产)…抵押" needs 抵押; "做[^，]{0,4}生意"
    needs 生意), the longest such piece found at the top level, so a text without them skips the regex; None
    when the pattern has no such piece. Top-level alternatives need one of their pieces together."""
    alternatives = _top_level_alternatives(pattern)
    if len(alternatives) > 1:
        needs = [gate(a) for a in alternatives]
        return None if None in needs else tuple(sorted({lit for n in needs for lit in n}))
    pieces: list[tuple[str, ...]] = []
    run, i, depth = "", 0, 0
    while i < len(pattern):
        ch = pattern[i]
        quantified = pattern[i + 1:i + 2] in ("?", "*", "{", "+")
        if ch == "\\":
            pieces.append((run,)) if run else None
            run, i = "", i + 2
            continue
        if ch == "[":
            pieces.append((run,)) if run else None
            run = ""
            i = pattern.index("]", i + 1) + 1
            continue
        if ch == "(":
            pieces.append((run,)) if run else None
            run, depth, j = "", 0, i
            while j < len(pattern):
                depth += (pattern[j] == "(") - (pattern[j] == ")")
                if depth == 0:
                    break
                j += 1
            inner = pattern[i + 1:j]
            inner = inner[2:] if inner.startswith("?:") else inner
            alternatives = inner.split("|")
            optional = pattern[j + 1:j + 2] in ("?", "*") or pattern[j + 1:j + 3] == "{0"
            if not optional and all(a and not (set(a) & _META) for a in alternatives):
                pieces.append(tuple(alternatives))
            i = j + 1
            continue
        if ch == "|":
            return None
        if ch in _META:
            if run and ch in "?*{":
                run = run[:-1]
            pieces.append((run,)) if run else None
            run = ""
            if ch == "{":
                i = pattern.index("}", i) + 1
                continue
            i += 1
            continue
        if quantified and pattern[i + 1] != "+":
            pieces.append((run,)) if run else None
            run = ""
        else:
            run += ch
        i += 1
    if run:
        pieces.append((run,))
    if not pieces:
        return None
    # of pieces as long, one without a character most texts hold (有, 在, 不 …) lets fewer texts through
    return max(pieces, key=lambda p: min(len(a) for a in p) * 10 - len(p) - 3 * any(a in _COMMON for a in p))


_COMMON = frozenset("有在不没是的我了要想你")


def _top_level_alternatives(pattern: str) -> list[str]:
    parts, start, depth, i = [], 0, 0, 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "[":
            i = pattern.index("]", i + 2) + 1  # a class may begin with ] itself
            continue
        depth += (ch == "(") - (ch == ")")
        if ch == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
        i += 1
    return [*parts, pattern[start:]]


def _alternation(words: tuple[str, ...]) -> re.Pattern | None:
    return re.compile("|".join(map(re.escape, sorted(words, key=len, reverse=True)))) if words else None


@lru_cache(maxsize=1)
def shipped_rules() -> RuleSet:
    return parse_rules(json.loads(data_text("rules.json")))


@lru_cache(maxsize=8)
def _rule_sets(rules: RuleSet) -> tuple[frozenset, frozenset, frozenset, dict[str, Rule]]:
    """The asset tags, the pledgeable ones, the risk tags and each rule by its id."""
    reasoning = rules.reasoning
    return (frozenset(rules.vocabulary.get("资产资质", ())) if reasoning is not None else frozenset(),
            frozenset(tag for tag, _ in reasoning.collateral) if reasoning is not None else frozenset(),
            frozenset(rules.vocabulary.get("风险信号", ())), {r.id: r for r in rules.rules})


@lru_cache(maxsize=8)
def _phrase_index(rules: RuleSet) -> dict[str, list[tuple[Rule, bool]]]:
    index: dict[str, list[tuple[Rule, bool]]] = {}
    for rule in rules.rules:
        for k in rule.keywords:
            index.setdefault(k, []).append((rule, True))
        for k in rule.negative:
            index.setdefault(k, []).append((rule, False))
    for d in rules.reasoning.denials if rules.reasoning else ():
        for tag in d.tags:
            rule = Rule(f"{d.id}:{tag}", tag, None, None, (), (), d.phrases, False)
            for k in d.phrases:
                index.setdefault(k, []).append((rule, False))
    return index


@lru_cache(maxsize=8)
def _pattern_checks(rules: RuleSet) -> tuple[tuple[str, ...], tuple, tuple[int, ...], dict[str, tuple[int, ...]]]:
    """Every rule pattern with the literals it needs (one of them), and all those literals: a text is searched
    for each literal once, and a pattern runs only when one of its literals is there. Also the positions of the
    patterns that need no literal, and for each literal the positions of the patterns it lets run."""
    checks = []
    for rule in rules.rules:
        for patterns, positive in ((rule.patterns, True), (rule.negative_patterns, False)):
            for pattern in patterns:
                needs = rule.gates.get(pattern)
                checks.append((rule, pattern, positive, frozenset(needs) if needs else None))
    reasoning = rules.reasoning
    needed = [c.needs for c in (*reasoning.counts, *reasoning.ratios) if c.needs] if reasoning else []
    literals = tuple(sorted({lit for *_, needs in checks if needs for lit in needs}
                            | {lit for n in needed for lit in n}))
    ungated = tuple(i for i, (*_, needs) in enumerate(checks) if needs is None)
    by_literal: dict[str, list[int]] = {}
    for i, (*_, needs) in enumerate(checks):
        for lit in needs or ():
            by_literal.setdefault(lit, []).append(i)
    return literals, tuple(checks), ungated, {lit: tuple(ids) for lit, ids in by_literal.items()}


@dataclass(frozen=True, eq=False)
class Scanner:
    """One pass over a text for every rule phrase and every word something else needs (a pattern's literals, a count's
    key words, the named platforms, the topics): an Aho-Corasick automaton of all of them, which reports each one
    wherever it occurs. At each position the longest rule phrase starting there is the one that counts (a shorter one
    is part of it)."""
    automaton: ahocorasick.Automaton  # a token -> (its length, the longest rule phrase it starts with, the watched
    # words it starts with)

    def scan(self, text: str) -> tuple[list[tuple[int, str]], set[str]]:
        """The rule phrases found (position, the longest phrase there) and the set of watched words in ``text``."""
        longest: dict[int, str] = {}
        present: set[str] = set()
        if len(self.automaton):
            for end, (length, phrase, words) in self.automaton.iter(text):
                present.update(words)
                if phrase is not None:
                    start = end - length + 1
                    if len(phrase) > len(longest.get(start, "")):
                        longest[start] = phrase
        return sorted(longest.items()), present


@lru_cache(maxsize=8)
def _scanner(rules: RuleSet) -> Scanner:
    phrases = set(_phrase_index(rules))
    words = set(_pattern_checks(rules)[0])
    r = rules.reasoning
    if r is not None:
        words |= {n for nm in r.named for n in nm.names} | {w for w, _ in r.topics}
    return build_scanner(phrases, words)


def build_scanner(phrases: set[str], words: set[str]) -> Scanner:
    automaton = ahocorasick.Automaton()
    for token in phrases | words:
        automaton.add_word(token, (len(token), next((token[:k] for k in range(len(token), 0, -1)
                                                     if token[:k] in phrases), None),
                                   tuple(token[:k] for k in range(1, len(token) + 1) if token[:k] in words)))
    if len(automaton):
        automaton.make_automaton()
    return Scanner(automaton)


@lru_cache(maxsize=8)
def _negators(rules: RuleSet) -> re.Pattern:
    return re.compile(trie_pattern(list(rules.negators)))


def _starts(pattern: re.Pattern, text: str) -> list[int]:
    """Every position where ``pattern`` matches, overlapping ones included."""
    out, m = [], pattern.search(text)
    while m is not None:
        out.append(m.start())
        m = pattern.search(text, m.start() + 1)
    return out


def _negated(rules: RuleSet, clause_prefix: str) -> bool:
    if _negators(rules).search(clause_prefix) is None:
        return False  # most clauses hold no negator at all
    for filler in rules.fillers:
        if clause_prefix.endswith(filler):
            head = clause_prefix[: len(clause_prefix) - len(filler)]
            if head.endswith(rules.negators):
                neg = next(n for n in rules.negators if head.endswith(n))
                # 要不要押车, 有没有逾期, 有没得做, 做不做经营贷: a question, not a negation
                return not (len(head) > len(neg) and (head[-len(neg) - 1] == neg[-1]
                                                      or (neg[0] == "没" and head[-len(neg) - 1] == "有")
                                                      or (filler and head[-len(neg) - 1] == filler[0])))
    return False


_PURCHASE = re.compile(r"(?:想|要|打算|准备|计划)[^，。,.;；!！?？ ]{0,4}买[^，。,.;；!！?？ 了]{0,2}[车房]")
_SMS = re.compile(r"【[^】]{1,16}】[^ \n]*")
# a figure with its magnitude right after a refusal (算了要八万) makes the refusal a change of plan
_FIGURE = re.compile(r"(?:\d+|[一二两三四五六七八九十百]+)(?:万|w|千|k)")
_FIGURE_BEFORE = re.compile(r"(?:\d|[一二两三四五六七八九十百])(?:万|w|千|k)(?:块|元)?(?:的)?$")  # 十五万不要了: that figure dropped


def apply_rules(text: str, rules: RuleSet | None = None) -> RuleResult:
    """Tags and fields the rules assert for one normalised text; the last statement in the text wins."""
    rules = rules or shipped_rules()
    index = _phrase_index(rules)
    breaks = [m.end() for m in rules.clause_break.finditer(text)]
    matches: list[tuple[int, int, Rule, bool, str]] = []
    found, present = _scanner(rules).scan(text)
    negators = _starts(_negators(rules), text)
    for at, phrase in found:
        for rule, positive in index[phrase]:
            matches.append((at, at + len(phrase), rule, positive, phrase))
    _, checks, ungated, by_literal = _pattern_checks(rules)
    gated = {i for lit in present for i in by_literal.get(lit, ())}
    for i in sorted(gated.union(ungated)) if gated else ungated:  # in the rules' order, as ties keep it
        rule, pattern, positive, _ = checks[i]
        for m in pattern.finditer(text):
            matches.append((m.start(), m.end(), rule, positive, m.group()))
    if rules.reasoning is not None:
        matches.extend(reasoning_matches(text, rules.reasoning, present))
        matches.extend(topic_matches(text, rules.reasoning, present))
    # a phrase inside a longer phrase of the same rule (逾期 in 没有逾期 … ) counts once, as the longer one
    matches.sort(key=lambda x: (x[0], -(x[1] - x[0])))
    assets, pledgeable, risk_tags, rule_of = _rule_sets(rules)
    # only a text holding a word of fearing or supposing can have a risk feared or an asset supposed
    risks = (risk_tags if rules.reasoning is not None and rules.reasoning.fears
             and rules.reasoning.scope_res["fears"].search(text) is not None else frozenset())
    # only a text asking what a risk's word means (才算, 算不算, 啥叫) can have a risk only defined
    defined = (risk_tags if rules.reasoning is not None
               and rules.reasoning.scope_res["definitions"].search(text) is not None else frozenset())
    supposable = (assets if rules.reasoning is not None and rules.reasoning.suppositions
                  and ("的话" in text or rules.reasoning.scope_res["suppositions"].search(text) is not None)
                  else frozenset())
    covered: dict[str, int] = {}
    asked = "?" in text
    asking = "有没有" in text or "有无" in text  # most texts ask of no asset whether it is had
    # the text names someone else (老公, 他): only then can a clause be about them
    someone = rules.reasoning is not None and rules.reasoning.scope_res["someone"].search(text) is not None
    field_spans: dict[str, list[tuple[int, int]]] = {}
    result = RuleResult()
    products_at = [(s, e) for s, e, rule, _, _ in matches if rule.field == "product"]
    eager: Hit | None = None  # the last high intent the text states
    lowered: Hit | None = None  # the last low intent the text states
    declared: Hit | None = None  # the last intent a salesperson's note names in so many words
    elsewhere_said: set[str] = set()  # tags said of someone else, the past or a plan (想开个小饭店)
    pasted = _SMS.search(text) if "【" in text else None  # a pasted SMS: the sender's words, up to the first space
    for start, end, rule, positive, phrase in matches:
        if covered.get(rule.id, -1) >= end:
            continue
        if pasted is not None and rule.field == "intent" and pasted.start() <= start < pasted.end():
            continue  # 【分期乐】…请尽快还款: the lender's hurry, not the customer's
        if rule.tag is not None and ((asking and _asked_having(text, start))
                                     or (phrase.endswith("有") and text.startswith(("没有", "没"), end))):
            continue  # 有没有社保都行, 有无逾期, 社保有没有交: a question of having it says neither
        covered[rule.id] = max(covered.get(rule.id, -1), end)
        if rule.field is not None:
            # 急用 overlapping 不着急用: a phrase overlapping an earlier one about the same field is part of it
            spans = field_spans.setdefault(rule.field, [])
            if any(start < e and s < end for s, e in spans):
                continue
            spans.append((start, end))
        i = bisect_right(breaks, start)
        clause_start = breaks[i - 1] if i else 0
        if (positive and rule.negatable and bisect_left(negators, clause_start) < bisect_left(negators, start)
                and _negated(rules, text[clause_start:start])):
            positive = False
        clause_end = breaks[i] if i < len(breaks) else len(text)
        if positive and rules.reasoning is not None and (
                (asked and rule.tag is not None and answered_no(text, clause_end, rules.reasoning))
                or (rule.field == "product" and text[end:end + 4].lstrip("也就都").startswith(rules.reasoning.declines))):
            positive = False
        if (positive and rule.field == "product" and rules.reasoning is not None
                and _pledged(rules.reasoning, text[start:end + (6 if text.startswith("在", end) else 3)])
                and not any(w in text[end:] for w in rules.reasoning.transfers)):
            # 红本在银行押着: where, then the state
            result.asked_about.add(rule.value)  # nor one the model should guess
            continue  # 车抵押在银行了, 房子已经抵押了: a pledge that exists is not one offered
        if (positive and rule.field == "product" and rules.reasoning is not None
                and text[max(0, start - 4):start].endswith(rules.reasoning.product_asides)):
            if text[max(0, start - 4):start].endswith(rules.reasoning.product_questions):
                result.asked_about.add(rule.value)  # 啥叫车抵: a question about the word, nothing about the car
                continue
            # 之前做过车抵: not what is asked for now, unless it is asked for again (想再做一次)
            positive = _again(text, end, rules.reasoning)
        if (rule.field == "intent" and rule.value == "low" and rules.reasoning is not None
                and (any(c in text[end:end + 8] for c in rules.reasoning.changes)
                     or _FIGURE.search(text[end:end + 6])
                     or (_FIGURE_BEFORE.search(text, max(0, start - 6), start) and len(_FIGURE.findall(text)) > 1)
                     or (phrase in rules.reasoning.comparing and _FIGURE.search(text))
                     or (phrase in rules.reasoning.asking and _FIGURE.search(text, end, clause_end)))):
            # 不要了, 改成二十万 / 算了要八万 / 八万就行, 十五万不要了 (another figure stated): a change of plan;
            # 要三十万, 在比较几家: comparing with a need stated
            continue
        if (rule.field == "intent" and rule.value == "low" and rules.reasoning is not None
                and phrase in rules.reasoning.calm and _FIGURE.search(text)):
            continue  # 想借五万，不急 / 下周再联系: no hurry with a need stated is no decline; the rest of the text decides
        if (positive and rule.tag in risks and text[max(0, start - 6):start].endswith(rules.reasoning.fears)
                and start > clause_start):
            continue  # 怕查询太多, 担心负债太高批不了: feared, not had
        if (positive and rule.tag in defined and rules.reasoning.scope_res["definitions"].search(
                text, clause_start, clause_end) is not None):
            continue  # 么样才算征信花, 查询多少次算多: what a word means, asked, says nothing of the customer's
        if (positive and rule.tag in supposable
                and (text.startswith("的话", end)
                     or text[max(0, start - 6):start].endswith(rules.reasoning.suppositions))):
            continue  # 如果有房子能贷多少, 有公积金的话: supposed, not had
        if (positive and rules.reasoning is not None and rule.tag in rules.reasoning.workplace_tags
                and _workplace(text, clause_start, start, end, clause_end, rules.reasoning)):
            continue
        if (positive and rule.tag in pledgeable and someone and rules.reasoning.borrowing_together
                and rule.id.startswith("asset-")
                and _after_someone(text, clause_start, start, rules.reasoning)):
            continue  # 女朋友家有房子, 我爸妈有一套房子: someone else's, unless they borrow together (我们一起贷)
        if (positive and rule.tag in pledgeable and phrase[:1] in "车房" and phrase in rules.reasoning.asset_loans
                and any(m.group()[-1] == phrase[0] for m in _PURCHASE.finditer(text, 0, start))):
            continue  # 想贷款买车…问问车贷利息多少: the loan of a purchase to come, no asset had
        in_scope_kind = rule.tag is not None or rule.field == "product"  # a product only has a past scope
        if positive and rules.reasoning is not None and in_scope_kind and out_of_scope(
                text, clause_start, start, rules.reasoning, rule.tag in assets or rule.tag is None,
                past_only=rule.tag is None, end=end, someone=someone) and not (
                rule.field == "product" and _again(text, end, rules.reasoning)):
            if rule.tag is not None:
                elsewhere_said.add(rule.tag)
            continue
        if (not positive and rule.tag is not None and rules.reasoning is not None
                and someone and out_of_scope(text, clause_start, start, rules.reasoning, False)):
            continue  # 老婆不上班: what someone else lacks is not denied of the customer
        if (not positive and rule.tag is not None and rules.reasoning is not None
                and _denies_what_follows(text, end, rule.tag, rules.reasoning)):
            continue  # 单位交社保没交公积金: the denial's object is what follows it, not the topic before
        hit = Hit(rule.id, phrase, positive, end)
        if rule.tag is not None:
            key = rule.tag
        elif rule.field == "product":
            key = f"product:{rule.value}"
        else:
            key = "intent" if positive else None
        if key is None:
            continue
        previous = result.hits.get(key)
        if (previous is not None and previous.positive and not hit.positive and rules.reasoning is not None
                and phrase in rules.reasoning.recoveries.get(key, ())):
            continue  # 逾期过, 现在征信好了: the overdue stays on the report
        if (previous is not None and not previous.positive and hit.positive and previous.rule.startswith("loss:")
                and any(s < end and start < e for s, e in products_at)):
            continue  # 保单退了, 还能做保单贷吗: a product named after the asset is lost does not give it back
        if (previous is not None and not previous.positive and hit.positive and previous.rule.startswith("loss:")
                and rules.reasoning is not None and phrase.startswith(rules.reasoning.asset_loans)):
            continue  # 车已经卖了, 车贷也结清了; 车被收走了, 因为车贷断供了: a loan on an asset lost does not give it back
        if (previous is not None and previous.positive and hit.positive and rules.reasoning is not None
                and phrase in rules.reasoning.workplace_nouns and previous.phrase not in rules.reasoning.workplace_nouns):
            continue  # 老婆开服装店…店里进点货: the noun refers back to the business named, which stays the hit
        if key == "intent" and rule.value == "high":
            eager = hit
        if key == "intent" and rule.value == "low":
            lowered = hit
        if key == "intent" and rules.reasoning is not None and phrase in rules.reasoning.declared:
            declared = hit
        if previous is None or previous.end < end or (previous.end == end and not hit.positive):
            result.hits[key] = hit
    if (eager is not None and rules.reasoning is not None and "intent" in result.hits
            and result.hits["intent"].phrase in rules.reasoning.weak_lows):
        result.hits["intent"] = eager  # 今天就要…了解下利息: a wish to learn more does not undo urgency said
    elif (lowered is not None and rules.reasoning is not None and "intent" in result.hits
            and result.hits["intent"].phrase.startswith(rules.reasoning.weak_highs or ("\0",))):
        result.hits["intent"] = lowered  # 先了解一下房贷怎么弄: asking how it goes while only learning is no readiness
    if declared is not None:
        result.hits["intent"] = declared  # 客户意向中…但要等年后: the note's own word for the intent decides
    for key, hit in result.hits.items():
        if key.startswith("product:"):
            continue
        if key != "intent":
            result.tags[key] = hit.positive
    if rules.reasoning is not None:
        _employees_workplace(rules.reasoning, result)
        _couples_assets(text, rules.reasoning, result, assets)
        _excepted(text, rules.reasoning, result)
    products = sorted(((h.end, k[8:], h) for k, h in result.hits.items() if k.startswith("product:")))
    for _, product, hit in products:
        if hit.positive:
            # 原计划做房抵…改做信用贷: a pledge loan given up for a later one is declined, its asset still offered
            if result.product is not None and result.product != product and rules.reasoning is not None:
                result.negated_products.add(result.product)
            result.product = product
        else:
            result.negated_products.add(product)
    unpledged = False  # the loan asked for is wished unsecured: no pledge makes it the pledge's loan
    if result.product is not None:
        result.hits["product"] = next(h for _, p, h in products if p == result.product)
        unsecured = rules.reasoning.unsecured if rules.reasoning is not None else None
        if unsecured is not None and result.product == unsecured[0] and result.hits["product"].phrase in unsecured[1]:
            # named as a loan (经营贷, 公积金贷), not only by its purpose (进货 … 不想抵押, 有没有信用的)
            other = [(end, p, h) for end, p, h in products if h.positive and p in unsecured[2] and "贷" in h.phrase]
            if other:
                _, result.product, result.hits["product"] = max(other, key=lambda x: x[0])
                unpledged = True
    if "intent" in result.hits:
        result.intent = rule_of[result.hits["intent"].rule].value
    result.negated_products.discard(result.product or "")
    result.asked_about.discard(result.product or "")
    if rules.reasoning is not None:
        _reconsider_product(text, rules.reasoning, result)
        result.elsewhere = elsewhere(text, rules.reasoning, present)
        result.elsewhere |= _terms_only(text, rules.reasoning, result)
    refused = rules.reasoning is not None and (
        any(w in text for w in rules.reasoning.pledge_refusals[0])
        or (rules.reasoning.refusal_re is not None and rules.reasoning.refusal_re.search(text) is not None))
    if result.product is None and rules.reasoning is not None and not refused:
        pledged = pledge(text, rules, result)
        if pledged is not None:
            result.product, result.hits["product"] = pledged
    elif rules.reasoning is not None and result.product in rules.reasoning.purpose_products and not unpledged:
        # 有间商铺…想抵押贷点钱做生意: money for a business raised on a pledge (not a valuation) is the pledge's loan,
        # and so is one raised on a pledge loan named (想用厂房抵押借一百五十万出粮)
        named = _pledge_named(rules.reasoning, result)
        pledged = named or collateral(text, rules, result, tuple(w for w in rules.reasoning.collateral_words
                                                                  if "押" in w or "抵" in w))
        if pledged is not None:
            result.product, result.hits["product"] = pledged
    if rules.reasoning is not None and rules.reasoning.choices:
        _final_choice(text, rules, result)
    if result.product is None and refused:
        result.asked_about |= rules.reasoning.pledge_refusals[1]
    if (rules.reasoning is not None and rules.reasoning.bridges and any(w in text for w in rules.reasoning.bridges)
            and not any(w in text for w in rules.reasoning.bridge_not)):
        _bridge(text, rules.reasoning, result)
    if rules.reasoning is not None and rules.reasoning.ventures and result.product is not None:
        hit = result.hits.get("product")
        if hit is not None and hit.phrase[:1] in "借贷" and hit.phrase.endswith(rules.reasoning.ventures):
            result.elsewhere |= {i.tag for i in rules.reasoning.implications
                                 if i.product == result.product and i.tag not in result.tags}
    if rules.reasoning is not None and rules.reasoning.behalf is not None:
        _for_someone_else(text, rules, breaks, result)
    if rules.reasoning is not None and rules.reasoning.returns:
        _work_left(text, rules.reasoning, result)
    if (result.product is None and result.tags.get("工薪族") and "企业主" not in result.tags
            and "企业主" not in elsewhere_said):
        result.asked_about.add("经营贷")  # 散货船大副，年薪三十来万: a salaried worker names no business to lend to
    return result


def _for_someone_else(text: str, rules: RuleSet, breaks: list[int], result: RuleResult) -> None:
    """帮我老公问问，他开大货车的，车是自己名下的，想押车借十万: a text asking for someone else tells their facts, which
    are not the customer's, in every clause but those the customer opens of their own (我自己的征信是好的, 客户自己在
    油田上班, 我们家有套房); the loan asked for still counts, and implies nothing of the customer's. A couple borrowing
    together (我们一起贷) shares what they have."""
    r = rules.reasoning
    if not any(c in text for c in r.behalf_cues) or r.behalf.search(text) is None:
        return
    if r.borrowing_together is not None and r.borrowing_together.search(text) is not None:
        return
    owners = _clause_owners(text, breaks, r)
    for key, hit in list(result.hits.items()):
        if key == "intent" or key.startswith("product"):
            continue
        if not owners[bisect_right(breaks, hit.end - len(hit.phrase))]:
            result.tags.pop(key, None)
            del result.hits[key]
            result.elsewhere.add(key)
    # whichever loan is asked for, by a rule or by the model, implies nothing of the customer's, unless its asset is
    # named in a clause of the customer's own (我老婆让我问问，我们家那套房能抵押多少)
    own_topics = {r.topic_tags[m.group()] for m in r.topic_re.finditer(text)
                  if owners[bisect_right(breaks, m.start())]} if r.topic_re is not None else set()
    result.elsewhere |= {i.tag for i in r.implications if i.tag not in result.tags and i.tag not in own_topics}


def _work_left(text: str, r: Reasoning, result: RuleResult) -> None:
    """在日本打工五年，去年回的衢州; 在尼日利亚干了五年，月薪两万多，今年回国不走了: a job said before coming back
    (home, or from abroad) is one left, not one held now; a job said after it (回来在亲戚厂里上班) is held."""
    for tag in r.returns_tags:
        hit = result.hits.get(tag)
        if (result.tags.get(tag) and hit is not None and hit.rule.startswith("asset-")
                and (r.returns.search(text, hit.end) is not None or _there(text, hit, r))):
            del result.tags[tag]
            del result.hits[tag]


def _there(text: str, hit: Hit, r: Reasoning) -> bool:
    """刚从坦桑尼亚回来，在那边修路干了三年: a job 在那边 (where the customer came back from) is one left."""
    start = hit.end - len(hit.phrase)
    part = _SENTENCE_PART.split(text[:start])[-1]
    return part.startswith(_THERE) and (r.returns.search(text, 0, start) is not None
                                        or _CAME_BACK.search(text, 0, start) is not None)


_THERE = ("在那边", "在那儿", "在那里", "在国外", "在外面")
_CAME_BACK = re.compile(r"从[^，。,.;；!！?？ ]{1,8}回来")


def _clause_owners(text: str, breaks: list[int], r: Reasoning) -> list[bool]:
    """For each clause, whether it is about the customer: one opening with 我 (not 我老公) or an own word is, one
    opening with someone else or a pronoun is not, and one with no subject of its own goes on about the last one named
    (the first, of the someone else asked for)."""
    owners, own = [], False
    for start, end in zip((0, *breaks), (*breaks, len(text))):
        opening = _opening(text, start)
        if text.startswith(r.own, start):
            own = True
        elif opening.lstrip("我俺").startswith(r.others_bare) or opening.startswith(_THIRD_PERSONS):
            own = False
        elif opening.startswith(("我", "俺")):
            own = True
        owners.append(own)
        # 我老公让我问问 有套房想抵押: told to ask, the customer is who asks, and goes on about their own
        own = own or _TOLD_TO_ASK.search(text, start, end) is not None
    return owners


_THIRD_PERSONS = ("他", "她", "伊", "he ", "she ", "they ")
_TOLD_TO_ASK = re.compile(r"[让叫托喊](?:我|俺)来?(?:问|咨询|打听)")


def _bridge(text: str, r: Reasoning, result: RuleResult) -> None:
    """需要过桥垫资三百万, 经营贷下个月到期…能给垫资一下不, 过个桥就还: a bridge to repay the bank's loan until it is
    renewed asks for none of the products. The business loan stays when the business's own need is said
    (厂里周转不开…做60万过桥), and a pledge offered (房本) is still a pledge."""
    hit = result.hits.get("product")
    if result.product == r.bridge_product and hit is not None and (
            hit.phrase in r.bridge_advances
            or ("贷" in hit.phrase and any(w in text[hit.end:hit.end + 8] for w in r.bridge_due))):
        result.product = None
        result.hits.pop("product", None)
    if result.product is None:
        result.asked_about.add(r.bridge_product)  # nor one the model should guess


def _pledged(r: Reasoning, segment: str) -> bool:
    """A pledged state in ``segment`` (抵押着, 有抵押), not one denied (没有抵押物: no pledge at all)."""
    m = r.pledged_re.search(segment)
    return m is not None and not (m.group().startswith("有") and segment[m.start() - 1:m.start()] in ("没", "无")
                                  and m.start() > 0)


def _pledge_named(r: Reasoning, result: RuleResult) -> tuple[str, Hit] | None:
    """The last pledge loan (房抵贷, 车抵贷) the text asks for, said as a pledge rule's phrase."""
    pledges = {product for _, product in r.collateral}
    named = [(h.end, k[len("product:"):], h) for k, h in result.hits.items()
             if k.startswith("product:") and h.positive and k[len("product:"):] in pledges]
    if not named:
        return None
    _, product, hit = max(named, key=lambda x: x[0])
    return product, hit


def _again(text: str, end: int, r: Reasoning) -> bool:
    """之前做过一笔车抵，现在还清了，想再做一次: a product had before and asked for again (not 不想再做)."""
    for word in r.again:
        at = text.find(word, end)
        if at >= 0 and text[at - 1:at] not in ("不", "别") and text[at - 2:at] not in ("不想", "不会", "不用"):
            return True
    return False


def _denies_what_follows(text: str, end: int, tag: str, r: Reasoning) -> bool:
    """社保没交公积金: a denial ending in its verb, right before a topic of another tag, is about that topic."""
    if r.topic_re is None or text[end - 1:end] not in _DENYING_VERBS:
        return False
    topic = r.topic_re.match(text, end)
    return topic is not None and r.topic_tags[topic.group()] != tag


_DENYING_VERBS = frozenset("交缴买有")


def _asked_having(text: str, start: int) -> bool:
    """The phrase at ``start`` is what 有没有 / 有无 asks about (its own 有 or 没有 included)."""
    for word in ("有没有", "有无"):
        at = text.rfind(word, max(0, start - len(word)), start + len(word) - 1)
        if at >= 0 and at + len(word) >= start:
            return True
    return False


_CHOSEN = ("做", "要", "走", "选", "用", "办", "拿")  # 最后还是想做公积金的: the basis taken, not only named


def _final_choice(text: str, rules: RuleSet, result: RuleResult) -> None:
    """问了房抵和经营贷, 最后说还是想走经营贷; 想用店面抵押, 另外再做个信用贷, 最终还是做抵押吧: after a word of
    deciding, the first product named (or a pledge of the one asset stated) is the one asked for, whatever was
    weighed before it."""
    r = rules.reasoning
    found = list(r.scope_res["choices"].finditer(text))
    if not found:
        return
    at = found[-1].end()
    named = sorted((h.end - len(h.phrase), k[len("product:"):]) for k, h in result.hits.items()
                   if k.startswith("product:") and h.positive and h.end - len(h.phrase) >= at)
    if named:
        product = named[0][1]
        result.product, result.hits["product"] = product, result.hits[f"product:{product}"]
        result.asked_about.discard(product)
        result.negated_products.discard(product)
        return
    words = tuple(w for w in r.collateral_words if "押" in w and w in text[at:])
    pledged = collateral(text[at:], rules, result, words) if words else None
    if pledged is not None:
        result.product, result.hits["product"] = pledged[0], Hit("choice", pledged[1].phrase, True, at + pledged[1].end)
        return
    # 我最后还是想做公积金的: the basis of one loan named after the decision is that loan
    based = dict(r.collateral) | {tag: product for tag, product, *_ in r.bases}
    topic = r.topic_re.search(text, at, at + 12) if r.topic_re is not None else None
    if (topic is not None and based.get(r.topic_tags[topic.group()]) is not None
            and text[at:topic.start()].endswith(_CHOSEN) and not _negated(rules, text[at:topic.start()])):
        result.product = based[r.topic_tags[topic.group()]]
        result.hits["product"] = Hit("choice", topic.group(), True, topic.end())
        result.asked_about.discard(result.product)


# ---------------------------------------------------------------------------------------------- reasoning

_WEEK = re.compile(r"周|星期|礼拜")
_CN_COUNT = {"几": 3, "好几": 5, "十几": 12, "几十": 30, "好几十": 30, "一大堆": 10, "好多": 10, "很多": 10, "多": 3}


def count_value(s: str) -> int | None:
    """The number in a count as people say it: 8, 八, 十几 (12), 五六 (6), 二十多 (20), 好几 (5)."""
    s = re.sub("[多来余](?=[万w])", "", s.rstrip("多来余"))  # 三十多万: thirty
    if s in _CN_COUNT:
        return _CN_COUNT[s]
    if s.endswith("几"):
        base = count_value(s[:-1])
        return (base or 0) + 2
    if len(s) == 2 and all(c in "一二两三四五六七八九" for c in s):
        s = s[1]  # 五六个: the larger
    n = parse_number(s)
    if n is None and s[-1:] in ("万", "w") and "几" in s:
        base = count_value(s[:-1])  # 十几万: a dozen ten-thousands
        return base * 10_000 if base is not None else None
    return int(n) if n is not None else None


def reasoning_matches(text: str, r: Reasoning,
                      present: set[str] | None = None) -> list[tuple[int, int, Rule, bool, str]]:
    """Counts, named platforms and ratios in a text, as rule matches (asserting or denying a tag). ``present``:
    the literals the patterns need that the text holds, when the caller has looked for them already."""
    out = []
    named_seen = present  # the named platforms in the text, when the caller looked for them
    if present is None:
        present = {n for c in (*r.counts, *r.ratios) if c.needs for n in c.needs if n in text}
    added: dict[str, list[tuple[int, int, int, int]]] = {}  # tag -> (start, end, count, least) of counts that add up
    for c in r.counts:
        if c.needs and present.isdisjoint(c.needs):
            continue
        rule = None  # made on the first count found: most texts with the key words state none
        for m in c.pattern.finditer(text):
            n = count_value(next(v for v in m.groupdict().values() if v))
            if n is not None:
                rule = rule or Rule(c.id, c.tag, None, None, (), (), (), False)
                # 一周查了五次: a week's count is held to half the mark of a month's
                least = c.least // 2 if c.least < 100 and _WEEK.search(text, max(0, m.start() - 6), m.end()) else c.least
                if n < least and not c.denies:
                    continue
                out.append((m.start(), m.end(), rule, n >= least, m.group()))
                if c.adds and any(w in text for w in c.adds):
                    found = added.setdefault(c.tag, [])
                    if not any(s < m.end() and m.start() < e for s, e, _, _ in found):
                        found.append((m.start(), m.end(), n, c.least))
    for tag, found in added.items():
        if len(found) > 1 and sum(n for *_, n, _ in found) >= min(least for *_, least in found):
            start, end = min(s for s, *_ in found), max(e for _, e, *_ in found)
            out.append((start, end, Rule(f"sum:{tag}", tag, None, None, (), (), (), False), True, text[start:end]))
    if out:
        # 被查了18次 近一月5次: the largest count of a tag decides, a smaller window after it does not retract it
        many = {rule.tag for _, _, rule, positive, _ in out if positive}
        out = [x for x in out if x[3] or x[2].tag not in many]
    for nm in r.named:
        if named_seen is not None and len(named_seen.intersection(nm.names)) < nm.least:
            continue
        seen: dict[str, int] = {}
        for m in nm.pattern.finditer(text):
            seen.setdefault(m.group(), m.end())
        if len(seen) >= nm.least:
            end = sorted(seen.values())[nm.least - 1]
            out.append((min(seen.values()) - 1, end, Rule(nm.id, nm.tag, None, None, (), (), (), False), True,
                        "、".join(sorted(seen, key=seen.get))))
    for ratio in r.ratios:
        if ratio.needs and present.isdisjoint(ratio.needs):
            continue
        income = [(m.end(), _monthly(text, m)) for m in ratio.income.finditer(text)]
        income = [(e, v) for e, v in income if v and v >= _LEAST_INCOME]  # 收入掉了一大半: a drop, not an income
        # 工资加起来一万二: a figure that is the income is not a repayment too
        spend = [(m.end(), _monthly(text, m), m.groupdict().get("b") is not None or _sum_in_all(text, m, ratio))
                 for m in ratio.spend.finditer(text)
                 if not any(e == m.end() for e, _ in income)
                 and not (ratio.wished and (any(w in m.group() for w in ratio.wished)
                                            or text.startswith(ratio.wished, m.end())))]
        if income:
            i_end, i_val = max(income, key=lambda x: x[1])
            spend = [(e, v) for e, v, bare in spend if v and not (bare and v > i_val)]
        if spend and income:
            s_end, s_val = max(spend, key=lambda x: x[1])
            if ratio.total:
                s_end, s_val = max(e for e, _ in spend), max(s_val, sum(v for _, v in spend))
            start, end = min(s_end, i_end) - 1, max(s_end, i_end)
            out.append((start, end, Rule(ratio.id, ratio.tag, None, None, (), (), (), False),
                        s_val >= ratio.share * i_val, text[start:end]))
    return out


def _sum_in_all(text: str, m: re.Match, ratio: Ratio) -> bool:
    """加起来四万多 with no word of a month in the match or just before it: a total owed, not a month's repayment."""
    return (m.group().startswith(ratio.sums) and ratio.months != ()
            and not any(w in text[max(0, m.start() - 6):m.end()] for w in ratio.months))


_MORE = {"千": 500, "k": 500, "万": 5000, "w": 5000, "百": 50}
_LEAST_INCOME = 500


def _monthly(text: str, m: re.Match) -> int | None:
    """The figure of a ratio's match (its one group that matched); 三千多 is taken as halfway to the next thousand."""
    name, figure = next(((k, v) for k, v in m.groupdict().items() if v), (None, None))
    if figure is not None and text.startswith(("半", "分之", "成"), m.end(name)):
        return None  # 工资的一半, 三分之一, 七成: a share, not a sum
    value = count_money(figure.replace("多", "").replace("来", "")) if figure else None  # 六十多万: sixty
    if value and text.startswith("多", m.end()) and figure[-1] in _MORE:
        value += _MORE[figure[-1]]
    return value


def answered_no(text: str, clause_end: int, r: Reasoning) -> bool:
    """A question ("征信有问题吗?") answered in the next clause with a denial ("没问题", "没有"): what it asked is denied."""
    return (text[clause_end - 1:clause_end] == "?" and text[clause_end - 2:clause_end - 1] in "吗么"
            and text[clause_end:clause_end + 3].lstrip().startswith(r.answers))


def out_of_scope(text: str, clause_start: int, start: int, r: Reasoning, asset: bool, past_only: bool = False,
                 end: int | None = None, someone: bool = True) -> bool:
    """A clause about someone else (老公…, 别人…, unless the text says 我们 / 一起): nothing stated there is the
    customer's. For assets also a clause about the past (以前…, when the text goes on to 现在) or the future
    (想买一辆…): the asset is not the customer's now. ``someone``: False when the text names no one else at all
    (no relative, no 他 / 她), which the caller has looked for once."""
    if not past_only and someone:
        opening = _opening(text, clause_start)
        # 客户说他媳妇公积金交了八年: in a note 他 is the customer, and his wife someone else
        if ((opening.lstrip("我他她").startswith(r.others_bare) and not _i_again(text, clause_start, start, r))
                or (opening.startswith(r.pronouns) and r.scope_res["others"].search(text, 0, clause_start)
                    and not text.startswith(_NOTES))):
            if not _together(text, r):
                return True
        if (r.carried and opening.startswith(r.carried) and clause_start > 0
                and not text.startswith(_NOTE_OPENINGS, clause_start)
                and not _together(text, r) and _carried_from_someone(text, clause_start, r)):
            return True  # 我老婆在银行上班 有公积金: a clause with no subject of its own goes on about the same person
    if not asset:
        return False
    if _in_the_past(text, clause_start, start, r):
        return True
    if past_only:
        return False
    # 想用社保贷款: using what one has is not about to have it
    about_to = (text[max(0, start - 2):start].endswith(r.about_to) and text[start:start + 1] not in "用凭拿"
                and not _must_work(text, start) and not _bought(text, clause_start, start, end))
    return (r.scope_res["future"].search(text, clause_start, start) is not None or about_to
            or _purpose_ahead(text, clause_start, start, start if end is None else end))


def _bought(text: str, clause_start: int, start: int, end: int | None) -> bool:
    """去年买商铺花了一百万: 买 right before an asset said of the past (a past word before it, 花了 after it) bought it."""
    return text[start - 1:start] == "买" and (
        _BOUGHT_BEFORE.search(text, clause_start, start) is not None
        or text.startswith(_BOUGHT_AFTER, start if end is None else end))


_BOUGHT_BEFORE = re.compile(r"去年|前年|之前|以前|已经|刚|早就|那年|当年")
_BOUGHT_AFTER = ("花了", "了", "的时候", "时")


def _together(text: str, r: Reasoning) -> bool:
    """我们, 一起, 两口子: the text speaks of the couple or family together; 我们在太原 only says where they are."""
    return any(not (m.group() == "我们" and text.startswith("在", m.end()))
               for m in r.scope_res["together"].finditer(text))


def _carried_from_someone(text: str, clause_start: int, r: Reasoning) -> bool:
    """The clause before ``clause_start`` opens with someone else (我老婆在银行上班, 我老公征信不好) and does not come
    back to the customer (我老婆上班我开出租的)."""
    if text[clause_start - 1:clause_start] != " ":
        return False  # only a run-on message's space joins what one person is said to have; a comma may turn to 我
    prev = max(text.rfind(c, 0, clause_start - 1) for c in _BREAKS) + 1
    opening = _opening(text, prev)
    return (opening.lstrip("我他她").startswith(r.others_bare)
            and not any(w in text[prev:clause_start] for w in _TOLD)
            and not _i_again(text, prev, clause_start - 1, r))


_TOLD = ("介绍", "推荐", "让我", "叫我", "说", "问", "帮", "同意")  # 朋友介绍的 有房有车: who sent or told, not who has


def _after_someone(text: str, clause_start: int, start: int, r: Reasoning) -> bool:
    """An asset right after someone else named as its owner in the same clause (我爸妈有一套房子, 老婆名下有套房,
    朋友的房子), when the text does not say they borrow together (我们想一起贷, 两口子)."""
    before = text[max(clause_start, start - 9):start].rstrip("的家有一两套辆台个老那这名下里")
    if _public_flat(text, start):
        return False
    owner = next((o for o in r.others_bare if before.endswith(o)), None)
    if owner is None or before[:-len(owner)].rstrip("我").endswith(("我和", "我跟", "我与", "我同")):
        return False  # 我和老公有一套房: held together with the customer
    return r.borrowing_together.search(text) is None


def _public_flat(text: str, at: int) -> bool:
    """名下一套老公房: an old public flat (老公房), no husband's house."""
    return text.startswith("房", at) and text[max(0, at - 2):at] == "老公"


def _must_work(text: str, start: int) -> bool:
    """我平时要上班, 白天得上班: work one has to go to is a job held, not one wanted (想要上班, 想上班)."""
    return (text.startswith(("上班", "加班"), start) and text[start - 1:start] in ("要", "得")
            and text[max(0, start - 2):start - 1] not in ("想", "打", "准", "需"))


def _workplace(text: str, clause_start: int, start: int, end: int, clause_end: int, r: Reasoning) -> bool:
    """在外贸公司上班: the phrase sits between 在 and a word of working, in one clause."""
    return "在" in text[clause_start:start] and any(w in text[end:clause_end] for w in r.workplace_after)


def _employees_workplace(r: Reasoning, result: RuleResult) -> None:
    """月薪七千, 我们公司代发; 在厂里上了五年班: a salaried customer naming only a workplace (or a topic another word
    asserted, 厂…都有) runs no business."""
    for tag in r.workplace_tags:
        hit = result.hits.get(tag)
        if (result.tags.get(tag) and result.tags.get("工薪族") and hit is not None
                and (hit.phrase in r.workplace_nouns or hit.rule.startswith(("gain:", "enum:")))):
            del result.tags[tag]
            del result.hits[tag]


def _couples_assets(text: str, r: Reasoning, result: RuleResult, assets: frozenset) -> None:
    """房子是我老婆名下的，我们俩一起贷: an asset denied only by naming the spouse as its owner is the couple's when the
    text says they borrow together (我们, 一起)."""
    if r.spouses is None or (r.borrowing_together or r.scope_res["together"]).search(text) is None:
        return  # 等老公回来一起商量: talking it over together is no loan taken together
    for tag in assets:
        hit = result.hits.get(tag)
        if (result.tags.get(tag) is False and hit is not None and r.spouses.search(hit.phrase) is not None
                and hit.rule.startswith(("asset-", "loss:", "enum:"))):
            result.tags[tag] = True
            result.hits[tag] = Hit(hit.rule, hit.phrase, True, hit.end)


def _excepted(text: str, r: Reasoning, result: RuleResult) -> None:
    """除了一套房什么都没有, 除了车别的都卖了: the topic named after an exception word is kept, whatever a denial after it
    says of everything else."""
    if r.exceptions is None or r.topic_re is None:
        return
    for m in r.exceptions.finditer(text):
        topic = r.topic_re.search(text, m.end(), m.end() + 4)
        if topic is None:
            continue
        tag = r.topic_tags[topic.group()]
        hit = result.hits.get(tag)
        if result.tags.get(tag) is False and hit is not None and hit.end > topic.end():
            result.tags[tag] = True
            result.hits[tag] = Hit("except", text[m.start():topic.end()], True, topic.end())


def _i_again(text: str, clause_start: int, start: int, r: Reasoning) -> bool:
    """我老婆上班我开出租的: a 我 after the someone else opens what is the customer's own."""
    at = text.rfind("我", clause_start + 2, start)
    # 我老公跟我说他有套房: a 我 told or asked something is not the subject again; 我爹我娘: nor one naming another
    return (at >= 0 and not text.startswith(("我们", "我俩"), at) and text[at - 1] not in "让跟和给叫帮替对问"
            and not text.startswith(r.others_bare, at + 1))


_NOTE_OPENINGS = ("跟进:", "跟进记录:", "客户说", "客户")
# a salesperson's note (回访: 李姐说…她名下没房): 他 / 她 in it is the customer, whoever else it names
_NOTES = ("跟进", "回访", "备注", "面谈", "客户", "【跟进】", "已加微信", "已加v", "今天电话")


def _opening(text: str, clause_start: int) -> str:
    """The first characters of a clause, past a salesperson's "客户…" (客户老婆开美容院: about his wife)."""
    clause = text[clause_start:clause_start + 12]
    for o in _NOTE_OPENINGS:
        if clause.startswith(o):
            clause = clause[len(o):]
    if clause.startswith(_VOCATIVES):  # 哥我征信黑了: the salesperson addressed, then the customer's own words
        v = next(v for v in _VOCATIVES if clause.startswith(v))
        if clause.startswith(("我", "俺"), len(v)):
            clause = clause[len(v):]
    return clause[:6]


_VOCATIVES = ("大哥", "大姐", "老哥", "哥哥", "姐姐", "哥们", "兄弟", "老弟", "哥", "姐")


def _in_the_past(text: str, clause_start: int, start: int, r: Reasoning) -> bool:
    """以前 / 之前 … before the phrase in its clause, with 现在 said somewhere and not in between: a run-on
    "之前借了很多网贷…现在每个月还款…工资才八千" has its present half after 现在."""
    if r.scope_res["past"].search(text, clause_start, start) is None or r.scope_res["present"].search(text) is None:
        return False
    before = text[clause_start:start]
    at = max((before.rfind(p) for p in r.past), default=-1)
    if at < 0:
        return False
    # 我跟你说实话吧我之前做生意赔了: a particle closes what was said before, so the past word opens what follows
    head = _PARTICLE.split(before[:at])[-1]
    if len(head) > 4 and not head.lstrip("我的这边").startswith(r.others_bare):
        # deep in a clause only when the past word opens what is said (我老公之前做生意…), not "卖了之前的车"
        return False
    return not any(p in before[at:] for p in r.present)


_PARTICLE = re.compile(r"[吧啊呀嘛呢]")
_PURPOSE = re.compile(r"(想|要|打算|准备)[^，。,.;；!！?？ ]{0,8}(借|贷|抵押|押|抵)[^，。,.;；!！?？ ]{0,12}$")


_PURPOSE_VERBS = ("做点", "做个", "开个", "开家", "开间", "搞点", "搞个")  # 想押了做点小买卖
_SENTENCE_END = re.compile(r"[。!！?？]")
_WISHED = re.compile(r"想|打算|准备|计划")


def _purpose_ahead(text: str, clause_start: int, start: int, end: int) -> bool:
    """想贷款三十万做生意, 想抵点钱出来开店, …做生意用: the business is what the money is for, not one the customer
    runs."""
    if not (text[start:start + 1] in "做开" or text[max(0, start - 2):start] in _PURPOSE_VERBS):
        return False
    if _PURPOSE.search(text[clause_start:start]) is not None or text[end:end + 1] == "用":
        return True
    # 想贷款做点小生意，开个早餐店什么的; 想在镇上开个小超市: a business to open, wished earlier in the sentence (not
    # one more shop, 再开个分店, nor one opened, 开了个)
    opened = text[start:start + 2] if text[start:start + 1] == "开" else text[max(0, start - 2):start]
    if opened not in _PURPOSE_VERBS or "分店" in text[start:end + 2] or text[start - 1:start] == "再":
        return False
    sentence = _SENTENCE_END.split(text[:start])[-1]
    return _WISHED.search(sentence) is not None and "开了" not in sentence


def topic_matches(text: str, r: Reasoning, present: set[str] | None = None) -> list[tuple[int, int, Rule, bool, str]]:
    """Loss words deny the nearest topic before them (车也卖了, 辞职后断了); 都有 / 都没有 assert or deny every
    topic listed before them in the sentence (房子车子公积金都有). ``present``: the topics in the text, when the
    caller has looked for them already (none: nothing to find)."""
    out = []
    if r.topic_re is None or (present is not None and present.isdisjoint(r.topic_tags)):
        return out
    note = text.startswith(_NOTE_OPENINGS)
    for positive, words in ((False, r.losses_re), (True, r.gains_re)):
        for lm in words.finditer(text) if words else ():
            at, word = lm.start(), lm.group()
            if positive and r.topic_re.search(
                    text, at + len(word), _own_object_end(text, at + len(word), word[-1] in _CLASSIFIERS)):
                continue  # 他自己只有一辆车, 有一套自己全款的房子: the gain names its own object, not a topic before it
            if (positive and word[-1] in _CLASSIFIERS
                    and text[at + len(word):at + len(word) + 1] not in ("", *_BREAKS, *_NOT_OBJECTS)):
                continue  # 在4s店做维修,有一台自己的皮卡: a counted gain with an object of its own, whatever it is
            if not positive and _ONE_OF.match(text, at + len(word) + (text[at + len(word):].startswith("了"))):
                continue  # 去年被封了一个店: one of several lost, the others kept
            if not positive and text[max(0, at - 4):at].endswith(r.planned):
                continue  # 房子要卖了: still had
            if not positive and text[at - 1:at] in _NOT_LOST and not word.startswith("没") and at > 0:
                continue  # 社保没停缴, 公积金未断交: a loss denied
            if not positive and word in r.couple_losses and r.scope_res["together"].search(text) is not None:
                continue
            if (not positive and _ONE_OF.search(_SENTENCE_PART.split(text[max(0, at - 6):at])[-1])
                    and _SEVERAL.search(text, 0, at)):
                continue  # 两台车，一台是老婆名下的: one of several lost, the others kept
            # 公积金交了六年，去年换工作停缴了: a loss reaches back over one short clause to its topic
            found = list(r.topic_re.finditer(text[max(0, at - (16 if positive else 14)):at]))
            if found and positive and word in _STILL and r.losses_re is not None and r.losses_re.search(
                    text, max(0, at - 16) + found[-1].end(), at):
                continue  # 公积金停缴了, 换了工作还在试用期: what was lost is not what is still there
            if found:
                tag = r.topic_tags[found[-1].group()]
                # 跟进: …房子判给她的: in a note 他 / 她 is the customer, so what went to them is gained
                gained = positive or (note and word.endswith(("他", "她")))
                kind = "gain" if gained else "loss"
                out.append((at, at + len(word), Rule(f"{kind}:{tag}", tag, None, None, (), (), (), False), gained,
                            found[-1].group() + "…" + word))
    for em in r.enum_re.finditer(text) if r.enum_re else ():
        at, word = em.start(), em.group()
        positive = word in r.enum_assert
        if not positive and text.startswith(r.deny_objects, em.end()):
            continue
        window = _SENTENCE_PART.split(text[max(0, at - 20):at])[-1]
        for m in r.topic_re.finditer(window):
            if window[m.start() - 1:m.start()] in _NOT_LISTED:
                continue  # 无房 租房 花呗白条都有: a topic denied or rented is not one of those had
            tag = r.topic_tags[m.group()]
            out.append((at, at + len(word), Rule(f"enum:{tag}", tag, None, None, (), (), (), False),
                        positive, m.group() + "…" + word))
    return out


_SENTENCE_PART = re.compile(r"[，,。!！?？;；]")
_BREAKS = tuple("，,。!！?？;； ")
_NOT_OBJECTS = tuple("在是都也还就和跟放停")  # 车子有一台在老家: what follows the count says where it is, names no object
_CLASSIFIERS = frozenset("套辆台")
_NOT_LOST = frozenset("没未")
_STILL = ("还在", "也有")  # gains that say a thing stays (not 续上, which brings back what was lost)


def _own_object_end(text: str, at: int, counted: bool) -> int:
    """Where a gain's own object may end: right after it, or (a gain with a classifier, 有一套) up to the end of
    its clause part, ten characters at most."""
    if not counted:
        return at + 3
    part = _SENTENCE_PART.search(text, at, at + 10)
    return part.start() if part is not None else at + 10
_ONE_OF = re.compile(r"(?<![那这])一[台套辆间栋部个]")
_SEVERAL = re.compile(r"[两二三四五六七八九几\d][台套辆间栋部个]")
_NOT_LISTED = frozenset("无没租")


def count_money(s: str) -> int | None:
    n = parse_number(s)
    return int(n) if n is not None else None


def collateral(text: str, rules: RuleSet, result: RuleResult,
               words: tuple[str, ...] | None = None) -> tuple[str, Hit] | None:
    """"有套房…想抵押": a pledge word (of ``words``, by default all of them, valuations included) with exactly one
    pledgeable asset stated gives that asset's product."""
    r = rules.reasoning
    assets = [(tag, product) for tag, product in r.collateral if result.tags.get(tag)]
    if not assets:  # 车子是我老婆名下的, 能押吗; 我爸有套房, 能拿来抵押不: an asset someone else owns, pledged (not valued)
        assets = [(tag, product) for tag, product in r.collateral
                  if _owned_elsewhere(r, result.hits.get(tag)) or tag in result.elsewhere]
        words = tuple(w for w in words or r.collateral_words if "押" in w)
    if len(assets) == 1:
        words = words or r.collateral_words
        for word, longer in _with_longer(words):
            at = text.find(word)
            while at >= 0:
                inside = any(text.startswith(w, at + len(word) - len(w)) for w in longer)
                if (not inside and not _negated(rules, text[_clause_start(rules, text, at):at])
                        and not _pledged_already(text, at, word, r)):
                    return assets[0][1], Hit("collateral", word, True, at + len(word))
                at = text.find(word, at + 1)
    return None


@lru_cache(maxsize=32)
def _with_longer(words: tuple[str, ...]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Each pledge word with the longer ones ending in it: 押 inside 抵押 is that word, negated or not with it
    (他不同意抵押)."""
    return tuple((word, tuple(w for w in words if len(w) > len(word) and w.endswith(word))) for word in words)


def _owned_elsewhere(r: Reasoning, hit: Hit | None) -> bool:
    """车是我爸的, 老婆名下: a denial that names who owns the asset (it exists, and is someone else's)."""
    return hit is not None and not hit.positive and r.owners is not None and r.owners.search(hit.phrase) is not None


def pledge(text: str, rules: RuleSet, result: RuleResult) -> tuple[str, Hit] | None:
    """A pledge (see ``collateral``); without one, 周转 or 进货 by someone who runs a business gives a business
    loan, and the housing fund stated alone with a loan wanted a housing-fund loan."""
    r = rules.reasoning
    pledged = collateral(text, rules, result)
    if pledged is not None:
        return pledged
    for tag, product, words, unless in r.bases:  # 公积金交了六年, 能贷多少: the one thing stated is the basis
        hit = result.hits.get(tag)
        if result.tags.get(tag) and not any(result.tags.get(t) for t in unless):
            for word in words:
                at = text.find(word, hit.end - len(hit.phrase) if hit else 0)
                # 暂时不打算贷款: a loan said not to be wanted gives no basis
                if at >= 0 and not _negated(rules, text[_clause_start(rules, text, at):at]):
                    return product, Hit("basis", word, True, at + len(word))
    for words, tag, product in r.purposes:  # no pledge: money for a business by its owner
        if result.tags.get(tag):
            for word in words:
                at = text.find(word)
                if word in r.trade_purposes[0]:
                    at = _not_a_trade(text, word, at, r)
                # not 他的厂子资金够用, 资金很充裕, 手上的资金还够用
                if at >= 0 and not text[at + len(word):at + len(word) + 8].lstrip(_DEGREE).startswith(r.enough):
                    return product, Hit("purpose", word, True, at + len(word))
    return None


def _not_a_trade(text: str, word: str, at: int, r: Reasoning) -> int:
    """Where ``word`` is first said as what the money is for (想借点钱装修, 装修教室), not as the trade (做装修的, 开装修
    公司) nor of a home (装修房子); -1 when nowhere."""
    _, before, after = r.trade_purposes
    while at >= 0 and (text[max(0, at - 2):at].endswith(before) or text.startswith(after, at + len(word))):
        at = text.find(word, at + 1)
    return at


_DEGREE = "很挺还都也比较非常算蛮"


def _clause_start(rules: RuleSet, text: str, at: int) -> int:
    """Where the clause holding position ``at`` begins: just after the last clause break before it."""
    starts = [m.end() for m in rules.clause_break.finditer(text, 0, at)]
    return starts[-1] if starts else 0


def _pledged_already(text: str, at: int, word: str, r: Reasoning) -> bool:
    """名下一套房已抵押, 车抵押着: the asset is pledged already, which is not offering it."""
    around = text[max(0, at - 4):at + len(word) + 4]
    return r.pledged_re.search(around) is not None


def _reconsider_product(text: str, r: Reasoning, result: RuleResult) -> None:
    """A product whose asset is lost later in the text (想做车抵, 但车已经卖了; not 车在老公名下) or one of two compared
    (公积金贷和信用贷哪个利息低) is not asked for."""
    if result.product is None:
        return
    hit = result.hits.get("product")
    if hit is not None and hit.phrase in r.second_pledges:
        named = [p for p, words in r.asset_words if any(w in text for w in words)]
        if len(named) == 1 and named[0] != result.product:
            result.product = named[0]
            return
    for imp in r.implications:
        if imp.product == result.product and imp.mention:
            denial = result.hits.get(imp.tag)
            if (denial is not None and not denial.positive and hit is not None and denial.end > hit.end
                    and any(loss in denial.phrase for loss in r.losses) and not _owned_elsewhere(r, denial)):
                result.negated_products.add(result.product)
                result.product = None
                result.hits.pop("product", None)
                return
    compared = {k for k, h in result.hits.items() if k.startswith("product:") and h.positive}
    if len(compared) >= 2 and any(c in text for c in r.comparisons):
        result.product = None
        result.hits.pop("product", None)
        result.asked_about |= {k[len("product:"):] for k in compared}
        result.negated_products -= result.asked_about  # weighed, not given up


def _terms_only(text: str, r: Reasoning, result: RuleResult) -> set[str]:
    """请问车抵贷要不要装gps, 随便问问房抵利息多少: a pledge loan named only by its name in a question about the
    lender's terms, with no figure and nothing said of the asset, does not say the asset is the customer's."""
    hit = result.hits.get("product")
    if hit is None or _FIGURE.search(text):
        return set()
    asked = result.hits.get("intent")
    # 提前了解一下车抵的流程: a pledge loan asked about ahead of a need to come, said any way
    ahead = result.intent == "low" and asked is not None and asked.phrase in r.terms_ahead
    if not ahead and (hit.phrase not in r.terms_names or not any(w in text for w in r.terms_words)):
        return set()
    return {tag for tag, product in r.collateral if product == result.product and tag not in result.tags}


def elsewhere(text: str, r: Reasoning, present: set[str] | None = None) -> set[str]:
    """Assets named as someone else's (他的房子, 嫂子家的车, 我爸有套房): no product implies them for the customer."""
    out: set[str] = set()
    together = r.borrowing_together or r.scope_res["together"]  # 我们县城 is no couple's loan
    if (r.topic_re is None or (present is not None and present.isdisjoint(r.topic_tags))
            or together.search(text) is not None):
        return out
    for m in r.topic_re.finditer(text):
        before = text[max(0, m.start() - 9):m.start()]
        before = _SENTENCE_PART.split(before)[-1]
        if _public_flat(text, m.start()):
            continue
        at = before.rfind("在")  # 我老爸在贵阳有套房: where it is stands between the owner and the asset
        if (before.rstrip("的家有一套辆台个老名下那这").endswith(r.elsewhere_ends)
                or (at > 0 and before[:at].rstrip("的家老").endswith(r.elsewhere_ends))):
            out.add(r.topic_tags[m.group()])
    return out
