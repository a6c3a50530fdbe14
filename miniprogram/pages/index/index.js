const api = require('../../utils/api')
const labels = require('../../utils/labels')
const session = require('../../utils/session')

Component({
  data: {loading: false, error: '', me: null, stageName: ''},
  methods: {
    onShow() {
      if (!session.token()) {
        wx.navigateTo({url: '/pages/login/login'})
        return Promise.resolve()
      }
      this.setData({loading: true, error: ''})
      return api.request('/mp/me')
        .then(me => this.setData({me, stageName: labels.stage[me.stage] || me.stage, loading: false}))
        .catch(err => this.setData({loading: false, error: err.message}))
    },
  },
})
