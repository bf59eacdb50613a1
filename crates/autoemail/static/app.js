// AutoEmail review UI: keyboard, selection, countdowns and toasts. htmx does
// the requests and swaps; this file only decides what a key press means.
(function () {
  "use strict";
  const csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  let selected = null; // data-ref of the selected queue row
  let lastApproved = []; // refs approved from this page, newest last

  document.body.addEventListener("htmx:configRequest", (e) => {
    e.detail.headers["X-CSRF-Token"] = csrf;
  });

  const $ = (sel, root) => (root || document).querySelector(sel);
  const rows = () => Array.from(document.querySelectorAll("#queue .item"));

  function toast(text, isError) {
    const t = $("#toast");
    if (!t) return;
    t.textContent = text;
    t.className = isError ? "show error" : "show";
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => (t.className = ""), isError ? 7000 : 3500);
  }

  function load(url) {
    if (window.htmx && $("#detail")) htmx.ajax("GET", url, { target: "#detail", swap: "innerHTML" });
  }

  function select(el, loadDetail) {
    rows().forEach((r) => r.classList.toggle("selected", r === el));
    if (!el) return;
    const changed = selected !== el.dataset.ref;
    selected = el.dataset.ref;
    el.scrollIntoView({ block: "nearest" });
    if (loadDetail && changed) load(el.dataset.url);
  }

  function move(step) {
    const list = rows();
    if (!list.length) return;
    let i = list.findIndex((r) => r.dataset.ref === selected);
    i = i < 0 ? 0 : Math.min(list.length - 1, Math.max(0, i + step));
    select(list[i], true);
  }

  // Keep the selection across list refreshes; pick the first row when it is gone.
  document.body.addEventListener("htmx:afterSwap", (e) => {
    if (e.target.id === "queue") {
      const list = rows();
      const keep = list.find((r) => r.dataset.ref === selected);
      if (keep) select(keep, false);
      else if (list.length && !$("#detail .draft, #detail .group-view, #detail .done")) select(list[0], true);
      else if (list.length) list.forEach((r) => r.classList.remove("selected"));
      tick();
    }
    if (e.target.id === "detail") {
      const art = $("#detail [data-ref]");
      if (art && art.dataset.ref !== selected) {
        const row = rows().find((r) => r.dataset.ref === art.dataset.ref);
        if (row) select(row, false);
      }
    }
  });

  // After an action the next draft comes up: the row after the acted-on one.
  document.body.addEventListener("advance", (e) => {
    const ref = e.detail && e.detail.value;
    if (ref && !String(ref).startsWith("group:")) lastApproved.push(ref);
    const list = rows();
    let i = list.findIndex((r) => r.dataset.ref === ref || (String(ref).startsWith("group:") && r.dataset.ref.startsWith("group:")));
    if (i < 0) i = list.findIndex((r) => r.dataset.ref === selected);
    const next = list[i + 1] || list[i - 1];
    if (next && next.dataset.ref !== ref) {
      selected = null;
      setTimeout(() => select(next, true), 400);
    }
  });
  document.body.addEventListener("select", (e) => {
    selected = e.detail && e.detail.value;
  });
  document.body.addEventListener("toast", (e) => toast(e.detail && e.detail.value));
  document.body.addEventListener("htmx:responseError", (e) => toast(e.detail.xhr.responseText || "The request failed.", true));
  document.body.addEventListener("htmx:sendError", () => toast("AutoEmail does not answer; is it still running?", true));

  document.addEventListener("click", (e) => {
    const item = e.target.closest("#queue .item");
    if (item) {
      // On a phone the list stands alone (app.css): a tap opens the draft's own page.
      if (window.matchMedia("(max-width: 760px)").matches) {
        window.location.href = item.dataset.url;
        return;
      }
      select(item, true);
      return;
    }
    const id = e.target.closest("button") && e.target.closest("button").id;
    if (id === "edit") startEdit();
    if (id === "reject-open") openForm("#reject-form", "#reject-reason");
    if (id === "regen-open" && $("#regen-form[hidden]")) openForm("#regen-form", "#regen-instruction");
    if (id === "snooze-open") openForm("#snooze-form", "#snooze-minutes");
    if (id === "help-button") toggleHelp();
    const undoButton = e.target.closest("button[data-undo-url]");
    if (undoButton) undo(undoButton);
  });

  function startEdit() {
    const body = $("#body");
    if (!body) return;
    body.hidden = false;
    const view = $("#draft-view");
    if (view) view.hidden = true;
    body.focus();
    body.setSelectionRange(body.value.length, body.value.length);
  }

  function openForm(form, field) {
    ["#reject-form", "#regen-form", "#snooze-form"].forEach((f) => {
      const el = $(f);
      if (el && f !== form && $("#approve-form")) el.hidden = true;
    });
    const el = $(form);
    if (!el) return;
    el.hidden = false;
    const input = $(field);
    if (input) input.focus();
  }

  function toggleHelp(force) {
    const h = $("#help");
    if (h) h.hidden = force === undefined ? !h.hidden : !force;
  }

  function clickIf(sel) {
    const el = $(sel);
    if (el && !el.disabled) {
      el.click();
      return true;
    }
    return false;
  }

  // Undo goes through fetch, not an htmx attribute: the held list is redrawn
  // every few seconds and a request tied to a replaced element would be dropped.
  async function undo(button) {
    const item = button.closest(".held-item");
    const ref = item && item.dataset.ref;
    button.disabled = true;
    try {
      const res = await fetch(button.dataset.undoUrl, { method: "POST", headers: { "X-CSRF-Token": csrf, "HX-Request": "true" } });
      const text = await res.text();
      if (!res.ok) return toast(text || "Undo failed.", true);
      lastApproved = lastApproved.filter((r) => r !== ref);
      toast("Undone: nothing was sent.");
      selected = ref;
      const detail = $("#detail");
      if (detail) {
        detail.innerHTML = text;
        htmx.process(detail);
      }
      htmx.trigger(document.body, "queueChanged");
    } catch (e) {
      toast("AutoEmail does not answer; is it still running?", true);
    } finally {
      button.disabled = false;
    }
  }

  function undoLast() {
    const held = Array.from(document.querySelectorAll(".held-item"));
    // The most recent approval from this page if it still waits, else the newest waiting one.
    for (let i = lastApproved.length - 1; i >= 0; i--) {
      const h = held.find((x) => x.dataset.ref === lastApproved[i]);
      if (h) return undo(h.querySelector("button.undo"));
    }
    if (held.length) return undo(held[0].querySelector("button.undo"));
    toast("Nothing to undo: no approved reply is waiting.");
  }

  document.addEventListener("keydown", (e) => {
    const typing = e.target.matches("input, textarea, select");
    if (e.key === "Escape") {
      toggleHelp(false);
      if (typing) {
        e.target.blur();
        const f = e.target.closest(".inline-form");
        if (f) f.hidden = true;
      }
      return;
    }
    if (typing) {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && e.target.id === "body") {
        e.preventDefault();
        clickIf("#approve");
      }
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const k = e.key;
    const act = {
      j: () => move(1),
      ArrowDown: () => move(1),
      k: () => move(-1),
      ArrowUp: () => move(-1),
      a: () => clickIf("#detail #approve") || toast("Nothing to approve here."),
      e: () => startEdit(),
      r: () => openForm("#reject-form", "#reject-reason"),
      g: () => ($("#regen-form[hidden]") ? openForm("#regen-form", "#regen-instruction") : $("#regen-instruction") && $("#regen-instruction").focus()),
      s: () => openForm("#snooze-form", "#snooze-minutes"),
      u: () => undoLast(),
      "?": () => toggleHelp(),
    }[k];
    if (act) {
      e.preventDefault();
      act();
    }
  });

  // Countdowns of held replies, to the second.
  function tick() {
    const now = Date.now() / 1000;
    document.querySelectorAll(".countdown").forEach((c) => {
      const left = Math.max(0, Math.round(Number(c.dataset.until) - now));
      c.textContent = left > 0 ? "sends in " + left + " s" : "sending…";
    });
  }
  setInterval(tick, 1000);

  // With a PostgreSQL store the server says when another process changed
  // something; the queue refreshes at once instead of at the next poll.
  async function listen() {
    for (;;) {
      try {
        const res = await fetch("/api/events/wait");
        if (res.headers.get("x-events") === "none" || res.status === 401) return;
        if (res.status === 200) {
          htmx.trigger(document.body, "queueChanged");
          await new Promise((r) => setTimeout(r, 500));
        }
      } catch (e) {
        await new Promise((r) => setTimeout(r, 5000));
      }
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    if ($("#queue")) listen();
    tick();
    const first = rows()[0];
    const shown = $("#detail [data-ref]");
    const match = shown && rows().find((r) => r.dataset.ref === shown.dataset.ref);
    if (match) select(match, false);
    else if (first) select(first, !shown);
  });
})();
