// The projector's board, replaced by each server-sent event; the browser reconnects by itself.
(function () {
  var board = document.getElementById("board");
  if (!board || !window.EventSource) return;
  var source = new EventSource(board.getAttribute("data-events"));
  source.addEventListener("board", function (event) {
    board.innerHTML = event.data;
  });
  source.addEventListener("closed", function () {
    source.close();
    window.location.reload(); // a revoked link: the page answers "not found"
  });
})();
