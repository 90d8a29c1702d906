// The simulated phone: sends messages and polls the conversation (officer replies too).
(function () {
  const token = document.querySelector('meta[name="csrf-token"]').content;
  const chat = document.getElementById("chat");
  const field = (id) => document.getElementById(id);
  let lastRendered = "";

  function who() {
    return { number: field("number").value, channel: field("channel").value, name: field("name").value };
  }

  function render(messages) {
    const key = JSON.stringify(messages.map((m) => [m.id, m.status]));
    if (key === lastRendered) return;
    lastRendered = key;
    chat.replaceChildren();
    for (const m of messages) {
      const bubble = document.createElement("div");
      bubble.className = "bubble " + (m.direction === "in" ? "mine" : "theirs") + " " + m.author;
      bubble.textContent = m.body || "(lampiran)";  // textContent: citizen text is never HTML
      const meta = document.createElement("small");
      meta.textContent = (m.author === "officer" ? "Petugas · " : "") + new Date(m.at).toLocaleTimeString("id-ID");
      bubble.appendChild(meta);
      chat.appendChild(bubble);
    }
    chat.scrollTop = chat.scrollHeight;
  }

  async function refresh() {
    const q = new URLSearchParams({ number: who().number, channel: who().channel });
    const res = await fetch("/simulator/messages?" + q);
    if (res.ok) render((await res.json()).messages);
  }

  field("compose").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = field("text").value;
    field("text").value = "";
    await fetch("/simulator/send", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: JSON.stringify({ ...who(), text }),
    });
    refresh();
  });
  field("who").addEventListener("change", () => { lastRendered = ""; refresh(); });
  refresh();
  setInterval(refresh, 3000);
})();
