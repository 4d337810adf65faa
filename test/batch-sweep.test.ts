// Sweep: `stepline batch CONFIG -i move.gcode -d DICT` (in-process) over Klipper's example configs,
// each with the dictionary printers.test names for it, as Klipper's own printers.test runs them.
// Reports how many run to the end, how many of those have no unsupported sections, and what the
// rest lack. All ~200 configs run in-process in a few seconds; the counts are floors that only a
// regression would break (raise them as support grows).
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { runBatch } from "../src/batch/run.ts";
import { checkConfig } from "../src/cli/check-config.ts";
import { dictPath, KLIPPER_REFERENCE } from "./support/reference.ts";
import { TempDir } from "./support/temp-dir.ts";

const REF = KLIPPER_REFERENCE;
const tmp = new TempDir("stepline-sweep-");
afterAll(() => tmp.remove());

interface SweepCase {
  config: string;
  dicts: Record<string, string>;
}

/** CONFIG lines of printers.test with the DICTIONARY in effect for each. */
function sweepCases(): SweepCase[] {
  const out: SweepCase[] = [];
  let dicts: Record<string, string> = {};
  for (const line of readFileSync(`${REF}/configs/printers.test`, "utf8").split("\n")) {
    const [kw, ...args] = line.trim().split(/\s+/);
    if (kw === "DICTIONARY") dicts = Object.fromEntries(args.map((a) => (a.includes("=") ? a.split("=", 2) : ["mcu", a])).map(([k, v]) => [k, dictPath(v!)]));
    if (kw === "CONFIG") out.push({ config: `${REF}/configs/${args[0]}`, dicts });
  }
  return out;
}

describe("batch sweep over Klipper's example configs (printers.test, move.gcode)", () => {
  const cases = sweepCases().filter((c) => Object.values(c.dicts).every((p) => existsSync(p)));

  test("every example config runs move.gcode in batch mode, or fails with a clear message", async () => {
    let ran = 0;
    let complete = 0;
    const failures: string[] = [];
    const lacking = new Map<string, number>();
    for (const c of cases) {
      const name = c.config.slice(REF.length + 9);
      const out = join(tmp.path, "out.serial");
      let error: string | null;
      try {
        const r = await runBatch({ config: c.config, input: `${REF}/configs/move.gcode`, output: out, dicts: c.dicts, respond: () => {} });
        error = r.error;
      } catch (e) {
        error = `crash: ${(e as Error).message}`;
      }
      if (error !== null) {
        failures.push(`${name}: ${error.split("\n")[0]}`);
        continue;
      }
      ran++;
      // A run that wrote the MCU stream: config commands at least
      expect(readFileSync(out).length).toBeGreaterThan(0);
      const check = await checkConfig(c.config, { dicts: c.dicts });
      for (const s of check.unsupportedSections) {
        const kind = s.split(" ")[0]!;
        lacking.set(kind, (lacking.get(kind) ?? 0) + 1);
      }
      if (check.unsupportedSections.length === 0) complete++;
    }
    const top = [...lacking.entries()].sort((a, b) => b[1] - a[1]).slice(0, 15);
    console.log(`batch sweep: ${ran} of ${cases.length} configs run move.gcode to the end (${complete} with every section supported)`);
    console.log(`unsupported sections in those runs: ${top.map(([k, n]) => `${k}×${n}`).join(" ")}`);
    if (failures.length) console.log(`failing:\n  ${failures.join("\n  ")}`);
    // Every failure is a clear message, never an internal crash
    for (const f of failures) expect(f).not.toContain("crash:");
    expect(cases.length).toBeGreaterThan(190);
    expect(ran).toBeGreaterThanOrEqual(190);
    expect(complete).toBeGreaterThanOrEqual(185);
  }, 120_000);
});
