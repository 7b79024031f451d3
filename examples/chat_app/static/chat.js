// The chat page: sends the conversation to the app and renders the reply token by token.
// WebSocket frames (pump_to_websocket): start {request_id}, token {text}, done, error {...}.
// Server-sent events (sse_response): chat chunks, [DONE], or an {error, error_type, ...} event.
"use strict";

const $ = (id) => document.getElementById(id);
const history = [];  // the conversation sent with each request
let current = null;  // the reply being streamed: {li, text, meta, stop(), requestId, tokens}
let countdownTimer = null;

fetch("/config").then((r) => r.json()).then((config) => {
  $("model").textContent = `${config.model} · ${config.mode}`;
});

const TITLES = {
  ModelLoadingError: "The model is loading",
  RateLimitError: "Rate limited",
  IncompleteStreamError: "The stream broke",
  APIConnectionError: "The stream broke",
  InferenceTimeoutError: "The model did not answer in time",
  InvalidInputError: "The request was not valid",
};

function setStatus(text) { $("status").textContent = text; }

function addMessage(role, text) {
  const li = document.createElement("li");
  li.className = role;
  const body = document.createElement("span");
  body.className = "text";
  body.textContent = text;
  li.append(body);
  $("messages").append(li);
  li.scrollIntoView({ block: "end" });
  return li;
}

function startReply(stop) {
  const li = addMessage("assistant", "");
  li.classList.add("streaming");
  const meta = document.createElement("span");
  meta.className = "meta";
  li.append(meta);
  current = { li, text: li.querySelector(".text"), meta, stop, requestId: null, tokens: 0, content: "" };
  $("send").disabled = true;
  $("stop").disabled = false;
  setStatus("streaming…");
}

function showRequestId(requestId) {
  if (!current || !requestId) return;
  current.requestId = requestId;
  renderMeta(current);
}

function renderMeta(reply, extra) {
  const parts = [];
  if (reply.requestId) parts.push(`request id ${reply.requestId}`);
  parts.push(`${reply.tokens} tokens`);
  if (extra) parts.push(extra);
  reply.meta.textContent = parts.join(" · ");
  reply.li.dataset.requestId = reply.requestId || "";
}

function addToken(text) {
  if (!current || !text) return;
  current.text.append(text);  // a text node per token: no re-render of what is already there
  current.content += text;
  current.tokens += 1;
  renderMeta(current);
  current.li.scrollIntoView({ block: "end" });
}

function finish(state, extra) {
  if (!current) return;
  const reply = current;
  current = null;
  reply.li.classList.remove("streaming");
  reply.li.dataset.state = state;
  renderMeta(reply, extra);
  if (reply.content) history.push({ role: "assistant", content: reply.content });
  $("send").disabled = false;
  $("stop").disabled = true;
  setStatus(state);
}

function showError(payload) {
  const box = $("error");
  const type = payload.error_type || "Error";
  const requestId = payload.request_id || (current && current.requestId);
  box.hidden = false;
  box.dataset.errorType = type;
  $("error-title").textContent = TITLES[type] || (payload.status ? `The API answered ${payload.status}` : "The stream broke");
  $("error-message").textContent = payload.error + (requestId ? ` (request id ${requestId})` : "");
  const wait = type === "ModelLoadingError" ? payload.estimated_time : payload.retry_after;
  if (wait) startCountdown(wait, type === "ModelLoadingError" ? "ready in about" : "try again in");
  finish("failed", type);
}

function startCountdown(seconds, label) {
  const el = $("countdown");
  const until = Date.now() + seconds * 1000;
  const tick = () => {
    const left = Math.max(0, Math.ceil((until - Date.now()) / 1000));
    el.textContent = left > 0 ? `${label} ${left} s` : "Try again now.";
    el.dataset.seconds = String(left);
    if (left === 0) { clearInterval(countdownTimer); countdownTimer = null; }
  };
  el.hidden = false;
  tick();
  countdownTimer = setInterval(tick, 250);
}

function clearError() {
  $("error").hidden = true;
  $("countdown").hidden = true;
  if (countdownTimer) clearInterval(countdownTimer);
  countdownTimer = null;
}

// -- WebSocket -----------------------------------------------------------------------------

function sendOverWebSocket(messages) {
  const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws/chat`);
  let ended = false;
  startReply(() => { ended = true; ws.close(1000, "stopped"); finish("stopped"); });
  ws.onopen = () => ws.send(JSON.stringify({ messages }));
  ws.onmessage = (event) => {
    const frame = JSON.parse(event.data);
    if (frame.type === "start") showRequestId(frame.request_id);
    else if (frame.type === "token") addToken(frame.text);
    else if (frame.type === "done") { ended = true; finish("done", frame.finish_reason ? `finish: ${frame.finish_reason}` : ""); }
    else if (frame.type === "error") { ended = true; showError(frame); }
  };
  ws.onclose = (event) => {
    if (!ended) showError({ error: `connection to the app closed (${event.code})`, error_type: "ConnectionLost" });
  };
}

// -- server-sent events over fetch (POST, abortable, headers readable) -----------------------

async function sendOverSSE(messages) {
  const abort = new AbortController();
  let stopped = false;
  startReply(() => { stopped = true; abort.abort(); finish("stopped"); });
  try {
    const response = await fetch("/sse/chat", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
      body: JSON.stringify({ messages }),
      signal: abort.signal,
    });
    showRequestId(response.headers.get("X-Request-Id"));
    if (!response.ok) { showError(await response.json()); return; }
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    let finishReason = null;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = event.split("\n").filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trimStart()).join("\n");
        if (!data) continue;  // a keep-alive comment
        if (data === "[DONE]") { finish("done", finishReason ? `finish: ${finishReason}` : ""); return; }
        const chunk = JSON.parse(data);
        if (chunk.error) { showError(chunk); return; }
        const choice = chunk.choices && chunk.choices[0];
        if (choice) { addToken(choice.delta && choice.delta.content); finishReason = choice.finish_reason || finishReason; }
      }
    }
    if (current) showError({ error: "the stream ended without [DONE]", error_type: "IncompleteStreamError" });
  } catch (err) {
    if (!stopped) showError({ error: String(err), error_type: "ConnectionLost" });
  }
}

// -- the form --------------------------------------------------------------------------------

$("form").addEventListener("submit", (event) => {
  event.preventDefault();
  const prompt = $("prompt").value.trim();
  if (!prompt || current) return;
  clearError();
  addMessage("user", prompt);
  history.push({ role: "user", content: prompt });
  $("prompt").value = "";
  const transport = document.querySelector("input[name=transport]:checked").value;
  if (transport === "sse") sendOverSSE(history.slice());
  else sendOverWebSocket(history.slice());
});

$("prompt").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); $("form").requestSubmit(); }
});

$("stop").addEventListener("click", () => { if (current) current.stop(); });
