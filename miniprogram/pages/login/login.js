// Sign-in: the privacy terms (read from the API, their version kept with the consent), wx.login's code to
// /mp/auth/login (with the referral scene the mini-program was opened with), then the WeChat-verified phone.
const api = require('../../utils/api')
const session = require('../../utils/session')

Component({
  data: {
    step: 'login', terms: null, showTerms: false, consent: false, consentError: '', loading: false, error: '',
    phoneError: '', expired: false, customer: null,
  },
  methods: {
    onLoad(query = {}) {
      this.setData({expired: query.expired === '1'})
      if (query.scene) session.setScene(decodeURIComponent(query.scene))
      return this.loadTerms()
    },

    async loadTerms() {
      try {
        const terms = await api.request('/mp/privacy-terms', {auth: false})
        const agreed = session.consent()
        this.setData({terms, consent: !!agreed && agreed.version === terms.version, error: ''})
      } catch (err) {
        this.setData({error: err.message})
      }
    },

    toggleTerms() { this.setData({showTerms: !this.data.showTerms}) },

    toggleConsent() { this.setData({consent: !this.data.consent, consentError: ''}) },

    wxLogin() {
      return new Promise((resolve, reject) => {
        wx.login({success: res => resolve(res.code), fail: () => reject(new api.ApiError('network', api.NETWORK_MESSAGE))})
      })
    },

    async signIn() {
      if (!this.data.terms) return this.loadTerms()
      if (!this.data.consent) {
        this.setData({consentError: '请先阅读并同意《隐私政策》'})
        return null
      }
      session.setConsent(this.data.terms.version)
      this.setData({loading: true, error: ''})
      try {
        const code = await this.wxLogin()
        const body = {code}
        if (session.scene()) body.scene = session.scene()
        const answer = await api.request('/mp/auth/login', {method: 'POST', data: body, auth: false, returnTo: ''})
        session.clearScene()
        session.setToken(answer.token)
        this.setData({customer: answer.customer, loading: false})
        if (answer.customer.has_phone) return this.finish()
        this.setData({step: 'phone'})
      } catch (err) {
        this.setData({loading: false, error: err.message})
      }
      return null
    },

    async onPhone(e) {
      const code = e && e.detail && e.detail.code
      if (!code) {
        this.setData({phoneError: '需要您的手机号才能为您办理，请点击授权'})
        return
      }
      this.setData({loading: true, phoneError: ''})
      try {
        const answer = await api.request('/mp/auth/phone', {method: 'POST', data: {code}, returnTo: ''})
        session.setToken(answer.token) // a merged record answers with the kept record's token
        this.setData({customer: answer.customer, loading: false})
        this.finish()
      } catch (err) {
        this.setData({loading: false, phoneError: err.message})
      }
    },

    finish() {
      this.setData({step: 'done'})
      const back = session.takeReturnTo()
      if (back) wx.redirectTo({url: back})
      else wx.reLaunch({url: '/pages/index/index'})
    },
  },
})
