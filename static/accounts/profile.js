// The profile page's copy button (no inline script: the Content-Security-Policy forbids it).
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-target]");
    if (!button) { return; }
    var field = document.getElementById(button.getAttribute("data-copy-target"));
    var status = button.closest(".alert") && button.closest(".alert").querySelector(".copy-status");
    function done(text) { if (status) { status.textContent = text; } }
    field.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(function () { done("Copied."); },
        function () { done("Press Ctrl+C (or Cmd+C) to copy."); });
    } else {
      done(document.execCommand("copy") ? "Copied." : "Press Ctrl+C (or Cmd+C) to copy.");
    }
  });
})();
