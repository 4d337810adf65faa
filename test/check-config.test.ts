import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { checkConfig } from "../src/cli/check-config.ts";
import type { ConfigSection } from "../src/core/config/index.ts";
import { ModuleRegistry } from "../src/core/printer.ts";
import { TempDir } from "./support/temp-dir.ts";
import { KLIPPER_REFERENCE } from "./support/reference.ts";
import { runStepline } from "./support/cli.ts";

const REF = KLIPPER_REFERENCE;
const tmp = new TempDir();
afterAll(() => tmp.remove());

/** MCU name → dictionary path, as Klipper's runs used them: cases/meta.json and the
 * DICTIONARY lines of configs/printers.test (configs it doesn't list get none). */
function referenceDicts(): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  for (const d of readdirSync(`${REF}/cases`, { withFileTypes: true })) {
    if (!d.isDirectory()) continue;
    const meta = JSON.parse(readFileSync(`${REF}/cases/${d.name}/meta.json`, "utf8")) as { dicts: Record<string, string> };
    out.set(`${REF}/cases/${d.name}/printer.cfg`, Object.fromEntries(Object.entries(meta.dicts).map(([k, v]) => [k, `${REF}/dict/${v}`])));
  }
  let current: Record<string, string> = {};
  for (const line of readFileSync(`${REF}/configs/printers.test`, "utf8").split("\n")) {
    const [kw, ...args] = line.trim().split(/\s+/);
    if (kw === "DICTIONARY") current = Object.fromEntries(args.map((a) => (a.includes("=") ? a.split("=", 2) : ["mcu", a])).map(([k, v]) => [k, `${REF}/dict/${v}`]));
    if (kw === "CONFIG") out.set(`${REF}/configs/${args[0]}`, current);
  }
  return out;
}

describe("check-config sweep over the Klipper reference configs", () => {
  const cases = readdirSync(`${REF}/cases`, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => `${REF}/cases/${d.name}/printer.cfg`);
  const examples = readdirSync(`${REF}/configs`)
    .filter((f) => f.endsWith(".cfg"))
    .map((f) => `${REF}/configs/${f}`);
  const dicts = referenceDicts();

  // Full printer configs that still fail, and why (Klipper's sample-*.cfg are snippets, not printers:
  // they lack [mcu] or [printer], and Klipper does not load them alone either)
  const EXPECTED_FAILURES = ["configs/generic-replicape.cfg"]; // needs [replicape], which Stepline lacks

  async function sweep(withDicts: boolean) {
    let ok = 0;
    let withDict = 0;
    const failing: string[] = [];
    const unsupported = new Map<string, number>();
    for (const path of [...cases, ...examples]) {
      const d = withDicts ? { ...(dicts.get(path) ?? {}) } : {};
      if (existsSync(d.mcu ?? "/nonexistent")) withDict++;
      else delete d.mcu;
      const r = await checkConfig(path, { dicts: Object.fromEntries(Object.entries(d).filter(([, p]) => existsSync(p))) });
      expect(r.files[0]).toBe(path);
      for (const e of r.errors) expect(e).toMatch(/section '[^']+'/i);
      for (const s of r.unsupportedSections) {
        const kind = s.split(" ")[0]!;
        unsupported.set(kind, (unsupported.get(kind) ?? 0) + 1);
      }
      if (r.ok) ok++;
      else if (!path.startsWith(`${REF}/configs/sample-`)) failing.push(`${path.slice(REF.length + 1)}: ${r.errors[0]}`);
    }
    const top = [...unsupported.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12);
    console.log(`check-config${withDicts ? "" : " (no -d)"}: ${ok} of ${cases.length + examples.length} reference configs load (${withDict} with Klipper's dictionary); most common unsupported: ${top.map(([k, n]) => `${k}×${n}`).join(" ")}`);
    return { withDict, failing: failing.map((f) => f.split(":")[0]!), messages: failing };
  }

  test("every printer config is checked (with Klipper's dictionaries) and loads; every error names its section", async () => {
    const r = await sweep(true);
    expect(r.failing).toEqual(EXPECTED_FAILURES);
    expect(r.withDict).toBeGreaterThan(200);
  });

  test("without -d every printer config loads too (pin names unchecked), unknown sections are errors", async () => {
    const r = await sweep(false);
    expect(r.failing).toEqual(EXPECTED_FAILURES);
    expect(r.messages[0]).toContain("Section 'heater_bed': Unknown pin chip name 'replicape'");
  });
});

