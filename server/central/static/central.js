// The city overview: GET /api/central/halls every 2 s (the central has no event stream, and
// a table of some dozens of halls every 2 s is little work; a tablet waking from sleep is right
// again at its next refresh). Names are set as text, never as HTML.
"use strict";
(function () {
  var REFRESH_MS = 2000, LAG_RED_S = 60;
  var rows = document.getElementById("rows");
  var conn = document.getElementById("conn");
  var summary = document.getElementById("summary");

  function bi(zh, en) {
    var box = document.createElement("span");
    box.className = "bi";
    var a = document.createElement("span");
    a.className = "zh"; a.textContent = zh;
    var b = document.createElement("span");
    b.className = "en"; b.lang = "en"; b.textContent = en;
    box.appendChild(a); box.appendChild(b);
    return box;
  }
  function cell(content, cls) {
    var td = document.createElement("td");
    if (cls) td.className = cls;
    if (typeof content === "string") td.textContent = content; else td.appendChild(content);
    return td;
  }
  function duration(s) {
    if (s === null || s === undefined) return "—";
    s = Math.round(s);
    if (s < 60) return s + "s";
    if (s < 3600) return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
    return Math.floor(s / 3600) + "h" + String(Math.floor(s % 3600 / 60)).padStart(2, "0");
  }
  function reportLink(h) {
    var a = document.createElement("a");
    var day = h.day || new Date().toISOString().slice(0, 10);
    a.href = "/api/central/reports?hall=" + encodeURIComponent(h.id) + "&from=" + day + "&to=" + day +
      "&by=service&format=xlsx";
    a.appendChild(bi("今日报表", "Today's report"));
    return a;
  }
  function row(h) {
    var tr = document.createElement("tr");
    var lagging = h.lag_s === null || h.lag_s > LAG_RED_S;
    tr.dataset.hall = h.id;
    tr.className = (!h.online ? "offline " : "") + (lagging ? "lagging" : "");
    var name = bi(h.name.zh, h.name.en + " · " + h.id);
    tr.appendChild(cell(name));
    tr.appendChild(cell(String(h.waiting), "num waiting"));
    tr.appendChild(cell(String(h.open_windows), "num open"));
    tr.appendChild(cell(duration(h.longest_wait_s), "num longest"));
    tr.appendChild(cell(String(h.issued_today), "num"));
    tr.appendChild(cell(duration(h.lag_s), "num lag" + (lagging ? " bad" : "")));
    var state = !h.online ? bi("离线", "Offline") : lagging ? bi("滞后", "Lagging") : bi("正常", "Live");
    state.classList.add("state");
    state.classList.add(h.online && !lagging ? "ok" : "bad");
    tr.appendChild(cell(state, "status"));
    tr.appendChild(cell(reportLink(h)));
    return tr;
  }
  function fig(value, zh, en) {
    var box = bi(zh, en);
    var n = document.createElement("span");
    n.className = "fig"; n.textContent = value;
    box.insertBefore(n, box.firstChild);
    return box;
  }
  function show(halls) {
    rows.textContent = "";
    halls.forEach(function (h) { rows.appendChild(row(h)); });
    var waiting = 0, open = 0, offline = 0;
    halls.forEach(function (h) { waiting += h.waiting; open += h.open_windows; offline += h.online ? 0 : 1; });
    summary.textContent = "";
    summary.appendChild(fig(halls.length, "大厅", "halls"));
    summary.appendChild(fig(waiting, "等候", "waiting"));
    summary.appendChild(fig(open, "开放窗口", "open windows"));
    summary.appendChild(fig(offline, "离线", "offline"));
  }
  function setConn(ok) {
    conn.dataset.state = ok ? "up" : "down";
    conn.textContent = "";
    var label = ok ? bi("已连接", "Live") : bi("连接中断", "Connection lost");
    conn.appendChild(label.firstChild); conn.appendChild(label.firstChild);
  }
  function refresh() {
    fetch("/api/central/halls", {cache: "no-store"}).then(function (r) {
      if (!r.ok) throw new Error(r.status);
      return r.json();
    }).then(function (body) { show(body.halls); setConn(true); })
      .catch(function () { setConn(false); })
      .then(function () { setTimeout(refresh, REFRESH_MS); });
  }
  refresh();
})();
