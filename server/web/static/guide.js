/* /guide: filter the services as the citizen types. The page works without it (the form sends
   ?q= and the hub filters); this only saves the round trip on a slow hall Wi-Fi. The matching
   is the hub's: every word must appear in the service's names (data-search, lower-cased). */
(function () {
  "use strict";
  var input = document.getElementById("g-q");
  if (!input) return;
  var items = Array.prototype.slice.call(document.querySelectorAll(".g-item"));
  var depts = Array.prototype.slice.call(document.querySelectorAll(".g-dept"));
  var count = document.getElementById("g-count");
  var none = document.getElementById("g-none");

  function words(text) {
    return text.toLocaleLowerCase().split(/\s+/).filter(function (w) { return w; });
  }

  function apply() {
    var want = words(input.value);
    var shown = 0;
    items.forEach(function (li) {
      var hay = li.getAttribute("data-search");
      var ok = want.every(function (w) { return hay.indexOf(w) >= 0; });
      li.hidden = !ok;
      if (ok) shown += 1;
    });
    depts.forEach(function (d) {
      d.hidden = !d.querySelector(".g-item:not([hidden])");
    });
    count.setAttribute("data-count", String(shown));
    count.querySelector(".zh b").textContent = String(shown);
    count.querySelector(".en").textContent = shown + (shown === 1 ? " service" : " services");
    none.hidden = shown > 0;
    // The address follows the search, so "back" and a shared link show the same list.
    var url = new URL(window.location.href);
    if (input.value.trim()) url.searchParams.set("q", input.value.trim());
    else url.searchParams.delete("q");
    window.history.replaceState(null, "", url.toString());
  }

  input.addEventListener("input", apply);
  // A page loaded with ?q= shows only the matches already; a page restored from the back
  // cache may hold a typed value the hub never saw.
  if (input.value) apply();
})();
