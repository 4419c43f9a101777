/* /admin, the staff web console. An admin runs the hall here (services, windows, notices,
   devices, staff, queue rules, the hall's name, departments and announcer, the audit log); a
   supervisor (and an admin) sees every window with its line, calls a chosen ticket and reopens a
   closed window.

   The page keeps no copy of the hub's rules: it shows what GET /api/hall, /api/admin/config,
   /api/windows/<id> and /api/admin/audit answer, sends each change as the API takes it (with the
   session's CSRF token), shows the hub's refusals next to the field they name, and follows the
   event stream, refetching what an event touched. Lists are redrawn live; a form being typed in
   is never redrawn under the typing. Data reaches the page through textContent only. */
(function () {
  "use strict";
  var H = window.Hall, el = H.el, bi = H.bi, setBi = H.setBi, tr = H.tr;
  var $ = function (id) { return document.getElementById(id); };
  var each = function (list, fn) { Array.prototype.forEach.call(list, fn); };

  var csrf = document.body.getAttribute("data-csrf") || "";
  var role = document.body.getAttribute("data-role") || "";
  var me = document.body.getAttribute("data-member") || "";
  var isAdmin = role === "admin";

  var hall = null;        // GET /api/hall
  var cfg = null;         // GET /api/admin/config: {version, config} (an admin's only)
  var floorViews = {};    // window id -> GET /api/windows/<id>
  var floorLoaded = false, floorStale = {};
  var audit = { page: 0, newest: 0, entries: [], stale: true };
  var current = null;     // the section shown
  var bannerTimer = null, toastTimer = null;

  var FLOOR_QUEUE = 6;    // tickets of a window's line shown on its card
  var AUDIT_PAGE = 50;

  /* -- words ---------------------------------------------------------------------------------- */

  var WINDOW_STATUS = H.WINDOW_STATUS;
  var TICKET_STATUS = { called: ["已叫号", "Called"], serving: ["办理中", "Serving"] };
  var STAFF_ROLE = { clerk: ["窗口工作人员", "Clerk"], supervisor: ["值班主任", "Supervisor"], admin: ["管理员", "Administrator"] };
  var DEVICE_ROLE = { kiosk: ["取号机", "Kiosk"], display: ["大屏", "Display"], buttons: ["呼叫按键", "Call keys"],
                      console: ["控制台", "Console"], admin: ["管理", "Admin"] };
  var PAPER = { ok: ["纸张正常", "Paper OK"], near_end: ["纸张将尽", "Paper low"], out: ["缺纸", "Out of paper"],
                unknown: ["状态未知", "Unknown"] };
  var ORDER = { oldest: ["先到先叫", "Oldest first"], "service-order": ["按业务顺序", "By service order"] };
  var ACTOR = { admin: ["管理令牌", "Admin token"], staff: ["工作人员", "Staff"], device: ["设备", "Device"],
                citizen: ["群众", "Citizen"], cli: ["命令行", "Command line"] };
  var ACTION = {
    "hall.seed": ["首次导入大厅设置", "Hall first imported"], "hall.import": ["导入大厅设置", "Hall imported"],
    "config.put": ["替换大厅设置", "Hall replaced"], "notices.put": ["修改公告", "Notices changed"],
    "service.put": ["保存业务", "Service saved"], "service.create": ["新增业务", "Service added"],
    "service.retire": ["停用业务", "Service retired"], "service.delete": ["停用业务", "Service retired"],
    "window.put": ["保存窗口", "Window saved"], "window.create": ["新增窗口", "Window added"],
    "window.retire": ["撤销窗口", "Window retired"], "window.delete": ["撤销窗口", "Window retired"],
    "device.create": ["添加设备", "Device added"], "device.add": ["添加设备", "Device added"],
    "device.token": ["更换设备令牌", "Device token replaced"], "device.rotate": ["更换设备令牌", "Device token replaced"],
    "device.revoke": ["吊销设备", "Device revoked"], "device.delete": ["吊销设备", "Device revoked"],
    "staff.put": ["保存工作人员", "Staff saved"], "staff.create": ["新增工作人员", "Staff added"],
    "staff.delete": ["删除工作人员", "Staff deleted"],
    "window.call-next": ["叫号", "Call next"], "window.call": ["指定叫号", "Called out of turn"],
    "window.recall": ["重呼", "Recall"], "window.start": ["开始办理", "Start"], "window.finish": ["办结", "Finish"],
    "window.no-show": ["过号", "No-show"], "window.transfer": ["转办", "Transfer"], "window.pause": ["暂停窗口", "Window paused"],
    "window.resume": ["恢复窗口", "Window resumed"], "window.close": ["关闭窗口", "Window closed"],
    "window.open": ["开放窗口", "Window opened"], "window.rate": ["评价", "Rating"]
  };

  function pair(p) { return bi(p[0], p[1]); }
  function label(map, key) { return map[key] || [key, key]; }

  /* -- requests ------------------------------------------------------------------------------- */

  /* One API request, JSON both ways. A refusal rejects with Hall.HttpError, carrying the
     `errors` of a 422 invalid_config too. */
  function api(method, url, body) {
    return H.requestJSON(method, url, body, method !== "GET" ? { "X-CSRF-Token": csrf } : null);
  }

  function enc(id) { return encodeURIComponent(id); }

  /* -- banner, toast, confirmation ----------------------------------------------------------------- */

  function errorWords(err) {
    if (err.status === 0) return ["无法连接服务器，请检查网络后重试", "Can't reach the hub; check the network and try again"];
    if (err.status === 401) return ["登录已失效，请重新登录", "Your session has ended; please sign in again"];
    if (err.status >= 500) return ["服务器出错，请稍后重试或联系技术人员", "The hub had a problem; try again or call the technician"];
    return [err.message_zh || err.message || "操作未能完成", err.message || "The change could not be made"];
  }

  function showBanner(err) {
    var words = errorWords(err), box = $("banner");
    setBi(box, words[0], words[1]);
    box.hidden = false;
    $("toast").hidden = true;
    clearTimeout(bannerTimer);
    if (err.status === 401) {
      setTimeout(function () { window.location.assign("/console/login?next=/admin"); }, 1500);
    }
  }

  function hideBanner() { $("banner").hidden = true; }

  function toast(zh, en) {
    var box = $("toast");
    setBi(box, zh, en);
    box.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { box.hidden = true; }, 8000);
  }

  $("banner-close").addEventListener("click", hideBanner);

  var dialog = $("confirm");
  /* Ask before something that cannot be taken back; resolves true for yes. The dialog is modal
     (Tab stays inside, Esc is no) and the safe answer has the focus. */
  function ask(question, yes) {
    if (dialog.open) return Promise.resolve(false);  // one question at a time (a double click)
    setBi($("confirm-text"), question[0], question[1]);
    setBi($("confirm-yes"), yes[0], yes[1]);
    return new Promise(function (resolve) {
      function closed() {
        dialog.removeEventListener("close", closed);
        resolve(dialog.returnValue === "yes");
      }
      dialog.returnValue = "";
      dialog.addEventListener("close", closed);
      dialog.showModal();
      $("confirm-no").focus();
    });
  }

  /* -- forms: the hub's refusals next to their field -------------------------------------------- */

  function clearProblems(form) {
    each(form.querySelectorAll(".field-error"), function (n) { n.remove(); });
    each(form.querySelectorAll(".has-error"), function (n) { n.classList.remove("has-error"); });
    each(form.querySelectorAll("[aria-invalid]"), function (n) { n.removeAttribute("aria-invalid"); });
    var banner = form.querySelector(".form-banner");
    if (banner) banner.hidden = true;
  }

  var ALIASES = { password_hash: "password" };

  /* The field of `form` a key path names: the deepest [data-path] that is the path or holds it
     ("materials[2].en", else "materials[2]", else "materials"). */
  function fieldFor(form, path) {
    while (path) {
      var name = ALIASES[path] || path;
      var found = form.querySelector('[data-path="' + (window.CSS && CSS.escape ? CSS.escape(name) : name) + '"]');
      if (found) return found;
      var shorter = path.replace(/(\.[^.\[\]]+|\[\d+\])$/, "");
      if (shorter === path) break;
      path = shorter;
    }
    return null;
  }

  function fieldProblem(field, zh, en) {
    field.classList.add("has-error");
    var note = el("p", "field-error bi");
    note.appendChild(el("span", "zh", zh));
    var e = el("span", "en", en);
    e.lang = "en";
    note.appendChild(e);
    note.id = "err-" + Math.random().toString(36).slice(2);
    var input = field.matches("input, select, textarea") ? field : field.querySelector("input, select, textarea");
    if (input && field.tagName !== "FIELDSET") {
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", ((input.getAttribute("aria-describedby") || "") + " " + note.id).trim());
    }
    if (field.tagName === "LI") field.appendChild(note);
    else field.appendChild(note);
    return input || field;
  }

  function formBanner(form, words) {
    var banner = form.querySelector(".form-banner");
    if (!banner) { showBanner({ status: 409, message: words[1], message_zh: words[0] }); return; }
    setBi(banner, words[0], words[1]);
    banner.hidden = false;
  }

  /* Show a refusal in `form`. `local(path)` turns a key path of the whole hall
     ("services.passport.prefix", "services[3].prefix") into the form's own ("prefix"), or null
     when it is about something else. */
  function showProblems(form, err, local) {
    clearProblems(form);
    var first = null, loose = [];
    (err.errors || []).forEach(function (p) {
      var path = local ? local(p.path || "", p) : p.path;
      var field = path !== null && path !== undefined ? fieldFor(form, path) : null;
      if (!field) { loose.push(p); return; }
      var focus = fieldProblem(field, p.message_zh || p.message, p.message || p.message_zh);
      first = first || focus;
    });
    if (loose.length || !(err.errors || []).length) {
      var words = loose.length ? [loose.map(function (p) { return (p.path ? p.path + "：" : "") + (p.message_zh || p.message); }).join("；"),
                                  loose.map(function (p) { return (p.path ? p.path + ": " : "") + p.message; }).join("; ")]
                               : errorWords(err);
      if (err.status === 401) showBanner(err);
      formBanner(form, words);
      if (!first) first = form.querySelector(".form-banner");
    }
    if (first) {
      if (first.classList && first.classList.contains("form-banner")) first.setAttribute("tabindex", "-1");
      first.focus();
    }
  }

  /* A key path of the hall, seen from the form of one item of a list (`kind` "services", id,
     its index in the stored hall): the rest of the path, or null. */
  function localTo(kind, id, index) {
    return function (path) {
      var byId = kind + "." + id, byIndex = kind + "[" + index + "]";
      var rest = null;
      [byId, byIndex].forEach(function (head) {
        if (rest === null && (path === head || path.indexOf(head + ".") === 0 || path.indexOf(head + "[") === 0)) {
          rest = path.slice(head.length).replace(/^\./, "");
        }
      });
      return rest;
    };
  }

  function busyForm(form, busy) {
    each(form.querySelectorAll("[data-save]"), function (b) { b.disabled = busy; });
    form.setAttribute("aria-busy", busy ? "true" : "false");
  }

  function numberOf(input) {
    var v = input.value.trim();
    return v === "" ? null : Number(v);
  }

  function setNumber(input, value) { input.value = value === null || value === undefined ? "" : String(value); }

  /* -- small builders -------------------------------------------------------------------------- */

  function button(words, cls, onClick, attrs) {
    var b = el("button", "btn btn-small " + (cls || "btn-secondary"));
    b.type = "button";
    b.appendChild(el("span", "zh", words[0]));
    var e = el("span", "en", words[1]);
    e.lang = "en";
    b.appendChild(e);
    Object.keys(attrs || {}).forEach(function (k) { b.setAttribute(k, attrs[k]); });
    if (onClick) b.addEventListener("click", onClick);
    return b;
  }

  function cell(row, content, cls) {
    var td = el("td", cls);
    if (content instanceof Node) td.appendChild(content);
    else if (content !== undefined && content !== null) td.textContent = String(content);
    row.appendChild(td);
    return td;
  }

  function badge(words, cls) { return bi(words[0], words[1], "badge " + (cls || "")); }

  function emptyRow(tbody, cols, words) {
    var tr = el("tr", "empty-row");
    var td = cell(tr, pair(words));
    td.colSpan = cols;
    tbody.appendChild(tr);
  }

  /* Checkboxes, one per window, for choosing windows. */
  function windowChips(box, chosen, name) {
    box.textContent = "";
    liveWindowsConfig().forEach(function (w) {
      var lab = el("label", "chip-check");
      var input = el("input");
      input.type = "checkbox";
      input.name = name;
      input.value = w.id;
      input.checked = chosen.indexOf(w.id) >= 0;
      lab.appendChild(input);
      lab.appendChild(bi(tr(w.name, "zh"), tr(w.name, "en")));
      box.appendChild(lab);
    });
  }

  function checkedValues(box) {
    return Array.prototype.filter.call(box.querySelectorAll("input[type=checkbox]"), function (i) { return i.checked; })
      .map(function (i) { return i.value; });
  }

  /* An ordered list in a form: rows with up, down and remove, kept in `items`. `build(li, item, i)`
     fills a row, `read(li)` reads it back (what is typed survives a move). */
  function rowList(ol, opts) {
    var items = [];
    function read() {
      items = Array.prototype.map.call(ol.children, opts.read);
    }
    function render(focus) {
      ol.textContent = "";
      items.forEach(function (item, i) {
        var li = el("li", "row");
        li.setAttribute("data-path", opts.path + "[" + i + "]");
        li.appendChild(el("span", "row-n", i + 1));
        var body = el("div", "row-body");
        opts.build(body, item, i);
        li.appendChild(body);
        var tools = el("div", "row-tools");
        var up = button(["上移", "Up"], "btn-secondary", function () { move(i, -1, "up"); }, { "data-move": "up" });
        up.disabled = i === 0;
        var down = button(["下移", "Down"], "btn-secondary", function () { move(i, 1, "down"); }, { "data-move": "down" });
        down.disabled = i === items.length - 1;
        var remove = button(["删除", "Remove"], "btn-secondary btn-remove", function () { drop(i); }, { "data-remove": "" });
        tools.appendChild(up);
        tools.appendChild(down);
        tools.appendChild(remove);
        li.appendChild(tools);
        ol.appendChild(li);
      });
      if (focus) {
        var li = ol.children[focus.index];
        var target = li && (focus.what === "first" ? li.querySelector("input, select")
                                                     : li.querySelector('[data-move="' + focus.what + '"]'));
        if (target && target.disabled) target = li.querySelector("[data-move]:not(:disabled)") || li.querySelector("[data-remove]");
        if (target) target.focus();
        else if (opts.after) opts.after.focus();
      }
      if (opts.changed) opts.changed();
    }
    function move(i, by, what) {
      read();
      var j = i + by;
      if (j < 0 || j >= items.length) return;
      var item = items.splice(i, 1)[0];
      items.splice(j, 0, item);
      render({ index: j, what: what });
    }
    function drop(i) {
      read();
      items.splice(i, 1);
      render(items.length ? { index: Math.min(i, items.length - 1), what: "first" } : { index: -1 });
    }
    return {
      set: function (list) { items = (list || []).slice(); render(); },
      get: function () { read(); return items.slice(); },
      add: function (item) { read(); items.push(item); render({ index: items.length - 1, what: "first" }); },
      redraw: function () { read(); render(); }
    };
  }

  function textInput(value, labelWords, cls, attrs) {
    var input = el("input", cls);
    input.type = "text";
    input.value = value == null ? "" : value;
    input.setAttribute("aria-label", labelWords[lang === "en" ? 1 : 0]);
    input.setAttribute("data-label-zh", labelWords[0]);
    input.setAttribute("data-label-en", labelWords[1]);
    Object.keys(attrs || {}).forEach(function (k) { input.setAttribute(k, attrs[k]); });
    return input;
  }

  /* -- the hall as the config holds it ------------------------------------------------------------- */

  function conf() { return (cfg && cfg.config) || {}; }
  function liveServicesConfig() { return (conf().services || []).filter(function (s) { return !s.retired; }); }
  function liveWindowsConfig() {
    if (cfg) return (conf().windows || []).filter(function (w) { return !w.retired; });
    return (hall && hall.windows) || [];
  }
  function serviceConfig(id) { return (conf().services || []).filter(function (s) { return s.id === id; })[0]; }
  function windowConfig(id) { return (conf().windows || []).filter(function (w) { return w.id === id; })[0]; }
  function indexIn(list, id) {
    for (var i = 0; i < (list || []).length; i++) if (list[i].id === id) return i;
    return (list || []).length;  // a new one goes last
  }
  function copy(obj) { return JSON.parse(JSON.stringify(obj)); }

  function serviceName(id) {
    var s = serviceConfig(id) || ((hall && H.byId(hall.services)[id]) || null);
    return s ? s.name : { zh: id, en: id };
  }
  function windowName(id) {
    var w = windowConfig(id) || (hall && H.byId(hall.windows)[id]);
    return w ? w.name : { zh: id, en: id };
  }
  function hallWindow(id) { return hall ? H.byId(hall.windows)[id] : null; }
  function staffName(id) {
    var s = (conf().staff || []).filter(function (m) { return m.id === id; })[0];
    return s ? s.name : null;
  }

  /* -- time in the hall's own zone ---------------------------------------------------------------- */

  function tz() { return hall && hall.hall && hall.hall.timezone; }
  function hallTime(iso, withDate) {
    if (!iso) return "";
    var d = new Date(iso);
    if (isNaN(d.getTime())) return "";
    var f = H.formatter("sv-SE", tz(), withDate
      ? { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false }
      : { hour: "2-digit", minute: "2-digit", hour12: false });
    return f.format(d);
  }
  function minutesSince(iso) {
    var t = Date.parse(iso);
    var now = hall && hall.hall && hall.hall.time ? Date.parse(hall.hall.time) + (Date.now() - loadedAt) : Date.now();
    return isNaN(t) ? 0 : Math.max(0, Math.floor((now - t) / 60000));
  }
  var loadedAt = Date.now();

  /* == sections and tabs ========================================================================== */

  var tabs = Array.prototype.slice.call(document.querySelectorAll("[role=tab]"));
  var sections = Array.prototype.slice.call(document.querySelectorAll(".admin-section"));

  function show(name, focusHeading) {
    var found = sections.filter(function (s) { return s.getAttribute("data-section") === name; })[0] || sections[0];
    if (!found) return;
    current = found.getAttribute("data-section");
    sections.forEach(function (s) { s.hidden = s !== found; });
    tabs.forEach(function (t) {
      var on = t.getAttribute("data-section") === current;
      t.setAttribute("aria-selected", on ? "true" : "false");
    });
    if (window.history && history.replaceState) history.replaceState(null, "", "#" + current);
    if (focusHeading) { var h = $("h-" + current); if (h) h.focus(); }
    shown(current);
  }

  tabs.forEach(function (t, i) {
    t.addEventListener("click", function () { show(t.getAttribute("data-section")); });
    t.addEventListener("keydown", function (e) {
      var to = null;
      if (e.key === "ArrowRight") to = (i + 1) % tabs.length;
      else if (e.key === "ArrowLeft") to = (i - 1 + tabs.length) % tabs.length;
      else if (e.key === "Home") to = 0;
      else if (e.key === "End") to = tabs.length - 1;
      if (to === null) return;
      e.preventDefault();
      tabs[to].focus();
      show(tabs[to].getAttribute("data-section"));
    });
  });
  window.addEventListener("hashchange", function () {
    var name = window.location.hash.slice(1);
    if (name && name !== current) show(name);
  });

  function shown(name) {
    if (name === "floor" && (!floorLoaded || Object.keys(floorStale).length)) loadFloor(!floorLoaded);
    if (name === "audit" && audit.stale) loadAudit(audit.page);
  }

  /* == the floor: every window, its line, "call this one" ========================================= */

  function renderFloor() {
    var box = $("floor");
    if (!box || !hall) return;
    var filter = $("floor-filter").value;
    box.textContent = "";
    var shownCount = 0;
    hall.windows.forEach(function (w) {
      var view = floorViews[w.id];
      var waiting = view ? view.waiting : null;
      if (filter === "waiting" && !(waiting > 0)) return;
      if (filter === "closed" && w.status === "open") return;
      shownCount++;
      box.appendChild(floorCard(w, view));
    });
    if (!shownCount) box.appendChild(el("p", "placeholder")).appendChild(pair(["没有符合条件的窗口", "No window matches"]));
  }

  function floorCard(w, view) {
    var card = el("article", "floor-card");
    card.setAttribute("data-window", w.id);
    card.setAttribute("data-status", w.status);
    card.setAttribute("aria-labelledby", "fc-" + w.id);
    var head = el("header", "fc-head");
    var title = bi(tr(w.name, "zh"), tr(w.name, "en"), "fc-name");
    title.id = "fc-" + w.id;
    head.appendChild(title);
    var status = badge(label(WINDOW_STATUS, w.status), "status-pill");
    status.setAttribute("data-status", w.status);
    head.appendChild(status);
    card.appendChild(head);

    var cur = w.current && (w.current.status === "called" || w.current.status === "serving") ? w.current : null;
    var now = el("div", "fc-current");
    now.setAttribute("data-status", cur ? cur.status : "none");
    now.appendChild(el("span", "fc-number", cur ? cur.number : "—"));
    if (cur) now.appendChild(pair(label(TICKET_STATUS, cur.status)));
    else now.appendChild(pair(["窗口空闲", "Nobody at the window"]));
    card.appendChild(now);

    var may = (view && view.may) || {};
    if (w.status === "closed") {
      var note = el("p", "fc-note");
      note.appendChild(pair(["今日已关闭：叫号和恢复均被拒绝，直到重新开放", "Closed for today: calling and resuming are refused until it is reopened"]));
      card.appendChild(note);
      if (may.open !== false) {
        card.appendChild(button(["重新开放窗口", "Reopen the window"], "btn-primary fc-open", function () {
          windowAction(w.id, "open", null, ["已开放" + tr(w.name, "zh"), tr(w.name, "en") + " is open again"]);
        }, { "data-open": w.id }));
      }
    }

    if (!view) {
      card.appendChild(el("p", "placeholder")).appendChild(pair(["正在加载队列…", "Loading its line…"]));
      return card;
    }
    var count = el("p", "fc-waiting");
    count.appendChild(pair(["等候 " + view.waiting + " 人", view.waiting + (view.waiting === 1 ? " person" : " people") + " waiting"]));
    card.appendChild(count);
    if (!view.queue.length) return card;
    var list = el("ol", "fc-queue");
    var canCall = may.call_chosen !== false;
    view.queue.slice(0, FLOOR_QUEUE).forEach(function (t) {
      var li = el("li", "fc-ticket" + (t.priority === "green" ? " green" : ""));
      li.appendChild(el("span", "fc-tnum", t.number));
      var name = serviceName(t.service);
      li.appendChild(bi(tr(name, "zh"), tr(name, "en"), "fc-svc"));
      var waited = minutesSince(t.issued_at);
      li.appendChild(bi("已等 " + waited + " 分", waited + " min", "fc-wait"));
      if (t.priority === "green") li.appendChild(badge(["绿色通道", "Green"], "badge-green"));
      if (canCall) {
        var b = button(["叫这个号", "Call this one"], "btn-primary fc-call", function () {
          windowAction(w.id, "call", { number: t.number }, ["已叫 " + t.number + "（" + tr(w.name, "zh") + "）",
                                                             "Called " + t.number + " to " + tr(w.name, "en")]);
        }, { "data-call": t.number, "aria-label": (lang === "en" ? "Call " + t.number + " to " + tr(w.name, "en") : "叫 " + t.number + " 到" + tr(w.name, "zh")) });
        b.disabled = w.status !== "open";
        li.appendChild(b);
      }
      list.appendChild(li);
    });
    card.appendChild(list);
    var more = view.waiting - Math.min(view.queue.length, FLOOR_QUEUE);
    if (more > 0) card.appendChild(el("p", "fc-more")).appendChild(pair(["另有 " + more + " 人", more + " more"]));
    return card;
  }

  function windowAction(id, action, body, done) {
    return api("POST", "/api/windows/" + enc(id) + "/" + action, body).then(function (resp) {
      toast(done[0], done[1]);
      refetchHall();
      markFloor([id]);
      return resp;
    }, function (err) {
      showBanner(err);
      refetchHall();
      markFloor([id]);
    });
  }

  /* Fetch windows' lines, a few at a time (the LAN's browser holds six connections, one of them
     the event stream). */
  function fetchViews(ids) {
    var queue = ids.slice(), running = 0;
    return new Promise(function (resolve) {
      function next() {
        if (!queue.length && !running) { resolve(); return; }
        while (running < 4 && queue.length) {
          var id = queue.shift();
          running++;
          api("GET", "/api/windows/" + enc(id)).then(function (v) {
            floorViews[v.window.id] = v;
          }, function (err) {
            if (err.status === 401) showBanner(err);
          }).then(function () { running--; next(); });
        }
      }
      next();
    }).then(renderFloor);
  }

  function loadFloor() {
    if (!$("floor") || !hall) return Promise.resolve();
    var ids = floorLoaded ? Object.keys(floorStale) : hall.windows.map(function (w) { return w.id; });
    floorLoaded = true;
    floorStale = {};
    renderFloor();
    return fetchViews(ids);
  }

  var flushFloor = H.debounced(function () {
    if (current !== "floor") return;
    var ids = Object.keys(floorStale);
    floorStale = {};
    return fetchViews(ids);
  }, 200);

  function markFloor(ids) {
    if (!$("floor") || !floorLoaded) return;
    ids.forEach(function (id) { floorStale[id] = true; });
    flushFloor();
  }

  if ($("floor-filter")) $("floor-filter").addEventListener("change", renderFloor);

  /* == services =================================================================================== */

  var svcForm = $("svc-form"), svcEditing = null;

  function servingWindows(id) {
    return liveWindowsConfig().filter(function (w) { return (w.services || []).indexOf(id) >= 0; })
      .map(function (w) { return w.id; });
  }

  function renderServices() {
    var tbody = $("svc-rows");
    if (!tbody || !cfg) return;
    tbody.textContent = "";
    var live = hall ? H.byId(hall.services) : {};
    var deps = H.byId(conf().departments);
    var list = liveServicesConfig();
    if (!list.length) emptyRow(tbody, 7, ["尚无业务", "No services yet"]);
    list.forEach(function (s) {
      var row = el("tr");
      row.setAttribute("data-service", s.id);
      cell(row, s.prefix, "svc-pfx");
      var name = cell(row, bi(tr(s.name, "zh"), tr(s.name, "en")));
      name.appendChild(el("div", "muted-id", s.id));
      var dep = deps[s.department];
      cell(row, dep ? bi(tr(dep.name, "zh"), tr(dep.name, "en")) : s.department);
      var snap = live[s.id];
      var open = snap ? snap.open : false;
      cell(row, s.closed ? badge(["暂停取号", "Closed now"], "badge-off")
                        : open ? badge(["可取号", "Open"], "badge-on") : badge(["非办理时间", "Outside hours"], "badge-idle"));
      cell(row, snap ? snap.waiting : "–", "num");
      var wins = servingWindows(s.id);
      cell(row, wins.length ? wins.join(", ") : "—", "ids");
      var tools = el("div", "row-actions");
      tools.appendChild(button(["编辑", "Edit"], "btn-secondary", function () { openService(s.id); }, { "data-edit": s.id }));
      tools.appendChild(button(s.closed ? ["恢复取号", "Open now"] : ["暂停取号", "Close now"], "btn-secondary", function () {
        toggleServiceClosed(s.id);
      }, { "data-toggle": s.id }));
      tools.appendChild(button(["停用", "Retire"], "btn-danger-outline", function () { retireService(s.id); }, { "data-retire": s.id }));
      cell(row, tools);
      tbody.appendChild(row);
    });
  }

  var svcHours = svcForm && rowList($("svc-hours"), {
    path: "hours", after: $("svc-hours-add"),
    build: function (body, item) {
      body.classList.add("span-row");
      body.appendChild(textInput(item.start, ["开始时间", "From"], "time-in", { maxlength: "5", inputmode: "numeric", placeholder: "08:30", "data-part": "start" }));
      body.appendChild(bi("至", "to", "span-to"));
      body.appendChild(textInput(item.end, ["结束时间", "To"], "time-in", { maxlength: "5", inputmode: "numeric", placeholder: "12:00", "data-part": "end" }));
    },
    read: function (li) {
      return { start: li.querySelector('[data-part="start"]').value.trim(), end: li.querySelector('[data-part="end"]').value.trim() };
    }
  });

  var svcMaterials = svcForm && rowList($("svc-materials"), {
    path: "materials", after: $("svc-materials-add"),
    build: function (body, item, i) {
      body.classList.add("pair-row");
      var zh = textInput(item.zh, ["材料（中文）", "Item (Chinese)"], "", { maxlength: "200" });
      var zhBox = el("div", "sub-field");
      zhBox.setAttribute("data-path", "materials[" + i + "].zh");
      zhBox.appendChild(zh);
      var en = textInput(item.en, ["材料（英文）", "Item (English)"], "", { maxlength: "300", lang: "en" });
      var enBox = el("div", "sub-field");
      enBox.setAttribute("data-path", "materials[" + i + "].en");
      enBox.appendChild(en);
      body.appendChild(zhBox);
      body.appendChild(enBox);
    },
    read: function (li) {
      var inputs = li.querySelectorAll("input");
      return { zh: inputs[0].value, en: inputs[1].value };
    }
  });

  /* The guide's two lists: the procedure (steps zh/en) and the sample forms (name zh/en, a link). */
  function pairBox(path, value, words, attrs) {
    var box = el("div", "sub-field");
    box.setAttribute("data-path", path);
    box.appendChild(textInput(value, words, "", attrs));
    return box;
  }

  var svcProcedure = svcForm && rowList($("svc-procedure"), {
    path: "guide.procedure", after: $("svc-procedure-add"),
    build: function (body, item, i) {
      body.classList.add("pair-row");
      var at = "guide.procedure[" + i + "]";
      body.appendChild(pairBox(at + ".zh", item.zh, ["步骤（中文）", "Step (Chinese)"], { maxlength: "200" }));
      body.appendChild(pairBox(at + ".en", item.en, ["步骤（英文）", "Step (English)"], { maxlength: "300", lang: "en" }));
    },
    read: function (li) {
      var inputs = li.querySelectorAll("input");
      return { zh: inputs[0].value, en: inputs[1].value };
    }
  });

  var svcSamples = svcForm && rowList($("svc-samples"), {
    path: "guide.samples", after: $("svc-samples-add"),
    build: function (body, item, i) {
      body.classList.add("pair-row");
      var at = "guide.samples[" + i + "]";
      body.appendChild(pairBox(at + ".name.zh", item.zh, ["样表名称（中文）", "Sample's name (Chinese)"], { maxlength: "200" }));
      body.appendChild(pairBox(at + ".name.en", item.en, ["样表名称（英文）", "Sample's name (English)"], { maxlength: "300", lang: "en" }));
      body.appendChild(pairBox(at + ".url", item.url, ["链接（可不填）", "Link (optional)"],
                               { maxlength: "500", lang: "en", placeholder: "/static/samples/…", spellcheck: "false", "data-part": "url" }));
    },
    read: function (li) {
      var inputs = li.querySelectorAll("input");
      return { zh: inputs[0].value, en: inputs[1].value, url: inputs[2].value };
    }
  });

  var GUIDE_TEXTS = ["time_limit", "fees", "result", "responsible"];
  // The hub's defaults (config loader APPOINTMENT_LIMITS), offered when bookings are switched on.
  var APPT = [["slot_minutes", "svc-appt-slot", 30], ["per_slot", "svc-appt-places", 2], ["days_ahead", "svc-appt-days", 7],
              ["early_minutes", "svc-appt-early", 30], ["late_minutes", "svc-appt-late", 15]];

  function fillGuide(s) {
    var g = (s && s.guide) || {};
    svcProcedure.set((g.procedure || []).map(function (p) { return { zh: p.zh, en: p.en }; }));
    GUIDE_TEXTS.forEach(function (k) {
      $("svc-g-" + k + "-zh").value = g[k] ? g[k].zh : "";
      $("svc-g-" + k + "-en").value = g[k] ? g[k].en : "";
    });
    svcSamples.set((g.samples || []).map(function (x) { return { zh: x.name.zh, en: x.name.en, url: x.url || "" }; }));
    var a = s && s.appointments;
    $("svc-appt-on").checked = !!a;
    APPT.forEach(function (f) { setNumber($(f[1]), a ? a[f[0]] : f[2]); });
    apptShown();
  }

  function apptShown() {
    var on = $("svc-appt-on").checked;
    $("svc-appt-fields").hidden = !on;
    APPT.forEach(function (f) { $(f[1]).disabled = !on; });
  }

  /* The guide as the hub keys it; what is left empty is not written (the pages say "ask at the
     window"), and a half-filled pair is sent as it is so that the hub names the missing half. */
  function guideBody() {
    var g = {};
    var steps = svcProcedure.get().filter(function (p) { return p.zh.trim() || p.en.trim(); })
      .map(function (p) { return { zh: p.zh.trim(), en: p.en.trim() }; });
    if (steps.length) g.procedure = steps;
    GUIDE_TEXTS.forEach(function (k) {
      var zh = $("svc-g-" + k + "-zh").value.trim(), en = $("svc-g-" + k + "-en").value.trim();
      if (zh || en) g[k] = { zh: zh, en: en };
    });
    var samples = svcSamples.get().filter(function (x) { return x.zh.trim() || x.en.trim() || x.url.trim(); })
      .map(function (x) {
        var item = { name: { zh: x.zh.trim(), en: x.en.trim() } };
        if (x.url.trim()) item.url = x.url.trim();
        return item;
      });
    if (samples.length) g.samples = samples;
    return g;
  }

  function appointmentsBody() {
    if (!$("svc-appt-on").checked) return null;
    var a = {};
    APPT.forEach(function (f) {
      var v = numberOf($(f[1]));
      if (v !== null) a[f[0]] = v;  // empty: the hub's default
    });
    return a;
  }

  function fillDepartments(chosen) {
    var select = $("svc-department");
    select.textContent = "";
    (conf().departments || []).forEach(function (d) {
      var o = el("option", null, tr(d.name, lang));
      o.value = d.id;
      select.appendChild(o);
    });
    if (chosen) select.value = chosen;
  }

  var WEEK = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
  function hallDays() {
    var days = (conf().hall || {}).days;
    return days ? WEEK.filter(function (d) { return days.indexOf(d) >= 0; }) : WEEK.slice();
  }

  function splitSpan(span) {
    var parts = String(span).split("-");
    return { start: parts[0] || "", end: parts[1] || "" };
  }

  function openEditor(form) {
    closeEditors(form);
    clearProblems(form);
    form.hidden = false;
    form.scrollIntoView({ block: "nearest" });
  }

  function closeEditors(except) {
    each(document.querySelectorAll("form.editor[id$='-form']:not(#notice-form):not(#rules-form):not(#hall-form)"), function (f) {
      if (f !== except) f.hidden = true;
    });
  }

  function closeEditor(form, back) {
    form.hidden = true;
    clearProblems(form);
    if (back) back.focus();
  }

  function openService(id) {
    var s = id ? serviceConfig(id) : null;
    svcEditing = { id: id, isNew: !s, index: indexIn(conf().services, id), base: s ? copy(s) : {} };
    var title = $("svc-form-title");
    if (s) setBi(title, "编辑业务：" + tr(s.name, "zh"), "Edit service: " + tr(s.name, "en"));
    else setBi(title, "新增业务", "Add a service");
    openEditor(svcForm);
    $("svc-id").value = s ? s.id : "";
    $("svc-id").readOnly = !!s;
    $("svc-prefix").value = s ? s.prefix : "";
    fillDepartments(s ? s.department : null);
    $("svc-name-zh").value = s ? tr(s.name, "zh") : "";
    $("svc-name-en").value = s ? tr(s.name, "en") : "";
    setNumber($("svc-limit"), s ? s.daily_limit : null);
    setNumber($("svc-target"), s ? s.target_wait_minutes : 30);
    setNumber($("svc-minutes"), s ? s.service_minutes : null);  // empty: the hall's default
    $("svc-closed").checked = !!(s && s.closed);
    svcHours.set(s && s.hours ? s.hours.map(splitSpan) : []);
    var days = s && s.days ? s.days : hallDays();
    each($("svc-days").querySelectorAll("input"), function (i) { i.checked = days.indexOf(i.value) >= 0; });
    svcMaterials.set(s ? (s.materials || []).map(function (m) { return { zh: m.zh, en: m.en }; }) : []);
    fillGuide(s);
    windowChips($("svc-windows"), s ? servingWindows(s.id) : [], "svc-windows");
    (s ? $("svc-prefix") : $("svc-id")).focus();
  }

  function serviceBody() {
    var body = copy(svcEditing.base);
    delete body.id;
    body.prefix = $("svc-prefix").value.trim();
    body.department = $("svc-department").value;
    body.name = { zh: $("svc-name-zh").value.trim(), en: $("svc-name-en").value.trim() };
    var limit = numberOf($("svc-limit"));
    if (limit === null) delete body.daily_limit; else body.daily_limit = limit;
    var target = numberOf($("svc-target"));
    if (target === null) delete body.target_wait_minutes; else body.target_wait_minutes = target;
    var minutes = numberOf($("svc-minutes"));
    if (minutes === null) delete body.service_minutes; else body.service_minutes = minutes;
    if ($("svc-closed").checked) body.closed = true; else delete body.closed;
    var spans = svcHours.get().filter(function (s) { return s.start || s.end; });
    if (spans.length) body.hours = spans.map(function (s) { return s.start + "-" + s.end; });
    else delete body.hours;
    // The hall's days are what a service without its own has: they need not be written.
    var days = checkedValues($("svc-days"));
    if (days.join() === hallDays().join()) delete body.days; else body.days = days;
    body.materials = svcMaterials.get().filter(function (m) { return m.zh.trim() || m.en.trim(); })
      .map(function (m) { return { zh: m.zh.trim(), en: m.en.trim() }; });
    var guide = guideBody();
    if (Object.keys(guide).length) body.guide = guide; else delete body.guide;
    var appointments = appointmentsBody();
    if (appointments) body.appointments = appointments; else delete body.appointments;
    body.windows = checkedValues($("svc-windows"));
    return body;
  }

  function serviceLocal(id, index) {
    var inner = localTo("services", id, index);
    return function (path, problem) {
      // "served by no window" is said of the list of services as a whole
      if (path === "services" && String(problem.message).indexOf("'" + id + "'") >= 0) return "windows";
      if (/^windows(\.|\[)/.test(path) || path === "windows") return "windows";
      var rest = inner(path);
      if (rest === "" && /served by no window|windows that serve/.test(problem.message || "")) return "windows";
      if (rest === null && path.indexOf(".") < 0 && path.indexOf("[") < 0) return path;  // the body's own field
      return rest;
    };
  }

  if (svcForm) {
    $("svc-add").addEventListener("click", function () { openService(null); });
    $("svc-hours-add").addEventListener("click", function () { svcHours.add({ start: "", end: "" }); });
    $("svc-materials-add").addEventListener("click", function () { svcMaterials.add({ zh: "", en: "" }); });
    $("svc-procedure-add").addEventListener("click", function () { svcProcedure.add({ zh: "", en: "" }); });
    $("svc-samples-add").addEventListener("click", function () { svcSamples.add({ zh: "", en: "", url: "" }); });
    $("svc-appt-on").addEventListener("change", apptShown);
    svcForm.querySelector("[data-cancel]").addEventListener("click", function () { closeEditor(svcForm, $("svc-add")); });
    svcForm.addEventListener("submit", function (e) {
      e.preventDefault();
      var id = svcEditing.isNew ? $("svc-id").value.trim() : svcEditing.id;
      clearProblems(svcForm);
      if (!id) {
        fieldProblem(svcForm.querySelector('[data-path="id"]'), "请填写业务编号", "Please give the service an id").focus();
        return;
      }
      var body = serviceBody();
      busyForm(svcForm, true);
      api("PUT", "/api/admin/services/" + enc(id), body).then(function (resp) {
        busyForm(svcForm, false);
        closeEditor(svcForm, $("svc-add"));
        var name = (resp && resp.service && resp.service.name) || body.name;
        toast((svcEditing.isNew ? "已新增业务：" : "已保存业务：") + tr(name, "zh"),
              (svcEditing.isNew ? "Service added: " : "Service saved: ") + tr(name, "en"));
        refetchAll();
      }, function (err) {
        busyForm(svcForm, false);
        showProblems(svcForm, err, serviceLocal(id, svcEditing.isNew ? (conf().services || []).length : svcEditing.index));
      });
    });
  }

  function toggleServiceClosed(id) {
    var s = serviceConfig(id);
    if (!s) return;
    var body = copy(s);
    delete body.id;
    if (s.closed) delete body.closed; else body.closed = true;
    api("PUT", "/api/admin/services/" + enc(id), body).then(function () {
      toast(s.closed ? "已恢复取号：" + tr(s.name, "zh") : "已暂停取号：" + tr(s.name, "zh"),
            (s.closed ? "Open again: " : "Closed now: ") + tr(s.name, "en"));
      refetchAll();
    }, showBanner);
  }

  function retireService(id) {
    var s = serviceConfig(id);
    if (!s) return;
    ask(["停用业务“" + tr(s.name, "zh") + "”？取号机将不再提供该业务；已取的号仍可叫号，历史记录保留在报表中。",
         "Retire '" + tr(s.name, "en") + "'? Kiosks will no longer offer it; tickets already issued can still be called, and its history stays in the reports."],
        ["停用", "Retire"]).then(function (yes) {
      if (!yes) return;
      api("DELETE", "/api/admin/services/" + enc(id)).then(function () {
        toast("已停用业务：" + tr(s.name, "zh"), "Service retired: " + tr(s.name, "en"));
        refetchAll();
      }, showBanner);
    });
  }

  /* == windows (setup) ============================================================================= */

  var winForm = $("win-form"), winEditing = null;

  var winServices = winForm && rowList($("win-services"), {
    path: "services", after: $("win-service-pick"),
    build: function (body, id) {
      body.setAttribute("data-id", id);
      var name = serviceName(id);
      var s = serviceConfig(id);
      body.appendChild(el("span", "svc-prefix", s ? s.prefix : ""));
      body.appendChild(bi(tr(name, "zh"), tr(name, "en")));
    },
    read: function (li) { return li.querySelector(".row-body").getAttribute("data-id"); },
    changed: function () { fillServicePick(); }
  });

  function fillServicePick() {
    var select = $("win-service-pick");
    var have = winServices.get();
    select.textContent = "";
    liveServicesConfig().forEach(function (s) {
      if (have.indexOf(s.id) >= 0) return;
      var o = el("option", null, s.prefix + " · " + tr(s.name, lang));
      o.value = s.id;
      select.appendChild(o);
    });
    $("win-service-add").disabled = !select.options.length;
  }

  function statusActions(w, live) {
    var box = el("div", "row-actions");
    var status = live ? live.status : w.status;
    var name = w.name;
    if (status === "closed") {
      box.appendChild(button(["开放", "Open"], "btn-primary", function () {
        windowAction(w.id, "open", null, ["已开放" + tr(name, "zh"), tr(name, "en") + " is open"]);
      }, { "data-status-action": "open" }));
    } else {
      if (status === "paused") {
        box.appendChild(button(["恢复", "Resume"], "btn-primary", function () {
          windowAction(w.id, "resume", null, [tr(name, "zh") + "已恢复", tr(name, "en") + " resumed"]);
        }, { "data-status-action": "resume" }));
      } else {
        box.appendChild(button(["暂停", "Pause"], "btn-secondary", function () {
          windowAction(w.id, "pause", null, [tr(name, "zh") + "已暂停", tr(name, "en") + " paused"]);
        }, { "data-status-action": "pause" }));
      }
      box.appendChild(button(["关闭", "Close"], "btn-secondary", function () {
        ask(["今日关闭" + tr(name, "zh") + "？关闭后该窗口不再叫号，直到值班主任或管理员重新开放，或新的一天开始。",
             "Close " + tr(name, "en") + " for the rest of today? It calls nobody until a supervisor or administrator reopens it, or a new hall day starts."],
            ["关闭窗口", "Close the window"]).then(function (yes) {
          if (yes) windowAction(w.id, "close", null, [tr(name, "zh") + "今日已关闭", tr(name, "en") + " is closed for today"]);
        });
      }, { "data-status-action": "close" }));
    }
    return box;
  }

  function renderWindowsSetup() {
    var tbody = $("win-rows");
    if (!tbody || !cfg) return;
    tbody.textContent = "";
    var hq = conf().queue || {};
    liveWindowsConfig().forEach(function (w) {
      var live = hallWindow(w.id);
      var row = el("tr");
      row.setAttribute("data-window", w.id);
      var name = cell(row, bi(tr(w.name, "zh"), tr(w.name, "en")));
      name.appendChild(el("div", "muted-id", w.id));
      var status = live ? live.status : w.status;
      var pill = badge(label(WINDOW_STATUS, status), "status-pill");
      pill.setAttribute("data-status", status);
      cell(row, pill);
      var cur = live && live.current && (live.current.status === "called" || live.current.status === "serving") ? live.current : null;
      cell(row, cur ? cur.number : "—", "num");
      var svc = el("div", "svc-list");
      (w.services || []).forEach(function (id, i) {
        var s = serviceConfig(id);
        var chip = el("span", "svc-chip", (i + 1) + ". " + (s ? s.prefix : id));
        var nm = serviceName(id);
        chip.title = tr(nm, "zh") + " / " + tr(nm, "en");
        svc.appendChild(chip);
      });
      cell(row, svc);
      var rules = el("div", "rules-cell");
      rules.appendChild(pair(label(ORDER, w.order)));
      var ratio = w.green_ratio === undefined || w.green_ratio === null ? null : w.green_ratio;
      var wait = w.max_wait_minutes === undefined || w.max_wait_minutes === null ? null : w.max_wait_minutes;
      if (ratio !== null || wait !== null) {
        rules.appendChild(bi("本窗口：绿色通道连叫 " + (ratio !== null ? ratio : hq.green_ratio) + "，最长等候 " + (wait !== null ? wait : hq.max_wait_minutes) + " 分",
                             "Own rule: " + (ratio !== null ? ratio : hq.green_ratio) + " greens in a row, longest wait " + (wait !== null ? wait : hq.max_wait_minutes) + " min", "own-rule"));
      }
      cell(row, rules);
      var tools = statusActions(w, live);
      tools.insertBefore(button(["编辑", "Edit"], "btn-secondary", function () { openWindow(w.id); }, { "data-edit": w.id }), tools.firstChild);
      tools.appendChild(button(["撤销", "Retire"], "btn-danger-outline", function () { retireWindow(w.id); }, { "data-retire": w.id }));
      cell(row, tools);
      tbody.appendChild(row);
    });
  }

  function openWindow(id) {
    var w = id ? windowConfig(id) : null;
    winEditing = { id: id, isNew: !w, index: indexIn(conf().windows, id), base: w ? copy(w) : { status: "open", order: "oldest" } };
    if (w) setBi($("win-form-title"), "编辑窗口：" + tr(w.name, "zh"), "Edit window: " + tr(w.name, "en"));
    else setBi($("win-form-title"), "新增窗口", "Add a window");
    openEditor(winForm);
    $("win-id").value = w ? w.id : "";
    $("win-id").readOnly = !!w;
    $("win-name-zh").value = w ? tr(w.name, "zh") : "";
    $("win-name-en").value = w ? tr(w.name, "en") : "";
    $("win-order").value = (w && w.order) || "oldest";
    $("win-status").value = (w && w.status) || "open";
    setNumber($("win-ratio"), w ? w.green_ratio : null);
    setNumber($("win-maxwait"), w ? w.max_wait_minutes : null);
    winServices.set(w ? w.services : []);
    (w ? $("win-name-zh") : $("win-id")).focus();
  }

  function windowBody() {
    var body = copy(winEditing.base);
    delete body.id;
    var zh = $("win-name-zh").value.trim(), en = $("win-name-en").value.trim();
    if (zh || en) body.name = { zh: zh, en: en }; else delete body.name;
    body.order = $("win-order").value;
    body.status = $("win-status").value;
    var ratio = numberOf($("win-ratio")), wait = numberOf($("win-maxwait"));
    if (ratio === null) delete body.green_ratio; else body.green_ratio = ratio;
    if (wait === null) delete body.max_wait_minutes; else body.max_wait_minutes = wait;
    body.services = winServices.get();
    return body;
  }

  if (winForm) {
    $("win-add").addEventListener("click", function () { openWindow(null); });
    $("win-service-add").addEventListener("click", function () {
      var id = $("win-service-pick").value;
      if (!id) return;
      winServices.add(id);
      $("win-service-pick").focus();
    });
    winForm.querySelector("[data-cancel]").addEventListener("click", function () { closeEditor(winForm, $("win-add")); });
    winForm.addEventListener("submit", function (e) {
      e.preventDefault();
      var id = winEditing.isNew ? $("win-id").value.trim() : winEditing.id;
      clearProblems(winForm);
      if (!id) {
        fieldProblem(winForm.querySelector('[data-path="id"]'), "请填写窗口编号", "Please give the window an id").focus();
        return;
      }
      var body = windowBody();
      busyForm(winForm, true);
      api("PUT", "/api/admin/windows/" + enc(id), body).then(function () {
        busyForm(winForm, false);
        closeEditor(winForm, $("win-add"));
        toast((winEditing.isNew ? "已新增窗口 " : "已保存窗口 ") + id, (winEditing.isNew ? "Window added: " : "Window saved: ") + id);
        refetchAll();
      }, function (err) {
        busyForm(winForm, false);
        var inner = localTo("windows", id, winEditing.isNew ? (conf().windows || []).length : winEditing.index);
        showProblems(winForm, err, function (path) {
          var rest = inner(path);
          if (rest === null && path.indexOf(".") < 0 && path.indexOf("[") < 0) return path;
          return rest;
        });
      });
    });
  }

  function retireWindow(id) {
    var w = windowConfig(id);
    if (!w) return;
    ask(["撤销" + tr(w.name, "zh") + "？它将不再叫号，也不再显示在大屏和总览上。",
         "Retire " + tr(w.name, "en") + "? It will call nobody and no longer show on the boards and the overview."],
        ["撤销窗口", "Retire the window"]).then(function (yes) {
      if (!yes) return;
      api("DELETE", "/api/admin/windows/" + enc(id)).then(function () {
        toast("已撤销" + tr(w.name, "zh"), tr(w.name, "en") + " retired");
        refetchAll();
      }, showBanner);
    });
  }

  /* == notices ===================================================================================== */

  var noticeForm = $("notice-form"), noticeDirty = false, noticeBase = null;

  var noticeRows = noticeForm && rowList($("notice-rows"), {
    path: "notices", after: $("notice-add"),
    build: function (body, item, i) {
      body.classList.add("pair-row");
      var zh = textInput(item.zh, ["公告（中文）", "Notice (Chinese)"], "", { maxlength: "300" });
      var en = textInput(item.en, ["公告（英文）", "Notice (English)"], "", { maxlength: "400", lang: "en" });
      [zh, en].forEach(function (input) { input.addEventListener("input", function () { noticeDirty = true; }); });
      var zhBox = el("div", "sub-field");
      zhBox.setAttribute("data-path", "notices[" + i + "].zh");
      zhBox.appendChild(zh);
      var enBox = el("div", "sub-field");
      enBox.setAttribute("data-path", "notices[" + i + "].en");
      enBox.appendChild(en);
      body.appendChild(zhBox);
      body.appendChild(enBox);
    },
    read: function (li) {
      var inputs = li.querySelectorAll("input");
      return { zh: inputs[0].value, en: inputs[1].value };
    },
    changed: function () { if (noticeBase) noticeDirty = true; }
  });

  function sameNotices(a, b) { return JSON.stringify(a || []) === JSON.stringify(b || []); }

  function renderNotices() {
    if (!noticeForm || !hall) return;
    var live = (hall.notices || []).map(function (n) { return { zh: n.zh, en: n.en }; });
    if (!noticeDirty) {
      noticeBase = null;  // the set below is not an edit
      noticeRows.set(live);
      noticeBase = live;
      noticeDirty = false;
      $("notice-changed").hidden = true;
    } else {
      $("notice-changed").hidden = sameNotices(live, noticeBase);
    }
  }

  if (noticeForm) {
    $("notice-add").addEventListener("click", function () { noticeDirty = true; noticeRows.add({ zh: "", en: "" }); });
    $("notice-reset").addEventListener("click", function () { noticeDirty = false; clearProblems(noticeForm); renderNotices(); });
    noticeForm.addEventListener("submit", function (e) {
      e.preventDefault();
      var notices = noticeRows.get().map(function (n) { return { zh: n.zh.trim(), en: n.en.trim() }; })
        .filter(function (n) { return n.zh || n.en; });
      busyForm(noticeForm, true);
      api("PUT", "/api/notices", { notices: notices }).then(function (resp) {
        busyForm(noticeForm, false);
        noticeDirty = false;
        clearProblems(noticeForm);
        if (resp && resp.notices) { hall.notices = resp.notices; renderNotices(); }
        toast("公告已保存，大屏已更新", "Notices saved: the boards show them now");
        refetchAll();
      }, function (err) {
        busyForm(noticeForm, false);
        // PUT /api/notices names the notice in its message ("notices[1] must …")
        var m = /notices\[(\d+)\]/.exec(err.message || "");
        if (!(err.errors || []).length && m) {
          var index = Number(m[1]), kept = 0, at = -1;
          // the index is of the list sent, which left out empty rows
          noticeRows.get().forEach(function (n, i) { if (n.zh.trim() || n.en.trim()) { if (kept === index) at = i; kept++; } });
          err.errors = [{ path: "notices[" + (at >= 0 ? at : index) + "]", message: err.message, message_zh: err.message_zh }];
        }
        showProblems(noticeForm, err);
      });
    });
  }

  /* == devices ===================================================================================== */

  var devForm = $("dev-form");

  function deviceSeen(id) {
    return hall ? (hall.devices || []).filter(function (d) { return d.id === id; })[0] : null;
  }

  function renderDevices() {
    var tbody = $("dev-rows");
    if (!tbody || !cfg) return;
    tbody.textContent = "";
    var list = conf().devices || [];
    if (!list.length) emptyRow(tbody, 6, ["尚无设备", "No devices yet"]);
    list.forEach(function (d) {
      var seen = deviceSeen(d.id) || {};
      var online = seen.online === true;
      var row = el("tr", online ? "online" : "offline");
      row.setAttribute("data-device", d.id);
      row.setAttribute("data-online", online ? "true" : "false");
      var name = cell(row, d.name ? el("div", "dev-name", d.name) : el("div", "dev-name", d.id));
      if (d.name) name.appendChild(el("div", "muted-id", d.id));
      if (d.windows && d.windows.length) name.appendChild(el("div", "muted-id", "→ " + d.windows.join(", ")));
      cell(row, pair(label(DEVICE_ROLE, d.role)));
      var conn = online ? badge(["在线", "Online"], "badge-on") : badge(["离线", "Offline"], "badge-offline");
      var connCell = cell(row, conn);
      if (!online && seen.last_seen) {
        connCell.appendChild(bi("自 " + hallTime(seen.last_seen) + " 起", "since " + hallTime(seen.last_seen), "since"));
      }
      cell(row, seen.last_seen ? hallTime(seen.last_seen, true) : pair(["从未连接", "Never seen"]), "when");
      var printer = seen.printer || (seen.status && seen.status.printer);
      var paper = printer && printer.paper;
      var paperCell;
      if (d.role !== "kiosk") paperCell = "—";
      else if (!online) paperCell = pair(["离线，未知", "Offline: unknown"]);
      else if (paper) paperCell = badge(label(PAPER, paper), paper === "ok" ? "badge-on" : paper === "unknown" ? "badge-idle" : "badge-offline");
      else paperCell = "—";
      var pc = cell(row, paperCell);
      var message = seen.message || (seen.status && seen.status.message);
      if (message && online) pc.appendChild(el("div", "muted-id", message));
      var tools = el("div", "row-actions");
      tools.appendChild(button(["更换令牌", "New token"], "btn-secondary", function () { rotateToken(d); }, { "data-rotate": d.id }));
      tools.appendChild(button(["吊销", "Revoke"], "btn-danger-outline", function () { revokeDevice(d); }, { "data-revoke": d.id }));
      cell(row, tools);
      tbody.appendChild(row);
    });
  }

  function showToken(device, token, isNew) {
    var box = $("dev-token");
    setBi($("dev-token-title"), (isNew ? "已添加设备 " : "设备的新令牌：") + device,
          (isNew ? "Device added: " : "New token for ") + device);
    $("dev-token-value").value = token;
    $("dev-token-copied").hidden = true;
    box.hidden = false;
    box.scrollIntoView({ block: "nearest" });
    $("dev-token-value").focus();
    $("dev-token-value").select();
  }

  function hideToken() {
    $("dev-token").hidden = true;
    $("dev-token-value").value = "";  // gone from the page, as promised
  }

  function copyToken() {
    var input = $("dev-token-value"), value = input.value;
    function copied() { $("dev-token-copied").hidden = false; }
    function fallback() {
      input.focus();
      input.select();
      try { if (document.execCommand("copy")) copied(); } catch (_) { /* selected: the staff copy it by hand */ }
    }
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(value).then(copied, fallback);
    else fallback();
  }

  function openDeviceForm() {
    openEditor(devForm);
    $("dev-id").value = "";
    $("dev-role").value = "kiosk";
    $("dev-name").value = "";
    windowChips($("dev-windows"), [], "dev-windows");
    roleWindows();
    $("dev-id").focus();
  }

  function roleWindows() {
    var r = $("dev-role").value;
    $("dev-windows-field").hidden = !(r === "buttons" || r === "console");
  }

  if (devForm) {
    $("dev-add").addEventListener("click", openDeviceForm);
    $("dev-role").addEventListener("change", roleWindows);
    devForm.querySelector("[data-cancel]").addEventListener("click", function () { closeEditor(devForm, $("dev-add")); });
    $("dev-token-copy").addEventListener("click", copyToken);
    $("dev-token-done").addEventListener("click", function () { hideToken(); $("dev-add").focus(); });
    devForm.addEventListener("submit", function (e) {
      e.preventDefault();
      var id = $("dev-id").value.trim(), r = $("dev-role").value;
      var body = { id: id, role: r };
      var name = $("dev-name").value.trim();
      if (name) body.name = name;
      var wins = checkedValues($("dev-windows"));
      if ((r === "buttons" || r === "console") && wins.length) body.windows = wins;
      busyForm(devForm, true);
      api("POST", "/api/admin/devices", body).then(function (resp) {
        busyForm(devForm, false);
        closeEditor(devForm);
        showToken((resp.device && resp.device.id) || id, resp.token, true);
        refetchAll();
      }, function (err) {
        busyForm(devForm, false);
        var inner = localTo("devices", id, (conf().devices || []).length);
        showProblems(devForm, err, function (path) {
          var rest = inner(path);
          if (rest === null && path.indexOf(".") < 0 && path.indexOf("[") < 0) return path;
          return rest;
        });
      });
    });
  }

  function rotateToken(d) {
    ask(["为设备 " + d.id + " 生成新令牌？旧令牌立即失效，设备需填入新令牌后才能继续使用。",
         "Make a new token for " + d.id + "? The old one stops working at once; the device needs the new one to go on."],
        ["生成新令牌", "Make a new token"]).then(function (yes) {
      if (!yes) return;
      api("POST", "/api/admin/devices/" + enc(d.id) + "/token").then(function (resp) {
        showToken(d.id, resp.token, false);
        refetchAll();
      }, showBanner);
    });
  }

  function revokeDevice(d) {
    ask(["吊销设备 " + d.id + "？它的令牌立即失效，设备将从大厅中移除。",
         "Revoke " + d.id + "? Its token stops working at once and the device leaves the hall."],
        ["吊销设备", "Revoke the device"]).then(function (yes) {
      if (!yes) return;
      api("DELETE", "/api/admin/devices/" + enc(d.id)).then(function () {
        toast("已吊销设备 " + d.id, "Device revoked: " + d.id);
        refetchAll();
      }, showBanner);
    });
  }

  /* == staff ======================================================================================= */

  var staffForm = $("staff-form"), pwForm = $("pw-form"), staffEditing = null, pwFor = null;

  function member(id) { return (conf().staff || []).filter(function (m) { return m.id === id; })[0]; }

  function staffBody(m, changes) {
    var body = { name: m.name, role: m.role || "clerk", windows: (m.windows || []).slice() };
    if (m.disabled) body.disabled = true;
    Object.keys(changes || {}).forEach(function (k) { body[k] = changes[k]; });
    return body;
  }

  function renderStaff() {
    var tbody = $("staff-rows");
    if (!tbody || !cfg) return;
    tbody.textContent = "";
    (conf().staff || []).forEach(function (m) {
      var row = el("tr", m.disabled ? "disabled" : "");
      row.setAttribute("data-staff", m.id);
      cell(row, m.id, "ids");
      cell(row, m.name);
      cell(row, pair(label(STAFF_ROLE, m.role || "clerk")));
      cell(row, (m.role || "clerk") === "clerk" ? (m.windows || []).join(", ") || "—" : pair(["全部窗口", "Every window"]), "ids");
      cell(row, m.disabled ? badge(["已停用", "Disabled"], "badge-off") : badge(["可登录", "Active"], "badge-on"));
      var tools = el("div", "row-actions");
      tools.appendChild(button(["编辑", "Edit"], "btn-secondary", function () { openStaff(m.id); }, { "data-edit": m.id }));
      tools.appendChild(button(["重置密码", "Reset password"], "btn-secondary", function () { openPassword(m.id); }, { "data-password": m.id }));
      tools.appendChild(button(m.disabled ? ["启用", "Enable"] : ["停用", "Disable"], "btn-secondary", function () {
        toggleDisabled(m.id);
      }, { "data-disable": m.id }));
      tools.appendChild(button(["删除", "Delete"], "btn-danger-outline", function () { deleteStaff(m.id); }, { "data-delete": m.id }));
      cell(row, tools);
      tbody.appendChild(row);
    });
  }

  function openStaff(id) {
    var m = id ? member(id) : null;
    staffEditing = { id: id, isNew: !m, index: indexIn(conf().staff, id) };
    if (m) setBi($("staff-form-title"), "编辑：" + m.name + "（" + m.id + "）", "Edit: " + m.name + " (" + m.id + ")");
    else setBi($("staff-form-title"), "新增工作人员", "Add a member of staff");
    openEditor(staffForm);
    $("staff-id").value = m ? m.id : "";
    $("staff-id").readOnly = !!m;
    $("staff-name").value = m ? m.name : "";
    $("staff-role").value = (m && m.role) || "clerk";
    $("staff-password").value = "";
    staffForm.querySelector('[data-path="password"]').hidden = !!m;  // an existing member's: "Reset password"
    $("staff-password").required = !m;
    windowChips($("staff-windows"), m ? (m.windows || []) : [], "staff-windows");
    (m ? $("staff-name") : $("staff-id")).focus();
  }

  function staffLocal(id, index) {
    var inner = localTo("staff", id, index);
    return function (path) {
      var rest = inner(path);
      if (rest === null) rest = localTo("clerks", id, index)(path);
      if (rest === null && path.indexOf(".") < 0 && path.indexOf("[") < 0) return path;
      return rest;
    };
  }

  function saveStaff(id, body, form, done) {
    busyForm(form, true);
    return api("PUT", "/api/admin/staff/" + enc(id), body).then(function (resp) {
      busyForm(form, false);
      done(resp);
      refetchAll();
    }, function (err) {
      busyForm(form, false);
      showProblems(form, err, staffLocal(id, staffEditing && staffEditing.id === id ? staffEditing.index : indexIn(conf().staff, id)));
    });
  }

  function openPassword(id) {
    var m = member(id);
    if (!m) return;
    pwFor = id;
    setBi($("pw-form-title"), "重置密码：" + m.name + "（" + m.id + "）", "Reset the password of " + m.name + " (" + m.id + ")");
    openEditor(pwForm);
    $("pw-new").value = "";
    $("pw-again").value = "";
    $("pw-new").focus();
  }

  if (staffForm) {
    $("staff-add").addEventListener("click", function () { openStaff(null); });
    staffForm.querySelector("[data-cancel]").addEventListener("click", function () { closeEditor(staffForm, $("staff-add")); });
    pwForm.querySelector("[data-cancel]").addEventListener("click", function () { closeEditor(pwForm, $("staff-add")); });
    staffForm.addEventListener("submit", function (e) {
      e.preventDefault();
      var id = staffEditing.isNew ? $("staff-id").value.trim() : staffEditing.id;
      clearProblems(staffForm);
      if (!id) {
        fieldProblem(staffForm.querySelector('[data-path="id"]'), "请填写工号", "Please give a staff id").focus();
        return;
      }
      var m = member(id) || { name: "", role: "clerk", windows: [] };
      var body = staffBody(staffEditing.isNew ? { name: "", role: "clerk" } : m, {
        name: $("staff-name").value.trim(), role: $("staff-role").value, windows: checkedValues($("staff-windows"))
      });
      if (staffEditing.isNew && $("staff-password").value) body.password = $("staff-password").value;
      saveStaff(id, body, staffForm, function () {
        closeEditor(staffForm, $("staff-add"));
        toast((staffEditing.isNew ? "已新增 " : "已保存 ") + body.name + "（" + id + "）", (staffEditing.isNew ? "Added " : "Saved ") + id);
      });
    });
    pwForm.addEventListener("submit", function (e) {
      e.preventDefault();
      clearProblems(pwForm);
      var m = member(pwFor);
      if (!m) return;
      var pw = $("pw-new").value;
      if (pw !== $("pw-again").value) {
        fieldProblem(pwForm.querySelector('[data-path="again"]'), "两次输入的密码不一致", "The two passwords differ").focus();
        return;
      }
      staffEditing = { id: pwFor, index: indexIn(conf().staff, pwFor) };
      saveStaff(pwFor, staffBody(m, { password: pw }), pwForm, function () {
        closeEditor(pwForm, $("staff-add"));
        toast("已重置 " + m.name + " 的密码", "Password reset for " + m.id);
      });
    });
  }

  function toggleDisabled(id) {
    var m = member(id);
    if (!m) return;
    var disabling = !m.disabled;
    var go = disabling
      ? ask(["停用 " + m.name + "（" + m.id + "）？该人员立即退出登录，且无法再登录，直到重新启用。",
             "Disable " + m.id + "? They are signed out at once and cannot sign in until enabled again."], ["停用", "Disable"])
      : Promise.resolve(true);
    go.then(function (yes) {
      if (!yes) return;
      var body = staffBody(m, {});
      if (disabling) body.disabled = true; else body.disabled = false;
      api("PUT", "/api/admin/staff/" + enc(id), body).then(function () {
        toast((disabling ? "已停用 " : "已启用 ") + m.name, (disabling ? "Disabled " : "Enabled ") + m.id);
        refetchAll();
      }, showBanner);
    });
  }

  function deleteStaff(id) {
    var m = member(id);
    if (!m) return;
    ask(["删除 " + m.name + "（" + m.id + "）？该人员立即退出登录。操作记录中仍保留其工号。",
         "Delete " + m.id + "? They are signed out at once; the audit log keeps their id."], ["删除", "Delete"]).then(function (yes) {
      if (!yes) return;
      api("DELETE", "/api/admin/staff/" + enc(id)).then(function () {
        toast("已删除 " + m.name, "Deleted " + m.id);
        refetchAll();
      }, showBanner);
    });
  }

  /* == queue rules ================================================================================= */

  var rulesForm = $("rules-form"), rulesDirty = false, rulesBase = null;

  function rulesNow() {
    var c = conf(), q = c.queue || {}, h = c.hall || {};
    return { green_ratio: q.green_ratio || 0, max_wait_minutes: q.max_wait_minutes || 0,
             device_offline_after_s: h.device_offline_after_s || 60 };
  }

  function renderRules() {
    if (!rulesForm || !cfg) return;
    var now = rulesNow();
    if (!rulesDirty) {
      setNumber($("rules-ratio"), now.green_ratio);
      setNumber($("rules-maxwait"), now.max_wait_minutes);
      setNumber($("rules-offline"), now.device_offline_after_s);
      rulesBase = now;
      $("rules-changed").hidden = true;
    } else {
      $("rules-changed").hidden = JSON.stringify(now) === JSON.stringify(rulesBase);
    }
  }

  if (rulesForm) {
    each(rulesForm.querySelectorAll("input"), function (i) { i.addEventListener("input", function () { rulesDirty = true; }); });
    rulesForm.addEventListener("submit", function (e) {
      e.preventDefault();
      busyForm(rulesForm, true);
      // The newest hall, so that a change made meanwhile elsewhere is not put back.
      loadConfig().then(saveRules, function (err) { busyForm(rulesForm, false); showProblems(rulesForm, err); });
    });
  }

  function saveRules() {
    var data = copy(conf());
    data.queue = data.queue || {};
    data.hall = data.hall || {};
    [["rules-ratio", data.queue, "green_ratio"], ["rules-maxwait", data.queue, "max_wait_minutes"],
     ["rules-offline", data.hall, "device_offline_after_s"]].forEach(function (f) {
      var v = numberOf($(f[0]));
      if (v === null) delete f[1][f[2]]; else f[1][f[2]] = v;
    });
    // The whole hall, as GET /api/admin/config gave it, with the three values changed.
    return api("PUT", "/api/admin/config", data).then(function () {
      busyForm(rulesForm, false);
      rulesDirty = false;
      clearProblems(rulesForm);
      toast("叫号规则已保存，立即生效", "Queue rules saved: they apply now");
      refetchAll();
    }, function (err) {
      busyForm(rulesForm, false);
      showProblems(rulesForm, err);
    });
  }

  /* == the hall: its name, departments and announcer ================================================ */

  /* Sent like the queue rules: the whole hall from GET /api/admin/config with this tab's parts
     changed, so that the hub's own checks (a department still used by a service, a sentence
     without {number}) are the only ones, and its refusals come back with their key paths. */
  var hallForm = $("hall-form"), hallDirty = false, hallBase = null;
  var depList = [];  // rows: {id, zh, en, isNew, removed}
  var depSent = [];  // the rows in the order of the departments last sent (for `departments[i]`)
  var LANGS = ["zh", "en"];

  function hallNow() {
    var c = conf(), a = c.announcer || {}, name = (c.hall || {}).name || {};
    return {
      name: { zh: name.zh || "", en: name.en || "" },
      departments: (c.departments || []).map(function (d) { return { id: d.id, zh: tr(d.name, "zh"), en: tr(d.name, "en") }; }),
      enabled: a.enabled !== false, languages: (a.languages || []).slice(), repeat: a.repeat || 1,
      templates: a.templates || {}, voices: a.voices || {}
    };
  }

  function depRow(d, k) {
    var li = el("li", "row dep-row" + (d.removed ? " removed" : ""));
    li.setAttribute("data-path", "departments[" + k + "]");
    li.setAttribute("data-department", d.id);
    li.appendChild(el("span", "row-n", k + 1));
    var body = el("div", "row-body pair-row");
    [["id", ["部门编号", "Department id"], { maxlength: "64", autocapitalize: "none", spellcheck: "false" }],
     ["zh", ["部门名称（中文）", "Department name (Chinese)"], { maxlength: "100" }],
     ["en", ["部门名称（英文）", "Department name (English)"], { maxlength: "150", lang: "en" }]].forEach(function (f) {
      var box = el("div", "sub-field" + (f[0] === "id" ? " dep-id" : ""));
      box.setAttribute("data-path", "departments[" + k + "]" + (f[0] === "id" ? ".id" : ".name." + f[0]));
      var input = textInput(d[f[0]], f[1], "", f[2]);
      input.setAttribute("data-key", f[0]);
      if (f[0] === "id" && !d.isNew) input.readOnly = true;  // services name it
      input.disabled = !!d.removed;
      input.addEventListener("input", function () { d[f[0]] = input.value; hallDirty = true; });
      box.appendChild(input);
      body.appendChild(box);
    });
    li.appendChild(body);
    var tools = el("div", "row-tools");
    tools.appendChild(button(d.removed ? ["保留", "Keep"] : ["删除", "Remove"], "btn-secondary btn-remove", function () {
      if (d.isNew) depList.splice(k, 1);
      else d.removed = !d.removed;
      hallDirty = true;
      renderDepartments();
      var again = $("hall-departments").children[Math.min(k, depList.length - 1)];
      (again ? again.querySelector("[data-remove]") : $("hall-dep-add")).focus();
    }, { "data-remove": d.id || "", "aria-pressed": d.removed ? "true" : "false" }));
    li.appendChild(tools);
    if (d.removed) li.appendChild(bi("保存后删除", "Removed when saved", "dep-gone"));
    return li;
  }

  function renderDepartments() {
    var ol = $("hall-departments");
    ol.textContent = "";
    depList.forEach(function (d, k) { ol.appendChild(depRow(d, k)); });
  }

  function renderHallTab() {
    if (!hallForm || !cfg) return;
    var now = hallNow();
    if (hallDirty) {
      $("hall-changed").hidden = JSON.stringify(now) === JSON.stringify(hallBase);
      return;
    }
    hallBase = now;
    $("hall-changed").hidden = true;
    $("hall-name-zh").value = now.name.zh;
    $("hall-name-en").value = now.name.en;
    depList = now.departments.map(function (d) { return { id: d.id, zh: d.zh, en: d.en, isNew: false, removed: false }; });
    renderDepartments();
    $("ann-enabled").checked = now.enabled;
    $("ann-repeat").value = String(now.repeat);
    each($("ann-languages").querySelectorAll("input"), function (i) { i.checked = now.languages.indexOf(i.value) >= 0; });
    LANGS.forEach(function (l) {
      $("ann-template-" + l).value = now.templates[l] || "";
      $("ann-voice-" + l).value = now.voices[l] || "";
    });
  }

  /* A service still in a removed department is refused on the service ("services.x.department:
     'land' is not a department id"): one note on the department's row instead, naming its
     services and saying what to do. */
  function departmentRefusals(errors) {
    var byDep = {}, out = [];
    (errors || []).forEach(function (p) {
      var used = /^services(?:\.([^.\[]+)|\[(\d+)\])\.department$/.exec(p.path || "");
      var gone = /'([^']+)' is not a department id/.exec(p.message || "");
      var k = -1;
      if (used && gone) depList.forEach(function (d, i) { if (d.id === gone[1] && d.removed) k = i; });
      if (k < 0) { out.push(p); return; }
      var sid = used[1] || ((conf().services || [])[Number(used[2])] || {}).id || "";
      if (!byDep[k]) {
        byDep[k] = { path: "departments[" + k + "]", local: true, names: [] };
        out.push(byDep[k]);
      }
      byDep[k].names.push(serviceName(sid));
    });
    Object.keys(byDep).forEach(function (k) {
      var r = byDep[k], n = r.names.length, some = r.names.slice(0, 3);
      var more = n > 3 ? ["等 " + n + " 项业务", " and " + (n - 3) + " more"] : ["", ""];
      r.message_zh = "“" + some.map(function (x) { return tr(x, "zh"); }).join("”“") + "”" + more[0] +
        "仍属于此部门，不能删除：请先把这些业务改到其他部门";
      r.message = "'" + some.map(function (x) { return tr(x, "en"); }).join("', '") + "'" + more[1] +
        (n > 1 ? " are" : " is") + " still in this department, so it cannot be removed: move " +
        (n > 1 ? "them" : "it") + " first";
    });
    return out;
  }

  /* A key path of the whole hall as a field of this form: a department by its index in the list
     sent or by its id, as the row it was sent from. */
  function hallLocal(path, p) {
    if (p.local) return path;
    var m = /^departments(?:\[(\d+)\]|\.([^.\[]+))(.*)$/.exec(path);
    if (!m) return path;
    var row = m[1] !== undefined ? depSent[Number(m[1])]
                                 : depSent.filter(function (d) { return d.id === m[2]; })[0];
    var k = depList.indexOf(row);
    return k >= 0 ? "departments[" + k + "]" + m[3] : "departments";
  }

  if (hallForm) {
    each(hallForm.querySelectorAll("input, select"), function (i) {
      i.addEventListener("input", function () { hallDirty = true; });
      i.addEventListener("change", function () { hallDirty = true; });
    });
    $("hall-dep-add").addEventListener("click", function () {
      hallDirty = true;
      depList.push({ id: "", zh: "", en: "", isNew: true, removed: false });
      renderDepartments();
      $("hall-departments").lastChild.querySelector("input").focus();
    });
    $("hall-reset").addEventListener("click", function () {
      hallDirty = false;
      clearProblems(hallForm);
      renderHallTab();
    });
    hallForm.addEventListener("submit", function (e) {
      e.preventDefault();
      busyForm(hallForm, true);
      // The newest hall, so that a change made meanwhile elsewhere is not put back.
      loadConfig().then(saveHallTab, function (err) { busyForm(hallForm, false); showProblems(hallForm, err); });
    });
  }

  function saveHallTab() {
    var data = copy(conf());
    data.hall = data.hall || {};
    data.hall.name = { zh: $("hall-name-zh").value.trim(), en: $("hall-name-en").value.trim() };
    depSent = depList.filter(function (d) { return !d.removed; });
    data.departments = depSent.map(function (d) {
      return { id: d.id.trim(), name: { zh: d.zh.trim(), en: d.en.trim() } };
    });
    var a = data.announcer = data.announcer || {};
    a.enabled = $("ann-enabled").checked;
    a.repeat = Number($("ann-repeat").value);
    a.languages = checkedValues($("ann-languages"));
    a.templates = copy(a.templates || {});
    a.voices = copy(a.voices || {});
    LANGS.forEach(function (l) {
      // Empty: the built-in sentence and the default voice, which the hall keeps no key for.
      var t = $("ann-template-" + l).value.trim(), v = $("ann-voice-" + l).value.trim();
      if (t) a.templates[l] = t; else delete a.templates[l];
      if (v) a.voices[l] = v; else delete a.voices[l];
    });
    return api("PUT", "/api/admin/config", data).then(function () {
      busyForm(hallForm, false);
      hallDirty = false;
      clearProblems(hallForm);
      toast("大厅设置已保存", "The hall's settings are saved");
      refetchAll();
    }, function (err) {
      busyForm(hallForm, false);
      err.errors = departmentRefusals(err.errors);
      showProblems(hallForm, err, hallLocal);
    });
  }

  /* == audit log =================================================================================== */

  /* The page shows the log newest first: GET /api/admin/audit?before=N answers the entries
     below N, newest first. Numbers run 1, 2, 3 … without gaps, so page i of the log as it stood
     at its first page's load starts below (newest + 1 − i·size). */
  var NEWEST = Number.MAX_SAFE_INTEGER;  // above any entry (the hub takes up to 2^62)

  function loadAudit(page) {
    if (!$("audit-rows")) return Promise.resolve();
    audit.stale = false;
    var before = page === 0 || !audit.newest ? NEWEST : audit.newest + 1 - page * AUDIT_PAGE;
    return api("GET", "/api/admin/audit?before=" + before + "&limit=" + AUDIT_PAGE).then(function (resp) {
      var entries = resp.entries || [];
      if (page === 0) audit.newest = entries.length ? entries[0].seq : 0;
      audit.page = page;
      audit.entries = entries;
      audit.hasOlder = entries.length > 0 && entries[entries.length - 1].seq > 1;
      renderAudit();
    }).catch(function (err) { audit.stale = true; showBanner(err); });
  }

  function actorWords(a) {
    a = a || {};
    var kind = label(ACTOR, a.kind);
    if (a.kind === "staff") {
      var name = staffName(a.id);
      return [(name ? name + "（" + a.id + "）" : a.id), a.id || ""];
    }
    if (a.id && a.kind !== "citizen") return [kind[0] + " " + a.id, kind[1] + " " + a.id];
    return kind;
  }

  function flatten(value, path, out) {
    if (value !== null && typeof value === "object" && !(Array.isArray(value) && value.every(function (x) { return x === null || typeof x !== "object"; }))) {
      Object.keys(value).forEach(function (k) {
        flatten(value[k], Array.isArray(value) ? path + "[" + k + "]" : (path ? path + "." + k : k), out);
      });
      if (!Object.keys(value).length) out[path] = JSON.stringify(value);
    } else {
      out[path] = JSON.stringify(value);
    }
    return out;
  }

  /* A leaf as the staff read it: a text without JSON's quotes, the rest as JSON; long ones cut. */
  function short(json) {
    var s = json === undefined ? "" : String(json);
    if (s.charAt(0) === '"') { try { s = JSON.parse(s); } catch (_) { /* shown as it is */ } }
    return s.length > 48 ? s.slice(0, 47) + "…" : s;
  }

  /* A compact before → after: the leaves that differ, a few of them. */
  function diffNode(before, after) {
    var box = el("div", "diff");
    if ((before === null || before === undefined) && (after === null || after === undefined)) return box;
    var a = before == null ? {} : flatten(before, "", {}), b = after == null ? {} : flatten(after, "", {});
    var keys = Object.keys(a).concat(Object.keys(b).filter(function (k) { return !(k in a); }));
    var changed = keys.filter(function (k) { return a[k] !== b[k]; });
    if (before === null || before === undefined) box.appendChild(badge(["新增", "New"], "badge-on"));
    if (after === null || after === undefined) box.appendChild(badge(["移除", "Removed"], "badge-off"));
    changed.slice(0, 6).forEach(function (k) {
      var line = el("div", "diff-line");
      if (k) line.appendChild(el("span", "diff-key", k));
      if (k in a && a[k] !== "null") line.appendChild(el("del", "diff-old", short(a[k])));
      line.appendChild(el("span", "diff-arrow", "→"));
      line.appendChild(k in b && b[k] !== "null" ? el("ins", "diff-new", short(b[k])) : el("span", "diff-none", "∅"));
      box.appendChild(line);
    });
    if (changed.length > 6) box.appendChild(bi("还有 " + (changed.length - 6) + " 项", (changed.length - 6) + " more", "diff-more"));
    return box;
  }

  function renderAudit() {
    var tbody = $("audit-rows");
    if (!tbody) return;
    tbody.textContent = "";
    if (!audit.entries.length) emptyRow(tbody, 5, ["暂无记录", "Nothing recorded yet"]);
    audit.entries.forEach(function (e) {
      var row = el("tr");
      row.setAttribute("data-seq", e.seq);
      row.setAttribute("data-action", e.action);
      cell(row, hallTime(e.at, true), "when");
      var who = actorWords(e.actor);
      cell(row, bi(who[0], who[1]));
      var act = ACTION[e.action];
      var actCell = cell(row, act ? pair(act) : e.action);
      if (act) actCell.appendChild(el("div", "muted-id", e.action));
      cell(row, e.target || "—", "ids");
      cell(row, diffNode(e.before, e.after));
      tbody.appendChild(row);
    });
    $("audit-newer").disabled = audit.page === 0;
    $("audit-older").disabled = !audit.hasOlder;
    setBi($("audit-where"), "第 " + (audit.page + 1) + " 页", "Page " + (audit.page + 1));
  }

  if ($("audit-rows")) {
    $("audit-newer").addEventListener("click", function () { if (audit.page > 0) loadAudit(audit.page - 1); });
    $("audit-older").addEventListener("click", function () { loadAudit(audit.page + 1); });
  }

  var refetchAudit = H.debounced(function () {
    if (current !== "audit") { audit.stale = true; return; }
    if (audit.page === 0) return loadAudit(0);
  }, 500);

  /* == loading and following the hall =============================================================== */

  function renderAll() {
    renderFloor();
    renderServices();
    renderWindowsSetup();
    renderNotices();
    renderDevices();
    renderStaff();
    renderRules();
    renderHallTab();
  }

  function loadHall() {
    return api("GET", "/api/hall").then(function (h) {
      hall = h;
      loadedAt = Date.now();
      return h;
    });
  }

  function loadConfig() {
    if (!isAdmin) return Promise.resolve(null);
    return api("GET", "/api/admin/config").then(function (c) { cfg = c; return c; });
  }

  function failed(err) {
    if (err.status === 401 || err.status === 403) showBanner(err);
  }

  var refetchHall = H.debounced(function () {
    return loadHall().then(renderAll, failed);
  }, 150);

  function servicesByWindow() {
    var out = {};
    (hall ? hall.windows : []).forEach(function (w) { out[w.id] = JSON.stringify(w.services || []); });
    return out;
  }

  var refetchAll = H.debounced(function () {
    var before = servicesByWindow();
    return Promise.all([loadHall(), loadConfig()]).then(function () {
      renderAll();
      if (floorLoaded) {
        // A window's line changes with its services: a window new or serving others is fetched.
        var now = servicesByWindow();
        var changed = Object.keys(now).filter(function (id) { return now[id] !== before[id]; });
        if (changed.length) markFloor(changed);
      }
      if (current === "audit" && audit.page === 0) loadAudit(0);
      else audit.stale = true;
    }, failed);
  }, 150);

  function windowsServing(serviceId) {
    return (hall ? hall.windows : []).filter(function (w) { return (w.services || []).indexOf(serviceId) >= 0; })
      .map(function (w) { return w.id; });
  }

  // The day's unsatisfied ratings to follow up, beside the floor (follow_up.js).
  var followUp = $("follow-up") ? H.followUp($("follow-up"), function () { return hall && hall.hall.day; }) : null;

  function onEvent(d) {
    var type = d.type || "";
    if (followUp) followUp.onEvent(d);
    if (type === "hall.changed") {
      if (!cfg || !d.version || d.version > cfg.version || !isAdmin) refetchAll();
      return;
    }
    if (type === "day.reset") { refetchAll(); return; }
    refetchAudit();
    if (type === "notices.changed" || type === "device.status" || type === "window.status" || type.indexOf("ticket.") === 0) {
      refetchHall();
    }
    var touched = [];
    if (d.window && d.window.id) touched.push(d.window.id);
    if (d.ticket && d.ticket.service) touched = touched.concat(windowsServing(d.ticket.service));
    if (d.from_service) touched = touched.concat(windowsServing(d.from_service));
    if (touched.length) markFloor(touched);
  }

  function onConnection(state) {
    H.setConnection($("conn"), state);
    $("offline").hidden = state !== "reconnecting";
  }

  /* Labels the language switch cannot reach by CSS: a select's options, inputs' aria-labels. */
  function relabel() {
    each(document.querySelectorAll("option"), function (o) {
      if (!o.hasAttribute("data-zh") && o.textContent.indexOf(" / ") > 0) {
        var parts = o.textContent.split(" / ");
        o.setAttribute("data-zh", parts[0]);
        o.setAttribute("data-en", parts.slice(1).join(" / "));
      }
      if (o.hasAttribute("data-zh")) o.textContent = o.getAttribute(lang === "en" ? "data-en" : "data-zh");
    });
    each(document.querySelectorAll("[data-label-zh]"), function (i) {
      i.setAttribute("aria-label", i.getAttribute(lang === "en" ? "data-label-en" : "data-label-zh"));
    });
    if (svcForm && !svcForm.hidden) fillDepartments($("svc-department").value);
    if (winForm && !winForm.hidden) fillServicePick();
    renderFloor();  // the call buttons' labels name the window
  }

  var lang = H.langSwitch($("lang"), function (l) { lang = l; relabel(); });
  relabel();

  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape" || dialog.open) return;
    var open = Array.prototype.filter.call(document.querySelectorAll("form.editor[id$='-form']"), function (f) {
      return !f.hidden && f.contains(document.activeElement) && f.querySelector("[data-cancel]") && f.id !== "notice-form";
    })[0];
    if (open) { e.preventDefault(); open.querySelector("[data-cancel]").click(); }
  });

  function start(attempt) {
    H.setConnection($("conn"), attempt ? "reconnecting" : "connecting");
    Promise.all([loadHall(), loadConfig()]).then(function () {
      renderAll();
      var first = window.location.hash.slice(1);
      show(first || (sections[0] && sections[0].getAttribute("data-section")));
      if (followUp) followUp.reload();
      H.openStream(hall.last_event, { event: onEvent, state: onConnection, reopened: function () {
        refetchAll();
        if (followUp) followUp.reload();
      } });
    }).catch(function (err) {
      if (err.status === 401 || err.status === 403) { showBanner(err); return; }
      $("offline").hidden = false;
      setTimeout(function () { start(attempt + 1); }, Math.min(30000, 1000 * Math.pow(2, attempt)));
    });
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && hall) refetchAll();
  });

  start(0);
})();
