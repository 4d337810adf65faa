// G-code console: the server's recent output (server.gcode_store), live notify_gcode_response
// lines, and an input with up/down history kept in the browser.
import type { App } from "./app.ts";
import { byId, h } from "./dom.ts";

const HISTORY_KEY = "stepline.consoleHistory";
const HISTORY_MAX = 100;
const LOG_MAX = 500;

function lineClass(line: string): string {
  if (line.startsWith("!!")) return "err";
  if (line.startsWith("// action:")) return "action";
  return "";
}

export function consolePanel(app: App): { loadStore(): Promise<void> } {
  const log = byId("console-log");
  const form = byId<HTMLFormElement>("console-form");
  const input = byId<HTMLInputElement>("console-input");
  let history: string[] = [];
  try {
    const saved = JSON.parse(localStorage.getItem(HISTORY_KEY) ?? "[]") as unknown;
    if (Array.isArray(saved)) history = saved.filter((x): x is string => typeof x === "string");
  } catch {
    // a damaged history is simply dropped
  }
  let cursor = history.length;

  const append = (text: string, cls: string) => {
    const stick = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
    log.append(h("div", { class: cls }, text));
    while (log.childElementCount > LOG_MAX) log.firstElementChild!.remove();
    if (stick) log.scrollTop = log.scrollHeight;
  };

  app.rpc.on("notify_gcode_response", (params) => {
    for (const p of params) if (typeof p === "string") append(p, lineClass(p));
  });
  app.onSent((script) => append(script, "cmd"));

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const script = input.value.trim();
    if (!script) return;
    if (history[history.length - 1] !== script) history.push(script);
    history = history.slice(-HISTORY_MAX);
    localStorage.setItem(HISTORY_KEY, JSON.stringify(history));
    cursor = history.length;
    input.value = "";
    void app.gcode(script);
  });
  input.addEventListener("keydown", (ev) => {
    if (ev.key === "ArrowUp" && cursor > 0) {
      cursor--;
      input.value = history[cursor]!;
      ev.preventDefault();
    } else if (ev.key === "ArrowDown" && cursor < history.length) {
      cursor++;
      input.value = history[cursor] ?? "";
      ev.preventDefault();
    }
  });

  return {
    async loadStore() {
      try {
        const r = await app.rpc.call<{ gcode_store: { message: string; type: string }[] }>("server.gcode_store", { count: 100 });
        log.replaceChildren();
        for (const e of r.gcode_store) append(e.message, e.type === "command" ? "cmd" : lineClass(e.message));
      } catch (e) {
        console.warn("dashboard: no G-code history", e);
      }
    },
  };
}
