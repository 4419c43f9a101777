/* The hall day's unsatisfied ratings, for the staff to follow up (zero-complaint target): the
   ticket, its service, the window and member of staff who served it, the time and what the
   citizen wrote. One list for the overview (/) and the supervisor's floor (/admin), from
   GET /api/reports/unsatisfied, which only supervisors and admins may read: a page without such
   a session gets 401/403 and the panel stays hidden. The page that holds the event stream hands
   its events to onEvent; the list is refetched when a ticket is rated unsatisfied (at the keys,
   the console or the phone) and when the day rolls over. */
(function () {
  "use strict";
  var H = window.Hall, el = H.el, bi = H.bi, setBi = H.setBi;
  var SHOWN = 50;

  /* box: the panel (with #follow-up-list, #follow-up-empty, #follow-up-count inside);
     day(): the hall day shown (the page's snapshot knows it). */
  function followUp(box, day) {
    var seen = null, closed = false, newDay = null;
    var list = box.querySelector("[data-follow-up-list]");
    var empty = box.querySelector("[data-follow-up-empty]");
    var count = box.querySelector("[data-follow-up-count]");

    function row(t, fresh) {
      var li = el("li", "follow-up" + (fresh ? " fresh" : ""));
      li.setAttribute("data-ticket", t.id);
      var head = el("div", "follow-up-head");
      head.appendChild(el("span", "follow-up-number", t.number));
      head.appendChild(bi(t.service_name || t.service, t.service_name_en || "", "follow-up-service"));
      head.appendChild(el("span", "follow-up-time", (t.finished_at || "").slice(11, 16)));
      li.appendChild(head);
      var who = el("div", "follow-up-who");
      who.appendChild(bi("窗口 " + (t.window_name || t.window || "—"), "Window " + (t.window || "—"), "follow-up-window"));
      who.appendChild(bi("工作人员 " + (t.staff_name || t.staff || "—"), "Staff " + (t.staff || "—"), "follow-up-staff"));
      li.appendChild(who);
      if (t.comment) {
        li.appendChild(el("p", "follow-up-comment", t.comment));
      } else {
        li.appendChild(bi("（未留言）", "(no comment)", "follow-up-comment none"));
      }
      return li;
    }

    function render(tickets) {
      var before = seen;
      seen = {};
      list.textContent = "";
      tickets.slice(0, SHOWN).forEach(function (t) {
        seen[t.id] = true;
        list.appendChild(row(t, before !== null && !before[t.id]));
      });
      empty.hidden = tickets.length > 0;
      setBi(count, "今日 " + tickets.length + " 条", tickets.length + " today");
      box.hidden = false;
    }

    function load() {
      var d = day();
      if (newDay && (!d || newDay > d)) d = newDay;  // the roll-over, before the page's snapshot has it
      if (closed || !d) return Promise.resolve();
      var url = "/api/reports/unsatisfied?from=" + encodeURIComponent(d) + "&to=" + encodeURIComponent(d);
      return H.getJSON(url).then(function (body) {
        render((body && body.tickets) || []);
      }, function (err) {
        if (err.status === 401 || err.status === 403) {  // not for this session: stay out of sight
          closed = true;
          box.hidden = true;
        }
      });
    }

    var reload = H.debounced(load, 300);

    return {
      reload: reload,
      onEvent: function (d) {
        var unsatisfied = (d.type === "ticket.rated" || d.type === "ticket.finished") && d.rating === "unsatisfied";
        if (d.type === "day.reset" && d.day) newDay = d.day;
        if (unsatisfied || d.type === "day.reset") reload();
      }
    };
  }

  H.followUp = followUp;
})();
