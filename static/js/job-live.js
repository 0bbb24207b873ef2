/* The live view of a training job (templates/training/job_detail.html).

   Opens /ws/jobs/{id}/?after=N, where N is the last log line the page has, so the server
   replays only what is missing (everything for a fresh page, the gap after a reconnect), then
   streams new lines, progress, leaderboard updates and state changes. Messages are JSON with
   server-rendered HTML (training/live.py). If the socket cannot be kept open, the page polls
   the same messages from /jobs/{id}/live/?after=N instead. When the job finishes, the page
   reloads once to show the results. The console scrolls with new lines unless the reader
   scrolled up (or paused it with the button). */
(function () {
  "use strict";

  const root = document.getElementById("job-live");
  if (!root) return;
  const consoleBox = document.getElementById("console");
  const autoscrollButton = root.querySelector("[data-autoscroll]");
  const stateLabel = root.querySelector("[data-socket-state]");
  let lastId = parseInt(root.dataset.after || "0", 10);
  let active = root.dataset.active === "1";
  let autoscroll = true;
  let socket = null;
  let failures = 0;
  let pollTimer = null;
  let finished = false;

  /* ---- Console ---------------------------------------------------------------------- */
  function atBottom() {
    return consoleBox.scrollHeight - consoleBox.scrollTop - consoleBox.clientHeight < 24;
  }

  function setAutoscroll(on) {
    autoscroll = on;
    if (!autoscrollButton) return;
    autoscrollButton.setAttribute("aria-pressed", on ? "true" : "false");
    autoscrollButton.textContent = on ? "Autoscroll on" : "Autoscroll paused";
  }

  function scrollDown() {
    if (autoscroll) consoleBox.scrollTop = consoleBox.scrollHeight;
  }

  if (autoscrollButton) {
    autoscrollButton.addEventListener("click", function () {
      setAutoscroll(!autoscroll);
      scrollDown();
    });
  }
  consoleBox.addEventListener("scroll", function () {
    // Scrolling up to read pauses; coming back to the bottom resumes.
    if (atBottom() !== autoscroll) setAutoscroll(atBottom());
  });

  function appendLine(message) {
    if (message.id <= lastId) return; // a replay after reconnecting may repeat a line
    const empty = consoleBox.querySelector("[data-log-empty]");
    if (empty) empty.remove();
    consoleBox.insertAdjacentHTML("beforeend", message.html);
    lastId = message.id;
  }

  /* ---- Progress and clock ------------------------------------------------------------ */
  const clock = root.querySelector("[data-clock]");
  const bar = root.querySelector("[data-progress]");
  const stage = root.querySelector("[data-stage]");
  let startedAt = clock && clock.dataset.started ? Date.parse(clock.dataset.started) : null;
  const budget = clock ? parseFloat(clock.dataset.budget) : 0;

  function tick() {
    if (!clock || !startedAt || finished) return;
    const elapsed = Math.max(0, (Date.now() - startedAt) / 1000);
    const left = Math.max(0, budget - elapsed);
    clock.textContent = Math.round(elapsed) + " s elapsed · " + (left > 0 ? Math.round(left) + " s left" : "finishing");
  }

  function showProgress(message) {
    if (bar) {
      bar.setAttribute("aria-valuenow", String(message.progress));
      bar.querySelector(".progress-bar").style.width = message.progress + "%";
    }
    if (stage && message.stage) stage.textContent = message.status === "running" ? message.stage : stage.textContent;
    if (message.started_at && !startedAt) startedAt = Date.parse(message.started_at);
    tick();
  }

  /* ---- Leaderboard: keep ticked rows ticked across updates ---------------------------- */
  function replaceLeaderboard(html) {
    const current = document.getElementById("leaderboard");
    if (!current) return;
    const ticked = Array.from(current.querySelectorAll("input[name=trials]:checked")).map((box) => box.value);
    const sorted = current.querySelector("th[aria-sort]");
    const template = document.createElement("template");
    template.innerHTML = html.trim();
    const fresh = template.content.firstElementChild;
    ticked.forEach(function (value) {
      const box = fresh.querySelector('input[name=trials][value="' + value + '"]');
      if (box) box.checked = true;
    });
    current.replaceWith(fresh);
    if (window.AutoML) window.AutoML.initSortable(fresh);
    if (sorted) {
      // Keep the reader's sort: click the same header once (ascending) or twice (descending).
      const again = fresh.querySelectorAll("thead th")[sorted.cellIndex];
      const button = again && again.querySelector(".sort-btn");
      if (button) button.click();
      if (button && sorted.getAttribute("aria-sort") === "descending") button.click();
    }
  }

  /* ---- Messages ---------------------------------------------------------------------- */
  function handle(message) {
    if (message.type === "event") {
      const follow = autoscroll;
      appendLine(message);
      if (follow) scrollDown();
    } else if (message.type === "progress") {
      showProgress(message);
    } else if (message.type === "leaderboard") {
      replaceLeaderboard(message.html);
    } else if (message.type === "state") {
      if (message.status !== root.dataset.status) {
        root.dataset.status = message.status;
        document.querySelectorAll("[data-job-status]").forEach(function (badge) {
          badge.className = "badge badge-" + message.status;
          badge.textContent = message.status.charAt(0).toUpperCase() + message.status.slice(1);
        });
      }
      if (message.finished && active) finish();
    }
  }

  function finish() {
    finished = true;
    active = false;
    if (socket) socket.close(1000);
    if (pollTimer) window.clearTimeout(pollTimer);
    setState("finished");
    // The results (best model, evaluation) are rendered by the server: show them.
    window.setTimeout(function () {
      window.location.reload();
    }, 800);
  }

  function setState(text) {
    if (stateLabel) stateLabel.textContent = text;
  }

  /* ---- WebSocket, with polling as the fallback ---------------------------------------- */
  function connect() {
    if (finished) return;
    const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + root.dataset.wsPath + "?after=" + lastId);
    socket.addEventListener("open", function () {
      failures = 0;
      setState(active ? "live" : "");
    });
    socket.addEventListener("message", function (event) {
      handle(JSON.parse(event.data));
    });
    socket.addEventListener("close", function (event) {
      socket = null;
      if (finished || event.code === 4403) {
        if (event.code === 4403) setState("access ended");
        return;
      }
      failures += 1;
      if (failures >= 4) {
        setState("live updates by polling");
        poll();
        return;
      }
      setState("reconnecting…");
      window.setTimeout(connect, Math.min(8000, 500 * 2 ** failures));
    });
  }

  function poll() {
    if (finished) return;
    fetch(root.dataset.pollUrl + "?after=" + lastId, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (body) {
        body.messages.forEach(handle);
      })
      .catch(function () {
        setState("offline — retrying");
      })
      .finally(function () {
        if (!finished) pollTimer = window.setTimeout(poll, 2000);
      });
  }

  scrollDown();
  if (active) {
    window.setInterval(tick, 1000);
    tick();
    connect();
  }
})();
