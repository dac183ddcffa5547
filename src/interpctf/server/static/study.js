// The rater page's keyboard shortcuts: keys 1-8 pick the candidate with that number (a static file, so the
// page's Content-Security-Policy needs no inline script).
document.addEventListener("keydown", function (event) {
  if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
  var button = document.querySelector('#choices button[data-key="' + event.key + '"]');
  if (button && !button.disabled) {
    event.preventDefault();
    button.disabled = true;  // one answer per key press; the page reloads with the next question
    var form = button.form;
    var field = document.createElement("input");
    field.type = "hidden"; field.name = "choice"; field.value = button.value;
    form.appendChild(field);
    form.submit();
  }
});
