/* Progressive enhancement of the assuré's forms (everything works without it):
   questions that only apply after a given answer (data-visible-when-*) are hidden until
   that answer is given. Hidden answers are dropped by the server anyway. */
(function () {
  "use strict";
  function controls(form, name) {
    return Array.prototype.filter.call(form.elements, function (el) { return el.name === name; });
  }
  function holds(form, wrapper) {
    var name = wrapper.getAttribute("data-visible-when-field");
    var value = wrapper.getAttribute("data-visible-when-value");
    var op = wrapper.getAttribute("data-visible-when-op");
    var els = controls(form, name);
    if (!els.length) { return true; }
    var chosen = els.filter(function (el) {
      if (el.type === "checkbox" || el.type === "radio") { return el.checked; }
      return el.value !== "";
    }).map(function (el) { return el.value; });
    if (op === "contains") { return chosen.indexOf(value) !== -1; }
    return chosen.length > 0 && chosen[0] === value;
  }
  function refresh(form) {
    var wrappers = form.querySelectorAll("[data-visible-when-field]");
    // Repeat until stable: a hidden controller hides its dependents too.
    for (var pass = 0; pass < 4; pass++) {
      Array.prototype.forEach.call(wrappers, function (w) {
        var parentHidden = w.parentElement && w.parentElement.closest("[hidden]");
        w.hidden = Boolean(parentHidden) || !holds(form, w);
      });
    }
  }
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("form"), function (form) {
      if (!form.querySelector("[data-visible-when-field]")) { return; }
      // Fields with an error stay visible so the error summary links always land.
      form.addEventListener("change", function () { refresh(form); });
      refresh(form);
      Array.prototype.forEach.call(form.querySelectorAll("[data-visible-when-field]"), function (w) {
        if (w.querySelector(".fr-error-text")) { w.hidden = false; }
      });
    });
  });
}());
