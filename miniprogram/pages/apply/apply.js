// An application for one product: the form drawn from the product's field definitions, the API's messages
// next to the fields they name, the documents still missing, and consent to the current privacy terms.
// Everything typed is kept as a draft, so signing in again after the session expired loses nothing.
const api = require('../../utils/api')
const session = require('../../utils/session')

const BASE_FIELDS = [
  {key: 'amount', label: '贷款金额', required: true, unit: '元', input: 'digit', placeholder: '例如 200000'},
  {key: 'term_months', label: '贷款期限', unit: '月', input: 'number', placeholder: '例如 36'},
  {key: 'name', label: '姓名', input: 'text', placeholder: '您的真实姓名'},
  {key: 'city', label: '所在城市', input: 'text', placeholder: '例如 上海'},
  {key: 'purpose', label: '贷款用途', input: 'text', placeholder: '例如 装修、经营周转'},
]
const INPUT = {number: 'digit', money: 'digit', integer: 'number', text: 'text'}

function draftName(code) { return `apply.${code}` }

function fieldView(def, value) {
  const view = {...def, input: INPUT[def.type] || 'text', value: value === undefined ? '' : value, index: -1, shown: ''}
  if (def.type === 'choice') {
    view.index = (def.options || []).findIndex(o => o.value === value)
    view.shown = view.index >= 0 ? def.options[view.index].label : ''
  }
  if (def.type === 'bool') view.value = value === true
  if (def.type === 'money' || def.type === 'number' || def.type === 'integer') {
    const bounds = [def.min, def.max].every(b => b !== undefined && b !== null) ? `${def.min}–${def.max}` : ''
    view.placeholder = bounds ? `${bounds}${def.unit || ''}` : ''
  }
  return view
}