/** A registry with modules that read typed options like real ones do. */
function typedRegistry(): ModuleRegistry {
  const r = new ModuleRegistry();
  r.register("printer", (c: ConfigSection) => {
    c.getChoice("kinematics", ["cartesian", "corexy", "none"]);
    c.getFloat("max_velocity", undefined, { above: 0 });
    c.getFloat("max_accel", undefined, { above: 0 });
    return {};
  }, { stage: "toolhead" });
  r.register("fan", (c: ConfigSection) => {
    c.get("pin");
    c.getFloat("max_power", 1, { above: 0, maxval: 1 });
    c.getInt("tachometer_ppr", 2, { minval: 1 });
    c.getBoolean("enabled", true);
    c.getFloatList("offsets", [0, 0], { count: 2 });
    return {};
  });
  return r;
}

describe("check-config error wording (each names section and option)", () => {
  const BASE = "[printer]\nkinematics: cartesian\nmax_velocity: 300\nmax_accel: 3000\n[fan]\npin: PA1\n";
  const CASES: [string, string][] = [
    ["[fan]\nmax_power: 1.5\n", "Option 'max_power' in section 'fan' must have maximum of 1.0"],
    ["[fan]\nmax_power: 0\n", "Option 'max_power' in section 'fan' must be above 0.0"],
    ["[fan]\ntachometer_ppr: 0\n", "Option 'tachometer_ppr' in section 'fan' must have minimum of 1"],
    ["[fan]\ntachometer_ppr: two\n", "Unable to parse option 'tachometer_ppr' in section 'fan'"],
    ["[fan]\nenabled: perhaps\n", "Unable to parse option 'enabled' in section 'fan'"],
    ["[fan]\noffsets: 1, 2, 3\n", "Option 'offsets' in section 'fan' must have 2 elements"],
    ["[fan]\nmax_powr: 1\n", "Option 'max_powr' is not valid in section 'fan'"],
    ["[printer]\nkinematics: scara\n", "Choice 'scara' for option 'kinematics' in section 'printer' is not a valid choice"],
    ["[printer]\nmax_velocity:\n", "Unable to parse option 'max_velocity' in section 'printer'"],
  ];
  for (const [extra, message] of CASES) {
    test(message, async () => {
      const r = await checkConfig(tmp.write(`w${CASES.findIndex((c) => c[1] === message)}.cfg`, BASE + extra), { registry: typedRegistry() });
      expect(r.ok).toBe(false);
      expect(r.errors).toEqual([message]);
    });
  }
  test("a missing required option", async () => {
    const r = await checkConfig(tmp.write("req.cfg", "[printer]\nkinematics: none\nmax_velocity: 1\n"), { registry: typedRegistry() });
    expect(r.errors).toEqual(["Option 'max_accel' in section 'printer' must be specified"]);
  });
  test("several broken sections are all reported; unsupported ones only listed", async () => {
    const r = await checkConfig(tmp.write("multi.cfg", "[printer]\nkinematics: none\nmax_velocity: -1\nmax_accel: 1\n[fan]\npin: PA1\nbogus: 1\n[neopixel led]\npin: PB1\n"), {
      registry: typedRegistry(),
    });
    expect(r.errors).toEqual(["Option 'max_velocity' in section 'printer' must be above 0.0", "Option 'bogus' is not valid in section 'fan'"]);
    expect(r.unsupportedSections).toEqual(["neopixel led"]);
    expect(r.supportedSections).toEqual(["printer", "fan"]);
  });
  test("strict mode turns unsupported sections into Klipper's error", async () => {
    const r = await checkConfig(tmp.write("strict.cfg", `${BASE}[Neopixel LED]\npin: PB1\n`), { registry: typedRegistry(), strict: true });
    expect(r.errors).toEqual(["Section 'neopixel led' is not a valid config section"]);
  });
});

