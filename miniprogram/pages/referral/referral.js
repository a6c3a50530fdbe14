// The referral centre: the share card (a mini-program share carrying the scene r=<code>) and the poster with
// the mini-program code, friends with masked names, commissions by state, and withdrawals with their rules.
const api = require('../../utils/api')
const labels = require('../../utils/labels')
const session = require('../../utils/session')
const {yuanText} = require('../../utils/money')

const STATES = ['pending', 'confirmed', 'withdrawable', 'paid', 'reversed']
const BANK_FIELDS = [
  {key: 'account_name', label: '户名（须为本人）', input: 'text'},
  {key: 'bank_name', label: '开户银行', input: 'text'},
  {key: 'bank_card', label: '银行卡号', input: 'number'},
]

// the API's words for a refused withdrawal, with what the customer can do about it
function explain(err, centre) {
  const errors = api.fieldErrors(err)
  if (err.kind !== 'http') return {errors, text: err.message}
  if (errors.amount || err.field === 'amount') {
    return {errors, text: `${errors.amount || err.message}（单次最低 ¥${yuanText(centre.withdraw_min)}，每日最多 ¥${yuanText(centre.withdraw_daily_limit)}）`}
  }
  if (err.status === 429) return {errors, text: `${err.message}（每日提现上限 ¥${yuanText(centre.withdraw_daily_limit)}，明天可再申请）`}
  if (err.status === 409) return {errors, text: `${err.message}（已有一笔提现在处理中时，请等它完成）`}
  return {errors, text: Object.keys(errors).length ? '请修改标红的项' : err.message}
}

Component({
  data: {
    loading: false, error: '', message: '', centre: null, states: [], available: '', owed: '', minText: '',
    limitText: '', friends: [], commissions: [], withdrawals: [], poster: '', method: 'wechat',
    bankFields: BANK_FIELDS, bank: {}, errors: {}, withdrawError: '', busy: false,
  },
  methods: {
    onLoad() {
      this.setData({bank: session.loadDraft('withdraw') || {}})
      return this.load()
    },

    async load() {
      this.setData({loading: true, error: ''})
      try {
        const [centre, friends, commissions, withdrawals] = await Promise.all([
          api.request('/mp/referral'), api.request('/mp/referral/friends'), api.request('/mp/referral/commissions'),
          api.request('/mp/referral/withdrawals')])
        const b = centre.balance
        this.setData({
          loading: false, centre,
          states: STATES.map(key => ({key, label: labels.commission[key], help: labels.commissionHelp[key],
            amount: yuanText(b[key])})),
          available: yuanText(b.available), owed: b.owed && b.owed !== '0.00' ? yuanText(b.owed) : '',
          minText: yuanText(centre.withdraw_min), limitText: yuanText(centre.withdraw_daily_limit),
          friends: friends.map(f => ({...f, stageName: labels.stage[f.stage] || f.stage})),
          commissions: commissions.map(c => ({...c, amountText: yuanText(c.amount), stateName: labels.commission[c.state]})),
          withdrawals: withdrawals.map(w => ({...w, amountText: yuanText(w.amount),
            stateName: labels.withdrawal[w.state] || w.state, where: w.method === 'bank' ? `银行卡 ${w.bank_card}` : '微信零钱'})),
        })
      } catch (err) {
        this.setData({loading: false, error: err.message})
      }
    },

    // the share card: opening it starts the mini-program on the referral landing page with the scene
    onShareAppMessage() {
      const centre = this.data.centre || {}
      return {title: '我在这里办贷款，推荐给你', path: `/pages/referral/landing?scene=${encodeURIComponent(centre.scene || '')}`}
    },

    async makePoster() {
      this.setData({error: ''})
      try {
        this.setData({poster: await api.download('/mp/referral/qrcode')})
      } catch (err) {
        this.setData({error: err.message})
      }
    },

    savePoster() {
      wx.saveImageToPhotosAlbum({
        filePath: this.data.poster,
        success: () => this.setData({message: '海报已保存到相册'}),
        fail: () => this.setData({error: '保存失败，请在设置中允许访问相册'}),
      })
    },

    onMethod(e) { this.setData({method: e.detail.value, errors: {}, withdrawError: ''}) },

    onBank(e) {
      const key = e.currentTarget.dataset.key
      this.setData({[`bank.${key}`]: e.detail.value, errors: {...this.data.errors, [key]: ''}})
      session.saveDraft('withdraw', {account_name: this.data.bank.account_name || '', bank_name: this.data.bank.bank_name || ''})
    },

    async withdraw() {
      if (!this.requestId) this.requestId = api.requestId('wd')
      const body = {request_id: this.requestId, method: this.data.method}
      if (this.data.method === 'bank') Object.assign(body, this.data.bank)
      this.setData({busy: true, errors: {}, withdrawError: '', message: ''})
      try {
        const w = await api.request('/mp/referral/withdrawals', {method: 'POST', data: body})
        this.requestId = null
        this.setData({busy: false, message: `已申请提现 ¥${yuanText(w.amount)}，财务审核后打款`})
        await this.load()
      } catch (err) {
        if (err.kind === 'http') this.requestId = null // refused: nothing was stored, the next try is a new request
        const {errors, text} = explain(err, this.data.centre)
        this.setData({busy: false, errors, withdrawError: text})
      }
    },
  },
})
