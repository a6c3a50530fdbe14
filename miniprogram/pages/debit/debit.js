// Direct-debit authorisations: a bank card confirmed with the bank's SMS code and then signed for a scope,
// or a WeChat Pay papay contract signed in WeChat's signing mini-program. Only the last four digits of a
// card are ever shown; an active authorisation can be revoked.
const api = require('../../utils/api')
const config = require('../../config')
const labels = require('../../utils/labels')
const session = require('../../utils/session')
const {yuanText} = require('../../utils/money')

const CARD_FIELDS = [
  {key: 'holder_name', label: '持卡人姓名', input: 'text', placeholder: '与银行预留一致'},
  {key: 'id_no', label: '身份证号', input: 'idcard', placeholder: '18 位身份证号'},
  {key: 'card_no', label: '银行卡号', input: 'number', placeholder: '借记卡卡号'},
  {key: 'phone', label: '银行预留手机号', input: 'number', placeholder: '接收验证码'},
]

function mandateView(m) {
  return {...m, kindName: labels.mandateKind[m.kind] || m.kind, statusName: labels.mandate[m.status] || m.status,
    maxText: yuanText(m.max_amount), until: m.valid_until ? String(m.valid_until).slice(0, 10) : ''}
}

// a year from now, end of that day in Beijing time
function oneYear() {
  const d = new Date(Date.now() + 8 * 3600 * 1000)
  return `${d.getUTCFullYear() + 1}-${String(d.getUTCMonth() + 1).padStart(2, '0')}-${String(Math.min(d.getUTCDate(), 28)).padStart(2, '0')}T23:59:59+08:00`
}

Component({
  data: {
    loading: false, error: '', message: '', active: [], waiting: [], cardFields: CARD_FIELDS, card: {},
    maxAmount: '50000', errors: {}, busy: false, pending: null, smsCode: '',
  },
  methods: {
    onLoad() {
      this.setData({card: session.loadDraft('card') || {}})
      return this.load()
    },

    // back from WeChat's signing mini-program: the contract may have become active meanwhile
    onShow() { if (this.loaded) return this.load(); return null },

    async load() {
      this.setData({loading: true, error: ''})
      try {
        const [mandates, mine] = await Promise.all([api.request('/mp/mandates'), api.request('/mp/loan')])
        this.loaded = true
        this.scopeRef = mine.loan ? mine.loan.agreement_no : ''
        const views = mandates.map(mandateView)
        this.setData({loading: false, active: views.filter(m => m.status === 'active'),
          waiting: views.filter(m => m.status === 'signing' || m.status === 'verified')})
      } catch (err) {
        this.setData({loading: false, error: err.message})
      }
    },

    scope() {
      return {scope_ref: this.scopeRef || '服务费代扣', max_amount: this.data.maxAmount, valid_until: oneYear()}
    },

    onCard(e) {
      const key = e.currentTarget.dataset.key
      this.setData({[`card.${key}`]: e.detail.value, errors: {...this.data.errors, [key]: ''}})
      // the ID and card numbers are not kept on the phone; the name and phone are, for a sign-in in between
      session.saveDraft('card', {holder_name: this.data.card.holder_name || '', phone: this.data.card.phone || ''})
    },
    onMax(e) { this.setData({maxAmount: e.detail.value, errors: {...this.data.errors, max_amount: ''}}) },
    onSms(e) { this.setData({smsCode: e.detail.value, errors: {...this.data.errors, code: ''}}) },

    showErrors(err) {
      const errors = api.fieldErrors(err)
      this.setData({busy: false, errors, error: Object.keys(errors).length ? '' : err.message})
    },

    async bindCard() {
      this.setData({busy: true, errors: {}, error: '', message: ''})
      try {
        const mandate = await api.request('/mp/mandates/bank-card', {method: 'POST', data: this.data.card})
        this.setData({busy: false, smsCode: '',
          pending: {id: mandate.id, phoneTail: String(this.data.card.phone || '').slice(-4)}})
      } catch (err) {
        this.showErrors(err)
      }
    },

    async confirmSms() {
      const id = this.data.pending.id
      this.setData({busy: true, errors: {}, error: ''})
      try {
        await api.request(`/mp/mandates/${id}/sms-confirm`, {method: 'POST', data: {code: this.data.smsCode}})
      } catch (err) {
        if (err.kind === 'http' && err.body && err.body.status === 'failed') this.setData({pending: null})
        this.showErrors(err)
        return
      }
      try {
        const signed = await api.request(`/mp/mandates/${id}/sign`, {method: 'POST', data: this.scope()})
        session.clearDraft('card')
        this.setData({busy: false, pending: null, card: {},
          message: `已授权尾号 ${signed.card_last4} 的银行卡代扣`})
        await this.load()
      } catch (err) {
        this.showErrors(err)
      }
    },

    cancelPending() { this.setData({pending: null, errors: {}}) },

    async startPapay() {
      this.setData({busy: true, errors: {}, error: '', message: ''})
      let signing
      try {
        signing = await api.request('/mp/mandates/papay', {method: 'POST', data: this.scope()})
      } catch (err) {
        this.showErrors(err)
        return
      }
      await new Promise(resolve => {
        wx.navigateToMiniProgram({
          appId: config.papayAppId, path: 'pages/index/index', extraData: signing.params,
          success: () => { this.setData({busy: false, message: '请在微信支付页面完成签约，完成后返回本页查看'}); resolve() },
          fail: () => { this.setData({busy: false, error: '未能打开微信支付签约页，请稍后再试'}); resolve() },
        })
      })
    },

    revoke(e) {
      const id = Number(e.currentTarget.dataset.id)
      return new Promise(resolve => {
        wx.showModal({
          title: '解除代扣授权', content: '解约后将不再从该账户扣款，确定解约吗？', confirmText: '解约',
          success: async res => {
            if (!res.confirm) { resolve(); return }
            try {
              await api.request(`/mp/mandates/${id}/revoke`, {method: 'POST'})
              this.setData({message: '已解约'})
              await this.load()
            } catch (err) {
              this.setData({error: err.message})
            }
            resolve()
          },
        })
      })
    },
  },
})
