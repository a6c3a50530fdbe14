"""Names shown to people: commission and withdrawal states, payout methods."""

from scrm.referral.models import CommissionState, WithdrawalMethod, WithdrawalState

COMMISSION_NAMES = {CommissionState.pending: "待结算", CommissionState.confirmed: "冷静期",
                    CommissionState.withdrawable: "可提现", CommissionState.paid: "已付款",
                    CommissionState.reversed: "已冲回"}
WITHDRAWAL_NAMES = {WithdrawalState.requested: "待审核", WithdrawalState.approved: "待付款",
                    WithdrawalState.paid: "已付款", WithdrawalState.rejected: "已驳回",
                    WithdrawalState.failed: "付款失败"}
METHOD_NAMES = {WithdrawalMethod.wechat: "微信零钱", WithdrawalMethod.bank: "银行卡"}
