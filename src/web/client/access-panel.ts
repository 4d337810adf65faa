// Network & access: server and API versions, this browser's authorization (access.info), the API
// key (access.get_api_key), trusted clients and CORS domains (server.config [authorization]), and
// an API key field for browsers outside the trusted networks.
import type { App } from "./app.ts";
import { byId, h } from "./dom.ts";
import { storeApiKey, storedApiKey } from "./rpc.ts";

interface ServerInfo {
  moonraker_version?: string;
  api_version_string?: string;
  components?: string[];
}

type Fact = [string, string | HTMLElement];

function fact(name: string, value: string | HTMLElement): Fact {
  return [name, value];
}

function listText(v: unknown): string {
  if (Array.isArray(v)) return v.length ? v.join(", ") : "none";
  if (typeof v === "string") return v.trim() ? v.trim().split(/\s*\n\s*/).join(", ") : "none";
  return "not set";
}

async function optional<T>(p: Promise<T>): Promise<T | null> {
  try {
    return await p;
  } catch {
    return null;
  }
}

export function accessPanel(app: App): { refresh(info: ServerInfo, hostname: string): Promise<void> } {
  const facts = byId("access-facts");
  const keyForm = byId<HTMLFormElement>("key-form");
  const keyInput = byId<HTMLInputElement>("key-input");
  keyInput.value = storedApiKey();
  keyForm.addEventListener("submit", (ev) => {
    ev.preventDefault();
    storeApiKey(keyInput.value.trim());
    location.reload();
  });

  return {
    async refresh(info, hostname) {
      const [access, apiKey, config] = await Promise.all([
        optional(app.rpc.call<{ trusted?: boolean; login_required?: boolean; default_source?: string }>("access.info")),
        optional(app.rpc.call<string>("access.get_api_key")),
        optional(app.rpc.call<{ config?: Record<string, Record<string, unknown>> }>("server.config")),
      ]);
      const rows: Fact[] = [fact("Host", hostname || location.hostname), fact("API", `${info.api_version_string ?? "?"} (Moonraker-compatible, ${info.moonraker_version ?? "?"})`)];
      if (access) rows.push(fact("This browser", access.trusted ? "trusted" : access.login_required ? "login required" : "not trusted"));
      if (apiKey) {
        const code = h("code", { id: "api-key", "data-key": apiKey }, "••••••••");
        const show = h("button", { type: "button" }, "Show");
        show.addEventListener("click", () => {
          code.textContent = code.textContent === apiKey ? "••••••••" : apiKey;
        });
        rows.push(fact("API key", h("span", {}, code, " ", show)));
      } else rows.push(fact("API key", "not available to this browser"));
      const auth = config?.config?.authorization;
      if (auth) {
        rows.push(fact("Trusted clients", listText(auth.trusted_clients)));
        rows.push(fact("CORS domains", listText(auth.cors_domains)));
        if (auth.force_logins !== undefined) rows.push(fact("Force logins", String(auth.force_logins)));
      }
      facts.replaceChildren(...rows.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
      // The key field only matters to a browser the server does not trust
      keyForm.hidden = access?.trusted === true && !storedApiKey();
    },
  };
}
