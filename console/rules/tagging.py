"""Tagging rules: read them, and try an edit of a rule's phrases on sample texts."""

from __future__ import annotations

import copy
import json
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from console import core
from console.rules import forms
from scrm.auth import SupervisorStaff
from scrm.core.errors import ValidationFailed
from scrm.tagging import pipeline
from scrm.tagging import rules as tagging_rules
from scrm.tagging.text import data_text

router = core.console_router()

MAX_SAMPLE_TEXTS = 20


def _shipped_doc() -> dict:
    return json.loads(data_text("rules.json"))


def _tagging_context(doc: dict) -> dict[str, Any]:
    return {"rules": doc["rules"], "vocabulary": doc["vocabulary"], "version": doc["version"],
            "rule_options": [(r["id"], f"{r['id']}（{r.get('tag') or r.get('value')}）") for r in doc["rules"]]}


@router.get("/rules/tagging")
def tagging_rules_page(request: Request, staff: SupervisorStaff) -> Response:
    core.remember(request, staff)
    ctx = _tagging_context(_shipped_doc())
    ctx["values"] = {"texts": "我有一套全款房，想抵押贷50万\n没有社保，征信有逾期"}
    return core.render(request, "rules/tagging.html", ctx, staff=staff)


@router.post("/rules/tagging/preview")
async def tagging_preview(request: Request, staff: SupervisorStaff) -> Response:
    """Read sample texts with the shipped rules and with one rule's phrases edited, side by side."""
    core.remember(request, staff)
    form = await request.form()
    values = {k: str(form.get(k, "")) for k in ("texts", "rule_id", "keywords", "negative")}
    doc = _shipped_doc()
    ctx = _tagging_context(doc)
    ctx["values"] = values
    try:
        texts = [t.strip() for t in values["texts"].splitlines() if t.strip()][:MAX_SAMPLE_TEXTS]
        if not texts:
            raise ValidationFailed("请至少填写一句话", field="texts")
        edited_rules = None
        if values["rule_id"]:
            edited = copy.deepcopy(doc)
            rule = next((r for r in edited["rules"] if r["id"] == values["rule_id"]), None)
            if rule is None:
                raise ValidationFailed("没有这条规则", field="rule_id")
            rule["any"] = forms.split(values["keywords"])
            rule["negative"] = forms.split(values["negative"])
            if not rule["any"] and not rule.get("patterns"):
                raise ValidationFailed("规则至少需要一个关键词", field="keywords")
            try:
                edited_rules = tagging_rules.parse_rules(edited)
            except (ValueError, KeyError) as exc:
                raise ValidationFailed(f"规则无效：{exc}", field="keywords") from None
        now = pipeline.analyze_many(texts)
        after = pipeline.analyze_many(texts, ruleset=edited_rules) if edited_rules else now
        ctx["results"] = [(t, a.public(), b.public()) for t, a, b in zip(texts, now, after)]
        ctx["edited"] = edited_rules is not None
    except ValidationFailed as exc:
        ctx["errors"] = core.field_errors(exc)
        return core.render(request, "rules/tagging.html", ctx, staff=staff, status_code=422)
    return core.render(request, "rules/tagging.html", ctx, staff=staff)
