// Error summary: an enhancement. On arrival focus moves to the list of problems, so
// keyboard and screen reader users start there (without this it is 10 tabs away); each
// link then moves focus to its field and shows the field's question, instead of only
// scrolling the page and leaving focus behind.
(function () {
  "use strict";
  var summary = document.getElementById("error-summary");
  if (!summary) return;
  summary.focus();
  summary.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[href^='#']") : null;
    if (!link) return;
    var field = document.getElementById(link.getAttribute("href").slice(1));
    if (!field) return;
    event.preventDefault();
    var fieldset = field.closest("fieldset");
    var legend = fieldset ? fieldset.querySelector("legend") : null;
    var label = document.querySelector("label[for='" + field.id + "']");
    (legend || label || field).scrollIntoView();
    field.focus({ preventScroll: true });
  });
})();
