/* Back office forms, progressive enhancement only (every page works without it): a question
   that applies after a given answer (data-visible-when-*) is hidden until that answer is
   given; the server drops hidden answers anyway. Fields showing an error stay visible. */
(function () {
  "use strict";
  function chosen(form, name) {
    return Array.prototype.filter.call(form.elements, function (el) {
      if (el.name !== name) { return false; }
      return (el.type === "checkbox" || el.type === "radio") ? el.checked : el.value !== "";
    }).map(function (el) { return el.value; });
  }
  function holds(form, wrapper) {
    var name = wrapper.getAttribute("data-visible-when-field");
    var value = wrapper.getAttribute("data-visible-when-value");
    var values = chosen(form, name);
    if (wrapper.getAttribute("data-visible-when-op") === "contains") {
      return values.indexOf(value) !== -1;
    }
    return values.length > 0 && values[0] === value;
  }
  function refresh(form) {
    var wrappers = form.querySelectorAll("[data-visible-when-field]");
    for (var pass = 0; pass < 4; pass++) {
      Array.prototype.forEach.call(wrappers, function (w) {
        var hiddenParent = w.parentElement && w.parentElement.closest("[hidden]");
        w.hidden = !w.querySelector(".fr-error-text") && (Boolean(hiddenParent) || !holds(form, w));
      });
    }
  }
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("form"), function (form) {
      if (!form.querySelector("[data-visible-when-field]")) { return; }
      form.addEventListener("change", function () { refresh(form); });
      refresh(form);
    });
  });
}());
