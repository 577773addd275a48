// The queue's live check (progressive enhancement; the page works without it). Every few
// seconds it asks /dashboard/live for the open urgent alerts; when their count or the newest
// one changes it fetches the queue's live part (/dashboard/live/queue), swaps it in and puts
// the count in the page title. These checks do not count as her using the page, so the
// session still ends when she leaves it (the guard then sends the page to the login form).
// WCAG 2.2.2: a button pauses it, remembered for this browser tab.
"use strict";

(() => {
  const live = document.getElementById("live");
  if (!live || !window.fetch) return;
  const every = Math.max(2, Number(live.dataset.every) || 5) * 1000;
  const PAUSED = "tandem.live.paused";
  let seen = `${live.dataset.count}:${live.dataset.newest}`;
  let timer = null;

  const note = document.createElement("span");
  const button = document.createElement("button");
  button.type = "button";
  live.prepend(note, " ", button, " ");

  function paused() {
    return sessionStorage.getItem(PAUSED) === "1";
  }

  function show() {
    const off = paused();
    note.textContent = off
      ? "Live updates are paused."
      : `The queue updates by itself (checked every ${every / 1000} seconds).`;
    button.textContent = off ? "Resume live updates" : "Pause live updates";
    button.setAttribute("aria-pressed", String(off));
  }

  async function get(url) {
    const response = await fetch(url, { credentials: "same-origin", cache: "no-store" });
    // Redirected to the login form (the session is over) or refused (her role changed):
    // the page itself must follow, so it no longer shows the queue.
    if (response.redirected || response.status === 403) {
      window.location.reload();
      return null;
    }
    if (!response.ok) throw new Error(`HTTP ${response.status}`); // try again later
    return response;
  }

  async function swap(title) {
    const response = await get(live.dataset.queue);
    if (!response) return;
    const fresh = document.createElement("template");
    fresh.innerHTML = await response.text(); // server-rendered and escaped, from this origin
    for (const id of ["urgent-status", "queue-sections"]) {
      const now = document.getElementById(id);
      const next = fresh.content.getElementById(id);
      // The same element with new content: a screen reader announces the status change.
      if (now && next) now.innerHTML = next.innerHTML;
    }
    document.title = title;
  }

  async function check() {
    timer = null;
    if (paused()) return;
    try {
      const response = await get(live.dataset.check);
      if (!response) return;
      const open = await response.json();
      const key = `${open.count}:${open.newest ?? ""}`;
      if (key !== seen) {
        await swap(open.title);
        seen = key;
      }
      show();
    } catch {
      note.textContent = "Tandem did not answer the last check; trying again.";
    }
    schedule();
  }

  function schedule() {
    if (timer === null && !paused()) timer = window.setTimeout(check, every);
  }

  button.addEventListener("click", () => {
    sessionStorage.setItem(PAUSED, paused() ? "0" : "1");
    show();
    if (paused()) {
      window.clearTimeout(timer);
      timer = null;
    } else {
      check();
    }
  });

  show();
  schedule();
})();
