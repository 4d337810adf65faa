// The floors of docs/architecture.md hold in the code: every import under src/ and firmware-bridge/
// goes down (never up, never sideways across a floor, live and batch never into each other, front
// doors only to the Host type, protocol and util), the hot path is a leaf, and no file imports
// itself through others at runtime; scripts/ never imports test/ (tests may use scripts/lib). The checks
// are also shown to fail on bad imports.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { forbiddenReason, type ImportEdge, importCycles, importsOf, readImportGraph, roomOf } from "./support/import-graph.ts";

const ROOT = join(import.meta.dir, "..");
const edges = readImportGraph(ROOT, ["src", "firmware-bridge"]);
const files = new Set(edges.flatMap((e) => [e.from, e.to]));

/** Cycles made only of type imports (erased at runtime): a printer and the modules it types each other. */
const KNOWN_TYPE_CYCLES = [
  ["firmware-bridge/firmware.ts", "firmware-bridge/handlers/basecmd.ts"],
  ["src/core/config/module-registry.ts", "src/core/pins.ts", "src/core/printer.ts"],
  ["src/extras/heaters/extruder-temperature.ts", "src/extras/heaters/heaters.ts"],
  ["src/motion/extruder-module.ts", "src/motion/toolhead-module.ts"],
];

const describeEdge = (e: ImportEdge) => `${e.from} -> ${e.to}: ${forbiddenReason(e)}`;

const scriptEdges = readImportGraph(ROOT, ["scripts"]);
/** Imports from scripts/ into test/: benches and sweeps must run without the test tree. */
const scriptsIntoTests = (es: readonly ImportEdge[]) => es.filter((e) => e.to.startsWith("test/")).map((e) => `${e.from} -> ${e.to}`);

describe("floors", () => {
  test("the import reader finds the source tree", () => {
    expect(edges.length).toBeGreaterThan(500);
    for (const f of ["src/core/printer.ts", "src/live/host.ts", "src/batch/run.ts", "src/extras/modules.ts", "firmware-bridge/firmware.ts"]) expect(files).toContain(f);
  });

  test("every file is in a room of the floors table", () => {
    // (type declarations of npm packages imported by path are not ours)
    expect([...files].filter((f) => !f.startsWith("node_modules/") && roomOf(f) === null)).toEqual([]);
  });

  test("no import breaks the floors", () => {
    expect(edges.filter((e) => forbiddenReason(e) !== null).map(describeEdge)).toEqual([]);
  });

  test("no import cycles at runtime; type-only cycles are the known ones", () => {
    expect(importCycles(edges.filter((e) => !e.typeOnly))).toEqual([]);
    expect(importCycles(edges).sort((a, b) => a[0]!.localeCompare(b[0]!))).toEqual(KNOWN_TYPE_CYCLES);
  });

  test("scripts/ never imports from test/", () => {
    expect(scriptEdges.map((e) => e.from)).toContain("scripts/sweep-sliced.ts");
    expect(scriptsIntoTests(scriptEdges)).toEqual([]);
  });
});

describe("the checks catch bad imports", () => {
  const edge = (from: string, spec: string, text = `import { x } from "${spec}";\n`) => importsOf(from, text)[0]!;

  test("every import form is read: values, types, re-exports, side effects, dynamic import()", () => {
    const text = [
      'import { a } from "./a.ts";',
      'import type { B } from "../b.ts";',
      'export { c } from "./c.ts";',
      'import "./d.ts";',
      'const e = await import("./e.ts");',
      'import {\n  f,\n  g,\n} from "./f.ts";',
      'import { h } from "hono";',
    ].join("\n");
    const found = importsOf("src/core/x.ts", text).map((e) => [e.to, e.typeOnly]);
    expect(found).toEqual([
      ["src/core/a.ts", false],
      ["src/b.ts", true],
      ["src/core/c.ts", false],
      ["src/core/d.ts", false],
      ["src/core/e.ts", false],
      ["src/core/f.ts", false],
    ]);
  });

  test("upward, sideways, live↔batch, front doors, the bridge and the hot path", () => {
    expect(forbiddenReason(edge("src/core/printer.ts", "../motion/toolhead.ts"))).toStartWith("upward: core");
    expect(forbiddenReason(edge("src/motion/toolhead.ts", "../extras/heaters/heaters.ts"))).toStartWith("upward: motion");
    expect(forbiddenReason(edge("src/live/live-mcu.ts", "../batch/mcu.ts"))).toStartWith("sideways: live imports batch");
    expect(forbiddenReason(edge("src/batch/run.ts", "../live/reactor.ts"))).toStartWith("sideways: batch imports live");
    expect(forbiddenReason(edge("src/api/endpoint.ts", "../core/printer.ts"))).toStartWith("front door api");
    expect(forbiddenReason(edge("src/cura/x.ts", "../live/host.ts"))).toStartWith("front door cura");
    expect(forbiddenReason(edge("src/web/x.ts", "../extras/modules.ts"))).toStartWith("front door web");
    expect(forbiddenReason(edge("firmware-bridge/link.ts", "../src/mcu/mcu.ts"))).toStartWith("firmware-bridge shares only");
    expect(forbiddenReason(edge("src/motion/steps/trapq.ts", "../toolhead.ts"))).toStartWith("motion/steps is a leaf");
    expect(forbiddenReason(edge("src/protocol/vlq.ts", "../util/pty-server.ts"))).toStartWith("sideways: protocol");
    // ... and what stays allowed
    expect(forbiddenReason(edge("src/api/endpoint.ts", "../core/host.ts", 'import type { Host } from "../core/host.ts";\n'))).toBeNull();
    expect(forbiddenReason(edge("src/cura/x.ts", "../api/endpoint.ts"))).toBeNull();
    expect(forbiddenReason(edge("src/extras/fans/fan.ts", "../../motion/toolhead.ts"))).toBeNull();
    expect(forbiddenReason(edge("src/motion/toolhead.ts", "./steps/trapq.ts"))).toBeNull();
    expect(forbiddenReason(edge("src/cli/run.ts", "../live/host.ts"))).toBeNull();
  });

  test("a bad import added to the real tree is reported", () => {
    const bad = importsOf("src/core/printer.ts", 'import "../extras/modules.ts";\n');
    const reported = [...edges, ...bad].filter((e) => forbiddenReason(e) !== null).map(describeEdge);
    expect(reported).toEqual(["src/core/printer.ts -> src/extras/modules.ts: upward: core (floor 3) imports extras (floor 5)"]);
  });

  test("a script importing from test/ is reported", () => {
    const bad = importsOf("scripts/sweep-klippy.ts", 'import { loadDict } from "../test/support/reference.ts";\n');
    expect(scriptsIntoTests([...scriptEdges, ...bad])).toEqual(["scripts/sweep-klippy.ts -> test/support/reference.ts"]);
  });

  test("a runtime cycle added to the real tree is reported", () => {
    const back = importsOf("src/core/webhooks.ts", 'import { Printer } from "./printer.ts";\n');
    const cycles = importCycles([...edges, ...back].filter((e) => !e.typeOnly));
    // printer → webhooks-endpoints → webhooks → printer, and printer → webhooks → printer
    expect(cycles).toEqual([["src/core/printer.ts", "src/core/webhooks-endpoints.ts", "src/core/webhooks.ts"]]);
  });
});
