// The export page while the files are being written: asks how far they got every second,
// shows it, and reloads the page (with the links) when they are ready.
(function () {
  var shown = document.getElementById("progress");
  if (!shown) return;
  var template = shown.textContent.replace(/\d+%/, "{percent}%");
  function ask() {
    fetch(shown.dataset.url, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (state) {
        if (state.done) { window.location.reload(); return; }
        shown.textContent = template.replace("{percent}", state.percent);
        setTimeout(ask, 1000);
      })
      .catch(function () { setTimeout(ask, 3000); });
  }
  setTimeout(ask, 500);
})();
