// Opening pages as WeChat would (the page's onLoad with its query), reading what they show, and the back
// office's side of the walk through the staff API.
const path = require('path')
const simulate = require('miniprogram-simulate')

const root = path.resolve(__dirname, '..')
const config = require('../config')

config.apiBase = global.live.api

// a page is registered once (registering the same path again defines nothing) and rendered afresh each time
const loaded = {}

function open(route, query = {}) {
  if (!loaded[route]) loaded[route] = simulate.load(path.join(root, route), {rootPath: root})
  const id = loaded[route]
  const comp = simulate.render(id)
  comp.attach(document.createElement('parent-wrapper'))
  global.getCurrentPages = () => [{route, options: query}]
  return Promise.resolve(comp.instance.onLoad(query)).then(() => comp)
}

function el(comp, selector) {
  const found = comp.querySelector(selector)
  if (!found) throw new Error(`nothing matches ${selector}`)
  return found
}

function text(comp, selector) {
  const found = comp.querySelector(selector)
  return found ? found.dom.textContent.replace(/\s+/g, ' ').trim() : null
}

function shows(comp, selector) { return !!comp.querySelector(selector) }

async function until(check, what, ms = 10000) {
  const deadline = Date.now() + ms
  for (;;) {
    let ok = false
    try { ok = await check() } catch (e) { ok = false }
    if (ok) return ok
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`)
    await simulate.sleep(20)
  }
}

async function tap(comp, selector) {
  el(comp, selector).dispatchEvent('tap')
  await simulate.sleep(0)
}

// events reach the page's handlers asynchronously, as in WeChat: each of these waits for its handler
async function type(comp, selector, value) {
  el(comp, selector).dispatchEvent('input', {detail: {value}})
  await simulate.sleep(0)
}

async function change(comp, selector, value) {
  el(comp, selector).dispatchEvent('change', {detail: {value}})
  await simulate.sleep(0)
}

// ------------------------------------------------------------------ the staff API (the back office)

async function staff(role, method, url, body) {
  const headers = {'content-type': 'application/json', authorization: `Bearer ${global.live.staff[role].token}`}
  const res = await global.http.call(method, `${global.live.api}${url}`, headers,
    body === undefined ? null : Buffer.from(JSON.stringify(body)))
  const data = global.http.decode(res)
  if (res.status >= 400) throw new Error(`${role} ${method} ${url} -> ${res.status} ${JSON.stringify(data)}`)
  return data
}

async function customerApi(token, url) {
  const res = await global.http.call('GET', `${global.live.api}${url}`, {authorization: `Bearer ${token}`})
  return global.http.decode(res)
}

module.exports = {open, el, text, shows, until, tap, type, change, staff, customerApi, simulate, root, config}
