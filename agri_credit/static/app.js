// Repeatable form rows (household members, assets, …): add clones the row template with a
// fresh index; remove deletes the row (WTForms FieldList accepts gaps in indices).
document.querySelectorAll("fieldset.repeatable").forEach((fieldset) => {
  const rows = fieldset.querySelector(".rows");
  const template = fieldset.querySelector("template");
  const nextIndex = () => {
    let max = -1;
    rows.querySelectorAll("[name]").forEach((el) => {
      const m = el.name.match(/-(\d+)-/);
      if (m) max = Math.max(max, Number(m[1]));
    });
    return max + 1;
  };
  fieldset.querySelector(".add-row").addEventListener("click", () => {
    const html = template.innerHTML.replaceAll("__prefix__", String(nextIndex()));
    rows.insertAdjacentHTML("beforeend", html);
  });
  fieldset.addEventListener("click", (event) => {
    if (event.target.classList.contains("remove-row")) {
      event.target.closest(".repeat-row").remove();
    }
  });
});

// Behaviour that templates ask for with data- attributes; the Content-Security-Policy allows
// no inline scripts or on*= handlers, so it lives here.
// <form data-confirm="question">: submit only after the user confirms.
document.querySelectorAll("form[data-confirm]").forEach((form) => {
  form.addEventListener("submit", (event) => {
    if (!window.confirm(form.dataset.confirm)) event.preventDefault();
  });
});
// <button data-print>: print the page (certificates, plaques, notices).
document.querySelectorAll("[data-print]").forEach((button) => {
  button.addEventListener("click", () => window.print());
});
// <select data-autosubmit>: a filter that applies as soon as it changes.
document.querySelectorAll("select[data-autosubmit]").forEach((select) => {
  select.addEventListener("change", () => select.form.submit());
});
// [data-scroll-here]: after a failed save, bring the list of errors into view and focus it
// (on a phone the first red field can be far below the top of the page).
const scrollHere = document.querySelector("[data-scroll-here]");
if (scrollHere) {
  scrollHere.scrollIntoView({ block: "start" });
  scrollHere.focus({ preventScroll: true });
}
