// The announcement pages: the progress figures asked every few seconds until the sending is
// over, and a send form that cannot be posted twice by a double click. No library needed.
(function () {
  "use strict";
  var box = document.getElementById("progress");
  if (box && box.dataset.finished !== "yes") {
    var every = (parseInt(box.dataset.seconds, 10) || 2) * 1000;
    var look = function () {
      fetch(box.dataset.poll, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (shown) {
          if (!shown) { setTimeout(look, every); return; }
          box.querySelectorAll("[data-key]").forEach(function (element) {
            var value = shown[element.dataset.key];
            if (value !== undefined) { element.textContent = value; }
          });
          box.querySelectorAll("[data-show]").forEach(function (element) {
            element.hidden = !shown[element.dataset.show];
          });
          if (!shown.finished) { setTimeout(look, every); }
        })
        .catch(function () { setTimeout(look, every); });
    };
    setTimeout(look, every);
  }
  var send = document.querySelector("form.send-form");
  if (send) {
    send.addEventListener("submit", function (event) {
      if (send.dataset.sent === "yes") { event.preventDefault(); return; }
      send.dataset.sent = "yes";
    });
  }
})();