describe("stepline check-config (command line)", () => {
  const cli = (...args: string[]) => runStepline("check-config", ...args);
  test("a valid config: exit 0, unsupported sections listed", () => {
    const path = tmp.write("ok.cfg", "[mcu]\nserial: /dev/null\n[board_pins]\naliases: EXP1_1=PE9\n[palette2]\nserial: /dev/null\n");
    const r = cli(path);
    expect(r.code).toBe(0);
    expect(r.out).toContain("Sections not supported by Stepline (ignored):\n");
    expect(r.out).toContain("\n  [palette2]\n");
    expect(r.out).not.toContain("[board_pins]");
    expect(r.out).toContain("Config OK");
  });
  test("a section Klipper does not know is an error naming it, like Klipper's", () => {
    const r = cli(tmp.write("typo.cfg", "[mcu]\nserial: /dev/null\n[heater_bedd]\nheater_pin: PA1\n"));
    expect(r.code).toBe(1);
    expect(r.err).toContain("error: Section 'heater_bedd' is not a valid config section");
  });
  test("errors: exit 1 with the message", () => {
    const r = cli(tmp.write("bad.cfg", "[mcu]\nserial: /dev/null\n[duplicate_pin_override]\npins: PA1\nextra: 2\n"));
    expect(r.code).toBe(1);
    expect(r.err).toContain("error: Option 'extra' is not valid in section 'duplicate_pin_override'");
  });
  test("a syntax error and a missing include", () => {
    const r = cli(tmp.write("syntax.cfg", "[s]\nno delimiter here\n"));
    expect(r.code).toBe(1);
    expect(r.err).toContain("error: Source contains parsing errors:");
    const r2 = cli(tmp.write("inc.cfg", "[include nothere.cfg]\n"));
    expect(r2.code).toBe(1);
    expect(r2.err).toContain(`error: Include file '${tmp.path}/nothere.cfg' does not exist`);
  });
  test("--json and usage errors", () => {
    const r = cli("--json", tmp.write("j.cfg", "[palette2]\na: 1\n"));
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ ok: true, unsupportedSections: ["palette2"], errors: [] });
    expect(cli().code).toBe(2);
    expect(cli("a.cfg", "b.cfg").code).toBe(2);
    expect(cli("-d").code).toBe(2);
  });
  test("with -d, pins are checked against the MCU's dictionary (aliases resolved)", () => {
    const path = tmp.write("pins.cfg", "[mcu]\nserial: /dev/ttyACM0\n[board_pins]\naliases: EXP1_1=PQ1, EXP1_2=PA2\n[output_pin a]\npin: EXP1_1\n[output_pin b]\npin: EXP1_2\n[output_pin c]\npin: PZ9\n");
    const r = cli(path, "-d", `${REF}/dict/atmega2560.dict`);
    expect(r.code).toBe(1);
    expect(r.err).toContain("error: Unknown pin 'EXP1_1' (alias for 'PQ1') in section 'output_pin a': not a pin of mcu 'mcu'\n");
    expect(r.err).toContain("error: Unknown pin 'PZ9' in section 'output_pin c': not a pin of mcu 'mcu'\n");
    expect(r.err).not.toContain("'output_pin b'");
  });
  test("without -d, sections that need the MCU are built and checked, only pin names are not", () => {
    const r = cli(tmp.write("nodict.cfg", "[mcu]\nserial: /dev/ttyACM0\n[output_pin c]\npin: PZ9\n[output_pin d]\npin: PZ8\nvalue: 2\n"));
    expect(r.code).toBe(1);
    expect(r.out + r.err).toContain("warning: No data dictionary for mcu 'mcu' (-d DICT): its pin names are not checked");
    expect(r.err).toContain("Option 'value' in section 'output_pin d' must have maximum of 1");
    expect(r.err).not.toContain("'output_pin c'");
  });
  test("a missing dictionary file is an error", () => {
    const r = cli(tmp.write("d.cfg", "[thing]\na: 1\n"), "-d", "z=/nonexistent.dict");
    expect(r.code).toBe(1);
    expect(r.err).toContain("Unable to read data dictionary '/nonexistent.dict' for mcu 'z'");
  });
});
