// A customer's walk through the mini-program, every request going to the live /mp API: sign-in with the
// privacy terms and the WeChat-verified phone, an application with a field error fixed and documents uploaded
// (and a session that expires half-way without losing the form), the loan as the back office moves it, a card
// bound with the bank's SMS code and a papay contract, and a friend referred through the share card whose
// settled loan pays a commission that is withdrawn.
const crypto = require('crypto')
const fs = require('fs')
const net = require('net')
const os = require('os')
const path = require('path')
const h = require('./harness')
const {yuan} = require('../utils/money')

const files = fs.mkdtempSync(path.join(os.tmpdir(), 'mp-files-'))
const JPG = path.join(files, '身份证正面.jpg')
const PDF = path.join(files, '银行流水.pdf')
const TXT = path.join(files, '备注.pdf') // named .pdf, but its content is plain text: the API tells by content
fs.writeFileSync(JPG, Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), crypto.randomBytes(2048)]))
fs.writeFileSync(PDF, Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n'))
fs.writeFileSync(TXT, Buffer.from('这不是一份 PDF'))

// valid test numbers (checksum and Luhn), the same the back end's own tests use
const ID_NO = '110101199003074477'
const CARD = '6222021234567890128'

function newPerson(name) {
  return {name, openid: `o${crypto.randomBytes(13).toString('hex')}`,
    phone: `139${String(crypto.randomInt(10000000, 99999999))}`}
}
const A = newPerson('陈静')
const B = newPerson('李雷')
const today = new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10)

function masked(phoneNo) { return `${phoneNo.slice(0, 3)}****${phoneNo.slice(-4)}` }

async function sandbox(base, url, body) {
  const res = await http.call(body ? 'POST' : 'GET', `${base}${url}`, {'content-type': 'application/json'},
    body ? Buffer.from(JSON.stringify(body)) : null)
  return JSON.parse(res.body)
}

function lastNav() { return phone.nav[phone.nav.length - 1] }

async function closedPort() {
  const server = net.createServer()
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address()
  await new Promise(resolve => server.close(resolve))
  return port
}

// the sign-in page from the start: terms, consent, wx.login, and the phone button when WeChat has no number yet
async function signIn(person, query = {}) {
  phone.use(person)
  const page = await h.open('pages/login/login', query)
  await h.until(() => page.instance.data.terms, 'the privacy terms')
  if (!page.instance.data.consent) await h.tap(page, '#consent')
  await h.tap(page, '#login')
  await h.until(() => h.shows(page, '#phone') || h.shows(page, '#done'), 'wx.login answered')
  if (h.shows(page, '#phone')) {
    const {code} = await sandbox(live.wxa, 'sandbox/phone_code', {phone: person.phone})
    h.el(page, '#phone').dispatchEvent('getphonenumber', {detail: {code, errMsg: 'getPhoneNumber:ok'}})
    await h.until(() => h.shows(page, '#done'), 'the phone bound')
  }
  person.token = wx.getStorageSync('mp.token')
  return page
}

async function fillCredit(form, values) {
  const defs = form.instance.data.fields
  for (const [key, value] of Object.entries(values)) {
    const def = defs.find(f => f.key === key)
    if (def && def.type === 'choice') await h.change(form, `#in-${key}`, def.options.findIndex(o => o.value === value))
    else await h.type(form, `#in-${key}`, value)
  }
}

// the back office: sign-up, contract confirmation, review, deposit into processing, disbursement, settlement
async function signOrder(customerId) {
  await h.staff('sales', 'PATCH', `/api/customers/${customerId}`, {stage: 'appointment'})
  return h.staff('sales', 'POST', '/api/backoffice/orders', {customer_id: customerId, product_code: 'credit',
    funder_type: 'bank', amount_applied: '200000', deposit: '2000'})  // the fee comes from the product's rule (信用贷 3%)
}
async function intoProcessing(orderId) {
  await h.staff('finance', 'POST', `/api/backoffice/orders/${orderId}/confirm`)
  await h.staff('supervisor', 'POST', `/api/backoffice/orders/${orderId}/review`, {note: '资料齐全'})
  await h.staff('finance', 'POST', `/api/backoffice/orders/${orderId}/deposit`,
    {processor_id: live.staff.processor.id, method: 'wechat'})
}
async function disburse(orderId, amount) {
  await h.staff('processor', 'POST', `/api/backoffice/orders/${orderId}/follow-ups`, {kind: 'disbursed_pending', content: '已放款'})
  return h.staff('processor', 'POST', `/api/backoffice/orders/${orderId}/disburse`,
    {amount, disbursed_on: today, funder_name: '招商银行', term_months: 36, repayment_day: 15})
}
async function settle(settlementId, paymentMethod, extraFee) {
  await h.staff('finance', 'PATCH', `/api/backoffice/settlements/${settlementId}`, {payment_method: paymentMethod})
  if (extraFee) await h.staff('finance', 'POST', `/api/backoffice/settlements/${settlementId}/fees`, {name: '下户费', amount: extraFee})
  return h.staff('finance', 'POST', `/api/backoffice/settlements/${settlementId}/close`, {})
}

