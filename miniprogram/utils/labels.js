// Names shown to the customer for the states the API answers with.
module.exports = {
  stage: {
    not_applied: '未申请', submitted: '已提交', reviewing: '审核中', signed: '已签约', processing: '办理中',
    disbursed: '已放款', settled: '已结算', closed: '已关闭',
  },
  commission: {pending: '待确认', confirmed: '冷静期', withdrawable: '可提现', paid: '已提现', reversed: '已冲回'},
  commissionHelp: {
    pending: '好友已签约，结算后确认', confirmed: '已确认，冷静期过后可提现', withdrawable: '现在可以提现',
    paid: '已打款给您', reversed: '好友退款或结算作废，佣金已冲回',
  },
  withdrawal: {requested: '待审核', approved: '已审核，待打款', paid: '已到账', rejected: '已驳回', failed: '打款失败'},
  mandate: {
    sms_sent: '待输入验证码', verified: '待签署授权', signing: '待微信签约', active: '生效中', revoked: '已解约',
    failed: '未成功', expired: '已过期',
  },
  mandateKind: {bank_card: '银行卡代扣', papay: '微信支付免密代扣'},
}
