// Every <time datetime="..." data-style="..."> shown in the viewer's own time zone, with its zone's
// name, and the full date and time on hover. The server already wrote the time with its zone, so
// without this script the page is still true. <body data-zone="Europe/Paris"> overrides the browser.
(function () {
  "use strict";

  function zone() {
    var chosen = document.body && document.body.getAttribute("data-zone");
    return chosen || undefined;
  }

  function parts(date, options) {
    var out = {};
    new Intl.DateTimeFormat("en-GB", Object.assign({ timeZone: zone() }, options))
      .formatToParts(date).forEach(function (p) { out[p.type] = p.value; });
    return out;
  }

  function render(el) {
    var date = new Date(el.getAttribute("datetime"));
    if (isNaN(date.getTime())) { return; }
    var style = el.getAttribute("data-style") || "datetime";
    var p;
    try {
      p = parts(date, { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit",
        minute: "2-digit", second: "2-digit", hourCycle: "h23", timeZoneName: "short" });
    } catch (error) { return; }  // an unknown zone name: keep the server's text
    var day = p.year + "-" + p.month + "-" + p.day, hm = p.hour + ":" + p.minute;
    var shown = { date: day, time: hm, seconds: hm + ":" + p.second }[style] || day + " " + hm;
    el.textContent = shown + " " + p.timeZoneName;
    var full = new Intl.DateTimeFormat("en-GB", { timeZone: zone(), dateStyle: "full", timeStyle: "full" });
    el.setAttribute("title", full.format(date));
    el.setAttribute("data-local", "1");
  }

  function renderAll(root) {
    (root || document).querySelectorAll("time[datetime][data-style]").forEach(render);
  }

  document.addEventListener("DOMContentLoaded", function () { renderAll(document); });
  document.addEventListener("htmx:afterSettle", function (event) { renderAll(event.target); });

  // How long a running step has run, ticking between polls; each poll brings the server's figure.
  function words(seconds) {
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    if (h) { return h + " h " + m + " min"; }
    return m ? m + " min " + s + " s" : s + " s";
  }
  setInterval(function () {
    document.querySelectorAll(".elapsed[data-seconds]").forEach(function (el) {
      var seconds = parseInt(el.getAttribute("data-seconds"), 10) + 1;
      el.setAttribute("data-seconds", String(seconds));
      el.textContent = words(seconds);
    });
  }, 1000);
})();