const CREDIT = {employer_type: 'state_owned', monthly_salary: '15000', social_security_months: '60'}

describe('a customer in the mini-program', () => {
  test('signs in: reads the privacy terms, consents, wx.login, then the WeChat-verified phone', async () => {
    phone.use(A)
    const page = await h.open('pages/login/login')
    await h.until(() => page.instance.data.terms, 'the privacy terms')
    const terms = await http.call('GET', `${live.api}/mp/privacy-terms`).then(http.decode)
    await h.tap(page, '#show-terms')
    expect(h.text(page, '#terms')).toContain(`隐私政策（${terms.version} 版）`)
    expect(h.text(page, '#terms')).toContain('加密保存')

    await h.tap(page, '#login')
    expect(h.text(page, '#consent-error')).toBe('请先阅读并同意《隐私政策》')
    await h.tap(page, '#consent')
    await h.tap(page, '#login')
    await h.until(() => h.shows(page, '#phone'), 'the phone step')

    // the customer declines the phone button first: WeChat sends no code
    h.el(page, '#phone').dispatchEvent('getphonenumber', {detail: {errMsg: 'getPhoneNumber:fail user deny'}})
    await h.until(() => h.shows(page, '#phone-error'), 'the phone hint')
    const {code} = await sandbox(live.wxa, 'sandbox/phone_code', {phone: A.phone})
    h.el(page, '#phone').dispatchEvent('getphonenumber', {detail: {code, errMsg: 'getPhoneNumber:ok'}})
    await h.until(() => h.shows(page, '#done'), 'signed in')
    expect(h.text(page, '#done')).toContain(masked(A.phone))
    expect(lastNav()).toEqual({how: 'reLaunch', url: '/pages/index/index'})
    expect(wx.getStorageSync('mp.consent').version).toBe(terms.version)

    A.token = wx.getStorageSync('mp.token')
    const me = await h.customerApi(A.token, '/mp/me')
    expect(me).toMatchObject({has_phone: true, phone: masked(A.phone)})
    A.id = me.id
  })

  test('applies: the API names a wrong field, the session expires without losing the form, documents go up', async () => {
    phone.use(A)
    const list = await h.open('pages/products/products')
    expect(h.text(list, '#product-credit')).toContain('信用贷')
    await h.tap(list, '#product-credit')
    expect(lastNav()).toEqual({how: 'navigateTo', url: '/pages/apply/apply?code=credit'})

    let form = await h.open('pages/apply/apply', {code: 'credit'})
    await h.until(() => form.instance.data.product, 'the credit form')
    expect(form.instance.data.fields.map(f => f.key)).toContain('monthly_salary')
    await h.type(form, '#in-amount', '200000')
    await h.type(form, '#in-term_months', '36')
    await h.type(form, '#in-name', A.name)
    await h.type(form, '#in-city', '济南')
    await fillCredit(form, {employer_type: 'state_owned', monthly_salary: '1万5'})
    await h.tap(form, '#submit')
    await h.until(() => h.shows(form, '#err-monthly_salary'), 'the field errors')
    // the API's own messages (scrm/customers/forms.py), next to the fields they name
    expect(h.text(form, '#err-monthly_salary')).toBe('税后月收入应为数字')
    expect(h.text(form, '#err-social_security_months')).toBe('请填写社保连续缴纳月数')
    expect(h.text(form, '#error')).toContain('有 2 项需要修改')
    await h.type(form, '#in-monthly_salary', '15000')
    expect(h.shows(form, '#err-monthly_salary')).toBe(false)

    // the session runs out while the form is half done
    wx.setStorageSync('mp.token', `c${A.id}.1.expired`)
    await h.type(form, '#in-social_security_months', '60')
    await h.tap(form, '#submit')
    await h.until(() => (h.text(form, '#error') || '').includes('登录已过期'), 'the expired session')
    expect(lastNav()).toEqual({how: 'navigateTo', url: '/pages/login/login?expired=1'})
    const again = await signIn(A, {expired: '1'})
    expect(h.text(again, '#expired')).toContain('登录已过期')
    expect(lastNav()).toEqual({how: 'redirectTo', url: '/pages/apply/apply?code=credit'})
    form = await h.open('pages/apply/apply', {code: 'credit'})
    await h.until(() => form.instance.data.product, 'the form again')
    expect(form.instance.data.base).toMatchObject({amount: '200000', term_months: '36', name: A.name, city: '济南'})
    const values = Object.fromEntries(form.instance.data.fields.map(f => [f.key, f.value]))
    expect(values).toMatchObject({employer_type: 'state_owned', monthly_salary: '15000', social_security_months: '60'})

    // documents: the product's required materials when it lists them, else the kinds the API accepts
    const materials = form.instance.data.materials
    expect(materials.length).toBeGreaterThan(1)
    const [photo, statement] = materials
    if (form.instance.data.requiredMode) expect(h.text(form, '#missing')).toContain(photo.label)
    phone.nextMedia = JPG
    await h.tap(form, `#camera-${photo.kind}`)
    await h.until(() => form.instance.data.materials.find(m => m.kind === photo.kind).count === 1, 'the photo uploaded')
    phone.nextFile = TXT
    await h.tap(form, `#chat-${statement.kind}`)
    await h.until(() => h.shows(form, `#uerr-${statement.kind}`), 'the refused file')
    expect(h.text(form, `#uerr-${statement.kind}`)).toContain('按文件内容识别')
    phone.nextFile = PDF
    await h.tap(form, `#chat-${statement.kind}`)
    await h.until(() => form.instance.data.materials.find(m => m.kind === statement.kind).count === 1, 'the PDF uploaded')
    expect(h.shows(form, `#uerr-${statement.kind}`)).toBe(false)
    if (form.instance.data.requiredMode) expect(h.text(form, '#missing') || '').not.toContain(photo.label)
    const sent = await h.customerApi(A.token, '/mp/attachments')
    expect(sent.map(a => a.kind).sort()).toEqual([photo.kind, statement.kind].sort())
    expect(sent.find(a => a.kind === statement.kind).content_type).toBe('application/pdf')

    await h.tap(form, '#submit')
    await h.until(() => h.shows(form, '#submitted'), 'the application sent')
    const [application] = await h.customerApi(A.token, '/mp/applications')
    expect(application).toMatchObject({product_code: 'credit', amount: '200000.00', term_months: 36,
      consent_version: wx.getStorageSync('mp.consent').version})
    expect(application.fields).toMatchObject({employer_type: 'state_owned', monthly_salary: '15000.00', social_security_months: 60})
    expect(wx.getStorageSync('mp.draft.apply.credit')).toBe('')
  })

  test('follows the loan as the back office moves the order, and sees what is still owed', async () => {
    phone.use(A)
    h.config.apiBase = `http://127.0.0.1:${await closedPort()}`
    const loan = await h.open('pages/loan/loan')
    expect(h.text(loan, '#error')).toContain('网络连接失败，请检查网络后重试')
    h.config.apiBase = live.api
    await h.tap(loan, '#retry')
    await h.until(() => h.shows(loan, '#progress'), 'the progress after retrying')
    expect(h.shows(loan, '#error')).toBe(false)
    expect(h.shows(loan, '#order')).toBe(false)
    expect(h.shows(loan, '#no-order')).toBe(true)

    const order = await signOrder(A.id)
    await loan.instance.onPullDownRefresh()
    expect(h.text(loan, '#order')).toContain(order.agreement_no)
    expect(h.text(loan, '#order-status')).toBe('待合同确认')
    const done = () => Object.fromEntries(loan.instance.data.loan.steps.map(s => [s.key, s.done]))
    expect(done()).toEqual({signed: true, deposit: false, processing: false, disbursed: false, settled: false})

    await intoProcessing(order.id)
    await loan.instance.onPullDownRefresh()
    expect(done()).toEqual({signed: true, deposit: true, processing: true, disbursed: false, settled: false})
    expect(h.text(loan, '#deposit')).toContain('¥2,000.00')
    expect(h.text(loan, '#stage')).toBe('办理中')

    const settlement = await disburse(order.id, '180000.05')
    await loan.instance.onPullDownRefresh()
    expect(h.text(loan, '#disbursed')).toContain('¥180,000.05')
    expect(h.text(loan, '#statement')).toContain('核算中')
    expect(h.shows(loan, '#owed')).toBe(false)

    await settle(settlement.id, 'direct_debit', '300.01')
    await loan.instance.onPullDownRefresh()
    expect(done().settled).toBe(true)
    expect(h.text(loan, '#stage')).toBe('已结算')
    // what finance's debit would collect is what the customer is told they owe, to the fen
    const due = await h.staff('finance', 'GET', `/api/backoffice/settlements/${settlement.id}/amount-due`)
    expect(due.amount_due_fen).toBeGreaterThan(0)
    expect(h.text(loan, '#owed-amount')).toBe(`¥${yuan(due.amount_due_fen)}`)
    expect(h.text(loan, '#statement')).toContain('其他费用¥300.01')
    expect(h.text(loan, '#statement')).toContain('定金抵扣-¥2,000.00')
    A.settlementId = settlement.id
  })

  test('binds a card with the SMS code, signs papay through the jump, revokes', async () => {
    phone.use(A)
    const debit = await h.open('pages/debit/debit')
    expect(h.text(debit, '#none')).toBe('暂无生效的代扣授权')
    await h.type(debit, '#card-holder_name', A.name)
    await h.type(debit, '#card-id_no', ID_NO)
    await h.type(debit, '#card-card_no', '6222021234567890127') // one digit off: the Luhn check fails
    await h.type(debit, '#card-phone', A.phone)
    await h.tap(debit, '#send-sms')
    await h.until(() => h.shows(debit, '#err-card_no'), 'the card refused')
    expect(h.text(debit, '#err-card_no')).toContain('银行卡号不正确')
    await h.type(debit, '#card-card_no', CARD)
    await h.tap(debit, '#send-sms')
    await h.until(() => h.shows(debit, '#sms-code'), 'the SMS step')

    const {code} = await sandbox(live.pay, `sandbox/sms?phone=${A.phone}`)
    const wrong = code.replace(/^./, d => String((Number(d) + 1) % 10))
    await h.type(debit, '#sms-code', wrong)
    await h.tap(debit, '#confirm-sms')
    await h.until(() => h.shows(debit, '#err-code'), 'the wrong code')
    expect(h.text(debit, '#err-code')).toBe('验证码错误，还可以再试 4 次')
    await h.type(debit, '#sms-code', code)
    await h.tap(debit, '#confirm-sms')
    await h.until(() => h.shows(debit, '#message'), 'the card authorised')
    expect(h.text(debit, '#message')).toBe(`已授权尾号 ${CARD.slice(-4)} 的银行卡代扣`)
    await h.until(() => debit.instance.data.active.length === 1, 'the list read again')
    expect(h.text(debit, '#active')).toContain(`银行卡代扣（尾号 ${CARD.slice(-4)}）`)
    expect(debit.dom.innerHTML).not.toContain(CARD)
    expect(debit.dom.innerHTML).not.toContain(ID_NO)

    await h.tap(debit, '#start-papay')
    await h.until(() => h.shows(debit, '#message') && h.text(debit, '#message').includes('微信支付页面'), 'the jump')
    expect(phone.jumps).toHaveLength(1)
    expect(phone.jumps[0].appId).toBe('wxbd687630cd02ce1d')
    expect(phone.jumps[0].extraData).toMatchObject({contract_code: expect.any(String), sign: expect.any(String)})
    await debit.instance.onShow() // back from WeChat's signing mini-program
    expect(debit.instance.data.active.map(m => m.kind).sort()).toEqual(['bank_card', 'papay'])
    expect(h.text(debit, '#active')).toContain('微信支付免密代扣')

    const papay = debit.instance.data.active.find(m => m.kind === 'papay')
    phone.modalAnswer = false
    await h.tap(debit, `#revoke-${papay.id}`)
    expect(debit.instance.data.active).toHaveLength(2)
    phone.modalAnswer = true
    await h.tap(debit, `#revoke-${papay.id}`)
    await h.until(() => debit.instance.data.active.length === 1, 'the papay contract revoked')
    const mandates = await h.customerApi(A.token, '/mp/mandates')
    expect(mandates.find(m => m.id === papay.id).status).toBe('revoked')
  })

  test('refers a friend through the share card; the friend\'s settled loan pays a commission that is withdrawn', async () => {
    phone.use(A)
    let ref = await h.open('pages/referral/referral')
    const centre = ref.instance.data.centre
    expect(h.text(ref, '#code')).toBe(centre.code)
    const share = ref.instance.onShareAppMessage()
    expect(share.path).toBe(`/pages/referral/landing?scene=${encodeURIComponent(centre.scene)}`)
    await h.tap(ref, '#make-poster')
    await h.until(() => ref.instance.data.poster, 'the poster')
    expect(fs.readFileSync(ref.instance.data.poster).subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
    expect(h.text(ref, '#rules')).toBe(`单次最低 ¥${yuan(Math.round(Number(centre.withdraw_min) * 100))}，每日最多 ¥${yuan(Math.round(Number(centre.withdraw_daily_limit) * 100))}；整笔佣金按时间先后提现，财务审核后打款`)
    // nothing earned yet: the minimum is explained
    await h.tap(ref, '#do-withdraw')
    await h.until(() => h.shows(ref, '#withdraw-error'), 'the refused withdrawal')
    expect(h.text(ref, '#withdraw-error')).toContain('元才能提现')
    expect(h.text(ref, '#withdraw-error')).toContain(`单次最低 ¥${h.text(ref, '#rules').match(/最低 ¥([\d,.]+)/)[1]}`)

    // the friend opens the share card
    phone.use(B)
    await h.open('pages/referral/landing', {scene: encodeURIComponent(centre.scene)})
    expect(lastNav()).toEqual({how: 'redirectTo', url: '/pages/login/login'})
    await signIn(B)
    expect(wx.getStorageSync('mp.scene')).toBe('')
    const form = await h.open('pages/apply/apply', {code: 'credit'})
    await h.until(() => form.instance.data.product, 'the friend\'s form')
    await h.type(form, '#in-amount', '100000')
    await h.type(form, '#in-name', B.name)
    await fillCredit(form, CREDIT)
    await h.tap(form, '#submit')
    await h.until(() => h.shows(form, '#submitted'), 'the friend\'s application')
    const friend = await h.customerApi(B.token, '/mp/me')
    const order = await signOrder(friend.id)
    await intoProcessing(order.id)
    const settlement = await disburse(order.id, '100000')
    const closed = await settle(settlement.id, 'online_bank')
    expect(closed.status).toBe('closed')

    phone.use(A)
    ref = await h.open('pages/referral/referral')
    expect(h.text(ref, '#friend-0')).toContain('李*')
    expect(h.text(ref, '#friends')).not.toContain(B.name)
    // the scheduler makes the commission withdrawable once its cooling-off (none here) is over; the page reads
    // the balance and the list in parallel, so the move can land between the two reads: wait for both to show it
    await h.until(async () => {
      await ref.instance.load()
      const {commissions, centre} = ref.instance.data
      return commissions.length === 1 && commissions[0].state === 'withdrawable' &&
        Number(centre.balance.withdrawable) === Number(commissions[0].amount)
    }, 'the commission withdrawable')
    const [commission] = await h.customerApi(A.token, '/mp/referral/commissions')
    expect(commission.friend).toBe('李*')
    expect(h.text(ref, `#commission-${commission.id}`)).toContain('可提现')
    expect(h.text(ref, '#state-withdrawable')).toContain(`¥${yuan(Math.round(Number(commission.amount) * 100))}`)
    expect(h.text(ref, '#available')).toBe(`¥${yuan(Math.round(Number(commission.amount) * 100))}`)

    await h.change(ref, '#method', 'bank')
    await h.type(ref, '#bank-account_name', A.name)
    await h.type(ref, '#bank-bank_name', '招商银行')
    await h.tap(ref, '#do-withdraw')
    await h.until(() => h.shows(ref, '#err-bank_card'), 'the missing card')
    expect(h.text(ref, '#err-bank_card')).toBe('银行卡号不正确')
    await h.type(ref, '#bank-bank_card', '6225880137716003')
    await h.tap(ref, '#do-withdraw')
    await h.until(() => h.shows(ref, '#message'), 'the withdrawal')
    expect(h.text(ref, '#message')).toBe(`已申请提现 ¥${yuan(Math.round(Number(commission.amount) * 100))}，财务审核后打款`)
    const [withdrawal] = await h.customerApi(A.token, '/mp/referral/withdrawals')
    await h.until(() => h.shows(ref, `#withdrawal-${withdrawal.id}`), 'the withdrawal listed')
    expect(h.text(ref, `#withdrawal-${withdrawal.id}`)).toContain('待审核')
    expect(h.text(ref, `#withdrawal-${withdrawal.id}`)).toContain('**** 6003')
    expect(ref.dom.innerHTML).not.toContain('6225880137716003')

    await h.staff('finance', 'POST', `/api/referral/withdrawals/${withdrawal.id}/approve`)
    await h.staff('finance', 'POST', `/api/referral/withdrawals/${withdrawal.id}/pay`, {bank_reference: 'CMB-MP-0001'})
    await ref.instance.load()
    expect(h.text(ref, `#withdrawal-${withdrawal.id}`)).toContain('已到账')
    expect(h.text(ref, '#state-paid')).toContain(`¥${yuan(Math.round(Number(commission.amount) * 100))}`)
  })
})
