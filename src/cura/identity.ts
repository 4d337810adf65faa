// The Cura-facing identity of this printer: a uuid and an mDNS instance name that stay the same across
// restarts (Cura re-attaches a configured printer only if the same instance name re-appears).
import { randomUUID, sha256 } from "../util/crypto.ts";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import * as v from "valibot";

export interface CuraIdentity {
  /** Printer uuid in /cluster-api/v1/printers (jobs link to it). */
  uuid: string;
  /** mDNS service instance label, e.g. "stepline-pi-3f2a1c" (unique per host and data folder). */
  instance: string;
  /** mDNS host label for the A record, e.g. "stepline-pi-3f2a1c" (→ "stepline-pi-3f2a1c.local"). */
  hostLabel: string;
  /** Display name (TXT name, friendly_name): the machine's hostname. */
  name: string;
}

const Stored = v.object({ uuid: v.pipe(v.string(), v.uuid()) });

/** A DNS label from free text: lowercase letters, digits and '-', at most 40 characters. */
function dnsLabel(text: string): string {
  const label = text.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40);
  return label || "printer";
}

/** Read (or create once) the identity kept in <dataDir>/database/cura.json. */
export function loadCuraIdentity(dataDir: string, host = hostname()): CuraIdentity {
  const dir = join(dataDir, "database");
  const file = join(dir, "cura.json");
  let uuid: string | null = null;
  try {
    const parsed = v.safeParse(Stored, JSON.parse(readFileSync(file, "utf8")));
    if (parsed.success) uuid = parsed.output.uuid;
  } catch {
    // missing or unreadable: a new identity is written below
  }
  if (uuid === null) {
    uuid = randomUUID();
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${file}.tmp`, `${JSON.stringify({ uuid })}\n`);
    renameSync(`${file}.tmp`, file);
  }
  // Two Steplines on one host (two data folders) must not share an instance name.
  const suffix = sha256().update(resolve(dataDir)).digest("hex").slice(0, 6);
  const label = `stepline-${dnsLabel(host)}-${suffix}`;
  return { uuid, instance: label, hostLabel: label, name: host || "Stepline" };
}
