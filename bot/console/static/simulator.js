// The simulated phone: sends messages and polls the conversation (officer replies too).
(function () {
  const token = document.querySelector('meta[name="csrf-token"]').content;
  const chat = document.getElementById("chat");
  const field = (id) => document.getElementById(id);
  let lastRendered = "";

  function who() {
    return { number: field("number").value, channel: field("channel").value, name: field("name").value };
  }

  // Show WhatsApp's *bold* and _italic_ as the phone would, building DOM nodes from
  // text so that nothing a citizen typed is ever interpreted as HTML.
  function appendFormatted(parent, text) {
    const pattern = /(^|[\s(])([*_])([^*_\n]+)\2(?=$|[\s).,!?:;])/g;
    let last = 0;
    for (const match of text.matchAll(pattern)) {
      const start = match.index + match[1].length;
      parent.appendChild(document.createTextNode(text.slice(last, start)));
      const styled = document.createElement(match[2] === "*" ? "strong" : "em");
      styled.textContent = match[3];
      parent.appendChild(styled);
      last = start + match[2].length * 2 + match[3].length;
    }
    parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function render(messages) {
    const key = JSON.stringify(messages.map((m) => [m.id, m.status]));
    if (key === lastRendered) return;
    lastRendered = key;
    chat.replaceChildren();
    for (const m of messages) {
      const bubble = document.createElement("div");
      bubble.className = "bubble " + (m.direction === "in" ? "mine" : "theirs") + " " + m.author;
      appendFormatted(bubble, m.body || "(lampiran)");
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
