// The FAQ editor: live answer preview and the try-it box. Both post the form to the server
// and insert the fragment it rendered (and escaped); nothing here turns data into HTML.
(function () {
  const token = document.querySelector('meta[name="csrf-token"]').content;
  const entryForm = document.getElementById("entry-form");

  async function post(url, data) {
    try {
      const response = await fetch(url, {
        method: "POST",
        body: data,
        headers: { "X-CSRFToken": token, Accept: "application/json" },
        credentials: "same-origin",
      });
      return response.ok ? await response.json() : null;
    } catch (err) {
      return null; // offline for a moment: the next keystroke tries again
    }
  }

  // Try it: the message plus, on an entry page, the whole unsaved form.
  const tryForm = document.getElementById("try-form");
  const tryResult = document.getElementById("try-result");
  if (tryForm && tryResult) {
    tryForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const data = entryForm ? new FormData(entryForm) : new FormData();
      data.set("message", tryForm.elements.message.value);
      if (entryForm) {
        data.set("mode", entryForm.dataset.mode);
        data.set("entry_id", entryForm.dataset.entry);
      }
      tryResult.setAttribute("aria-busy", "true");
      const answer = await post(tryForm.action, data);
      tryResult.removeAttribute("aria-busy");
      if (answer) tryResult.innerHTML = answer.html; // server-rendered with Jinja autoescape
    });
  }

  // Preview: re-rendered a moment after the answer or the action changes.
  const preview = document.getElementById("preview");
  if (entryForm && preview) {
    let timer = null;
    const refresh = () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const data = new FormData();
        data.set("answer", entryForm.elements.answer.value);
        data.set("action", entryForm.elements.action.value);
        const answer = await post(entryForm.dataset.preview, data);
        if (answer) preview.innerHTML = answer.html; // server-rendered with Jinja autoescape
      }, 250);
    };
    entryForm.elements.answer.addEventListener("input", refresh);
    entryForm.elements.action.addEventListener("change", refresh);
  }

  // Buttons that undo or hide something ask first.
  for (const button of document.querySelectorAll("button[data-confirm]")) {
    button.addEventListener("click", (event) => {
      if (!window.confirm(button.dataset.confirm)) event.preventDefault();
    });
  }
})();
