// Opened from a friend's share card (?scene=r%3D<code>) or mini-program code (scene in the launch query):
// the scene is kept for sign-in, which sends it with wx.login's code.
const session = require('../../utils/session')

Component({
  methods: {
    onLoad(query = {}) {
      if (query.scene) session.setScene(decodeURIComponent(query.scene))
      wx.redirectTo({url: session.token() ? '/pages/index/index' : '/pages/login/login'})
    },
  },
})
