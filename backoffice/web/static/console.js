// Confirmation before irreversible actions and a progress bar while a form is being handled.
document.addEventListener("submit", function (event) {
  var form = event.target, button = event.submitter;
  var question = (button && button.dataset.confirm) || form.dataset.confirm;
  if (question && !window.confirm(question)) { event.preventDefault(); return; }
  if (form.hasAttribute("data-progress") || form.method.toLowerCase() === "post") {
    document.body.classList.add("busy");
    if (button) { setTimeout(function () { button.disabled = true; }, 0); }
  }
});
window.addEventListener("pageshow", function () { document.body.classList.remove("busy"); });
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
