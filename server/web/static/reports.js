/* /admin/reports: how the hall did over a period, for its supervisors and administrators.

   The page keeps no figures of its own: it shows what /api/reports, /api/reports/unsatisfied
   and the hub's charts (/api/reports/charts/<name>.svg) answer for the period chosen. "Today"
   is the hub's hall day from /api/hall, asked again at each choice (a page left open overnight,
   or a tablet whose clock is wrong, must not pick the wrong day). Nothing here changes the hall:
   every request is a GET, authorised by the session's cookie.

   Text reaches the page through textContent; the charts are SVG drawn and escaped by the hub,
   parsed as XML (never as HTML) and placed inline so they follow the page's size and tests
   can read them. */
(function () {
  "use strict";
  var H = window.Hall, el = H.el, bi = H.bi, setBi = H.setBi;
  var $ = function (id) { return document.getElementById(id); };
  var each = function (list, fn) { Array.prototype.forEach.call(list, fn); };

  var CHARTS = ["arrivals", "waits", "sla", "ratings"];
  var PRESETS = ["today", "yesterday", "week", "month"];
  var KEY_HEAD = {
    service: ["业务", "Service"], department: ["部门", "Department"], window: ["窗口", "Window"],
    staff: ["工作人员", "Staff member"], hour: ["时段", "Hour"], day: ["日期", "Day"]
  };
  var PERIOD_WORDS = {
    today: ["今天", "Today"], yesterday: ["昨天", "Yesterday"], week: ["本周", "This week"],
    month: ["本月", "This month"], custom: ["自定义", "Custom range"]
  };
  var WEEKDAY = [["周日", "Sun"], ["周一", "Mon"], ["周二", "Tue"], ["周三", "Wed"], ["周四", "Thu"],
                 ["周五", "Fri"], ["周六", "Sat"]];

  var lang = "zh";
  var hall = { day: null, timezone: null, windows: {} };
  var period = { kind: null, from: null, to: null };
  var by = "service";
  var reports = {};        // by -> GET /api/reports JSON, for the period shown
  var unsatisfied = null;  // GET /api/reports/unsatisfied JSON, for the period shown
  var generation = 0;      // answers for a period no longer shown are dropped

  /* -- days (ISO strings; arithmetic in UTC, so no time zone shifts a day) -------------------- */

  function toDate(day) {
    var p = day.split("-");
    return new Date(Date.UTC(+p[0], +p[1] - 1, +p[2]));
  }
  function iso(d) { return d.toISOString().slice(0, 10); }
  function addDays(day, n) {
    var d = toDate(day);
    d.setUTCDate(d.getUTCDate() + n);
    return iso(d);
  }
  function isDay(text) { return /^\d{4}-\d{2}-\d{2}$/.test(text || "") && iso(toDate(text)) === text; }

  function presetRange(kind, today) {
    if (kind === "yesterday") return [addDays(today, -1), addDays(today, -1)];
    if (kind === "week") return [addDays(today, -((toDate(today).getUTCDay() + 6) % 7)), today];  // Monday on
    if (kind === "month") return [today.slice(0, 8) + "01", today];
    return [today, today];
  }

  /* -- numbers, as the page shows them --------------------------------------------------------- */

  var DASH = "—";
  function count(n) { return n === null || n === undefined ? DASH : String(n); }
  /* Seconds as minutes with one decimal, halves up (the charts round the same way). */
  function mins(s) { return s === null || s === undefined ? DASH : (Math.floor(s / 6 + 0.5) / 10).toFixed(1); }
  function pct(part, whole) { return whole ? (Math.floor(part * 1000 / whole + 0.5) / 10).toFixed(1) + "%" : DASH; }
  function slaText(v) { return v === null || v === undefined ? DASH : Number(v).toFixed(1) + "%"; }
  function rated(r) { return r.satisfied + r.basic + r.unsatisfied; }

  /* -- requests -------------------------------------------------------------------------------- */

  function query(extra) {
    return "from=" + encodeURIComponent(period.from) + "&to=" + encodeURIComponent(period.to) + (extra || "");
  }
  function reportUrl(b, format) { return "/api/reports?" + query("&by=" + b + (format ? "&format=" + format : "")); }
  function chartUrl(name) { return "/api/reports/charts/" + name + ".svg?" + query("&lang=" + lang); }

  function failed(err) {
    if (err.status === 401) {
      window.location.assign("/console/login?next=/admin/reports");
      return;
    }
    var words = err.status === 0 ? ["无法连接服务器，请检查网络后重试", "Can't reach the hub; check the network and try again"]
      : err.status >= 500 ? ["服务器出错，请稍后重试或联系技术人员", "The hub had a problem; try again or call the technician"]
      : [err.message_zh || err.message, err.message];
    setBi($("banner"), words[0], words[1]);
    $("banner").hidden = false;
  }

  function loadHall() {
    return H.getJSON("/api/hall").then(function (snap) {
      hall.day = snap.hall.day;
      hall.timezone = snap.hall.timezone;
      hall.windows = H.byId(snap.windows);
      return hall.day;
    });
  }

  function loadReport(b) {
    if (reports[b]) return Promise.resolve(reports[b]);
    var gen = generation;
    return H.getJSON(reportUrl(b)).then(function (body) {
      if (gen === generation) reports[b] = body;
      return body;
    });
  }

  function svgOf(resp) {
    if (!resp.ok) {
      return resp.json().catch(function () { return null; }).then(function (body) {
        throw new H.HttpError(resp.status, body);
      });
    }
    return resp.text();
  }

  function loadChart(name) {
    var gen = generation, url = chartUrl(name), box = $("chart-" + name + "-box");
    $("chart-" + name + "-link").href = url;
    box.setAttribute("aria-busy", "true");
    return fetch(url, { cache: "no-store", credentials: "same-origin" })
      .then(svgOf, function () { throw new H.HttpError(0, null); })
      .then(function (text) {
        if (gen !== generation) return;
        var doc = new DOMParser().parseFromString(text, "image/svg+xml");
        var svg = doc.documentElement;
        if (!svg || svg.namespaceURI !== "http://www.w3.org/2000/svg") throw new H.HttpError(500, null);
        box.replaceChildren(document.importNode(svg, true));
        box.removeAttribute("aria-busy");
      });
  }

  /* -- drawing --------------------------------------------------------------------------------- */

  function showHeadline(total) {
    var r = total.ratings;
    var values = {
      issued: count(total.issued), served: count(total.served),
      no_show_rate: pct(total.no_show, total.called),
      wait_avg: mins(total.wait_avg_s), wait_p90: mins(total.wait_p90_s),
      sla: slaText(total.sla_pct), satisfaction: pct(r.satisfied, rated(r))
    };
    Object.keys(values).forEach(function (k) { $("fig-" + k).textContent = values[k]; });
  }

  function keyCell(b, row, isTotal) {
    var td = el(isTotal ? "th" : "td", "key-cell");
    if (isTotal) {
      td.scope = "row";
      td.appendChild(bi("合计", "Total"));
      return td;
    }
    if (b === "hour") {
      var next = ("0" + (Number(row.key) + 1)).slice(-2);
      td.textContent = row.key + ":00–" + next + ":00";
    } else if (b === "day") {
      var wd = WEEKDAY[toDate(row.key).getUTCDay()];
      td.appendChild(el("span", "when", row.key));
      td.appendChild(document.createTextNode(" "));
      td.appendChild(bi(wd[0], wd[1], "weekday"));
    } else if (row.key === "" || row.key === null) {
      td.appendChild(bi("（未记录）", "(not recorded)", "muted"));
    } else {
      var name = lang === "en" ? (row.name_en || row.name || row.key) : (row.name || row.key);
      td.appendChild(el("span", "name", name));
      if (name !== row.key) td.appendChild(el("span", "muted-id", row.key));
    }
    return td;
  }

  function reportRow(b, row, isTotal) {
    var tr = el("tr");
    if (!isTotal) tr.setAttribute("data-key", row.key === null ? "" : row.key);
    tr.appendChild(keyCell(b, row, isTotal));
    [count(row.issued), count(row.called), count(row.served), count(row.no_show), count(row.cancelled),
     count(row.transferred), mins(row.wait_avg_s), mins(row.wait_p90_s), mins(row.wait_max_s),
     mins(row.service_avg_s), slaText(row.sla_pct), count(row.ratings.satisfied), count(row.ratings.basic),
     count(row.ratings.unsatisfied)].forEach(function (v) { tr.appendChild(el("td", "num", v)); });
    return tr;
  }

  function showTable(body) {
    setBi($("col-key"), KEY_HEAD[body.by][0], KEY_HEAD[body.by][1]);
    var rows = $("report-rows"), foot = $("report-total");
    rows.replaceChildren();
    body.rows.forEach(function (row) { rows.appendChild(reportRow(body.by, row, false)); });
    if (!body.rows.length) {
      var tr = el("tr", "empty-row"), td = el("td");
      td.colSpan = 15;
      td.appendChild(bi("本期间没有数据", "Nothing in this period"));
      tr.appendChild(td);
      rows.appendChild(tr);
    }
    foot.replaceChildren(reportRow(body.by, body.total, true));
    $("report-table").setAttribute("data-by", body.by);
  }

  function showDownloads() {
    $("dl-csv").href = reportUrl(by, "csv");
    $("dl-xlsx").href = reportUrl(by, "xlsx");
  }

  var timeOf = null;
  function showUnsatisfied(body) {
    var list = body.tickets || [];
    $("unsat-none").hidden = list.length > 0;
    $("unsat-wrap").hidden = list.length === 0;
    timeOf = timeOf || H.timeFormatter(hall.timezone);
    var rows = $("unsat-rows");
    rows.replaceChildren();
    list.forEach(function (t) {
      var tr = el("tr");
      tr.setAttribute("data-ticket", t.id);
      tr.appendChild(el("td", "when", t.day + " " + (t.finished_at ? timeOf(t.finished_at) : "")));
      tr.appendChild(el("td", "number", t.number));
      tr.appendChild(el("td", null, lang === "en" ? (t.service_name_en || t.service_name) : t.service_name));
      var w = hall.windows[t.window];
      var wname = w ? H.tr(w.name, lang) : (t.window_name || t.window);
      tr.appendChild(el("td", null, wname || DASH));
      tr.appendChild(el("td", null, t.staff ? t.staff_name + (t.staff_name !== t.staff ? "（" + t.staff + "）" : "") : DASH));
      rows.appendChild(tr);
    });
  }

  function showPeriod() {
    var words = PERIOD_WORDS[period.kind], same = period.from === period.to;
    setBi($("period-shown"),
          words[0] + "：" + (same ? period.from : period.from + " 至 " + period.to),
          words[1] + ": " + (same ? period.from : period.from + " to " + period.to));
    each(document.querySelectorAll(".period-btn"), function (b) {
      b.setAttribute("aria-pressed", String(b.getAttribute("data-period") === period.kind));
    });
    var search = period.kind === "custom" ? "?from=" + period.from + "&to=" + period.to : "?period=" + period.kind;
    if (window.location.search !== search) window.history.replaceState(null, "", window.location.pathname + search);
  }

  function redrawCharts() {
    return Promise.all(CHARTS.map(loadChart));
  }

  /* Show the period from..to: the headline first (its answer also says the range is good),
     then the table, the charts and the ratings to follow up, together. */
  function show(kind, from, to) {
    var previous = { kind: period.kind, from: period.from, to: period.to };
    var gen = ++generation;
    period = { kind: kind, from: from, to: to };
    reports = {};
    unsatisfied = null;
    $("main").setAttribute("aria-busy", "true");
    $("banner").hidden = true;
    return loadReport("service").then(function (body) {
      if (gen !== generation) return null;
      showPeriod();
      showDownloads();
      showHeadline(body.total);
      return Promise.all([
        loadReport(by).then(function (b) { if (gen === generation) showTable(b); }),
        H.getJSON("/api/reports/unsatisfied?" + query()).then(function (b) {
          if (gen !== generation) return;
          unsatisfied = b;
          showUnsatisfied(b);
        }),
        redrawCharts()
      ]).then(function () {
        if (gen !== generation) return;
        $("main").setAttribute("data-range", from + ".." + to);
        $("main").setAttribute("aria-busy", "false");
      });
    }, function (err) {
      if (gen !== generation) return;
      period = previous;  // nothing changed on the page: the range was refused
      $("main").setAttribute("aria-busy", "false");
      throw err;
    });
  }

  /* -- the period picker ----------------------------------------------------------------------- */

  function rangeError(zh, en) {
    var box = $("range-error");
    if (zh === null) {
      box.hidden = true;
      $("from").removeAttribute("aria-invalid");
      $("to").removeAttribute("aria-invalid");
      return;
    }
    setBi(box, zh, en);
    box.hidden = false;
  }

  function choosePreset(kind) {
    $("custom").hidden = true;
    rangeError(null);
    return loadHall().then(function (today) {
      var r = presetRange(kind, today);
      return show(kind, r[0], r[1]);
    }).catch(failed);
  }

  function openCustom() {
    var form = $("custom");
    form.hidden = false;
    each(document.querySelectorAll(".period-btn"), function (b) {
      b.setAttribute("aria-pressed", String(b.getAttribute("data-period") === "custom"));
    });
    if (!$("from").value) $("from").value = period.from || hall.day || "";
    if (!$("to").value) $("to").value = period.to || hall.day || "";
    if (hall.day) { $("from").max = hall.day; $("to").max = hall.day; }
    $("from").focus();
  }

  function submitCustom(e) {
    e.preventDefault();
    var from = $("from").value, to = $("to").value;
    rangeError(null);
    if (!isDay(from) || !isDay(to)) {
      $(isDay(from) ? "to" : "from").setAttribute("aria-invalid", "true");
      rangeError("请选择开始和结束日期", "Choose both the first and the last day");
      $(isDay(from) ? "to" : "from").focus();
      return;
    }
    if (from > to) {
      $("from").setAttribute("aria-invalid", "true");
      rangeError("开始日期不能晚于结束日期", "The first day must not be after the last day");
      $("from").focus();
      return;
    }
    show("custom", from, to).catch(function (err) {
      if (err.status === 400) {  // the hub's own limit (the longest range), in its words
        $("from").setAttribute("aria-invalid", "true");
        rangeError(err.message_zh || err.message, err.message);
        $("from").focus();
      } else {
        failed(err);
      }
    });
  }

  function chooseBy(b) {
    by = b;
    each(document.querySelectorAll(".by-btn"), function (btn) {
      btn.setAttribute("aria-pressed", String(btn.getAttribute("data-by") === b));
    });
    showDownloads();
    var wrap = $("report-table");
    wrap.setAttribute("aria-busy", "true");
    var gen = generation;
    loadReport(b).then(function (body) {
      if (gen !== generation || by !== b) return;
      showTable(body);
      wrap.setAttribute("aria-busy", "false");
    }).catch(failed);
  }

  /* -- start ----------------------------------------------------------------------------------- */

  function start() {
    lang = H.langSwitch($("lang"), function (l) {
      lang = l;
      if (reports[by]) showTable(reports[by]);
      if (unsatisfied) showUnsatisfied(unsatisfied);
      if (period.from) redrawCharts().catch(failed);
    });
    each(document.querySelectorAll(".period-btn"), function (b) {
      b.addEventListener("click", function () {
        var kind = b.getAttribute("data-period");
        if (kind === "custom") openCustom(); else choosePreset(kind);
      });
    });
    each(document.querySelectorAll(".by-btn"), function (b) {
      b.addEventListener("click", function () { chooseBy(b.getAttribute("data-by")); });
    });
    $("custom").addEventListener("submit", submitCustom);

    var params = new URLSearchParams(window.location.search);
    var from = params.get("from"), to = params.get("to"), kind = params.get("period");
    if (isDay(from) && isDay(to) && from <= to) {  // a range kept in the address (reload, bookmark)
      $("from").value = from;
      $("to").value = to;
      $("custom").hidden = false;
      loadHall().then(function () { return show("custom", from, to); }).catch(failed);
    } else {
      choosePreset(PRESETS.indexOf(kind) >= 0 ? kind : "today");
    }
  }

  start();
})();
