/* AutoML: the little behaviour every page shares. No framework; htmx does the rest.
   - theme preview on the profile page
   - confirmation dialog for anything with data-confirm="message"
   - toasts: auto-dismiss, close button, and AutoML.toast() for script-side messages
   - friendly toasts when an htmx request fails
   - dropdown menus (<details class="menu">) and the phone navigation
   - sortable tables (table[data-sortable])
   - copy buttons (button[data-copy="#selector"]) */
(function () {
  "use strict";

  /* ---- Toasts ------------------------------------------------------------------------ */
  const TOAST_MS = 5000;
  const TOAST_ERROR_MS = 10000;

  function dismissToast(toast) {
    if (toast.classList.contains("is-leaving")) return;
    toast.classList.add("is-leaving");
    window.setTimeout(function () {
      toast.remove();
    }, 220);
  }

  function armToast(toast) {
    if (toast.dataset.armed) return;
    toast.dataset.armed = "1";
    const delay = toast.classList.contains("toast-error") ? TOAST_ERROR_MS : TOAST_MS;
    let timer = window.setTimeout(dismissToast, delay, toast);
    // Someone reading or about to click should not lose the message under the pointer.
    const pause = function () {
      window.clearTimeout(timer);
    };
    const resume = function () {
      timer = window.setTimeout(dismissToast, 2500, toast);
    };
    toast.addEventListener("mouseenter", pause);
    toast.addEventListener("focusin", pause);
    toast.addEventListener("mouseleave", resume);
    toast.addEventListener("focusout", resume);
  }

  function toast(level, message) {
    const region = document.getElementById("toasts");
    if (!region) return;
    const el = document.createElement("div");
    el.className = "toast toast-" + level;
    el.setAttribute("role", level === "error" ? "alert" : "status");
    const icon = document.createElement("span");
    icon.className = "toast-icon";
    icon.setAttribute("aria-hidden", "true");
    const text = document.createElement("div");
    text.className = "toast-message";
    text.textContent = message;
    const close = document.createElement("button");
    close.type = "button";
    close.className = "toast-close";
    close.setAttribute("aria-label", "Dismiss");
    close.textContent = "×";
    el.append(icon, text, close);
    region.append(el);
  }

  function initToasts() {
    const region = document.getElementById("toasts");
    if (!region) return;
    region.querySelectorAll(".toast").forEach(armToast);
    // Toasts arrive later too: htmx out-of-band swaps and AutoML.toast().
    new MutationObserver(function () {
      region.querySelectorAll(".toast").forEach(armToast);
    }).observe(region, { childList: true, subtree: true });
    region.addEventListener("click", function (event) {
      const button = event.target.closest(".toast-close");
      if (button) dismissToast(button.closest(".toast"));
    });
  }

  /* ---- htmx: say what went wrong ----------------------------------------------------- */
  function failureMessage(status) {
    if (status === 0) return "Could not reach the server. Check your connection and try again.";
    if (status === 400) return "The request was not accepted. Check what you entered and try again.";
    if (status === 403) return "You do not have permission to do this.";
    if (status === 404) return "Not found. It may have been deleted, or you no longer have access.";
    if (status === 413) return "That is too large for the server to accept.";
    if (status === 429) return "Too many requests. Wait a moment and try again.";
    if (status >= 500) return "Something went wrong on our side. Try again in a moment.";
    return "The request failed (" + status + ").";
  }

  document.addEventListener("htmx:responseError", function (event) {
    toast("error", failureMessage(event.detail.xhr.status));
  });
  document.addEventListener("htmx:sendError", function () {
    toast("error", failureMessage(0));
  });

  /* ---- Confirmation dialog ----------------------------------------------------------- */
  // The element (form or control) the user just confirmed: let its next event through once.
  let confirmed = null;

  function askConfirm(source, onConfirm) {
    const dialog = document.getElementById("confirm-dialog");
    const message = source.dataset.confirm || "Are you sure?";
    if (!dialog || typeof dialog.showModal !== "function") {
      if (window.confirm(message)) onConfirm();
      return;
    }
    dialog.querySelector("[data-confirm-title]").textContent = source.dataset.confirmTitle || "Are you sure?";
    dialog.querySelector("[data-confirm-message]").textContent = message;
    dialog.querySelector("[data-confirm-ok]").textContent = source.dataset.confirmLabel || "Confirm";
    dialog.returnValue = "";
    dialog.addEventListener(
      "close",
      function () {
        if (dialog.returnValue === "confirm") onConfirm();
      },
      { once: true },
    );
    dialog.showModal();
  }

  // Capture phase, so that neither the browser nor htmx acts before the user said yes.
  document.addEventListener(
    "submit",
    function (event) {
      const form = event.target;
      const submitter = event.submitter;
      let source = null;
      if (submitter && submitter.hasAttribute("data-confirm")) source = submitter;
      else if (form.hasAttribute("data-confirm")) source = form;
      if (!source) return;
      if (confirmed === form) {
        confirmed = null;
        return;
      }
      event.preventDefault();
      event.stopImmediatePropagation();
      askConfirm(source, function () {
        confirmed = form;
        if (submitter) form.requestSubmit(submitter);
        else form.requestSubmit();
      });
    },
    true,
  );

  document.addEventListener(
    "click",
    function (event) {
      const el = event.target.closest("[data-confirm]");
      if (!el || el.tagName === "FORM") return;
      if (el.form && (el.type === "submit" || el.type === "image")) return; // handled on submit
      if (confirmed === el) {
        confirmed = null;
        return;
      }
      event.preventDefault();
      event.stopImmediatePropagation();
      askConfirm(el, function () {
        confirmed = el;
        el.click();
      });
    },
    true,
  );

  /* ---- Menus and the phone navigation ------------------------------------------------ */
  function closeMenus(except) {
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (menu !== except) menu.removeAttribute("open");
    });
  }

  document.addEventListener("click", function (event) {
    const inside = event.target.closest("details.menu");
    closeMenus(inside);
    const toggle = event.target.closest("[data-nav-toggle]");
    if (toggle) {
      const nav = toggle.closest(".topnav");
      const open = !nav.classList.contains("is-open");
      nav.classList.toggle("is-open", open);
      toggle.setAttribute("aria-expanded", String(open));
    }
  });

  // Opening one menu closes the others (toggle does not bubble, hence capture).
  document.addEventListener(
    "toggle",
    function (event) {
      if (event.target.matches && event.target.matches("details.menu") && event.target.open) {
        closeMenus(event.target);
      }
    },
    true,
  );

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    const menu = document.querySelector("details.menu[open]");
    if (menu) {
      menu.removeAttribute("open");
      menu.querySelector("summary").focus();
      return;
    }
    const nav = document.querySelector(".topnav.is-open");
    if (nav) {
      nav.classList.remove("is-open");
      const toggle = nav.querySelector("[data-nav-toggle]");
      toggle.setAttribute("aria-expanded", "false");
      toggle.focus();
    }
  });

  /* ---- Theme preview ----------------------------------------------------------------- */
  // The saved choice comes from the server (<html data-theme>); this only previews it.
  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-theme-preview]")) {
      document.documentElement.dataset.theme = event.target.value;
    }
  });

  // A one-time secret in a read-only box is selected on focus, ready to copy by keyboard.
  document.addEventListener("focusin", function (event) {
    if (event.target.matches("[data-select-on-focus]")) event.target.select();
  });

  /* ---- Copy buttons ------------------------------------------------------------------ */
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    // Plain-HTTP installs have no Clipboard API: fall back to a selection.
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.append(area);
    area.select();
    const ok = document.execCommand("copy");
    area.remove();
    return ok ? Promise.resolve() : Promise.reject(new Error("copy failed"));
  }

  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-copy]");
    if (!button) return;
    const target = document.querySelector(button.dataset.copy);
    if (!target) return;
    const text = "value" in target && target.tagName !== "BUTTON" ? target.value : target.textContent.trim();
    const label = button.querySelector("[data-copy-label]") || button;
    const original = label.textContent;
    copyText(text).then(
      function () {
        label.textContent = "Copied";
        window.setTimeout(function () {
          label.textContent = original;
        }, 1600);
      },
      function () {
        toast("warning", "Could not copy automatically. Select the text and copy it by hand.");
      },
    );
  });

  /* ---- Sortable tables --------------------------------------------------------------- */
  const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;

  function sortKey(row, index) {
    const cell = row.cells[index];
    if (!cell) return "";
    return (cell.dataset.sortValue !== undefined ? cell.dataset.sortValue : cell.textContent).trim();
  }

  function compareKeys(a, b) {
    // Blank and dash cells go last whatever the direction is, handled by the caller.
    const na = a.replace(/[,\s%]/g, "");
    const nb = b.replace(/[,\s%]/g, "");
    if (NUMBER.test(na) && NUMBER.test(nb)) return parseFloat(na) - parseFloat(nb);
    return a.localeCompare(b, undefined, { numeric: true, sensitivity: "base" });
  }

  function isBlank(key) {
    return key === "" || key === "—" || key === "-";
  }

  function sortTable(table, th) {
    const index = th.cellIndex;
    const ascending = th.getAttribute("aria-sort") !== "ascending";
    table.querySelectorAll("thead th[aria-sort]").forEach(function (other) {
      other.removeAttribute("aria-sort");
    });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    Array.from(table.tBodies).forEach(function (body) {
      const rows = Array.from(body.rows).map(function (row) {
        return { row: row, key: sortKey(row, index) };
      });
      rows.sort(function (x, y) {
        if (isBlank(x.key) !== isBlank(y.key)) return isBlank(x.key) ? 1 : -1;
        const result = compareKeys(x.key, y.key);
        return ascending ? result : -result;
      });
      rows.forEach(function (item) {
        body.append(item.row);
      });
    });
  }

  function initSortable(root) {
    const tables = Array.from(root.querySelectorAll("table[data-sortable]"));
    if (root.matches && root.matches("table[data-sortable]")) tables.push(root);
    tables.forEach(function (table) {
      if (table.dataset.sortReady) return;
      table.dataset.sortReady = "1";
      table.querySelectorAll("thead th").forEach(function (th) {
        if (th.hasAttribute("data-nosort") || !th.textContent.trim()) return;
        const button = document.createElement("button");
        button.type = "button";
        button.className = "sort-btn";
        button.append(...th.childNodes);
        th.append(button);
        button.addEventListener("click", function () {
          sortTable(table, th);
        });
      });
    });
  }

  /* ---- Start ------------------------------------------------------------------------- */
  function init() {
    initToasts();
    initSortable(document);
  }

  // Fragments swapped in by htmx may bring sortable tables with them.
  document.addEventListener("htmx:load", function (event) {
    initSortable(event.detail.elt);
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();

  window.AutoML = { toast: toast, initSortable: initSortable };
})();
