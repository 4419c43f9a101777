/* The booking pages (booking.py, book.html), for the citizen's phone and the front desk.
   /book: a service, then a day, then a time (GET /api/appointments/slots), then POST
   /api/appointments, which leads to the booking's own page. /book/<token>: the booking (GET
   /api/appointments/<token>), its code as digits and as the QR the kiosk's scanner reads, and
   DELETE /api/appointments/<token> to cancel. Every text reaches the page through textContent. */
(function () {
  "use strict";
  var H = window.Hall, el = H.el, setBi = H.setBi, tr = H.tr;
  var $ = function (id) { return document.getElementById(id); };

  var data = {};
  try { data = JSON.parse($("book-data").textContent) || {}; } catch (_) { data = {}; }
  var hall = data.hall || {};
  var services = H.byId(data.services);
  var fmtTime = H.timeFormatter(hall.timezone, false);
  var token = document.body.getAttribute("data-token");

  H.langSwitch($("lang"));

  /* -- words ---------------------------------------------------------------------------------- */

  var WEEKDAYS_ZH = ["周日", "周一", "周二", "周三", "周四", "周五", "周六"];
  var WEEKDAYS_EN = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  var MONTHS_EN = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

  function dateParts(iso) {  // "2026-12-02": the hall's calendar day, whatever the phone's zone
    var p = String(iso).split("-").map(Number);
    var d = new Date(Date.UTC(p[0], p[1] - 1, p[2]));
    return { y: p[0], m: p[1], d: p[2], wd: d.getUTCDay(), t: d.getTime() };
  }

  function dayWords(iso) {
    var p = dateParts(iso), off = Math.round((p.t - dateParts(hall.today).t) / 86400000);
    var zh = p.m + "月" + p.d + "日 " + WEEKDAYS_ZH[p.wd], en = WEEKDAYS_EN[p.wd] + " " + p.d + " " + MONTHS_EN[p.m - 1];
    if (off === 0) { zh = "今天 " + zh; en = "Today, " + en; }
    if (off === 1) { zh = "明天 " + zh; en = "Tomorrow, " + en; }
    return [zh, en];
  }

  function span(start, end) { return fmtTime(start) + "–" + fmtTime(end); }

  function minutesFrom(iso, minutes) { return new Date(new Date(iso).getTime() + minutes * 60000); }

  /* The hub's refusal in words: the ones a citizen meets are said here, anything else as the
     hub says it (it always answers in both languages). */
  var ERRORS = {
    slot_full: ["这个时段刚刚被约满了，请选择其他时段", "This time was just taken; please choose another"],
    unreachable: ["无法连接服务大厅，请确认手机已连接大厅网络后重试",
                  "Can't reach the service hall; please check your connection and try again"],
    rate_limited: ["操作过于频繁，请稍后再试", "Too many attempts; please wait a moment and try again"]
  };
  function showError(node, err) {
    var words = ERRORS[err && err.code];
    if (!words) words = [(err && err.message_zh) || "操作未能完成，请重试", (err && err.message) || "That did not work; please try again"];
    setBi(node, words[0], words[1]);
    node.hidden = false;
  }

  if (token) booking(); else chooser();

  /* == /book: service, day, time, confirm ====================================================== */

  function chooser() {
    var chosen = { service: null, day: null, slot: null }, slotsAsked = 0;
    var STEPS = ["service", "day", "slot", "confirm"];

    function go(step) {
      STEPS.forEach(function (s) { $("step-" + s).hidden = s !== step; });
      Array.prototype.forEach.call($("steps").children, function (li) {
        var at = STEPS.indexOf(li.getAttribute("data-step")), now = STEPS.indexOf(step);
        if (at === now) li.setAttribute("aria-current", "step"); else li.removeAttribute("aria-current");
        li.classList.toggle("done", at < now);
      });
      window.scrollTo(0, 0);
    }

    Array.prototype.forEach.call(document.querySelectorAll("[data-back]"), function (b) {
      b.addEventListener("click", function () {
        var to = b.getAttribute("data-back");
        if (to === "slot") loadSlots(); else go(to);
      });
    });

    /* -- services, by department, with a filter ------------------------------------------------ */
    var list = $("svc-list"), search = $("svc-search");
    (data.departments || []).forEach(function (d) {
      var group = el("section", "svc-group");
      group.setAttribute("data-department", d.id);
      var head = el("h3", "svc-dept");
      head.appendChild(H.bi(tr(d.name, "zh"), tr(d.name, "en")));
      group.appendChild(head);
      (data.services || []).filter(function (s) { return s.department === d.id; }).forEach(function (s) {
        var b = el("button", "svc-btn");
        b.type = "button";
        b.setAttribute("data-service", s.id);
        b.appendChild(el("span", "prefix", s.prefix));
        b.appendChild(H.bi(tr(s.name, "zh"), tr(s.name, "en"), "svc-name"));
        if (s.closed) b.appendChild(H.bi("今日暂停", "Closed today", "tag tag-closed"));
        b.addEventListener("click", function () { chooseService(s); });
        group.appendChild(b);
      });
      list.appendChild(group);
    });
    $("svc-nothing").hidden = (data.services || []).length > 0;
    search.hidden = (data.services || []).length < 2;

    function filter() {
      var q = search.value.trim().toLowerCase(), any = false;
      Array.prototype.forEach.call(list.querySelectorAll(".svc-group"), function (group) {
        var shown = 0;
        Array.prototype.forEach.call(group.querySelectorAll(".svc-btn"), function (b) {
          var s = services[b.getAttribute("data-service")];
          var hay = (tr(s.name, "zh") + " " + tr(s.name, "en") + " " + s.prefix).toLowerCase();
          b.hidden = q !== "" && hay.indexOf(q) < 0;
          if (!b.hidden) shown += 1;
        });
        group.hidden = shown === 0;
        if (shown) any = true;
      });
      $("svc-none").hidden = any || !(data.services || []).length;
    }
    search.addEventListener("input", filter);

    function chooseService(s) {
      chosen.service = s;
      setBi($("chosen-service").querySelector(".bi"), tr(s.name, "zh"), tr(s.name, "en"));
      var days = $("day-list");
      days.textContent = "";
      s.days.forEach(function (d) {
        var w = dayWords(d.date), b = el("button", "day-btn");
        b.type = "button";
        b.setAttribute("data-date", d.date);
        b.appendChild(H.bi(w[0], w[1]));
        if (!d.open) {
          b.disabled = true;
          b.appendChild(d.paused ? H.bi("今日暂停预约", "No bookings today", "day-note")
                                 : H.bi("不办公", "Closed", "day-note"));
        }
        b.addEventListener("click", function () { chosen.day = d.date; loadSlots(); });
        days.appendChild(b);
      });
      go("day");
    }

    /* -- the day's times ---------------------------------------------------------------------- */
    function loadSlots() {
      var s = chosen.service, day = chosen.day, asked = ++slotsAsked;
      var w = dayWords(day);
      setBi($("chosen-day").querySelector(".bi"), tr(s.name, "zh") + " · " + w[0], tr(s.name, "en") + " · " + w[1]);
      $("slot-list").textContent = "";
      $("slot-none").hidden = true;
      $("slot-error").hidden = true;
      $("slot-loading").hidden = false;
      go("slot");
      return H.getJSON("/api/appointments/slots?service=" + encodeURIComponent(s.id) + "&date=" + encodeURIComponent(day))
        .then(function (answer) {
          if (asked !== slotsAsked) return;  // another day was chosen meanwhile
          renderSlots(answer.slots || []);
        }, function (err) {
          if (asked !== slotsAsked) return;
          showError($("slot-error"), err);
        })
        .then(function () { if (asked === slotsAsked) $("slot-loading").hidden = true; });
    }

    function renderSlots(slots) {
      var box = $("slot-list");
      box.textContent = "";
      slots.forEach(function (slot) {
        var free = Math.max(0, slot.capacity - slot.booked), b = el("button", "slot-btn");
        b.type = "button";
        b.setAttribute("data-start", slot.start);
        b.setAttribute("data-free", String(free));
        b.appendChild(el("span", "slot-time", span(slot.start, slot.end)));
        if (free > 0) {
          b.appendChild(H.bi("余 " + free + " 个名额", free === 1 ? "1 place left" : free + " places left", "slot-free"));
          b.addEventListener("click", function () { chooseSlot(slot); });
        } else {
          b.disabled = true;
          b.classList.add("full");
          b.appendChild(H.bi("已约满", "Full", "slot-free"));
        }
        box.appendChild(b);
      });
      $("slot-none").hidden = slots.length > 0;
    }

    function chooseSlot(slot) {
      chosen.slot = slot;
      $("slot-error").hidden = true;
      $("book-error").hidden = true;
      setBi($("sum-service"), tr(chosen.service.name, "zh"), tr(chosen.service.name, "en"));
      var w = dayWords(chosen.day);
      setBi($("sum-day"), w[0], w[1]);
      $("sum-time").textContent = span(slot.start, slot.end);
      go("confirm");
      $("book-yes").focus();
    }

    /* -- confirm ------------------------------------------------------------------------------ */
    var busy = false;
    $("book-yes").addEventListener("click", function () {
      if (busy) return;
      var phone = $("phone");
      phone.value = phone.value.trim();
      $("phone-error").hidden = phone.checkValidity();
      if (!phone.checkValidity()) { phone.focus(); return; }
      var body = { service: chosen.service.id, start: chosen.slot.start };
      if (phone.value) body.phone = phone.value;
      // The language the citizen reads: their ticket at check-in is printed in it.
      var lang = document.documentElement.getAttribute("data-lang");
      if ((hall.languages || []).indexOf(lang) >= 0) body.lang = lang;
      busy = true;
      $("book-yes").disabled = true;
      $("book-error").hidden = true;
      H.postJSON("/api/appointments", body).then(function (answer) {
        // The booking's own address: what a bookmark or a reload shows again.
        window.location.assign("/book/" + encodeURIComponent(answer.token));
      }, function (err) {
        busy = false;
        $("book-yes").disabled = false;
        if (err.code === "slot_full") {
          // Taken meanwhile: back to the day's times, now showing it full, with the reason.
          loadSlots().then(function () { showError($("slot-error"), err); });
        } else {
          showError($("book-error"), err);
        }
      });
    });

    /* /book?service=ID (a link from the service guide) starts on that service's days. */
    var wanted = new URLSearchParams(window.location.search).get("service");
    if (wanted && services[wanted]) chooseService(services[wanted]); else go("service");
  }

  /* == /book/<token>: the booking ============================================================== */

  function booking() {
    var url = "/api/appointments/" + encodeURIComponent(token), current = null;

    function showOnly(which) {
      ["loading", "not-found", "unreachable", "booking"].forEach(function (id) { $(id).hidden = id !== which; });
      var main = which === "booking";
      var open = current && current.status === "booked" && !current.over;
      $("cancel").hidden = !main || !open;
      $("actions").hidden = !main;
      $("bookmark-note").hidden = !main || !open;
    }

    function render(a) {
      var day = a.day || dayOf(a.start), over = a.status === "booked" && day < hall.today;
      current = Object.assign({}, a, { over: over });
      var s = services[a.service] || {};
      var name = s.name || { zh: a.service, en: a.service };
      $("booking").setAttribute("data-status", a.status);
      $("b-code").textContent = a.code;
      $("b-code").setAttribute("aria-label", "预约码 / Booking code " + String(a.code).split("").join(" "));
      var qr = $("b-qr");
      qr.hidden = a.status !== "booked" || over;
      if (!qr.hidden && !qr.getAttribute("src")) qr.src = "/book/qr/" + encodeURIComponent(token) + ".svg";
      setBi($("b-service"), tr(name, "zh"), tr(name, "en"));
      var w = dayWords(day);
      setBi($("b-day"), w[0], w[1]);
      $("b-time").textContent = span(a.start, a.end);
      var status = $("b-status"), main, sub;
      status.setAttribute("data-status", a.status);
      if (a.status === "cancelled") {
        main = ["预约已取消", "Booking cancelled"];
        sub = ["名额已释放。如仍需办理，可重新预约或到现场取号",
               "The place is free again. To be served, book again or take a number at the hall"];
      } else if (a.status === "checked_in") {
        main = ["已签到", "Checked in"];
        sub = ["请留意大厅叫号", "Please listen for your number in the hall"];
      } else if (over) {
        main = ["该预约的日期已过", "This booking's day is over"];
        sub = ["如仍需办理，可重新预约或到现场取号", "To be served, book again or take a number at the hall"];
      } else if (typeof s.early_minutes === "number") {
        var from = fmtTime(minutesFrom(a.start, -s.early_minutes)), to = fmtTime(minutesFrom(a.start, s.late_minutes));
        main = ["请于 " + from + "–" + to + " 到自助取号机签到", "Check in at a ticket kiosk between " + from + " and " + to];
        sub = ["在取号机上点“我有预约”，输入预约码或扫描二维码；迟到超过 " + s.late_minutes + " 分钟将按现场取号排队",
               "Tap \"I have an appointment\" and type the code or scan the QR code. More than " + s.late_minutes +
               " min late, you queue as a walk-in"];
      } else {
        main = ["请按预约时段到自助取号机签到", "Check in at a ticket kiosk at your booked time"];
        sub = ["", ""];
      }
      setBi($("b-main"), main[0], main[1]);
      setBi($("b-sub"), sub[0], sub[1]);
      showOnly("booking");
    }

    function dayOf(iso) {  // the slot's calendar day in the hall's time zone
      var f = H.formatter("en-CA", hall.timezone, { year: "numeric", month: "2-digit", day: "2-digit" });
      var parts = {};
      f.formatToParts(new Date(iso)).forEach(function (p) { parts[p.type] = p.value; });
      return parts.year + "-" + parts.month + "-" + parts.day;
    }

    function load() {
      H.getJSON(url).then(function (answer) { render(answer.appointment); }, function (err) {
        showOnly(err.status === 404 ? "not-found" : "unreachable");
      });
    }

    $("retry").addEventListener("click", function () { showOnly("loading"); load(); });
    $("cancel-ask").addEventListener("click", function () {
      $("cancel-ask").hidden = true;
      $("cancel-confirm").hidden = false;
      $("cancel-no").focus();
    });
    $("cancel-no").addEventListener("click", function () {
      $("cancel-confirm").hidden = true;
      $("cancel-ask").hidden = false;
      $("cancel-error").hidden = true;
    });
    $("cancel-yes").addEventListener("click", function () {
      $("cancel-yes").disabled = true;
      $("cancel-error").hidden = true;
      H.deleteJSON(url).then(function (answer) {
        var a = (answer && answer.appointment) || Object.assign({}, current, { status: "cancelled" });
        render(a);
      }, function (err) {
        showError($("cancel-error"), err);
        // Checked in or cancelled meanwhile (at the kiosk, or on another device): show what is.
        if (err.status === 409) load();
      }).then(function () { $("cancel-yes").disabled = false; });
    });
    $("print").addEventListener("click", function () { window.print(); });
    load();
  }
})();
