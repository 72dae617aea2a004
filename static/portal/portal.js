// Portal behaviour without inline scripts (the Content-Security-Policy forbids them).
(function () {
  "use strict";

  // <button data-confirm="..."> asks before its form is sent.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });

  // Countdowns tick every second between polls; each poll brings the server's figure back.
  function format(seconds) {
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    var mm = (h ? String(m).padStart(2, "0") : String(m)), ss = String(s).padStart(2, "0");
    return h ? h + ":" + mm + ":" + ss : mm + ":" + ss;
  }
  setInterval(function () {
    document.querySelectorAll(".countdown[data-seconds-left]").forEach(function (el) {
      var left = Math.max(0, parseInt(el.getAttribute("data-seconds-left"), 10) - 1);
      el.setAttribute("data-seconds-left", String(left));
      el.textContent = format(left);
    });
  }, 1000);

  // Show or hide the white-label fields with the stack choice.
  function toggleCustomStack() {
    var stack = document.getElementById("id_proofpoint_stack");
    var block = document.querySelector(".custom-stack");
    if (stack && block) { block.hidden = stack.value !== "custom"; }
  }
  document.addEventListener("change", function (event) {
    if (event.target.id === "id_proofpoint_stack") { toggleCustomStack(); }
  });
  document.addEventListener("DOMContentLoaded", toggleCustomStack);
})();
