// The phone: wx.* answered as WeChat would, over real HTTP. Requests and uploads go to the live /mp API;
// wx.login and the phone-number button get their codes from the sandbox mini-program API; the papay jump
// posts the signed parameters to the sandbox WeChat Pay's signing page; files come from the test's own folder.
const crypto = require('crypto')
const fs = require('fs')
const http = require('http')
const os = require('os')
const path = require('path')

const live = JSON.parse(process.env.MP_LIVE || '{}')
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mp-phone-'))

function call(method, url, headers = {}, body = null) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, {method, headers: {...headers, ...(body ? {'content-length': body.length} : {})}}, res => {
      const chunks = []
      res.on('data', c => chunks.push(c))
      res.on('end', () => resolve({status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks)}))
    })
    req.on('error', reject)
    req.setTimeout(20000, () => req.destroy(new Error('timeout')))
    if (body) req.write(body)
    req.end()
  })
}

function decode(res) {
  const text = res.body.toString('utf8')
  if (String(res.headers['content-type'] || '').includes('json')) {
    try { return JSON.parse(text) } catch (e) { return text }
  }
  return text
}

function lower(header = {}) {
  const out = {}
  Object.entries(header).forEach(([k, v]) => { out[k.toLowerCase()] = v })
  return out
}

const phone = {
  person: null, nav: [], toasts: [], modalAnswer: true, jumps: [], nextMedia: null, nextFile: null,
  use(person) {
    if (!person.storage) person.storage = new Map()
    this.person = person
  },
}

function done(opts, fn, result) {
  if (opts[fn]) opts[fn](result)
  if (opts.complete) opts.complete(result)
}

const wx = {
  request(opts) {
    let url = opts.url
    const method = (opts.method || 'GET').toUpperCase()
    let body = null
    if (method === 'GET' && opts.data && typeof opts.data === 'object') {
      const q = new URLSearchParams(opts.data).toString()
      if (q) url += (url.includes('?') ? '&' : '?') + q
    } else if (opts.data !== undefined) {
      body = Buffer.from(typeof opts.data === 'string' ? opts.data : JSON.stringify(opts.data))
    }
    call(method, url, lower(opts.header), body)
      .then(res => done(opts, 'success', {statusCode: res.status, data: decode(res), header: res.headers, errMsg: 'request:ok'}))
      .catch(err => done(opts, 'fail', {errMsg: `request:fail ${err.message}`}))
  },

  uploadFile(opts) {
    const boundary = `----mp${crypto.randomBytes(8).toString('hex')}`
    const parts = []
    Object.entries(opts.formData || {}).forEach(([k, v]) => {
      parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`))
    })
    let data
    try { data = fs.readFileSync(opts.filePath) } catch (err) { done(opts, 'fail', {errMsg: 'uploadFile:fail file not found'}); return }
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${opts.name}"; filename="${path.basename(opts.filePath)}"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n'), data, Buffer.from(`\r\n--${boundary}--\r\n`))
    call('POST', opts.url, {...lower(opts.header), 'content-type': `multipart/form-data; boundary=${boundary}`}, Buffer.concat(parts))
      .then(res => done(opts, 'success', {statusCode: res.status, data: res.body.toString('utf8'), errMsg: 'uploadFile:ok'}))
      .catch(err => done(opts, 'fail', {errMsg: `uploadFile:fail ${err.message}`}))
  },

  downloadFile(opts) {
    call('GET', opts.url, lower(opts.header))
      .then(res => {
        const file = path.join(tmp, `download-${crypto.randomBytes(4).toString('hex')}`)
        fs.writeFileSync(file, res.body)
        done(opts, 'success', {statusCode: res.status, tempFilePath: file, errMsg: 'downloadFile:ok'})
      })
      .catch(err => done(opts, 'fail', {errMsg: `downloadFile:fail ${err.message}`}))
  },

  // wx.login: the sandbox mints the single-use code WeChat would give this person's openid
  login(opts) {
    const body = Buffer.from(JSON.stringify({openid: phone.person.openid}))
    call('POST', `${live.wxa}sandbox/login_code`, {'content-type': 'application/json'}, body)
      .then(res => done(opts, 'success', {code: JSON.parse(res.body).code, errMsg: 'login:ok'}))
      .catch(err => done(opts, 'fail', {errMsg: `login:fail ${err.message}`}))
  },

  chooseMedia(opts) {
    const file = phone.nextMedia
    phone.nextMedia = null
    if (!file) { done(opts, 'fail', {errMsg: 'chooseMedia:fail cancel'}); return }
    done(opts, 'success', {type: 'image', tempFiles: [{tempFilePath: file, size: fs.statSync(file).size, fileType: 'image'}],
      errMsg: 'chooseMedia:ok'})
  },

  chooseMessageFile(opts) {
    const file = phone.nextFile
    phone.nextFile = null
    if (!file) { done(opts, 'fail', {errMsg: 'chooseMessageFile:fail cancel'}); return }
    done(opts, 'success', {tempFiles: [{path: file, name: path.basename(file), size: fs.statSync(file).size, type: 'file'}],
      errMsg: 'chooseMessageFile:ok'})
  },

  // the jump to WeChat Pay's signing mini-program: the person agrees on the sandbox's signing page
  navigateToMiniProgram(opts) {
    phone.jumps.push({appId: opts.appId, extraData: opts.extraData})
    const form = Buffer.from(new URLSearchParams(opts.extraData || {}).toString())
    call('POST', `${live.pay}papay/entrustweb`, {'content-type': 'application/x-www-form-urlencoded'}, form)
      .then(res => done(opts, res.status === 200 ? 'success' : 'fail',
        {errMsg: res.status === 200 ? 'navigateToMiniProgram:ok' : `navigateToMiniProgram:fail ${res.body}`}))
      .catch(err => done(opts, 'fail', {errMsg: `navigateToMiniProgram:fail ${err.message}`}))
  },

  getStorageSync(key) { return phone.person.storage.has(key) ? phone.person.storage.get(key) : '' },
  setStorageSync(key, value) { phone.person.storage.set(key, JSON.parse(JSON.stringify(value))) },
  removeStorageSync(key) { phone.person.storage.delete(key) },

  navigateTo(opts) { phone.nav.push({how: 'navigateTo', url: opts.url}); done(opts, 'success', {}) },
  redirectTo(opts) { phone.nav.push({how: 'redirectTo', url: opts.url}); done(opts, 'success', {}) },
  reLaunch(opts) { phone.nav.push({how: 'reLaunch', url: opts.url}); done(opts, 'success', {}) },
  navigateBack(opts = {}) { phone.nav.push({how: 'navigateBack'}); done(opts, 'success', {}) },
  showToast(opts) { phone.toasts.push(opts.title); done(opts, 'success', {}) },
  showModal(opts) { done(opts, 'success', {confirm: phone.modalAnswer, cancel: !phone.modalAnswer}) },
  saveImageToPhotosAlbum(opts) { done(opts, fs.existsSync(opts.filePath) ? 'success' : 'fail', {}) },
  stopPullDownRefresh() {},
}

global.wx = wx
global.phone = phone
global.live = live
global.http = {call, decode}
