/* The clerk console (/console/<window>): the window's current ticket, its line and today's
   figures, with the clerk's actions as buttons and keys. State comes from GET /api/windows/<id>;
   actions are the API's window actions, sent with the session's CSRF token; the event stream
   triggers one debounced refetch when an event touches this window or a service it serves.
   The sign-in, chooser and message pages load this file only for the language switch. */
(function () {
  "use strict";
  var H = window.Hall, el = H.el, bi = H.bi, setBi = H.setBi, tr = H.tr;
  var $ = function (id) { return document.getElementById(id); };

  var lang = H.langSwitch($("lang"), function (l) { lang = l; if (sheet === "transfer") fillTargets(); });
  var windowId = document.body.getAttribute("data-window");
  if (!windowId) return;

  var csrf = document.body.getAttribute("data-csrf") || "";
  var base = "/api/windows/" + encodeURIComponent(windowId);

  var view = null;                 // the latest GET /api/windows/<id>
  var services = {}, departments = [], serves = {};
  var busy = false, sheet = null, clockOffset = null, infoTimer = null, ticks = 0;

  var RATINGS = {
    satisfied: ["满意", "satisfied"], basic: ["基本满意", "fairly satisfied"],
    unsatisfied: ["不满意", "unsatisfied"]
  };
  // One wording for a closed window wherever it shows (header, card, the overview's tiles):
  // closed is for the rest of the hall day, and only a supervisor reopens it.
  var WINDOW_STATUS = H.WINDOW_STATUS;
  var TICKET_STATUS = { called: ["已叫号，等候到场", "Called — waiting for the citizen"], serving: ["办理中", "Serving"] };
  // Keys, lower-cased; Space and N both call the next ticket.
  var KEYS = { n: "call-next", " ": "call-next", r: "recall", s: "start", f: "finish",
               x: "no-show", t: "transfer", p: "pause", o: "open" };
  var SHEETS = { finish: true, "no-show": true, transfer: true };

  /* -- state ---------------------------------------------------------------------------------- */

  function now() { return Date.now() + (clockOffset || 0); }

  function current() {
    var c = view && view.window.current;
    return c && (c.status === "called" || c.status === "serving") ? c : null;
  }

  function serviceName(id) {
    var s = services[id];
    return s ? s.name : { zh: id, en: id };
  }

  function transferTargets(cur) {
    return Object.keys(services).filter(function (id) { return !cur || id !== cur.service; });
  }

  function pauseAction() {
    return view && view.window.status !== "open" ? "resume" : "pause";
  }

  /* Whether an action fits the window now: the hub says, by its rules (allowed_actions of
     GET /api/windows/<id>), so this page keeps no copy of them. Until the refetch after an
     action the list is the one before it: a press it lets through is refused by the hub. */
  function fits(action) {
    return !!view && view.allowed_actions.indexOf(action) >= 0;
  }

  function allowed(action) { return !busy && fits(action); }

  /* What the hub says this session may do beyond the window's own actions (a supervisor's). */
  function may(what) { return !!(view && view.may && view.may[what]); }

  /* A chosen ticket of the line can be called when call-next could call at all. */
  function mayCallChosen() { return may("call_chosen") && !!view && view.window.status === "open"; }

  /* -- rendering ------------------------------------------------------------------------------ */

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function duration(ms) {
    var s = Math.max(0, Math.floor(ms / 1000)), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    return (h ? h + ":" + pad(m) : String(m)) + ":" + pad(s % 60);
  }

  function render() {
    if (!view) return;
    renderWindow();
    renderCurrent();
    renderQueue();
    renderToday();
    renderButtons();
  }

  function renderWindow() {
    var status = view.window.status, label = WINDOW_STATUS[status] || [status, status];
    var pill = $("win-status");
    pill.setAttribute("data-status", status);
    setBi(pill, label[0], label[1]);
  }

  function renderCurrent() {
    var cur = current();
    $("cur").setAttribute("data-status", cur ? cur.status : "none");
    $("cur-number").textContent = cur ? cur.number : "—";
    if (cur) {
      var name = serviceName(cur.service);
      setBi($("cur-service"), tr(name, "zh"), tr(name, "en"));
    } else if (view.window.status === "closed") {
      if (fits("open")) setBi($("cur-service"), "已关闭（今日）：您可重新开启本窗口", "Closed for today: you can reopen it");
      else setBi($("cur-service"), "已关闭（今日）：可由值班主任重新开启", "Closed for today: a supervisor can reopen it");
    } else if (view.window.status !== "open") {
      setBi($("cur-service"), "窗口暂停中，恢复后方可叫号", "The window is paused: resume it to call");
    } else {
      setBi($("cur-service"), "当前没有叫号", "No ticket at the window");
    }
    var state = cur && TICKET_STATUS[cur.status];
    $("cur-state").hidden = !state;
    if (state) setBi($("cur-state"), state[0], state[1]);
    $("cur-green").hidden = !(cur && cur.priority === "green");
    renderTimer();
  }

  function renderTimer() {
    var cur = current();
    var since = cur ? Date.parse(cur.status === "serving" ? (cur.started_at || cur.called_at) : cur.called_at) : NaN;
    $("cur-timer").textContent = isNaN(since) ? "" : duration(now() - since);
    if (!cur) setBi($("cur-timer-label"), "", "");
    else if (cur.status === "serving") setBi($("cur-timer-label"), "办理用时", "Serving for");
    else setBi($("cur-timer-label"), "叫号后已过", "Called");
  }

  function renderQueue() {
    var list = $("queue"), t0 = now(), choose = may("call_chosen");
    // Re-rendered every few seconds: a "call this one" reached with the Tab key keeps the focus.
    var focused = document.activeElement && list.contains(document.activeElement)
      ? document.activeElement.getAttribute("data-number") : null;
    list.textContent = "";
    list.classList.toggle("queue-choose", choose);
    view.queue.forEach(function (t, i) {
      var li = el("li", "q-item" + (t.priority === "green" ? " q-green" : ""));
      li.appendChild(el("span", "q-pos", i + 1));
      li.appendChild(el("span", "q-num", t.number));
      var name = serviceName(t.service);
      var svc = bi(tr(name, "zh"), tr(name, "en"), "q-svc");
      li.appendChild(svc);
      var marks = el("span", "q-marks");
      if (t.priority === "green") marks.appendChild(bi("绿色通道", "Green", "badge badge-green"));
      if (t.transfers) marks.appendChild(bi("转入", "Transferred", "badge badge-info"));
      li.appendChild(marks);
      var waited = Math.max(0, Math.floor((t0 - Date.parse(t.issued_at)) / 60000));
      li.appendChild(bi("已等 " + waited + " 分钟", "waited " + waited + " min", "q-wait"));
      if (choose) {
        var b = el("button", "q-call");
        b.type = "button";
        b.setAttribute("data-number", t.number);
        b.appendChild(el("span", "zh", "叫此号"));
        var en = el("span", "en", "Call this one");
        en.setAttribute("lang", "en");
        b.appendChild(en);
        b.setAttribute("aria-label", (lang === "en" ? "Call " : "叫号 ") + t.number);
        b.disabled = busy || !mayCallChosen();
        li.appendChild(b);
      }
      list.appendChild(li);
    });
    if (focused) {
      var again = list.querySelector('button[data-number="' + focused + '"]');
      if (again) again.focus();
    }
    var n = view.waiting;
    setBi($("queue-count"), "共 " + n + " 人", n + (n === 1 ? " person" : " people"));
    $("queue-empty").hidden = n > 0;
    var more = n - view.queue.length;
    $("queue-more").hidden = more <= 0;
    if (more > 0) setBi($("queue-more"), "另有 " + more + " 人未列出", more + " more not listed");
  }

  function renderToday() {
    var f = view.today || {};
    ["called", "served", "no_show", "transferred"].forEach(function (k) {
      $("f-" + k).textContent = f[k] == null ? "–" : f[k];
    });
    $("f-avg").textContent = f.avg_service_s == null ? "–" : duration(f.avg_service_s * 1000);
    Object.keys(RATINGS).forEach(function (k) {
      $("f-" + k).textContent = (f.ratings && f.ratings[k]) || 0;
    });
  }

  function renderButtons() {
    var pause = $("pause-btn"), p = pauseAction(), closed = !!view && view.window.status === "closed";
    pause.setAttribute("data-action", p);
    setBi(pause, p === "pause" ? "暂停" : "恢复", p === "pause" ? "Pause" : "Resume");
    // Closed for the day: resuming is not the way back; a supervisor's page offers reopening.
    pause.hidden = closed;
    $("open-btn").hidden = !(closed && fits("open"));
    Array.prototype.forEach.call(document.querySelectorAll("#queue .q-call"), function (b) {
      b.disabled = busy || !mayCallChosen();
    });
    Array.prototype.forEach.call(document.querySelectorAll("#actions [data-action]"), function (b) {
      b.disabled = !allowed(b.getAttribute("data-action"));
    });
    Array.prototype.forEach.call(document.querySelectorAll(".sheet button"), function (b) {
      b.disabled = busy || (b.hasAttribute("data-transfer") && !$("transfer-to").value);
    });
    // Someone else (a call button, another tablet) changed the window under an open choice.
    if (sheet && !fits(sheet)) closeSheet();
  }

  /* -- messages ------------------------------------------------------------------------------- */

  function showInfo(pair) {
    $("error").hidden = true;
    var box = $("info");
    setBi(box, pair[0], pair[1]);
    box.hidden = false;
    clearTimeout(infoTimer);
    infoTimer = setTimeout(function () { box.hidden = true; }, 10000);
  }

  function showError(err) {
    var zh = err.message_zh || "操作未能完成", en = err.message || "The action could not be done";
    if (err.status === 0) {
      zh = "无法连接服务器，请检查网络后重试";
      en = "Can't reach the hub; check the network and try again";
    } else if (err.status === 401) {
      zh = "登录已失效，请重新登录";
      en = "Your session has ended; please sign in again";
    } else if (err.status >= 500) {
      zh = "服务器出错，请稍后重试或联系管理员";
      en = "The hub had a problem; try again or call the administrator";
    }
    $("info").hidden = true;
    var box = $("error");
    setBi(box, zh, en);
    box.hidden = false;
    if (err.status === 401) {
      setTimeout(function () {
        window.location.assign("/console/login?window=" + encodeURIComponent(windowId));
      }, 1500);
    }
  }

  /* -- the choices that need a second step ------------------------------------------------------ */

  function openSheet(name) {
    var cur = current();
    sheet = name;
    $("actions").hidden = true;
    var box = $("sheet-" + name), q = box.querySelector(".sheet-q");
    if (name === "finish") setBi(q, "办结 " + cur.number + "：请选择群众评价", "Finish " + cur.number + ": the citizen's rating");
    if (name === "no-show") setBi(q, cur.number + " 未到场：", cur.number + " did not come:");
    if (name === "transfer") {
      setBi(q, "将 " + cur.number + " 转至其他业务（保留号码和取号时间）",
            "Transfer " + cur.number + " to another service (keeps its number and place in time)");
      fillTargets();
    }
    box.hidden = false;
    renderButtons();
    if (name === "transfer") $("transfer-to").focus();
  }

  function closeSheet() {
    if (!sheet) return;
    $("sheet-" + sheet).hidden = true;
    sheet = null;
    $("actions").hidden = false;
  }

  function fillTargets() {
    var select = $("transfer-to"), chosen = select.value, cur = current();
    select.textContent = "";
    var prompt = el("option", null, lang === "en" ? "Choose a service…" : "请选择业务…");
    prompt.value = "";
    prompt.disabled = true;
    select.appendChild(prompt);
    departments.forEach(function (d) {
      var group = el("optgroup");
      group.label = tr(d.name, lang);
      transferTargets(cur).forEach(function (id) {
        var s = services[id];
        if (s.department !== d.id) return;
        var o = el("option", null, s.prefix + " · " + tr(s.name, lang));
        o.value = id;
        group.appendChild(o);
      });
      if (group.children.length) select.appendChild(group);
    });
    select.value = chosen && services[chosen] && (!cur || chosen !== cur.service) ? chosen : "";
    renderButtons();
  }

  /* -- actions -------------------------------------------------------------------------------- */

  function done(action, body, resp) {
    var t = resp.ticket, n = t ? t.number : "";
    switch (action) {
      case "call-next": return t ? ["已叫号 " + n, "Called " + n] : ["当前无人等候", "Nobody is waiting"];
      case "recall": return ["已重呼 " + n, "Called " + n + " again"];
      case "start": return ["开始办理 " + n, "Serving " + n];
      case "finish":
        var r = body && RATINGS[body.rating];
        return r ? [n + " 已办结（" + r[0] + "）", n + " finished (" + r[1] + ")"] : [n + " 已办结", n + " finished"];
      case "no-show":
        return body.requeue ? [n + " 已过号，重新排队", n + " is back in line"] : [n + " 已记为过号", n + " marked no-show"];
      case "transfer":
        var s = serviceName(body.service);
        return [n + " 已转至" + tr(s, "zh"), n + " transferred to " + tr(s, "en")];
      case "call": return ["已叫号 " + n + "（指定）", "Called " + n + " (chosen)"];
      case "pause": return ["窗口已暂停，暂不叫号", "Window paused: nobody is called"];
      case "resume": return ["窗口已恢复", "Window open again"];
      case "open": return ["窗口已重新开启", "Window reopened"];
    }
    return ["", ""];
  }

  function act(action, body) {
    if (busy) return;
    busy = true;
    renderButtons();
    H.postJSON(base + "/" + action, body, { "X-CSRF-Token": csrf }).then(function (resp) {
      busy = false;
      closeSheet();
      if (resp && resp.window) view.window = resp.window;
      if ((action === "call-next" || action === "call") && resp.ticket) {
        // Until the refetch: the called ticket has left the line.
        view.queue = view.queue.filter(function (t) { return t.id !== resp.ticket.id; });
        view.waiting = Math.max(0, view.waiting - 1);
      }
      showInfo(done(action, body, resp || {}));
      render();
      refetch();
    }, function (err) {
      busy = false;
      showError(err);
      renderButtons();
      refetch();  // another device may have acted: show the window as it now is
    });
  }

  function press(action) {
    if (!allowed(action)) return;
    if (SHEETS[action]) openSheet(action);
    else act(action);
  }

  // After a tap or click a button lets go of the focus, so Space goes on meaning "call next"
  // (a button reached with the Tab key keeps it, and Space presses that button, as everywhere).
  document.addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest("button");
    if (b && e.detail > 0) b.blur();
  });

  $("actions").addEventListener("click", function (e) {
    var b = e.target.closest("button[data-action]");
    if (!b || b.disabled) return;
    press(b.getAttribute("data-action"));
  });

  $("queue").addEventListener("click", function (e) {
    var b = e.target.closest("button[data-number]");
    if (!b || b.disabled || busy || !mayCallChosen()) return;
    act("call", { number: b.getAttribute("data-number") });
  });

  function rate(rating) {
    act("finish", rating ? { rating: rating } : undefined);
  }

  function transfer() {
    var to = $("transfer-to").value;
    if (to) act("transfer", { service: to });
  }

  Array.prototype.forEach.call(document.querySelectorAll(".sheet"), function (box) {
    box.addEventListener("click", function (e) {
      var b = e.target.closest("button");
      if (!b || b.disabled) return;
      if (b.hasAttribute("data-close")) closeSheet();
      else if (b.hasAttribute("data-rating")) rate(b.getAttribute("data-rating"));
      else if (b.hasAttribute("data-requeue")) act("no-show", { requeue: b.getAttribute("data-requeue") === "true" });
      else if (b.hasAttribute("data-transfer")) transfer();
    });
  });
  $("transfer-to").addEventListener("change", renderButtons);

  /* -- keys ----------------------------------------------------------------------------------- */

  function sheetKey(key) {
    if (busy) return true;
    if (sheet === "finish") {
      var ratings = { "1": "satisfied", "2": "basic", "3": "unsatisfied", "0": "" };
      if (key in ratings) { rate(ratings[key]); return true; }
    } else if (sheet === "no-show") {
      if (key === "1" || key === "2") { act("no-show", { requeue: key === "2" }); return true; }
    } else if (sheet === "transfer" && key === "Enter") {
      transfer();
      return true;
    }
    return false;
  }

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || e.repeat || e.isComposing) return;
    var target = e.target, tag = target && target.tagName;
    var typing = tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || !!(target && target.isContentEditable);
    var key = e.key && e.key.length === 1 ? e.key.toLowerCase() : e.key;
    if (sheet) {
      if (key === "Escape") { e.preventDefault(); closeSheet(); return; }
      if (typing && !(sheet === "transfer" && key === "Enter")) return;
      if (sheetKey(key)) e.preventDefault();
      return;
    }
    if (typing) return;
    var action = KEYS[key];
    if (!action) return;
    // A button or link that has the focus takes Space and Enter itself, as everywhere.
    if (key === " " && (tag === "BUTTON" || tag === "A")) return;
    e.preventDefault();
    press(action === "pause" ? pauseAction() : action);
  });

  /* -- loading and the live stream ---------------------------------------------------------------- */

  function applyHall(h) {
    services = H.byId(h.services);
    departments = h.departments || [];
  }

  function loadView() {
    return H.getJSON(base).then(function (v) {
      view = v;
      serves = {};
      (v.window.services || []).forEach(function (id) { serves[id] = true; });
      var server = Date.parse(v.time);
      if (!isNaN(server)) {
        var offset = server - Date.now();
        // The hub's time has whole seconds: keep the first offset unless the clocks really moved.
        if (clockOffset === null || Math.abs(offset - clockOffset) > 2000) clockOffset = offset;
      }
      render();
      return v;
    }, function (err) {
      if (err.status === 401 || err.status === 403) showError(err);
      throw err;
    });
  }

  var refetch = H.debounced(loadView, 150);

  function touches(d) {
    if (d.type === "day.reset") return true;
    if (d.window && d.window.id === windowId) return true;
    var t = d.ticket;
    return !!((t && serves[t.service]) || (d.from_service && serves[d.from_service]));
  }

  function onEvent(d) {
    if (d.type === "day.reset") H.getJSON("/api/hall").then(applyHall).catch(function () {});
    if (touches(d)) refetch();
  }

  function onConnection(state) {
    H.setConnection($("conn"), state);
    $("offline").hidden = state !== "reconnecting";
  }

  function start(attempt) {
    H.setConnection($("conn"), attempt ? "reconnecting" : "connecting");
    H.getJSON("/api/hall").then(function (h) {
      applyHall(h);
      return loadView();
    }).then(function (v) {
      H.openStream(v.last_event, { event: onEvent, state: onConnection, reopened: refetch });
    }).catch(function (err) {
      if (err.status === 401 || err.status === 403) return;  // shown; nothing to retry
      $("offline").hidden = false;
      setTimeout(function () { start(attempt + 1); }, Math.min(30000, 1000 * Math.pow(2, attempt)));
    });
  }

  setInterval(function () {
    if (!view) return;
    renderTimer();
    if (++ticks % 15 === 0) renderQueue();  // the waited minutes
  }, 1000);
  document.addEventListener("visibilitychange", function () {
    // A tablet waking from sleep: its timers stood still; show the window as it is now.
    if (!document.hidden && view) refetch();
  });

  start(0);
})();
