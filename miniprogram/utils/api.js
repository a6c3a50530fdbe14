// The /mp API: JSON over wx.request, documents over wx.uploadFile, the poster over wx.downloadFile.
// Every failure becomes an ApiError a page can show: `kind` is network (no answer), expired (sign in again),
// or http (the API's own answer, with `field` and `errors` naming the fields it refused).
const config = require('../config')
const session = require('./session')

class ApiError extends Error {
  constructor(kind, message, extra = {}) {
    super(message)
    this.kind = kind
    Object.assign(this, extra)
  }
}

const NETWORK_MESSAGE = '网络连接失败，请检查网络后重试'
const EXPIRED_MESSAGE = '登录已过期，请重新登录（已填写的内容会保留）'

function base() { return String(config.apiBase).replace(/\/+$/, '') }

function currentPageUrl() {
  const pages = typeof getCurrentPages === 'function' ? getCurrentPages() : []
  const page = pages[pages.length - 1]
  if (!page || !page.route) return ''
  const query = Object.entries(page.options || {}).map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')
  return `/${page.route}${query ? `?${query}` : ''}`
}

// the session ended (expired or replaced): keep where the customer was and send them to sign in
function onExpired(returnTo) {
  session.clearToken()
  if (returnTo) session.setReturnTo(returnTo)
  wx.navigateTo({url: '/pages/login/login?expired=1'})
}

function fail(statusCode, data, returnTo, authed) {
  const body = data && typeof data === 'object' ? data : {}
  if (statusCode === 401 && authed) {
    onExpired(returnTo)
    return new ApiError('expired', EXPIRED_MESSAGE, {status: 401})
  }
  let message = body.message || `服务暂时不可用（${statusCode}），请稍后再试`
  if (statusCode === 413) message = '文件太大，请压缩后再上传'
  return new ApiError('http', message, {status: statusCode, field: body.field || null, errors: body.errors || [], body})
}

function authHeader(auth) {
  const token = session.token()
  return auth && token ? {Authorization: `Bearer ${token}`} : {}
}

function request(path, {method = 'GET', data, auth = true, returnTo} = {}) {
  const back = returnTo === undefined ? currentPageUrl() : returnTo
  return new Promise((resolve, reject) => {
    wx.request({
      url: base() + path,
      method,
      data,
      header: {'content-type': 'application/json', ...authHeader(auth)},
      timeout: 15000,
      success(res) {
        if (res.statusCode >= 200 && res.statusCode < 300) resolve(res.data)
        else reject(fail(res.statusCode, res.data, back, auth))
      },
      fail() { reject(new ApiError('network', NETWORK_MESSAGE)) },
    })
  })
}

function upload(path, filePath, formData, {returnTo} = {}) {
  const back = returnTo === undefined ? currentPageUrl() : returnTo
  return new Promise((resolve, reject) => {
    wx.uploadFile({
      url: base() + path,
      filePath,
      name: 'file',
      formData,
      header: authHeader(true),
      success(res) {
        let data = res.data
        try { data = JSON.parse(res.data) } catch (e) { /* not JSON: keep the text */ }
        if (res.statusCode >= 200 && res.statusCode < 300) resolve(data)
        else reject(fail(res.statusCode, data, back, true))
      },
      fail() { reject(new ApiError('network', NETWORK_MESSAGE)) },
    })
  })
}

function download(path) {
  return new Promise((resolve, reject) => {
    wx.downloadFile({
      url: base() + path,
      header: authHeader(true),
      success(res) {
        if (res.statusCode === 200) resolve(res.tempFilePath)
        else reject(fail(res.statusCode, null, currentPageUrl(), true))
      },
      fail() { reject(new ApiError('network', NETWORK_MESSAGE)) },
    })
  })
}

// {field: message} from a 422: `custom_fields.<key>` under its key, the rest under their own names
function fieldErrors(err) {
  const out = {}
  if (!err || err.kind !== 'http') return out
  const list = err.errors && err.errors.length ? err.errors : (err.field ? [{field: err.field, message: err.message}] : [])
  list.forEach(e => {
    const key = String(e.field || '').replace(/^custom_fields\./, '')
    if (key && !out[key]) out[key] = e.message
  })
  return out
}

function requestId(prefix) {
  const rand = () => Math.random().toString(16).slice(2, 10)
  return `${prefix}-${Date.now().toString(16)}-${rand()}${rand()}`
}

module.exports = {request, upload, download, fieldErrors, requestId, ApiError, NETWORK_MESSAGE, EXPIRED_MESSAGE}
