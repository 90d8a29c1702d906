// The console keeps itself current: the queue and the open conversation are polled and
// replaced with fragments the server rendered (and escaped); nothing here turns data
// into HTML. The FAQ picker copies an answer into the reply box as plain text.
(function () {
  const script = document.currentScript;
  const every = Math.max(2, Number(script.dataset.pollSeconds) || 5) * 1000;
  const loginUrl = script.dataset.login;

  async function poll(url) {
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (response.status === 401) { window.location.href = loginUrl; return null; }
      return response.ok ? await response.json() : null;
    } catch (err) {
      return null; // offline for a moment: try again next time
    }
  }

  const rows = document.getElementById("queue-rows");
  if (rows) {
    const page = document.querySelector("[data-title]");
    const count = document.getElementById("waiting-count");
    const ids = () => new Set([...rows.querySelectorAll("tr[data-id]")].map((tr) => tr.dataset.id));
    let seen = ids();
    setInterval(async () => {
      const data = await poll(rows.dataset.poll + window.location.search);
      if (!data) return;
      rows.innerHTML = data.html; // server-rendered with Jinja autoescape
      for (const tr of rows.querySelectorAll("tr[data-id]")) {
        if (!seen.has(tr.dataset.id)) tr.classList.add("new");
      }
      seen = ids();
      count.textContent = String(data.waiting);
      document.title = (data.waiting ? "(" + data.waiting + ") " : "") + page.dataset.title;
    }, every);
  }

  const chat = document.getElementById("conversation");
  if (chat) {
    chat.scrollTop = chat.scrollHeight;
    setInterval(async () => {
      const data = await poll(chat.dataset.poll);
      if (!data) return;
      if (data.version !== chat.dataset.version) {
        const atBottom = chat.scrollHeight - chat.scrollTop - chat.clientHeight < 40;
        chat.innerHTML = data.html; // server-rendered with Jinja autoescape
        chat.dataset.version = data.version;
        if (atBottom) chat.scrollTop = chat.scrollHeight;
      }
      if (data.controls !== chat.dataset.controls) document.getElementById("changed").hidden = false;
    }, every);
  }

  const picker = document.getElementById("faq-pick");
  const reply = document.getElementById("reply-body");
  if (picker && reply) {
    picker.addEventListener("submit", (event) => {
      event.preventDefault();
      const option = document.getElementById("faq-select").selectedOptions[0];
      if (!option || !option.value) return;
      const answer = option.dataset.answer || "";
      reply.value = reply.value.trim() ? reply.value.trimEnd() + "\n\n" + answer : answer;
      reply.focus();
    });
  }
})();
