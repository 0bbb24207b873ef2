/* AutoML: dataset ingestion in the browser.
   - Upload forms (form[data-upload]): drag and drop, file summary, a client-side size check,
     and a real upload progress bar (XMLHttpRequest upload events: percent and MB sent).
     The post carries the htmx headers, so the server answers an HX-Redirect to the dataset
     page, or the form fragment with its errors, which replaces the form here.
     Without this script the same form posts normally.
     A form marked data-upload-optional (scoring a file or a dataset) posts as usual without a file.
     A compact form (form[data-upload-auto], the project page's drop zone) has no submit button:
     a file dropped or chosen there is sent at once, and a refused one shows why in place.
   - Dataset pages: when #dataset-progress (templates/datasets/includes/progress.html) goes
     from "processing" to ready or failed, by a WebSocket message or by polling, the page's
     <main> is fetched again and swapped in place, so the tabs show the new data at once.
   Loaded by the upload pages and by the progress fragment; it initialises only once. */
(function () {
  "use strict";

  if (window.AutoMLDatasets) return;
  window.AutoMLDatasets = { version: 1 };

  const KB = 1024;
  const MB = 1024 * 1024;
  const GB = 1024 * MB;
  const KNOWN_EXTENSIONS = /\.(csv|txt|tsv|tab|xlsx|xlsm|parquet|pq|json|jsonl|ndjson)$/i;
  const uploads = new Set();

  function formatBytes(bytes) {
    if (bytes < KB) return bytes + " B";
    if (bytes < MB) return (bytes / KB).toFixed(1) + " KB";
    if (bytes < GB) return (bytes / MB).toFixed(1) + " MB";
    return (bytes / GB).toFixed(2) + " GB";
  }

  function stem(filename) {
    let name = filename.replace(/^.*[\\/]/, "");
    name = name.replace(/\.(gz|zip)$/i, "").replace(KNOWN_EXTENSIONS, "");
    return name || filename;
  }

  function fileInput(form) {
    return form.querySelector('input[type="file"]');
  }

  function part(form, name) {
    return form.querySelector("[data-upload-" + name + "]");
  }

  /* ---- Messages ------------------------------------------------------------------------ */
  function showError(form, message) {
    const slot = part(form, "error");
    if (!slot) return;
    slot.textContent = message;
    slot.hidden = !message;
  }

  function isAuto(form) {
    return form.hasAttribute("data-upload-auto");
  }

  /* ---- The chosen file ----------------------------------------------------------------- */
  /* Show the chosen file; false when it is over the size limit (the reason is shown). */
  function showFile(form) {
    const input = fileInput(form);
    const file = input && input.files && input.files[0];
    const summary = form.querySelector("[data-file-summary]");
    const zone = form.querySelector("[data-dropzone]");
    showError(form, "");
    if (zone) {
      zone.classList.toggle("has-file", Boolean(file));
      zone.classList.remove("has-error");
    }
    if (summary) {
      summary.hidden = !file;
      summary.textContent = file ? file.name + " · " + formatBytes(file.size) : "";
    }
    if (!file) return false;
    const name = form.querySelector('input[name="name"]');
    if (name) name.placeholder = stem(file.name);
    const max = Number(form.dataset.maxBytes || 0);
    if (max && file.size > max) {
      showError(form, form.dataset.limitMessage);
      return false;
    }
    return true;
  }

  /* A compact form sends the file as soon as it is chosen and fits. */
  function chosen(form) {
    if (showFile(form) && isAuto(form)) {
      if (typeof form.requestSubmit === "function") form.requestSubmit();
      else start(form);
    }
  }

  function setFile(form, file, quiet) {
    const input = fileInput(form);
    if (!input || !file || typeof DataTransfer !== "function") return;
    const transfer = new DataTransfer();
    transfer.items.add(file);
    input.files = transfer.files;
    if (quiet) showFile(form);
    else chosen(form);
  }

  document.addEventListener("change", function (event) {
    const form = event.target.closest && event.target.closest("form[data-upload]");
    if (form && event.target.type === "file" && !form.dataset.uploading) chosen(form);
  });

  /* ---- Drag and drop ------------------------------------------------------------------- */
  function hasFiles(event) {
    return event.dataTransfer && Array.from(event.dataTransfer.types || []).indexOf("Files") !== -1;
  }

  document.addEventListener("dragover", function (event) {
    if (!hasFiles(event) || !document.querySelector("form[data-upload]")) return;
    // On an upload page a file dropped beside the zone must not make the browser open it.
    event.preventDefault();
    const zone = event.target.closest && event.target.closest("[data-dropzone]");
    event.dataTransfer.dropEffect = zone ? "copy" : "none";
    document.querySelectorAll("[data-dropzone]").forEach(function (el) {
      el.classList.toggle("is-dragover", el === zone);
    });
  });

  document.addEventListener("dragleave", function (event) {
    const zone = event.target.closest && event.target.closest("[data-dropzone]");
    if (zone && !zone.contains(event.relatedTarget)) zone.classList.remove("is-dragover");
  });

  document.addEventListener("drop", function (event) {
    if (!hasFiles(event) || !document.querySelector("form[data-upload]")) return;
    event.preventDefault();
    const zone = event.target.closest && event.target.closest("[data-dropzone]");
    document.querySelectorAll("[data-dropzone]").forEach(function (el) {
      el.classList.remove("is-dragover");
    });
    if (!zone || !event.dataTransfer.files.length) return;
    const form = zone.closest("form");
    if (form && !form.dataset.uploading) setFile(form, event.dataTransfer.files[0]);
  });

  /* ---- Sending with progress ----------------------------------------------------------- */
  function setBar(form, percent, indeterminate) {
    const bar = part(form, "bar");
    if (!bar) return;
    bar.classList.toggle("progress-indeterminate", Boolean(indeterminate));
    bar.setAttribute("aria-valuenow", String(percent));
    bar.firstElementChild.style.width = percent + "%";
  }

  function setUploading(form, xhr) {
    const busy = Boolean(xhr);
    form.dataset.uploading = busy ? "1" : "";
    form.classList.toggle("is-uploading", busy);
    if (busy) uploads.add(form);
    else uploads.delete(form);
    part(form, "progress").hidden = !busy;
    const submit = part(form, "submit");
    if (submit) submit.disabled = busy;
    part(form, "abort").hidden = !busy;
    form._xhr = xhr || null;
  }

  function showProgress(form, loaded, total) {
    const percent = total ? Math.min(100, Math.floor((loaded / total) * 100)) : 0;
    setBar(form, percent, false);
    part(form, "percent").textContent = percent + "%";
    part(form, "status").textContent = "Uploading…";
    part(form, "bytes").textContent = formatBytes(loaded) + " of " + formatBytes(total) + " sent";
  }

  function showChecking(form) {
    setBar(form, 100, true);
    part(form, "percent").textContent = "100%";
    part(form, "status").textContent = "Uploaded. Checking the file…";
  }

  function failed(form, message) {
    setUploading(form, null);
    setBar(form, 0, false);
    if (isAuto(form)) {
      // Empty the picker, so choosing the same file again (e.g. after "Stop upload") sends it.
      fileInput(form).value = "";
      showFile(form);
    }
    showError(form, message);
  }

  function replaceForm(form, html, file) {
    const container = form.parentElement;
    container.innerHTML = html;
    if (window.htmx) window.htmx.process(container);
    const fresh = container.querySelector("form[data-upload]");
    if (!fresh) return;
    // Keep the chosen file unless the file itself was refused (e.g. the name was taken), and
    // never in a compact form, which would send it again.
    const fileField = fileInput(fresh);
    if (file && fileField && !isAuto(fresh) && !fileField.closest(".field.has-error")) setFile(fresh, file, true);
    const problem = fresh.querySelector(".form-errors, .field.has-error, [data-upload-error]:not([hidden])");
    if (problem) {
      problem.scrollIntoView({ block: "center", behavior: "smooth" });
      const control = problem.querySelector("input, select, textarea");
      if (control) control.focus({ preventScroll: true });
    }
  }

  function finished(form, xhr, file) {
    const redirect = xhr.getResponseHeader("HX-Redirect");
    if (redirect) {
      part(form, "status").textContent = "Uploaded. Opening the dataset…";
      uploads.delete(form);
      window.location.assign(redirect);
      return;
    }
    const html = (xhr.getResponseHeader("Content-Type") || "").indexOf("text/html") === 0;
    if ((xhr.status === 200 || xhr.status === 400) && html) {
      setUploading(form, null);
      replaceForm(form, xhr.responseText, file);
      return;
    }
    if (xhr.status === 413) failed(form, form.dataset.limitMessage);
    else if (xhr.status === 403) failed(form, "You do not have permission to upload data here.");
    else if (xhr.status === 0) failed(form, "Could not reach the server. Check your connection and try again.");
    else failed(form, "The upload failed (" + xhr.status + "). Try again in a moment.");
  }

  function send(form, file) {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("HX-Request", "true");
    xhr.setRequestHeader("HX-Target", form.parentElement.id || "");
    xhr.setRequestHeader("HX-Current-URL", window.location.href);
    const csrf = form.querySelector('[name="csrfmiddlewaretoken"]');
    if (csrf) xhr.setRequestHeader("X-CSRFToken", csrf.value);
    xhr.upload.addEventListener("progress", function (event) {
      if (event.lengthComputable) showProgress(form, event.loaded, event.total);
    });
    // Every byte is sent; the server now checks the file before answering.
    xhr.upload.addEventListener("load", function () {
      showChecking(form);
    });
    xhr.addEventListener("load", function () {
      finished(form, xhr, file);
    });
    xhr.addEventListener("error", function () {
      failed(form, "Could not reach the server. Check your connection and try again.");
    });
    xhr.addEventListener("abort", function () {
      failed(form, "Upload stopped. Nothing was saved.");
    });
    setUploading(form, xhr);
    showProgress(form, 0, file.size);
    xhr.send(new FormData(form));
  }

  function start(form) {
    if (form.dataset.uploading) return;
    const input = fileInput(form);
    const file = input && input.files && input.files[0];
    if (!file) {
      showError(form, "Choose a file to upload.");
      return;
    }
    const max = Number(form.dataset.maxBytes || 0);
    if (max && file.size > max) {
      showError(form, form.dataset.limitMessage);
      return;
    }
    showError(form, "");
    send(form, file);
  }

  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (!form.matches || !form.matches("form[data-upload]")) return;
    if (typeof FormData !== "function" || typeof XMLHttpRequest !== "function") return;
    // A form where the file is one choice among others (data-upload-optional) posts as usual
    // when no file is chosen.
    const input = fileInput(form);
    if (form.hasAttribute("data-upload-optional") && !(input && input.files && input.files.length)) return;
    event.preventDefault();
    start(form);
  });

  document.addEventListener("click", function (event) {
    const button = event.target.closest && event.target.closest("[data-upload-abort]");
    if (!button) return;
    const form = button.closest("form");
    if (form && form._xhr) form._xhr.abort();
  });

  window.addEventListener("beforeunload", function (event) {
    if (!uploads.size) return;
    event.preventDefault();
    event.returnValue = "";
  });

  /* ---- Dataset page: refresh when processing ends --------------------------------------- */
  let lastStatus = null;
  let refreshing = false;

  function progressStatus() {
    const el = document.getElementById("dataset-progress");
    return el ? el.dataset.status : null;
  }

  function refreshMain() {
    if (!window.htmx || !document.getElementById("main")) {
      window.location.reload();
      return;
    }
    refreshing = true;
    window.htmx
      .ajax("GET", window.location.href, { target: "#main", select: "#main", swap: "outerHTML" })
      .finally(function () {
        refreshing = false;
        lastStatus = progressStatus();
      });
  }

  function checkProgress() {
    const status = progressStatus();
    if (status === null || refreshing) return;
    if (lastStatus === "processing" && status !== "processing") {
      lastStatus = status;
      refreshMain();
      return;
    }
    lastStatus = status;
  }

  ["htmx:wsAfterMessage", "htmx:afterSettle", "htmx:load"].forEach(function (name) {
    document.addEventListener(name, checkProgress);
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", checkProgress);
  else checkProgress();
})();
