// Show every <time class="local" datetime="...Z"> in the visitor's own time zone (the page is served in UTC).
(function () {
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "local time";
  document.querySelectorAll("time.local").forEach(function (el) {
    var when = new Date(el.getAttribute("datetime"));
    if (!isNaN(when)) {
      el.textContent = when.toLocaleString(undefined, {weekday: "short", year: "numeric", month: "short",
        day: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short"});
      el.title = el.getAttribute("datetime");
    }
  });
  document.querySelectorAll(".tzname").forEach(function (el) { el.textContent = zone; });
})();
