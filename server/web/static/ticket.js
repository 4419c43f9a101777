/* The citizen's phone page (/t/<token>), opened from the QR code on the printed ticket.
   GET /api/tickets/<token> gives the ticket, the people ahead and the estimated wait; the hall
   snapshot gives service and window names, the materials to bring and the hall's "near"
   threshold. The event stream then triggers a (debounced) refetch whenever an event may change
   this ticket's position.
   The citizen is told twice, by tone (WebAudio, once "Turn on alerts" has been tapped: browsers
   play sound only after a gesture), vibration and large type: when `ahead` drops to the hall's
   near_ahead, once per ticket, and when called (and again at each recall). What has been told is
   remembered per ticket in localStorage, so a reload, a wake-up or the stream's reconnection
   (which replays what was missed) never tells it twice. A phone that slept has lost its stream:
   on visibilitychange/pageshow/online the page refetches and reopens it. After the visit the
   citizen rates it (POST /api/tickets/<token>/rating), once, whichever way it is rated. */
(function () {
  "use strict";
  var H = window.Hall, el = H.el, setBi = H.setBi, tr = H.tr;

  var token = document.body.getAttribute("data-token") || "";
  var ticketUrl = "/api/tickets/" + encodeURIComponent(token);
  var services = {}, windows = {}, hallLoaded = false, lastEvent = null;
  var view = null, stream = null, gone = false, retryDelay = 2000, retryTimer = null;
  var nearAhead = 3, audio = null, alertsOn = false, dismissedCall = null, chosenRating = null;
  var ALERTED_KEY = "hallcall:alerted:" + token, RATED_KEY = "hallcall:rated:" + token;
  var fmtTime = H.timeFormatter(null, false), fmtClock = H.timeFormatter(null, true);

  var $ = function (id) { return document.getElementById(id); };

  function showOnly(which) {
    ["loading", "not-found", "unreachable"].forEach(function (id) { $(id).hidden = id !== which; });
    var main = which === "ticket";
    $("ticket").hidden = !main;
    if (!main) {
      ["cancel", "materials", "updated", "called", "near", "alerts", "rate", "guide"].forEach(function (id) {
        $(id).hidden = true;
      });
      document.body.classList.remove("is-called");
    }
  }

  /* -- the hall: names and materials ---------------------------------------------------------- */

  function applyHall(h) {
    if (!h || !h.hall) return;
    hallLoaded = true;
    lastEvent = typeof h.last_event === "number" ? h.last_event : lastEvent;
    services = H.byId(h.services);
    windows = H.byId(h.windows);
    if (typeof h.hall.near_ahead === "number") nearAhead = h.hall.near_ahead;
    $("hall-zh").textContent = tr(h.hall.name, "zh");
    $("hall-en").textContent = tr(h.hall.name, "en");
    if (h.hall.timezone) {
      fmtTime = H.timeFormatter(h.hall.timezone, false);
      fmtClock = H.timeFormatter(h.hall.timezone, true);
    }
  }

  function windowName(id) {
    var w = windows[id];
    if (w && w.name) return w.name;
    return { zh: id + "号窗口", en: "Window " + id };
  }

  /* -- the ticket ----------------------------------------------------------------------------- */

  function minutes(seconds) {
    return Math.max(1, Math.round(seconds / 60));
  }

  function statusText(v) {
    var t = v.ticket, ahead = v.ahead || 0, w;
    switch (t.status) {
      case "waiting":
        var sub;
        if (ahead === 0) {
          sub = ["下一位就是您，请留意叫号", "You're next — please listen for your number"];
        } else if (typeof v.estimated_wait_s === "number") {
          var m = minutes(v.estimated_wait_s);
          sub = ["预计等候约 " + m + " 分钟", "Estimated wait: about " + m + " min"];
        } else {
          sub = ["请留意大厅叫号", "Please listen for your number"];
        }
        return {
          main: ["前面还有 " + ahead + " 人", ahead === 1 ? "1 person ahead" : ahead + " people ahead"],
          sub: sub, short: "等候中"
        };
      case "called":
        w = windowName(t.window);
        return {
          main: ["请到 " + tr(w, "zh"), "Please go to " + tr(w, "en")],
          sub: ["已叫到您的号码，请尽快前往", "Your number has been called — please go now"],
          short: "请到 " + tr(w, "zh")
        };
      case "serving":
        w = windowName(t.window);
        return {
          main: ["正在 " + tr(w, "zh") + " 办理", "Being served at " + tr(w, "en")],
          sub: ["请按工作人员指引办理", "Please follow the clerk's guidance"], short: "办理中"
        };
      case "done":
        return {
          main: ["办理完成", "Completed"],
          sub: ["感谢您的耐心等候", "Thank you for your patience"], short: "已完成"
        };
      case "no_show":
        return {
          main: ["已过号", "Number missed"],
          sub: ["叫号时您未到场，如需办理请到导办台咨询", "You were called but did not come; please ask at the help desk"],
          short: "已过号"
        };
      case "cancelled":
        if (t.cancel_reason === "day_closed") {
          // Still waiting when the hall day ended: not the citizen's doing, so say so.
          return {
            main: ["今日办理已结束，本号已作废", "The hall day has ended; this ticket was cancelled"],
            sub: ["如仍需办理，请在下个办理日重新取号",
                  "If you still need this service, please take a new number on the next hall day"],
            short: "今日办理已结束"
          };
        }
        return {
          main: [t.cancel_reason === "citizen" ? "您已取消排队" : "已取消",
                 t.cancel_reason === "citizen" ? "Cancelled at your request" : "Cancelled"],
          sub: ["如仍需办理，请重新取号", "If you still need this service, please take a new ticket"],
          short: "已取消"
        };
      default:
        return { main: [String(t.status), String(t.status)], sub: ["", ""], short: String(t.status) };
    }
  }

  function renderBadges(t) {
    var box = $("t-badges");
    box.textContent = "";
    if (t.priority === "green") box.appendChild(H.bi("绿色通道", "Green channel", "badge badge-green"));
    if (t.transfers && t.status === "waiting") {
      box.appendChild(H.bi("已转至本业务", "Transferred to this service", "badge badge-info"));
    }
    box.hidden = !box.children.length;
  }

  var renderedMaterials = null;

  function renderMaterials(t) {
    var svc = services[t.service];
    var active = t.status === "waiting" || t.status === "called" || t.status === "serving";
    var items = (svc && svc.materials) || [];
    $("materials").hidden = !active || !items.length;
    var key = "hallcall:materials:" + token + ":" + t.service;
    if (renderedMaterials === key) return;
    renderedMaterials = key;
    var ticked = {};
    try { ticked = JSON.parse(window.localStorage.getItem(key) || "{}") || {}; } catch (_) { ticked = {}; }
    var list = $("m-list");
    list.textContent = "";
    items.forEach(function (m, i) {
      var li = el("li", "material");
      var label = el("label");
      var box = el("input");
      box.type = "checkbox";
      box.checked = !!ticked[i];
      box.addEventListener("change", function () {
        ticked[i] = box.checked;
        try { window.localStorage.setItem(key, JSON.stringify(ticked)); } catch (_) { /* private mode */ }
      });
      label.appendChild(box);
      label.appendChild(H.bi(tr(m, "zh"), tr(m, "en"), "material-text"));
      li.appendChild(label);
      list.appendChild(li);
    });
  }

  /* -- alerts: tone, vibration, large type ---------------------------------------------------- */

  function loadAlerted() {
    var a = null;
    try { a = JSON.parse(window.localStorage.getItem(ALERTED_KEY) || "null"); } catch (_) { a = null; }
    a = a && typeof a === "object" ? a : {};
    return { near: !!a.near, calledAt: a.calledAt || null, recallSeq: typeof a.recallSeq === "number" ? a.recallSeq : 0 };
  }
  var alerted = loadAlerted();
  function saveAlerted() {
    try { window.localStorage.setItem(ALERTED_KEY, JSON.stringify(alerted)); } catch (_) { /* this page only */ }
  }

  // A two-note chime ("ding-dong"), `times` over. Nothing without an audio context: one made
  // before the citizen's tap would stay suspended.
  function chime(times) {
    if (!audio) return;
    try {
      if (audio.state === "suspended" && audio.resume) audio.resume();
      var t0 = audio.currentTime + 0.05;
      for (var i = 0; i < times; i++) {
        [880, 659.25].forEach(function (freq, j) {
          var at = t0 + i * 0.9 + j * 0.32;
          var osc = audio.createOscillator(), gain = audio.createGain();
          osc.type = "sine";
          osc.frequency.setValueAtTime(freq, at);
          gain.gain.setValueAtTime(0.0001, at);
          gain.gain.exponentialRampToValueAtTime(0.5, at + 0.02);
          gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.6);
          osc.connect(gain);
          gain.connect(audio.destination);
          osc.start(at);
          osc.stop(at + 0.65);
        });
      }
    } catch (_) { /* no sound on this phone: the banner and vibration still tell */ }
  }

  function vibrate(pattern) {
    try { if (navigator.vibrate) navigator.vibrate(pattern); } catch (_) { /* no vibration */ }
  }

  function ring(node) {
    node.classList.remove("ring");
    void node.offsetWidth;  // restart the animation when told again
    node.classList.add("ring");
  }

  function toTop() {
    try { window.scrollTo({ top: 0, behavior: "smooth" }); } catch (_) { window.scrollTo(0, 0); }
  }

  function tellNear() {
    vibrate([200, 100, 200]);
    chime(1);
    toTop();
  }

  function tellCalled() {
    dismissedCall = null;
    vibrate([400, 200, 400, 200, 400]);
    chime(2);
    toTop();
    ring($("called"));
  }

  $("alerts-on").addEventListener("click", function () {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    try {
      if (Ctx && !audio) audio = new Ctx();
    } catch (_) { audio = null; }
    alertsOn = true;
    chime(1);  // the tap itself lets the sound play, and the citizen hears what to listen for
    if (view) render(view);
  });

  function renderNear(t, ahead) {
    var near = t.status === "waiting" && ahead <= nearAhead;
    $("near").hidden = !near;
    if (!near) return;
    if (ahead === 0) {
      setBi($("near-ahead"), "下一位就是您", "You're next");
    } else {
      setBi($("near-ahead"), "前面还有 " + ahead + " 人", ahead + " ahead");
    }
    if (!alerted.near) {
      alerted.near = true;
      saveAlerted();
      tellNear();
    }
  }

  function renderCalled(t) {
    var called = t.status === "called";
    if (called && alerted.calledAt !== t.called_at) {  // a new call (a requeued no-show's too)
      alerted.calledAt = t.called_at;
      saveAlerted();
      tellCalled();
    }
    var shown = called && dismissedCall !== t.called_at;
    $("called").hidden = !shown;
    document.body.classList.toggle("is-called", shown);
    if (!called) return;
    var w = windowName(t.window);
    setBi($("called-where"), tr(w, "zh"), tr(w, "en"));
    $("called-number").textContent = t.number;
  }

  function recalled(d) {
    // The stream replays what a reconnection missed: a recall is told once, by its sequence number.
    if (!view || !d.ticket || d.ticket.id !== view.ticket.id || typeof d.seq !== "number") return;
    if (d.seq <= alerted.recallSeq) return;
    alerted.recallSeq = d.seq;
    saveAlerted();
    tellCalled();
    if (view.ticket.status === "called") renderCalled(view.ticket);
  }

  $("called-ok").addEventListener("click", function () {
    if (view) dismissedCall = view.ticket.called_at;
    $("called").hidden = true;
    document.body.classList.remove("is-called");
  });

  var RATE_WITHIN_MS = 24 * 3600 * 1000;
  var RATING_WORDS = {
    satisfied: ["满意", "Satisfied"], basic: ["基本满意", "Fairly satisfied"], unsatisfied: ["不满意", "Unsatisfied"]
  };

  function ratedHere() {
    try { return window.localStorage.getItem(RATED_KEY) === "1"; } catch (_) { return false; }
  }

  function renderRating(t) {
    var done = t.status === "done";
    $("rate").hidden = !done;
    if (!done) return;
    var rated = !!t.rating, mine = rated && ratedHere();
    // The hub takes a rating for 24 hours after the visit (an old link offers no form).
    var lapsed = !rated && t.finished_at && Date.now() - Date.parse(t.finished_at) > RATE_WITHIN_MS;
    $("rate-form").hidden = rated || lapsed;
    $("rate-title").hidden = rated || lapsed;
    $("rate-thanks").hidden = !mine;
    $("rate-already").hidden = !(rated || lapsed) || mine;
    if (rated && !mine) {
      var words = RATING_WORDS[t.rating] || [t.rating, t.rating];
      setBi($("rate-already"), "本次服务已评价（" + words[0] + "），感谢您的反馈",
            "This visit has already been rated (" + words[1] + "). Thank you.");
    } else if (lapsed) {
      setBi($("rate-already"), "办结已超过 24 小时，不能再评价", "This visit ended over 24 hours ago and can no longer be rated");
    }
    if (rated) $("rate-error").hidden = true;
  }

  function render(v) {
    if (!v || !v.ticket) return;
    view = v;
    var t = v.ticket, svc = services[t.service];
    showOnly("ticket");
    $("t-number").textContent = t.number;
    setBi($("t-service"), svc ? tr(svc.name, "zh") : t.service, svc ? tr(svc.name, "en") : "");
    renderBadges(t);
    var s = statusText(v);
    $("t-status").setAttribute("data-status", t.status);
    $("t-status").setAttribute("data-reason", t.cancel_reason || "");
    $("ticket").setAttribute("data-status", t.status);
    setBi($("t-main"), s.main[0], s.main[1]);
    setBi($("t-sub"), s.sub[0], s.sub[1]);
    $("t-issued").textContent = fmtTime(t.issued_at);
    $("t-called-row").hidden = !t.called_at;
    $("t-called").textContent = t.called_at ? fmtTime(t.called_at) : "";
    document.title = t.number + " · " + s.short + " / " + s.main[1];

    var cancellable = t.status === "waiting";
    $("cancel").hidden = !cancellable;
    if (!cancellable) resetCancel();
    renderMaterials(t);
    renderNear(t, v.ahead || 0);
    renderCalled(t);
    renderRating(t);
    $("alerts").hidden = !(t.status === "waiting" || t.status === "called");
    $("alerts-on").hidden = alertsOn;
    $("alerts-hint").hidden = alertsOn;
    $("alerts-done").hidden = !alertsOn;
    $("guide").hidden = false;
    $("guide-a").href = "/guide/" + encodeURIComponent(t.service);

    var at = fmtClock(new Date());
    setBi($("updated"), "页面实时更新 · 更新于 " + at, "This page updates live · updated " + at);
    $("updated").hidden = false;
  }

  function loadTicket() {
    return H.getJSON(ticketUrl).then(function (v) {
      retryDelay = 2000;
      render(v);
      return true;
    }, function (err) {
      if (err.status >= 400 && err.status < 500) {
        // An unknown (or malformed) token: a friendly page, and nothing left to follow.
        gone = true;
        view = null;
        showOnly("not-found");
        document.title = "未找到该排队号 · Ticket not found";
        if (stream) { stream.close(); stream = null; }
        H.setConnection($("conn"), "live");
        $("conn").hidden = true;
        return false;
      }
      if (!view) showOnly("unreachable");
      // With the stream open, its reconnection brings the refetch; without, retry by itself.
      if (!stream) scheduleRetry();
      return false;
    });
  }

  var refresh = H.debounced(loadTicket, 200);

  /* -- the event stream ----------------------------------------------------------------------- */

  function relevant(d) {
    if (!view) return false;
    if (d.type === "day.reset" || d.type === "window.status" || d.type === "hall.changed") return true;
    var t = d.ticket, mine = view.ticket;
    if (!t) return false;
    if (t.id === mine.id) return true;
    // Another ticket: it moves this one's place only while this one still waits in that queue.
    return mine.status === "waiting" && (t.service === mine.service || t.origin_service === mine.service);
  }

  var reloadHall = H.debounced(function () {
    return H.getJSON("/api/hall").then(applyHall, function () { /* the names can wait */ });
  }, 500);

  function follow() {
    if (stream || gone) return;
    stream = H.openStream(lastEvent, {
      event: function (d) {
        if (typeof d.seq === "number" && (lastEvent === null || d.seq > lastEvent)) lastEvent = d.seq;
        if (d.type === "hall.changed") reloadHall();  // renamed windows, a new near_ahead
        if (d.type === "ticket.recalled") recalled(d);
        if (relevant(d)) refresh();
      },
      state: function (s) { H.setConnection($("conn"), s); },
      reopened: refresh
    });
  }

  // Back from sleep (screen off, another app, the browser's back-forward cache): the stream
  // may have died without a word, so open a new one from the last event seen (the hub replays
  // what was missed) and look at the ticket again.
  function resume() {
    if (gone) return;
    if (!view) { start(); return; }
    if (stream) { stream.close(); stream = null; }
    follow();
    refresh();
  }

  /* -- start, retry --------------------------------------------------------------------------- */

  function start() {
    if (retryTimer !== null) { clearTimeout(retryTimer); retryTimer = null; }
    var hall = hallLoaded ? Promise.resolve() :
      H.getJSON("/api/hall").then(applyHall, function () { /* names can wait */ });
    hall.then(loadTicket).then(function (found) {
      if (found) follow();
    });
  }

  function scheduleRetry() {
    if (retryTimer !== null || gone) return;
    // Only while the hub cannot be reached; once it answers the event stream takes over.
    H.setConnection($("conn"), "reconnecting");
    retryTimer = setTimeout(function () { retryTimer = null; start(); }, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 30000);
  }

  /* -- cancelling ----------------------------------------------------------------------------- */

  function resetCancel() {
    $("cancel-ask").hidden = false;
    $("cancel-confirm").hidden = true;
    $("cancel-yes").disabled = false;
    $("cancel-no").disabled = false;
  }

  $("cancel-ask").addEventListener("click", function () {
    $("cancel-ask").hidden = true;
    $("cancel-confirm").hidden = false;
    $("cancel-error").hidden = true;
    $("cancel-no").focus();
  });
  $("cancel-no").addEventListener("click", resetCancel);
  $("cancel-yes").addEventListener("click", function () {
    $("cancel-yes").disabled = true;
    $("cancel-no").disabled = true;
    H.postJSON(ticketUrl + "/cancel").then(function (v) {
      resetCancel();
      render(v);
    }, function (err) {
      resetCancel();
      var box = $("cancel-error");
      setBi(box, err.message_zh || "取消失败，请稍后再试", err.status ? err.message : "Could not cancel; please try again");
      box.hidden = false;
      refresh();
    });
  });

  $("retry").addEventListener("click", function () { retryDelay = 2000; start(); });

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") resume();
  });
  window.addEventListener("pageshow", function (e) { if (e.persisted) resume(); });
  window.addEventListener("online", resume);

  /* -- rating --------------------------------------------------------------------------------- */

  Array.prototype.forEach.call(document.querySelectorAll("#rate .face"), function (b) {
    b.addEventListener("click", function () {
      chosenRating = b.getAttribute("data-rating");
      Array.prototype.forEach.call(document.querySelectorAll("#rate .face"), function (o) {
        o.setAttribute("aria-checked", o === b ? "true" : "false");
      });
      $("rate-send").disabled = false;
    });
  });
  $("rate-comment").addEventListener("input", function () {
    $("rate-count").textContent = $("rate-comment").value.length + " / 500";
  });
  $("rate-form").addEventListener("submit", function (e) {
    e.preventDefault();
    if (!chosenRating) return;
    $("rate-send").disabled = true;
    $("rate-error").hidden = true;
    var body = { rating: chosenRating };
    var comment = $("rate-comment").value.trim();
    if (comment) body.comment = comment;
    H.postJSON(ticketUrl + "/rating", body).then(function (v) {
      try { window.localStorage.setItem(RATED_KEY, "1"); } catch (_) { /* thanks for this page only */ }
      render(v);
    }, function (err) {
      $("rate-send").disabled = false;
      var box = $("rate-error");
      setBi(box, err.message_zh || "提交失败，请稍后再试", err.status ? err.message : "Could not send; please try again");
      box.hidden = false;
      if (err.code === "already_rated") refresh();
    });
  });

  H.setConnection($("conn"), "connecting");
  start();
})();
