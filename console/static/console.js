// Confirmation before irreversible actions and a progress bar while a form is being handled. A form that
// posts is sent once: a second press (a double click on 一键代扣) is ignored while the first is in flight.
document.addEventListener("submit", function (event) {
  var form = event.target, button = event.submitter;
  var posts = form.method.toLowerCase() === "post";
  if (posts && form.dataset.sent) { event.preventDefault(); return; }
  var question = (button && button.dataset.confirm) || form.dataset.confirm;
  if (question && !window.confirm(question)) { event.preventDefault(); return; }
  if (form.hasAttribute("data-progress") || posts) {
    document.body.classList.add("busy");
    if (posts) { form.dataset.sent = "1"; }
    if (button) { setTimeout(function () { button.disabled = true; }, 0); }
  }
});
window.addEventListener("pageshow", function () {
  document.body.classList.remove("busy");
  document.querySelectorAll("form[data-sent]").forEach(function (form) {
    delete form.dataset.sent;
    form.querySelectorAll("button[disabled]").forEach(function (b) { b.disabled = false; });
  });
});
// A select with data-fill copies its option's data-* values into the inputs of the same names.
document.addEventListener("change", function (event) {
  var select = event.target;
  if (!select.matches || !select.matches("select[data-fill]")) { return; }
  var option = select.options[select.selectedIndex];
  ["any", "negative"].forEach(function (key) {
    var input = select.form.querySelector(key === "any" ? "[name=keywords]" : "[name=negative]");
    if (input && option.dataset[key] !== undefined) { input.value = option.dataset[key]; }
  });
});
// A download link with data-download shows its spinner until the server's answer sets the token cookie.
document.addEventListener("click", function (event) {
  var link = event.target.closest && event.target.closest("a[data-download]");
  if (!link) { return; }
  var token = Math.random().toString(36).slice(2, 12).replace(/[^a-z0-9]/g, "") || "dl";
  var url = new URL(link.href, window.location.href);
  url.searchParams.set("dl", token);
  link.href = url.toString();
  var wait = document.getElementById(link.id + "-wait");
  if (wait) { wait.hidden = false; }
  var timer = setInterval(function () {
    if (document.cookie.split("; ").indexOf("scrm_download=" + token) >= 0) {
      clearInterval(timer);
      if (wait) { wait.hidden = true; }
    }
  }, 400);
});
