/* Schema tab helpers: filter the rows of the page as you type, mark rows whose type or role
   differ from what was inferred, reset a row without a round trip, and keep one target. The
   server applies the same rules on save, so the page works without this file too. */
(function () {
  "use strict";

  function rowsOf(selector) {
    const body = document.querySelector(selector);
    return body ? Array.from(body.querySelectorAll("tr[data-row]")) : [];
  }

  // Filter: hides rows on this page whose name does not contain the text; Enter searches all pages.
  document.querySelectorAll("input[data-filter-rows]").forEach((input) => {
    const rows = rowsOf(input.dataset.filterRows);
    const noMatch = document.querySelector("[data-no-match]");
    input.addEventListener("input", () => {
      const text = input.value.trim().toLowerCase();
      let visible = 0;
      for (const row of rows) {
        const show = !text || row.dataset.name.includes(text);
        row.hidden = !show;
        if (show) visible += 1;
      }
      if (noMatch) noMatch.hidden = visible > 0;
    });
  });

  const form = document.querySelector("form[data-schema-form]");
  if (!form) return;

  function field(row, name) {
    return row.querySelector(`select[data-field="${name}"]`);
  }

  function markChanged(row) {
    const type = field(row, "type");
    const role = field(row, "role");
    if (!type || !role) return;
    const changed = type.value !== row.dataset.inferredType || role.value !== row.dataset.inferredRole;
    row.classList.toggle("is-changed", changed);
    const mark = row.querySelector(".changed-mark");
    if (mark) mark.hidden = !changed;
    const reset = row.querySelector("[data-reset]");
    if (reset) reset.hidden = !changed;
  }

  form.addEventListener("change", (event) => {
    const select = event.target.closest("select[data-field]");
    if (!select) return;
    const row = select.closest("tr[data-row]");
    if (select.dataset.field === "role" && select.value === "target") {
      // One target only: the previous one becomes a feature, visibly.
      form.querySelectorAll('select[data-field="role"]').forEach((other) => {
        if (other !== select && other.value === "target") {
          other.value = "feature";
          const otherRow = other.closest("tr[data-row]");
          otherRow.classList.add("is-demoted");
          markChanged(otherRow);
        }
      });
    }
    row.classList.remove("is-demoted");
    markChanged(row);
  });

  form.addEventListener("click", (event) => {
    const button = event.target.closest("[data-reset]");
    if (!button) return;
    event.preventDefault();
    const row = button.closest("tr[data-row]");
    field(row, "type").value = row.dataset.inferredType;
    field(row, "role").value = row.dataset.inferredRole;
    markChanged(row);
  });
})();
