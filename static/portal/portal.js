// Portal behaviour without inline scripts (the Content-Security-Policy forbids them).
(function () {
  "use strict";

  // <button data-confirm="..."> asks in a Bootstrap modal (#confirm-modal in base.html) before its
  // form is sent; the modal's "Yes" button carries the clicked button's own words.
  var pending = null, pendingForm = null;
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-confirm]");
    if (!button || button.getAttribute("data-confirmed") === "1") { return; }
    var dialog = document.getElementById("confirm-modal");
    if (!dialog || !window.bootstrap) {
      if (!window.confirm(button.getAttribute("data-confirm"))) { event.preventDefault(); }
      return;
    }
    event.preventDefault();
    pending = button;
    // The live job page redraws its buttons every poll: keep what the form would send, in case this
    // button is gone by the time "Yes" is pressed.
    pendingForm = button.form ? { action: button.getAttribute("formaction") || button.form.action,
      method: button.form.method || "post", data: new FormData(button.form) } : null;
    if (pendingForm && button.name) { pendingForm.data.append(button.name, button.value || ""); }
    dialog.querySelector(".confirm-text").textContent = button.getAttribute("data-confirm");
    var yes = dialog.querySelector(".confirm-yes");
    yes.textContent = button.getAttribute("data-confirm-yes") || button.textContent.trim();
    yes.className = "btn confirm-yes " + (button.classList.contains("btn-outline-danger") ||
      button.classList.contains("btn-danger") ? "btn-danger" : "btn-primary");
    window.bootstrap.Modal.getOrCreateInstance(dialog).show();
  });
  document.addEventListener("click", function (event) {
    if (!event.target.closest("#confirm-modal .confirm-yes") || !pending) { return; }
    var button = pending, saved = pendingForm;
    pending = null;
    pendingForm = null;
    window.bootstrap.Modal.getOrCreateInstance(document.getElementById("confirm-modal")).hide();
    if (button.isConnected || !saved) {
      button.setAttribute("data-confirmed", "1");
      button.click();
      button.removeAttribute("data-confirmed");
      return;
    }
    var form = document.createElement("form");
    form.method = saved.method;
    form.action = saved.action;
    form.hidden = true;
    saved.data.forEach(function (value, name) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      input.value = value;
      form.appendChild(input);
    });
    document.body.appendChild(form);
    form.submit();
  });
  document.addEventListener("shown.bs.modal", function (event) {
    var yes = event.target.querySelector(".confirm-yes");
    if (yes) { yes.focus(); }
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

  // Copy buttons: <button data-copy="#id"> copies that element's text; [data-print] prints the page.
  document.addEventListener("click", function (event) {
    var copy = event.target.closest("[data-copy]");
    if (copy) {
      var source = document.querySelector(copy.getAttribute("data-copy"));
      if (source && navigator.clipboard) {
        navigator.clipboard.writeText(source.innerText).then(function () {
          copy.textContent = "Copied";
          setTimeout(function () { copy.textContent = "Copy"; }, 2000);
        }, function () { copy.textContent = "Select and copy"; });
      }
    }
    if (event.target.closest("[data-print]")) { window.print(); }
  });
  // A saved tick updates the "n of m ticked" badge without a reload.
  document.addEventListener("htmx:afterRequest", function (event) {
    var box = event.target;
    if (!box.classList || !box.classList.contains("tick") || !event.detail.successful) { return; }
    var badge = document.querySelector(".checklist-progress");
    if (!badge) { return; }
    var boxes = document.querySelectorAll("input.tick"), done = 0;
    boxes.forEach(function (b) { if (b.checked) { done += 1; } });
    badge.textContent = done + " of " + boxes.length + " ticked";
  });

  // The report's select-all box ticks every account checkbox of the page.
  document.addEventListener("change", function (event) {
    if (!event.target.classList.contains("select-all")) { return; }
    var table = event.target.closest("table");
    (table || document).querySelectorAll("input[name=ids]").forEach(function (box) {
      box.checked = event.target.checked;
    });
  });

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

  // Focus the first field of the page's form (unless something has autofocus, or the page was
  // opened on an anchor such as the skip link's #main).
  document.addEventListener("DOMContentLoaded", function () {
    if (document.querySelector("[autofocus]") || window.location.hash) { return; }
    var invalid = document.querySelector("main form[method=post] .is-invalid");
    if (invalid) { invalid.focus(); return; }  // after a refused save: the first field to fix
    // Forms that change something (method=post); search and filter forms keep the page still.
    var field = document.querySelector(
      "main form[method=post] input:not([type=hidden]):not([type=checkbox]):not([readonly]):not([disabled]), " +
      "main form[method=post] select:not([disabled]), main form[method=post] textarea:not([readonly])");
    if (field && field.offsetParent !== null) { field.focus({ preventScroll: false }); }
  });
})();
