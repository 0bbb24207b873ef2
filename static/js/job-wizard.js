/* The training wizard (templates/training/job_create.html): budget presets, the validation
   column shown only for time-ordered or grouped validation, and "use the recommended
   families" from the advice panel. The form works without it. Delegated listeners, because
   htmx re-renders the form when the dataset changes. */
(function () {
  "use strict";

  function form() {
    return document.getElementById("job-form");
  }

  function syncValidation() {
    const f = form();
    if (!f) return;
    const chosen = f.querySelector("input[name=validation]:checked");
    const strategy = chosen ? chosen.value : "kfold";
    const column = f.querySelector("[data-validation-column]");
    if (column) column.hidden = !(strategy === "time" || strategy === "group");
    const folds = f.querySelector("input[name=folds]");
    if (folds) folds.closest(".field").hidden = strategy === "holdout";
  }

  document.addEventListener("click", function (event) {
    const preset = event.target.closest("[data-budget]");
    if (preset && form() && form().contains(preset)) {
      const input = form().querySelector("input[name=time_budget_s]");
      input.value = preset.dataset.budget;
      input.dispatchEvent(new Event("change", { bubbles: true }));
      return;
    }
    const recommend = event.target.closest("[data-use-recommended]");
    if (recommend) {
      const advice = document.querySelector("[data-recommended]");
      if (!advice) return;
      const wanted = advice.dataset.recommended.trim().split(/\s+/);
      form()
        .querySelectorAll("input[name=families]")
        .forEach(function (box) {
          box.checked = wanted.includes(box.value);
        });
      form().dispatchEvent(new Event("change", { bubbles: true }));
    }
  });

  document.addEventListener("change", function (event) {
    if (event.target.name === "validation") syncValidation();
  });
  document.addEventListener("htmx:afterSwap", syncValidation);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", syncValidation);
  else syncValidation();
})();
