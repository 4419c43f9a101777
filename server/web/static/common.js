/* Shared by the hub's pages: text-only DOM building, JSON requests and the live event stream.
   Plain browser JavaScript, no build step, nothing loaded from outside the hall's LAN.
   Every piece of data reaches the page through textContent, never through innerHTML. */
(function () {
  "use strict";

  /* The hub's event types, as hallcall/events.py names them (tests/test_events.py checks the two
     agree): an EventSource hands a named event only to a listener for that name. */
  var EVENT_TYPES = [
    "ticket.issued", "ticket.called", "ticket.recalled", "ticket.started", "ticket.finished",
    "ticket.no_show", "ticket.transferred", "ticket.cancelled", "ticket.rated", "window.status",
    "notices.changed", "day.reset", "device.status", "hall.changed"
  ];

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  /* A bilingual label: Chinese first (and larger, by CSS), English beneath or after it. */
  /* The snapshot's lists (services, windows) indexed by their id. */
  function byId(list) {
    var out = {};
    (list || []).forEach(function (item) { out[item.id] = item; });
    return out;
  }

  function bi(zh, en, cls) {
    var node = el("span", "bi" + (cls ? " " + cls : ""));
    node.appendChild(el("span", "zh", zh));
    var e = el("span", "en", en);
    e.lang = "en";
    node.appendChild(e);
    return node;
  }

  /* Fill an element holding .zh and .en children (as bi() builds, or as a template writes). */
  function setBi(node, zh, en) {
    if (!node) return;
    var z = node.querySelector(".zh"), e = node.querySelector(".en");
    if (z) z.textContent = zh == null ? "" : String(zh);
    if (e) e.textContent = en == null ? "" : String(en);
  }

  /* A {zh, en} text from the API, in one language (falling back to the other). */
  function tr(obj, lang) {
    if (obj === null || obj === undefined) return "";
    if (typeof obj !== "object") return String(obj);
    return String(obj[lang] || obj.zh || obj.en || "");
  }

  function HttpError(status, body) {
    var err = (body && body.error) || {};
    this.name = "HttpError";
    this.status = status;
    this.code = err.code || (status ? "http_error" : "unreachable");
    this.message = err.message || ("HTTP " + status);
    this.message_zh = err.message_zh || "";
    // A 422 invalid_config names each problem by its key path, for the form that sent it.
    this.errors = err.errors || (body && body.errors) || [];
  }
  HttpError.prototype = Object.create(Error.prototype);

  /* fetch() a JSON answer; a 4xx/5xx answer or a lost connection rejects with an HttpError.
     body (optional) is sent as JSON; headers (optional) are added to the request's. */
  function requestJSON(method, url, body, headers) {
    var init = {
      method: method, cache: "no-store", credentials: "same-origin",
      headers: Object.assign({ "Accept": "application/json" }, headers || {})
    };
    if (body !== undefined && body !== null) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(url, init).then(function (resp) {
      return resp.json().catch(function () { return null; }).then(function (body) {
        if (!resp.ok) throw new HttpError(resp.status, body);
        return body;
      });
    }, function () {
      throw new HttpError(0, null);
    });
  }

  /* Run fn at most once per `ms` burst: the first call arms a timer, later calls join it.
     A call made while fn's promise is still pending runs fn once more afterwards. */
  function debounced(fn, ms) {
    var timer = null, running = false, again = false;
    function run() {
      timer = null;
      if (running) { again = true; return; }
      running = true;
      Promise.resolve().then(fn).catch(function () {}).then(function () {
        running = false;
        if (again) { again = false; schedule(); }
      });
    }
    function schedule() {
      if (timer === null) timer = setTimeout(run, ms);
    }
    return schedule;
  }

  /* The hub's event stream from position `after` (a number, or null for "from now"). The browser's EventSource reconnects by itself
     with Last-Event-ID; only when it gives up for good (the hub answered with an error while
     restarting) is a new one opened, after a growing pause, from the last sequence number seen.
     handlers: event(data), state("live" | "reconnecting"), reopened() after a reconnection. */
  function openStream(after, handlers) {
    var es = null, last = typeof after === "number" ? after : null, everOpen = false, lost = false, backoff = 1000, timer = null;

    function onEvent(e) {
      var data;
      try { data = JSON.parse(e.data); } catch (_) { return; }
      if (!data || typeof data !== "object") return;
      if (typeof data.seq === "number") last = data.seq;
      handlers.event(data);
    }

    function open() {
      timer = null;
      // Without a known position the hub sends only new events.
      es = new EventSource("/api/events" + (last === null ? "" : "?after=" + encodeURIComponent(String(last))));
      EVENT_TYPES.forEach(function (t) { es.addEventListener(t, onEvent); });
      es.onmessage = onEvent;
      es.onopen = function () {
        backoff = 1000;
        handlers.state("live");
        if (everOpen && lost && handlers.reopened) handlers.reopened();
        everOpen = true;
        lost = false;
      };
      es.onerror = function () {
        lost = true;
        handlers.state("reconnecting");
        if (es.readyState === 2 /* CLOSED: the browser will not retry this one */) {
          es.close();
          timer = setTimeout(open, backoff);
          backoff = Math.min(backoff * 2, 30000);
        }
      };
    }

    open();
    return {
      close: function () {
        if (timer !== null) clearTimeout(timer);
        if (es) es.close();
      }
    };
  }

  /* The small live / reconnecting indicator: an element with a .dot and a bilingual label. */
  var CONN_LABELS = {
    connecting: ["连接中", "Connecting"],
    live: ["实时", "Live"],
    reconnecting: ["重新连接中", "Reconnecting"]
  };
  function setConnection(node, state) {
    if (!node) return;
    var label = CONN_LABELS[state] || CONN_LABELS.connecting;
    node.setAttribute("data-state", state);
    setBi(node, label[0], label[1]);
    node.title = label[0] + " / " + label[1];
  }

  /* Time formatting in the hall's own time zone (the phone may be set to another one). */
  function formatter(locale, tz, opts) {
    try {
      return new Intl.DateTimeFormat(locale, Object.assign({ timeZone: tz || undefined }, opts));
    } catch (_) {
      return new Intl.DateTimeFormat(locale, opts);
    }
  }
  function timeFormatter(tz, withSeconds) {
    var opts = { hour: "2-digit", minute: "2-digit", hour12: false };
    if (withSeconds) opts.second = "2-digit";
    var f = formatter("en-GB", tz, opts);
    return function (when) {
      var d = when instanceof Date ? when : new Date(when);
      return isNaN(d.getTime()) ? "" : f.format(d);
    };
  }

  /* The language a staff page shows, 中文 or English, remembered on this device. Pages that
     offer the choice style html[data-lang] (both languages show until a choice is applied). */
  var LANG_KEY = "hallcall.lang";
  function storedLang() {
    var lang = null;
    try { lang = window.localStorage.getItem(LANG_KEY); } catch (_) { /* storage blocked */ }
    return lang === "en" ? "en" : "zh";
  }
  function applyLang(lang) {
    var root = document.documentElement;
    root.setAttribute("data-lang", lang);
    root.lang = lang === "en" ? "en" : "zh-CN";
  }
  /* Wire a toggle button: it shows the other language and switches to it when pressed. */
  function langSwitch(button, onChange) {
    var lang = storedLang();
    function label() { button.textContent = lang === "zh" ? "English" : "中文"; }
    applyLang(lang);
    if (!button) return lang;
    label();
    button.hidden = false;
    button.addEventListener("click", function () {
      lang = lang === "zh" ? "en" : "zh";
      try { window.localStorage.setItem(LANG_KEY, lang); } catch (_) { /* kept for this page only */ }
      applyLang(lang);
      label();
      if (onChange) onChange(lang);
    });
    return lang;
  }

  /* A window's status in the words every page uses: one voice for the console, the overview
     and /admin (a closed window stays closed for the rest of the hall day). */
  var WINDOW_STATUS = {
    open: ["开放", "Open"], paused: ["暂停", "Paused"], closed: ["已关闭（今日）", "Closed for today"]
  };

  window.Hall = {
    EVENT_TYPES: EVENT_TYPES, WINDOW_STATUS: WINDOW_STATUS, el: el, bi: bi, setBi: setBi, tr: tr, HttpError: HttpError, byId: byId,
    getJSON: function (url) { return requestJSON("GET", url); },
    postJSON: function (url, body, headers) { return requestJSON("POST", url, body, headers); },
    deleteJSON: function (url, headers) { return requestJSON("DELETE", url, null, headers); },
    requestJSON: requestJSON,
    storedLang: storedLang, langSwitch: langSwitch,
    debounced: debounced, openStream: openStream, setConnection: setConnection,
    formatter: formatter, timeFormatter: timeFormatter
  };
})();
