// The customer's session token and what must survive a sign-in: the page to return to and half-filled forms.
const TOKEN = 'mp.token'
const RETURN_TO = 'mp.returnTo'
const SCENE = 'mp.scene'
const CONSENT = 'mp.consent'

function token() { return wx.getStorageSync(TOKEN) || '' }
function setToken(value) { wx.setStorageSync(TOKEN, value) }
function clearToken() { wx.removeStorageSync(TOKEN) }

function saveDraft(name, value) { wx.setStorageSync(`mp.draft.${name}`, value) }
function loadDraft(name) { return wx.getStorageSync(`mp.draft.${name}`) || null }
function clearDraft(name) { wx.removeStorageSync(`mp.draft.${name}`) }

function setReturnTo(url) { wx.setStorageSync(RETURN_TO, url) }
function takeReturnTo() {
  const url = wx.getStorageSync(RETURN_TO) || ''
  wx.removeStorageSync(RETURN_TO)
  return url
}

function setScene(scene) { wx.setStorageSync(SCENE, scene) }
function scene() { return wx.getStorageSync(SCENE) || '' }
function clearScene() { wx.removeStorageSync(SCENE) }

// the privacy terms' version the customer agreed to, and when
function setConsent(version) { wx.setStorageSync(CONSENT, {version, at: new Date().toISOString()}) }
function consent() { return wx.getStorageSync(CONSENT) || null }

module.exports = {
  token, setToken, clearToken, saveDraft, loadDraft, clearDraft, setReturnTo, takeReturnTo,
  setScene, scene, clearScene, setConsent, consent,
}
