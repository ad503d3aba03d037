// Behaviour the templates ask for with data attributes: the Content-Security-Policy forbids
// inline handlers and style attributes, so they live here.
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    const form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.dataset.confirm)) event.preventDefault();
  });

  document.addEventListener("click", function (event) {
    const field = event.target.closest("[data-select-on-click]");
    if (field) field.select();
    const button = event.target.closest("[data-sidebar]");
    if (button) {
      const sidebar = document.getElementById("sidebar").classList;
      if (button.dataset.sidebar === "toggle") sidebar.toggle("open");
      else sidebar.remove("open");
    }
  });

  document.addEventListener("change", function (event) {
    const field = event.target.closest("[data-submit-on-change]");
    if (field) field.form.submit();
  });

  // A category chip fetches its results itself; the search form has to remember the choice.
  document.addEventListener("htmx:beforeRequest", function (event) {
    const chip = event.target.closest("[data-sets-category]");
    if (chip) document.getElementById("catalog-category").value = chip.dataset.setsCategory;
  });

  // A field with a limit counts its characters instead of cutting a longer paste (which is what
  // an HTML maxlength does, silently); the server refuses what is over, naming the limit.
  function countCharacters(field) {
    const counter = field.nextElementSibling;
    const limit = Number(field.dataset.maxLength);
    const over = field.value.length > limit;
    counter.textContent = field.value.length.toLocaleString("en-US") + " / " +
      limit.toLocaleString("en-US") + (over ? " characters: too long, shorten it" : "");
    counter.classList.toggle("over", over);
    field.toggleAttribute("aria-invalid", over);
  }

  document.addEventListener("input", function (event) {
    if (event.target.matches("[data-max-length]")) countCharacters(event.target);
  });

  htmx.onLoad(function (root) {
    root.querySelectorAll("[data-progress]").forEach(function (bar) {
      bar.style.width = bar.dataset.progress + "%";
    });
    root.querySelectorAll("[data-max-length]").forEach(function (field) {
      const counter = document.createElement("small");
      counter.className = "help char-count";
      counter.setAttribute("aria-live", "polite");
      counter.dataset.testid = "char-count";
      field.after(counter);
      countCharacters(field);
    });
  });
})();
