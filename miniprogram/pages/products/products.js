const api = require('../../utils/api')

Component({
  data: {loading: false, error: '', products: []},
  methods: {
    onLoad() { return this.load() },

    load() {
      this.setData({loading: true, error: ''})
      return api.request('/mp/products')
        .then(products => this.setData({products, loading: false}))
        .catch(err => this.setData({loading: false, error: err.message}))
    },

    choose(e) {
      wx.navigateTo({url: `/pages/apply/apply?code=${e.currentTarget.dataset.code}`})
    },
  },
})
