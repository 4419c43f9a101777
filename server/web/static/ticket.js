/* The citizen's phone page (/t/<token>), opened from the QR code on the printed ticket.
   GET /api/tickets/<token> gives the ticket, the people ahead and the estimated wait; the hall
   snapshot gives service and window names and the materials to bring. The event stream then
   triggers a (debounced) refetch whenever an event may change this ticket's position. */
(function () {
  "use strict";
  var H = window.Hall, el = H.el, setBi = H.setBi, tr = H.tr;

  var token = document.body.getAttribute("data-token") || "";
  var ticketUrl = "/api/tickets/" + encodeURIComponent(token);
  var services = {}, windows = {}, hallLoaded = false, lastEvent = null;
  var view = null, stream = null, gone = false, retryDelay = 2000, retryTimer = null;
  var fmtTime = H.timeFormatter(null, false), fmtClock = H.timeFormatter(null, true);

  var $ = function (id) { return document.getElementById(id); };

  function showOnly(which) {
    ["loading", "not-found", "unreachable"].forEach(function (id) { $(id).hidden = id !== which; });
    var main = which === "ticket";
    $("ticket").hidden = !main;
    if (!main) {
      ["cancel", "materials", "updated"].forEach(function (id) { $(id).hidden = true; });
    }
  }

  /* -- the hall: names and materials ---------------------------------------------------------- */

  function applyHall(h) {
    if (!h || !h.hall) return;
    hallLoaded = true;
    lastEvent = typeof h.last_event === "number" ? h.last_event : lastEvent;
    services = H.byId(h.services);
    windows = H.byId(h.windows);
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

  function announceCall() {
    var card = $("ticket");
    try { window.scrollTo({ top: 0, behavior: "smooth" }); } catch (_) { window.scrollTo(0, 0); }
    card.classList.remove("ring");
    void card.offsetWidth;
    card.classList.add("ring");
    try { if (navigator.vibrate) navigator.vibrate([400, 200, 400, 200, 400]); } catch (_) { /* no vibration */ }
  }

  function render(v) {
    if (!v || !v.ticket) return;
    var before = view && view.ticket.status;
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

    var at = fmtClock(new Date());
    setBi($("updated"), "页面实时更新 · 更新于 " + at, "This page updates live · updated " + at);
    $("updated").hidden = false;

    if (t.status === "called" && before && before !== "called") announceCall();
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
    if (d.type === "day.reset" || d.type === "window.status") return true;
    var t = d.ticket, mine = view.ticket;
    if (!t) return false;
    if (t.id === mine.id) return true;
    // Another ticket: it moves this one's place only while this one still waits in that queue.
    return mine.status === "waiting" && (t.service === mine.service || t.origin_service === mine.service);
  }

  function follow() {
    if (stream || gone) return;
    stream = H.openStream(lastEvent, {
      event: function (d) { if (relevant(d)) refresh(); },
      state: function (s) { H.setConnection($("conn"), s); },
      reopened: refresh
    });
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

  // A phone that slept may have missed its stream; look again when the page is shown.
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && view) refresh();
  });

  H.setConnection($("conn"), "connecting");
  start();
})();
