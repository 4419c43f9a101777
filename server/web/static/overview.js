/* The live hall overview (/): windows, waiting counts, recent calls, devices, notices and the
   clock. State comes from GET /api/hall; then the event stream keeps it current. Calls are
   applied at once from the event (tile flash, recent calls), and every event also schedules one
   debounced refetch of /api/hall, so the counts can never drift, and a hall the staff changed
   (hall.changed: a service added, a window renamed or retired) shows without a reload.
   Nothing polls on a timer: a device going offline comes as a device.status event. */
(function () {
  "use strict";
  var H = window.Hall, el = H.el, bi = H.bi, setBi = H.setBi, tr = H.tr;

  var RECENT_MAX = 10;
  var STATES = {
    called: ["已叫号", "Called"],
    serving: ["办理中", "Serving"],
    idle: ["空闲", "Available"],
    paused: H.WINDOW_STATUS.paused,
    closed: H.WINDOW_STATUS.closed
  };
  var SUMMARY_ORDER = ["called", "serving", "idle", "paused", "closed"];

  var snap = null;            // the latest /api/hall answer
  var snapSeq = -1;           // its last_event
  var windowsById = {}, servicesById = {};
  var tiles = {}, tileOrder = "";
  var recent = [];            // newest first: {id, number, service, windowId, windowName, at, recalled, fresh}
  var tz = null, clockOffset = null, fmtTime = H.timeFormatter(null, false);
  var stream = null;

  var $ = function (id) { return document.getElementById(id); };
  // Today's unsatisfied ratings, when a supervisor or admin is signed in (follow_up.js).
  var followUp = $("follow-up") ? H.followUp($("follow-up"), function () { return snap && snap.hall.day; }) : null;

  /* -- windows ------------------------------------------------------------------------------ */

  function windowState(w) {
    if (w.status === "paused" || w.status === "closed") return w.status;
    if (w.current && (w.current.status === "called" || w.current.status === "serving")) {
      return w.current.status;
    }
    return "idle";
  }

  function buildTiles(windows) {
    var grid = $("windows");
    grid.textContent = "";
    tiles = {};
    windows.forEach(function (w) {
      var root = el("article", "tile");
      var head = el("div", "tile-head");
      var name = bi("", "", "tile-name");
      head.appendChild(name);
      var num = el("div", "tile-num", "—");
      var svc = el("div", "tile-svc");
      var pill = bi("", "", "pill");
      root.appendChild(head);
      root.appendChild(num);
      root.appendChild(svc);
      root.appendChild(pill);
      root.addEventListener("animationend", function () { root.classList.remove("flash"); });
      grid.appendChild(root);
      tiles[w.id] = { root: root, name: name, num: num, svc: svc, pill: pill };
    });
    tileOrder = windows.map(function (w) { return w.id; }).join("\u0000");
  }

  function updateTile(w) {
    var t = tiles[w.id];
    if (!t) return;
    var state = windowState(w), label = STATES[state];
    var cur = w.current && (w.current.status === "called" || w.current.status === "serving")
      ? w.current : null;
    t.root.setAttribute("data-state", state);
    if (w.name) setBi(t.name, tr(w.name, "zh"), tr(w.name, "en"));  // renamed by the staff
    t.num.textContent = cur ? cur.number : "—";
    var svc = cur && servicesById[cur.service];
    t.svc.textContent = svc ? tr(svc.name, "zh") : "";
    t.svc.title = svc ? tr(svc.name, "en") : "";
    setBi(t.pill, label[0], label[1]);
    var names = (w.services || []).map(function (id) {
      return servicesById[id] ? tr(servicesById[id].name, "zh") : id;
    });
    t.root.title = tr(w.name, "zh") + " / " + tr(w.name, "en") + "\n" + names.join("、");
  }

  function flashTile(id) {
    var t = tiles[id];
    if (!t) return;
    t.root.classList.remove("flash");
    void t.root.offsetWidth; // restart the animation when the same window calls again
    t.root.classList.add("flash");
  }

  function renderWindows() {
    var windows = snap.windows || [];
    var order = windows.map(function (w) { return w.id; }).join("\u0000");
    if (order !== tileOrder) buildTiles(windows);
    windows.forEach(updateTile);
    renderSummary();
  }

  function renderSummary() {
    var counts = { called: 0, serving: 0, idle: 0, paused: 0, closed: 0 };
    (snap.windows || []).forEach(function (w) { counts[windowState(w)] += 1; });
    var box = $("win-summary");
    box.textContent = "";
    SUMMARY_ORDER.forEach(function (s) {
      var chip = el("span", "chip");
      chip.setAttribute("data-state", s);
      chip.appendChild(el("span", "dot"));
      chip.appendChild(bi(STATES[s][0], STATES[s][1]));
      chip.appendChild(el("b", "chip-n", counts[s]));
      box.appendChild(chip);
    });
  }

  /* -- waiting by department ------------------------------------------------------------------ */

  function renderWaiting() {
    var box = $("waiting");
    box.textContent = "";
    var byDept = {}, total = 0;
    (snap.services || []).forEach(function (s) {
      (byDept[s.department] = byDept[s.department] || []).push(s);
      total += s.waiting || 0;
    });
    var depts = (snap.departments || []).slice();
    // Services whose department the snapshot does not list still show, under their own id.
    Object.keys(byDept).forEach(function (id) {
      if (!depts.some(function (d) { return d.id === id; })) depts.push({ id: id, name: { zh: id, en: id } });
    });
    depts.forEach(function (d) {
      var services = byDept[d.id];
      if (!services || !services.length) return;
      var sum = services.reduce(function (n, s) { return n + (s.waiting || 0); }, 0);
      var card = el("section", "dept");
      var head = el("header", "dept-head");
      head.appendChild(bi(tr(d.name, "zh"), tr(d.name, "en"), "dept-name"));
      var badge = el("span", "dept-sum" + (sum ? "" : " zero"), sum);
      badge.title = "等候 " + sum + " 人 / " + sum + " waiting";
      head.appendChild(badge);
      card.appendChild(head);
      var list = el("ul", "svc-list");
      services.forEach(function (s) {
        var row = el("li", "svc" + (s.waiting ? "" : " zero"));
        row.appendChild(el("span", "prefix", s.prefix));
        var name = bi(tr(s.name, "zh"), tr(s.name, "en"), "svc-name");
        name.title = tr(s.name, "zh") + " / " + tr(s.name, "en");
        row.appendChild(name);
        var full = s.daily_limit !== null && s.daily_limit !== undefined &&
          (s.issued_today || 0) >= s.daily_limit;
        if (!s.open) row.appendChild(bi("未开放", "Closed", "tag tag-closed"));
        else if (full) row.appendChild(bi("今日已满", "Full today", "tag tag-full"));
        row.appendChild(el("span", "svc-count", s.waiting || 0));
        list.appendChild(row);
      });
      card.appendChild(list);
      box.appendChild(card);
    });
    setBi($("total-waiting"), "共 " + total + " 人等候", total + (total === 1 ? " person" : " people") + " waiting");
  }

  /* -- recent calls --------------------------------------------------------------------------- */

  function windowName(id, fallback) {
    var w = windowsById[id];
    return (w && w.name) || fallback || { zh: String(id), en: String(id) };
  }

  function addRecent(ticket, win, at, recalled) {
    recent = recent.filter(function (r) { return r.id !== ticket.id; });
    recent.forEach(function (r) { r.fresh = false; });
    recent.unshift({
      id: ticket.id, number: ticket.number, service: ticket.service,
      windowId: win.id, windowName: windowName(win.id, win.name),
      at: at || ticket.called_at, recalled: !!recalled, fresh: true
    });
    recent = recent.slice(0, RECENT_MAX);
    renderRecent();
  }

  function seedRecent() {
    // The snapshot's recent_calls are the day's last call events, newest first.
    var seen = {};
    recent = (snap.recent_calls || []).filter(function (e) {
      if (!e.ticket || !e.window || seen[e.ticket.id]) return false;
      seen[e.ticket.id] = true;
      return true;
    }).map(function (e) {
      return {
        id: e.ticket.id, number: e.ticket.number, service: e.ticket.service, windowId: e.window.id,
        windowName: windowName(e.window.id, e.window.name), at: e.at,
        recalled: e.type === "ticket.recalled", fresh: false
      };
    }).slice(0, RECENT_MAX);
    renderRecent();
  }

  function renderRecent() {
    var list = $("recent");
    list.textContent = "";
    recent.forEach(function (r) {
      var li = el("li", "call" + (r.fresh ? " fresh" : ""));
      li.appendChild(el("span", "call-num", r.number));
      var where = el("span", "call-where");
      where.appendChild(el("span", "arrow", "→"));
      where.appendChild(bi(tr(r.windowName, "zh"), tr(r.windowName, "en"), "call-win"));
      li.appendChild(where);
      var meta = el("span", "call-meta");
      meta.appendChild(el("span", "call-time", fmtTime(r.at)));
      if (r.recalled) meta.appendChild(bi("重呼", "Recall", "call-recall"));
      var svc = servicesById[r.service];
      if (svc) {
        var s = el("span", "call-svc", tr(svc.name, "zh"));
        s.title = tr(svc.name, "en");
        meta.appendChild(s);
      }
      li.appendChild(meta);
      list.appendChild(li);
    });
    $("recent-empty").hidden = recent.length > 0;
  }

  /* -- notices, hall name, clock -------------------------------------------------------------- */

  function renderNotices(notices) {
    var list = $("notices");
    list.textContent = "";
    (notices || []).forEach(function (n) {
      var li = el("li", "notice");
      li.appendChild(el("p", "zh", tr(n, "zh")));
      var en = el("p", "en", typeof n === "object" ? (n.en || "") : "");
      en.lang = "en";
      if (en.textContent) li.appendChild(en);
      list.appendChild(li);
    });
    if (!list.children.length) list.appendChild(bi("暂无公告", "No notices", "empty"));
  }

  /* -- devices that need the staff ------------------------------------------------------------ */

  /* The hall's appliances: each should be connected all day. Tokens of other roles (an admin's,
     a console's) are used now and then, and being unseen is no problem for them. */
  var APPLIANCES = { kiosk: true, display: true, buttons: true };
  var PAPER = {
    near_end: ["纸将用尽", "paper near end"], out: ["缺纸", "out of paper"],
    unknown: ["打印机无应答", "printer not answering"]
  };

  function printerProblem(d) {
    var p = d.printer || (d.status && d.status.printer);
    if (!p) return null;
    if (p.online === false) return ["打印机离线", "printer offline"];
    return PAPER[p.paper] || null;
  }

  /* [zh, en, kind] of what is wrong with a device, or null. A device's paper is only as true as
     its last report: once the device is offline the report is old, and only "offline" shows. */
  function deviceProblem(d) {
    if (!d.online) {
      if (!d.last_seen) return ["从未连接", "never connected", "offline"];
      var at = fmtTime(d.last_seen);
      return ["自 " + at + " 起离线", "offline since " + at, "offline"];
    }
    var paper = printerProblem(d);
    return paper ? [paper[0], paper[1], "printer"] : null;
  }

  function renderDevices(devices) {
    var list = $("devices");
    list.textContent = "";
    var watched = (devices || []).filter(function (d) { return APPLIANCES[d.role]; });
    var online = watched.filter(function (d) { return d.online; }).length;
    var rows = [];
    watched.forEach(function (d) {
      var problem = deviceProblem(d);
      if (problem) rows.push([d, problem]);
    });
    // Offline first: nothing of it can be trusted, not even its paper.
    rows.sort(function (a, b) { return (a[1][2] === "offline" ? 0 : 1) - (b[1][2] === "offline" ? 0 : 1); });
    rows.forEach(function (row) {
      var d = row[0], problem = row[1];
      var li = el("li", "device-alert");
      li.setAttribute("data-problem", problem[2]);
      li.setAttribute("data-device", d.id);
      var who = el("span", "device-id", d.name || d.id);
      if (d.name) who.title = d.id;
      li.appendChild(who);
      li.appendChild(bi(problem[0], problem[1], "device-problem"));
      if (d.last_seen) li.title = "最后连接 / last seen " + fmtTime(d.last_seen);
      list.appendChild(li);
    });
    var summary = $("devices-summary");
    if (!watched.length) {
      setBi(summary, "未登记设备", "No devices registered");
    } else if (!rows.length) {
      setBi(summary, "全部 " + online + " 台设备在线", "All " + online + " devices online");
    } else {
      setBi(summary, online + " / " + watched.length + " 台在线", online + " of " + watched.length + " online");
    }
    summary.setAttribute("data-state", !watched.length ? "none" : rows.length ? "problem" : "ok");
  }

  function updateDevice(d) {
    if (!d || !d.id || !snap) return;
    snap.devices = (snap.devices || []).map(function (x) { return x.id === d.id ? d : x; });
    renderDevices(snap.devices);
  }

  var fmtClock = H.timeFormatter(null, true), fmtDateZh = null, fmtDateEn = null;

  function setupClock(hall) {
    if (hall.timezone && hall.timezone !== tz) {
      tz = hall.timezone;
      fmtClock = H.timeFormatter(tz, true);
      fmtTime = H.timeFormatter(tz, false);
      fmtDateZh = null;
    }
    var server = Date.parse(hall.time);
    if (!isNaN(server)) {
      var offset = server - Date.now();
      // The hub's time has whole seconds: keep the first offset unless the clocks really moved.
      if (clockOffset === null || Math.abs(offset - clockOffset) > 2000) clockOffset = offset;
    }
    if (!fmtDateZh) {
      fmtDateZh = H.formatter("zh-CN", tz, { year: "numeric", month: "long", day: "numeric", weekday: "long" });
      fmtDateEn = H.formatter("en-GB", tz, { weekday: "short", day: "numeric", month: "short", year: "numeric" });
    }
    tick();
  }

  function tick() {
    var now = new Date(Date.now() + (clockOffset || 0));
    $("clock").textContent = fmtClock(now);
    if (fmtDateZh) {
      $("date-zh").textContent = fmtDateZh.format(now);
      $("date-en").textContent = fmtDateEn.format(now);
    }
  }

  function startClock() {
    tick();
    setTimeout(function () { tick(); setInterval(tick, 1000); }, 1000 - (Date.now() % 1000) + 5);
  }

  /* -- the snapshot and the events ------------------------------------------------------------ */

  function applySnapshot(data) {
    if (!data || !data.hall) return;
    snap = data;
    snapSeq = typeof data.last_event === "number" ? data.last_event : snapSeq;
    windowsById = H.byId(data.windows);
    servicesById = H.byId(data.services);
    $("hall-zh").textContent = tr(data.hall.name, "zh");
    $("hall-en").textContent = tr(data.hall.name, "en");
    document.title = tr(data.hall.name, "zh") + " · 大厅实时总览 / Live hall overview";
    setupClock(data.hall);
    renderWindows();
    renderWaiting();
    renderNotices(data.notices);
    renderDevices(data.devices);
  }

  var refetch = H.debounced(function () {
    return H.getJSON("/api/hall").then(applySnapshot);
  }, 200);

  function clearCurrent(ticket, win) {
    var ids = win ? [win.id] : Object.keys(windowsById);
    ids.forEach(function (id) {
      var w = windowsById[id];
      if (w && w.current && w.current.id === ticket.id) w.current = null;
    });
  }

  function onEvent(d) {
    var t = d.ticket, win = d.window;
    // Events the snapshot already holds change nothing on the tiles; a call is still news.
    var fresh = typeof d.seq !== "number" || d.seq > snapSeq;
    switch (d.type) {
      case "ticket.called":
      case "ticket.recalled":
        if (t && win) {
          if (fresh && windowsById[win.id]) windowsById[win.id].current = t;
          addRecent(t, win, d.at, d.type === "ticket.recalled");
          if (fresh) updateTile(windowsById[win.id] || { id: win.id });
          flashTile(win.id);
        }
        break;
      case "ticket.started":
        if (fresh && t && win && windowsById[win.id]) windowsById[win.id].current = t;
        break;
      case "ticket.finished":
      case "ticket.no_show":
      case "ticket.transferred":
      case "ticket.cancelled":
        if (fresh && t) clearCurrent(t, win);
        break;
      case "window.status":
        if (fresh && win && windowsById[win.id] && d.status) windowsById[win.id].status = d.status;
        break;
      case "notices.changed":
        if (fresh && Array.isArray(d.notices)) renderNotices(d.notices);
        break;
      case "device.status":
        // Came back, went quiet, or its printer changed: shown at once, before the refetch.
        if (fresh && d.device) updateDevice(d.device);
        break;
      case "day.reset":
        // A citizen called or served at the roll-over stays at the window until the clerk ends
        // it, so the windows keep their tickets; only the day's list of calls starts afresh.
        recent = [];
        renderRecent();
        break;
    }
    if (fresh && snap) {
      if (win && windowsById[win.id]) updateTile(windowsById[win.id]);
      renderSummary();
    }
    if (followUp) followUp.onEvent(d);
    refetch();
  }

  function load(attempt) {
    H.setConnection($("conn"), attempt ? "reconnecting" : "connecting");
    H.getJSON("/api/hall").then(function (data) {
      applySnapshot(data);
      seedRecent();
      if (followUp) followUp.reload();
      stream = H.openStream(data.last_event || 0, {
        event: onEvent,
        state: function (s) { H.setConnection($("conn"), s); },
        reopened: function () { refetch(); if (followUp) followUp.reload(); }
      });
    }).catch(function () {
      // The hub is restarting: try again after a growing pause (a retry, not a poll).
      setTimeout(function () { load(attempt + 1); }, Math.min(30000, 1000 * Math.pow(2, attempt)));
    });
  }

  startClock();
  load(0);
})();
