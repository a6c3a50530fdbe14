"""``scrm debits reconcile`` and ``scrm debits poll``."""

from __future__ import annotations

from typer.testing import CliRunner

from backoffice.direct_debit import service
from backoffice.direct_debit.cli import app
from backoffice.direct_debit.models import DebitStatus
from scrm.core.clock import BEIJING
from tests.factories.mandates import sign_papay


def test_reconcile_and_poll_commands(db, pay_client, people, sandbox_wechatpay):
    sign_papay(pay_client, people.bob)
    made = service.create_debit(db, people.finance, customer_id=people.bob.id, due_key="settlement:5",
                                amount_fen=8800, description="服务费")
    db.commit()
    day = sandbox_wechatpay.now().astimezone(BEIJING).date().isoformat()
    runner = CliRunner()
    ok = runner.invoke(app, ["reconcile", "--provider", "papay", "--date", day])
    assert ok.exit_code == 0 and "1 matched, 0 mismatch(es)" in ok.output
    db.refresh(made)
    assert made.status == DebitStatus.reconciled

    del sandbox_wechatpay.orders[service.attempts_of(db, made.id)[0].out_trade_no]
    other = service.create_debit(db, people.finance, customer_id=people.bob.id, due_key="settlement:6",
                                 amount_fen=100, description="服务费")
    db.commit()
    sandbox_wechatpay.orders.clear()
    bad = runner.invoke(app, ["reconcile", "--provider", "papay", "--date", day])
    assert bad.exit_code == 1 and "missing_at_provider" in bad.output and f"debit_id={other.id}" in bad.output

    polled = runner.invoke(app, ["poll"])
    assert polled.exit_code == 0 and "queued 0 submit(s)" in polled.output
