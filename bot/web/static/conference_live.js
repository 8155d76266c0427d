// The secretary's queue refreshes itself: every 2 seconds the page asks for the hall's state
// and, when it changed, puts the new queue in place (no reload, so typed text is kept).
(function () {
  var queue = document.getElementById("queue");
  if (!queue) return;
  var seen = null;
  function check() {
    fetch(queue.dataset.state, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (state) {
        if (!state) return;
        if (seen !== null && state.version !== seen) {
          return fetch(queue.dataset.queue, { credentials: "same-origin", cache: "no-store" })
            .then(function (r) { return r.ok ? r.text() : null; })
            .then(function (html) { if (html !== null) queue.innerHTML = html; seen = state.version; });
        }
        seen = state.version;
      })
      .catch(function () {})
      .then(function () { setTimeout(check, 2000); });
  }
  check();
})();
