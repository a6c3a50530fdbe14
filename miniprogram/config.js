// Where the mini-program finds the SCRM's /mp API. Set apiBase to the production server's HTTPS origin
// (the same host entered under 开发管理 → 服务器域名 as the request and uploadFile legal domain).
module.exports = {
  apiBase: 'https://scrm.example.com',
  // WeChat Pay's signing mini-program for papay contracts (小程序纯签约, a fixed appid)
  papayAppId: 'wxbd687630cd02ce1d',
}