Component({
  data: {
    loading: false, error: '', product: null, baseFields: BASE_FIELDS, base: {}, fields: [], errors: {},
    materials: [], requiredMode: false, missing: [], missingText: '', uploadErrors: {}, uploading: false,
    terms: null, consent: false, showTerms: false, submitting: false, submitted: null,
  },
  methods: {
    onLoad(query = {}) {
      this.code = query.code
      return this.reload()
    },

    async reload() {
      this.setData({loading: true, error: ''})
      try {
        const [products, kinds, terms] = await Promise.all([
          api.request('/mp/products'), api.request('/mp/attachment-kinds'),
          api.request('/mp/privacy-terms', {auth: false})])
        const product = products.find(p => p.code === this.code)
        if (!product) {
          this.setData({loading: false, error: '该产品已下架，请返回重新选择'})
          return
        }
        this.definitions = product.form_fields
        this.kinds = kinds
        this.requiredMaterials = Array.isArray(product.required_materials) && product.required_materials.length
          ? product.required_materials : null
        const draft = session.loadDraft(draftName(product.code)) || {}
        this.requestId = draft.request_id || api.requestId('app')
        const values = draft.values || {}
        const agreed = session.consent()
        this.setData({
          product: {code: product.code, name: product.name}, terms, base: draft.base || {},
          fields: product.form_fields.map(def => fieldView(def, values[def.key])),
          consent: !!agreed && agreed.version === terms.version, loading: false,
        })
        this.saveDraft()
        await this.loadMaterials()
      } catch (err) {
        this.setData({loading: false, error: err.message})
      }
    },

    values() {
      const out = {}
      this.data.fields.forEach(f => {
        if (f.type === 'bool') { if (f.value === true) out[f.key] = true; return }
        if (f.value !== '' && f.value !== undefined && f.value !== null) out[f.key] = f.value
      })
      return out
    },

    saveDraft() {
      if (!this.data.product) return
      session.saveDraft(draftName(this.data.product.code),
        {request_id: this.requestId, base: this.data.base, values: this.values()})
    },

    setField(key, value) {
      const def = this.definitions.find(d => d.key === key)
      const i = this.data.fields.findIndex(f => f.key === key)
      this.setData({[`fields[${i}]`]: fieldView(def, value), errors: {...this.data.errors, [key]: ''}})
      this.saveDraft()
    },

    onBase(e) {
      const key = e.currentTarget.dataset.key
      this.setData({[`base.${key}`]: e.detail.value, errors: {...this.data.errors, [key]: ''}})
      this.saveDraft()
    },

    onField(e) { this.setField(e.currentTarget.dataset.key, e.detail.value) },

    onSwitch(e) { this.setField(e.currentTarget.dataset.key, !!e.detail.value) },

    onChoice(e) {
      const key = e.currentTarget.dataset.key
      const def = this.definitions.find(d => d.key === key)
      const option = def.options[Number(e.detail.value)]
      this.setField(key, option ? option.value : '')
    },

    toggleConsent() { this.setData({consent: !this.data.consent, errors: {...this.data.errors, consent: ''}}) },

    toggleTerms() { this.setData({showTerms: !this.data.showTerms}) },

    // ------------------------------------------------------------ documents

    async loadMaterials() {
      const uploaded = await api.request('/mp/attachments')
      const count = {}
      uploaded.forEach(a => { count[a.kind] = (count[a.kind] || 0) + 1 })
      const list = this.requiredMaterials || this.kinds
      const materials = list.map(m => ({kind: m.kind, label: m.label, count: count[m.kind] || 0}))
      const missing = this.requiredMaterials ? materials.filter(m => !m.count) : []
      this.setData({materials, requiredMode: !!this.requiredMaterials, missing,
        missingText: missing.map(m => m.label).join('、')})
    },

    pick(source) {
      return new Promise((resolve, reject) => {
        if (source === 'chat') {
          wx.chooseMessageFile({
            count: 1, type: 'file', extension: ['pdf', 'jpg', 'jpeg', 'png', 'heic'],
            success: res => resolve(res.tempFiles[0].path), fail: reject,
          })
        } else {
          wx.chooseMedia({
            count: 1, mediaType: ['image'], sourceType: ['camera', 'album'], sizeType: ['compressed'],
            success: res => resolve(res.tempFiles[0].tempFilePath), fail: reject,
          })
        }
      })
    },

    async upload(e) {
      const {kind, source} = e.currentTarget.dataset
      let path
      try {
        path = await this.pick(source)
      } catch (cancelled) {
        return // the customer closed the picker
      }
      this.setData({uploading: true, uploadErrors: {...this.data.uploadErrors, [kind]: ''}})
      try {
        await api.upload('/mp/attachments', path, {kind})
        await this.loadMaterials()
        this.setData({uploading: false})
        wx.showToast({title: '已上传', icon: 'success'})
      } catch (err) {
        const message = api.fieldErrors(err).file || err.message
        this.setData({uploading: false, uploadErrors: {...this.data.uploadErrors, [kind]: message}})
      }
    },

    // ------------------------------------------------------------ submit

    async submit() {
      if (!this.data.consent) {
        this.setData({errors: {...this.data.errors, consent: '请先阅读并同意《隐私政策》'}})
        return
      }
      const base = this.data.base
      const body = {
        request_id: this.requestId, product_code: this.data.product.code, amount: base.amount || '',
        fields: this.values(), consent: {accepted: true, version: this.data.terms.version},
      }
      if (base.term_months) body.term_months = Number(base.term_months)
      ;['name', 'city', 'purpose'].forEach(k => { if (base[k]) body[k] = base[k] })
      session.setConsent(this.data.terms.version)
      this.setData({submitting: true, error: '', errors: {}})
      try {
        const application = await api.request('/mp/applications', {method: 'POST', data: body})
        session.clearDraft(draftName(this.data.product.code))
        this.setData({submitting: false, submitted: application})
      } catch (err) {
        const errors = api.fieldErrors(err)
        if (errors['consent.version'] || errors['consent.accepted']) {
          errors.consent = errors['consent.version'] || errors['consent.accepted']
          this.setData({consent: false})
          this.reloadTerms()
        }
        const named = Object.keys(errors).length
        this.setData({submitting: false, errors,
          error: err.kind === 'http' && named ? `有 ${named} 项需要修改，请查看标红的提示` : err.message})
      }
    },

    reloadTerms() {
      return api.request('/mp/privacy-terms', {auth: false}).then(terms => this.setData({terms, showTerms: true}))
        .catch(() => {})
    },
  },
})
