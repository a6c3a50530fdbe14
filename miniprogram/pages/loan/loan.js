// Where the customer's loan stands: the application's progress, the order's steps (signed, deposit,
// processing, disbursed, settled), the settlement statement and what is still owed. Amounts come in fen.
const api = require('../../utils/api')
const labels = require('../../utils/labels')
const {yuan} = require('../../utils/money')

const PROGRESS_STEPS = ['submitted', 'reviewing', 'signed', 'processing', 'disbursed', 'settled']

function day(at) { return at ? String(at).slice(0, 10) : '' }

function statementView(s) {
  if (!s) return null
  const lines = [{name: '服务费', fen: s.service_fee_fen}]
  if (s.discount_fen) lines.push({name: '优惠', fen: -s.discount_fen})
  if (s.installment_fee_fen) lines.push({name: '分期服务费', fen: s.installment_fee_fen})
  if (s.extra_fees_fen) lines.push({name: '其他费用', fen: s.extra_fees_fen})
  if (s.borrowing_fen) lines.push({name: '垫资及利息', fen: s.borrowing_fen})
  if (s.deposit_applied_fen) lines.push({name: '定金抵扣', fen: -s.deposit_applied_fen})
  if (s.collected_at_close_fen) lines.push({name: '结单时已付', fen: -s.collected_at_close_fen})
  if (s.paid_fen) lines.push({name: '已代扣/已付', fen: -s.paid_fen})
  return {
    status: s.status, total: yuan(s.total_charges_fen),
    lines: lines.map(l => ({name: l.name, text: `${l.fen < 0 ? '-' : ''}¥${yuan(Math.abs(l.fen))}`})),
  }
}

Component({
  data: {
    loading: false, error: '', progress: null, stageName: '', progressSteps: [], loan: null, money: {},
    statement: null, owed: null, owedFen: 0,
  },
  methods: {
    onLoad() { return this.load() },
    onShow() { if (this.loaded) return this.load(); return null },
    onPullDownRefresh() { return this.load().then(() => wx.stopPullDownRefresh()) },

    async load() {
      this.setData({loading: true, error: ''})
      try {
        const [progress, mine] = await Promise.all([api.request('/mp/progress'), api.request('/mp/loan')])
        this.loaded = true
        const reached = PROGRESS_STEPS.indexOf(progress.stage)
        const loan = mine.loan
        const view = {
          loading: false, progress, stageName: labels.stage[progress.stage] || progress.stage,
          progressSteps: PROGRESS_STEPS.map((key, i) => ({key, label: labels.stage[key], done: reached >= i})),
          loan: null, statement: null, owed: null, owedFen: 0, money: {},
        }
        if (loan) {
          view.loan = {...loan, steps: loan.steps.map(s => ({...s, day: day(s.at)}))}
          view.money = {applied: yuan(loan.amount_applied_fen), deposit: yuan(loan.deposit_received_fen),
            refunded: yuan(loan.deposit_refunded_fen), disbursed: yuan(loan.disbursed_amount_fen)}
          view.statement = statementView(loan.statement)
          if (loan.owed_fen !== null && loan.owed_fen !== undefined) {
            view.owed = yuan(loan.owed_fen)
            view.owedFen = loan.owed_fen
          }
        }
        this.setData(view)
      } catch (err) {
        this.setData({loading: false, error: err.message})
      }
    },
  },
})
