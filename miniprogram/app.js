// A friend's share card or mini-program code opens the app with the referrer's scene (r=<code>); it is kept
// until sign-in sends it with wx.login's code.
const session = require('./utils/session')

App({
  onLaunch(options) {
    const query = (options && options.query) || {}
    if (query.scene) session.setScene(decodeURIComponent(query.scene))
  },
})
