// Session-timeout warning: an enhancement only. The server ends idle sessions whether or
// not this runs; this shows the warning a few minutes before, so typed work is not lost.
(function () {
  "use strict";
  var box = document.getElementById("session-timeout");
  if (!box) return;
  var expiresAt = Number(box.getAttribute("data-expires-at")) * 1000;
  var warnBefore = Number(box.getAttribute("data-warn-before")) * 1000;
  var count = box.querySelector(".ng-session__count");
  var shown = false;
  function tick() {
    var left = expiresAt - Date.now();
    if (left <= 0) {
      window.location.reload();
      return;
    }
    if (left <= warnBefore) {
      if (!shown) {
        box.hidden = false;
        shown = true;
        var button = box.querySelector("button");
        if (button) button.focus();
      }
      if (count) count.textContent = Math.ceil(left / 60000) + " min";
    }
    window.setTimeout(tick, 15000);
  }
  window.setTimeout(tick, Math.max(0, expiresAt - warnBefore - Date.now()));
})();
