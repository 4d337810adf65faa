// Builds the data dictionary the virtual MCU serves through `identify`, in the layout of the
// dictionaries real Klipper builds produce (commands/responses with ids, config constants,
// enumerations), serialised compactly with sorted keys and zlib-compressed.

import { deflateSync } from "node:zlib";

export interface DictionaryInput {
  version: string;
  buildVersions: string;
  commands: readonly string[]; // format strings; "identify ..." must be among them
  responses: readonly string[]; // format strings; "identify_response ..." must be among them
  constants: Record<string, number | string>;
  enumerations: Record<string, Record<string, number | [number, number]>>;
}

export interface BuiltDictionary {
  text: string; // the JSON, as a .dict file holds it
  zlib: Uint8Array;
  commandIds: Map<string, number>; // format → id
  responseIds: Map<string, number>;
}

const IDENTIFY = "identify offset=%u count=%c";
const IDENTIFY_RESPONSE = "identify_response offset=%u data=%.*s";

/** Ids: identify_response 0 and identify 1 (fixed by the protocol), then commands, then responses. */
export function buildDictionary(input: DictionaryInput): BuiltDictionary {
  if (!input.commands.includes(IDENTIFY) || !input.responses.includes(IDENTIFY_RESPONSE))
    throw new Error("dictionary needs the identify command and identify_response");
  const commandIds = new Map<string, number>([[IDENTIFY, 1]]);
  const responseIds = new Map<string, number>([[IDENTIFY_RESPONSE, 0]]);
  let next = 2;
  for (const c of input.commands) if (!commandIds.has(c)) commandIds.set(c, next++);
  for (const r of input.responses) if (!responseIds.has(r)) responseIds.set(r, next++);
  const json: Record<string, unknown> = {
    app: "Stepline virtual MCU",
    build_versions: input.buildVersions,
    commands: Object.fromEntries(commandIds),
    config: input.constants,
    enumerations: input.enumerations,
    license: "GNU GPLv3",
    responses: Object.fromEntries(responseIds),
    version: input.version,
  };
  const text = JSON.stringify(sortKeys(json));
  return { text, zlib: new Uint8Array(deflateSync(text)), commandIds, responseIds };
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === "object")
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
  return v;
}

/** Pin enumeration P<port>0..15 as real STM32 dictionaries declare it: port letter → [first, 16]. */
export function stm32StylePins(ports: string): Record<string, [number, number]> {
  const out: Record<string, [number, number]> = {};
  [...ports].forEach((p, i) => (out[`P${p}0`] = [i * 16, 16]));
  return out;
}

/** Expands enumeration ranges ("PA0": [0,16] → PA0..PA15) into a name → value map. */
export function expandEnumeration(e: Record<string, number | [number, number]>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name, v] of Object.entries(e)) {
    if (typeof v === "number") {
      out.set(name, v);
      continue;
    }
    const m = /^(.*?)(\d+)$/.exec(name);
    if (!m) throw new Error(`enumeration range '${name}' has no trailing number`);
    const [, root, start] = m;
    for (let i = 0; i < v[1]; i++) out.set(`${root}${Number(start) + i}`, v[0] + i);
  }
  return out;
}
