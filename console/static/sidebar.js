// The chat sidebar inside WeCom. The server signs the page (wx.config with the corp ticket, wx.agentConfig with the
// app's ticket, or ww.register with both); this script asks WeCom which chat the sidebar is open beside, and
// sends scripts and materials into it. Every WeCom failure becomes a sentence a salesperson can act on.
(function () {
  "use strict";
  var body = document.body;
  var base = body.dataset.base;
  var csrf = body.dataset.csrf;
  var page = body.dataset.page;
  var cfgNode = document.getElementById("wecom-config");
  var cfg = cfgNode ? JSON.parse(cfgNode.textContent) : null;
  var notice = document.getElementById("notice");
  var context = null; // {ext: userId} or {chat: chatId}

  var REASONS = [
    ["no permission", "没有权限：本应用还没有客户联系权限，或你不在应用的可见范围内。请联系管理员在企业微信后台开通后再试。"],
    ["without context of external contact", "请从客户单聊或客户群的聊天工具栏打开本页面，才能读取和发送给当前客户。"],
    ["invalid signature", "页面签名无效：请关闭侧边栏后重新打开；如果仍然出现，请联系管理员检查可信域名设置。"],
    ["permission denied", "没有权限：请联系管理员确认本应用已配置到聊天工具栏。"],
    ["cancel", "已取消发送。"],
    ["not support", "当前企业微信版本不支持该功能，请升级企业微信后再试。"]
  ];

  function say(text, bad) {
    if (!notice) { return; }
    notice.textContent = text;
    notice.hidden = false;
    notice.className = "notice" + (bad ? " bad" : "");
  }

  function explain(res) {
    var msg = (res && (res.err_msg || res.errMsg)) || String(res || "");
    for (var i = 0; i < REASONS.length; i++) {
      if (msg.indexOf(REASONS[i][0]) >= 0) { return REASONS[i][1]; }
    }
    return "企业微信没有完成操作（" + msg + "），请关闭侧边栏后重新打开再试。";
  }

  function ok(res, name) {
    var msg = res && (res.err_msg || res.errMsg);
    return msg === name + ":ok";
  }

  // one call into WeCom, whichever SDK the page has: cb(error or null, result)
  function invoke(name, args, cb) {
    if (window.ww && typeof window.ww[name] === "function") {
      window.ww[name](args || {}).then(function (res) { cb(null, res || {}); }, function (err) { cb(err || {}); });
      return;
    }
    window.wx.invoke(name, args || {}, function (res) { cb(ok(res, name) ? null : res, res); });
  }

  function ready(cb) {
    if (!cfg) { return; } // the server already said why in the notice
    var signed = function (which) { return function () { return cfg[which]; }; };
    if (window.ww && typeof window.ww.register === "function") {
      window.ww.register({
        corpId: cfg.corpId, agentId: cfg.agentId, jsApiList: cfg.jsApiList,
        getConfigSignature: signed("config"), getAgentConfigSignature: signed("agentConfig"),
        onConfigFail: function (err) { say(explain(err), true); },
        onAgentConfigSuccess: function () { cb(); },
        onAgentConfigFail: function (err) { say(explain(err), true); }
      });
      return;
    }
    if (!window.wx || typeof window.wx.config !== "function") {
      say("没有连上企业微信：请在企业微信里打开本页面（聊天工具栏），普通浏览器无法使用侧边栏。", true);
      return;
    }
    window.wx.config({beta: true, debug: false, appId: cfg.corpId, timestamp: cfg.config.timestamp,
                      nonceStr: cfg.config.nonceStr, signature: cfg.config.signature, jsApiList: cfg.jsApiList});
    window.wx.error(function (err) { say(explain(err), true); });
    window.wx.ready(function () {
      window.wx.agentConfig({
        corpid: cfg.corpId, agentid: String(cfg.agentId), timestamp: cfg.agentConfig.timestamp,
        nonceStr: cfg.agentConfig.nonceStr, signature: cfg.agentConfig.signature, jsApiList: cfg.jsApiList,
        success: function () { cb(); },
        fail: function (err) { say(explain(err), true); }
      });
    });
  }

  function findContext(cb) {
    invoke("getCurExternalContact", {}, function (err, res) {
      if (!err && res.userId) { context = {ext: res.userId}; cb(null); return; }
      invoke("getCurExternalChat", {}, function (err2, res2) {
        if (!err2 && res2.chatId) { context = {chat: res2.chatId}; cb(null); return; }
        cb(err || err2);
      });
    });
  }

  function go(path, key, value) {
    window.location.replace(base + path + "?" + key + "=" + encodeURIComponent(value));
  }

  function post(url, fields, cb) {
    var form = new FormData();
    form.append("csrf_token", csrf);
    Object.keys(fields).forEach(function (k) { form.append(k, fields[k]); });
    fetch(url, {method: "POST", body: form, credentials: "same-origin"}).then(function (r) {
      return r.json().then(function (data) { cb(r.ok ? null : (data.error || "出错了"), data); },
                           function () { cb("服务器暂时无法处理（" + r.status + "），请稍后再试"); });
    }, function () { cb("网络连接失败，请检查网络后再试"); });
  }

  function send(button) {
    var id = button.dataset.send;
    if (!context) { say("请从客户单聊或客户群的聊天工具栏打开本页面，才能发送到当前聊天。", true); return; }
    button.disabled = true;
    post(base + "/materials/" + id + "/prepare", context, function (problem, data) {
      if (problem) { button.disabled = false; say(problem, true); return; }
      invoke("sendChatMessage", data.message, function (err) {
        button.disabled = false;
        if (err) { say(explain(err), true); return; }
        post(base + "/materials/" + id + "/sent", context, function () {
          button.dataset.sends = String(Number(button.dataset.sends || 0) + 1);
          button.textContent = "再发一次";
          say("已发送到当前聊天");
        });
      });
    });
  }

  if (page === "customer-entry") {
    ready(function () {
      invoke("getCurExternalContact", {}, function (err, res) {
        if (err || !res.userId) { say(explain(err), true); return; }
        go("/customer", "ext", res.userId);
      });
    });
  } else if (page === "group-entry") {
    ready(function () {
      invoke("getCurExternalChat", {}, function (err, res) {
        if (err || !res.chatId) { say(explain(err), true); return; }
        go("/group", "chat", res.chatId);
      });
    });
  } else if (page === "materials") {
    ready(function () {
      findContext(function (err) { if (err) { say(explain(err), true); } });
    });
    document.addEventListener("click", function (event) {
      var button = event.target.closest && event.target.closest("button[data-send]");
      if (button) { send(button); }
    });
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.method.toLowerCase() !== "post") { return; }
    if (form.dataset.sent) { event.preventDefault(); return; }
    form.dataset.sent = "1";
  });
})();
