// Cura's own network-printing plugin (UM3NetworkPrinting from Debian's `cura` package) run headless
// against a running Stepline on the virtual printer: the device is accepted as a UM3 cluster host,
// polling parses printers and jobs, a UFP (written by Cura's Charon) and a .gcode.gz upload each become
// a job that prints (steppers move, Cura's progress advances), Cura's pause/resume/abort reach the printer.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "bun";
import { ultimakerService } from "../../src/cura/mdns-records.ts";
import { type CuraFixture, startCuraFixture, testGcode } from "./fixture.ts";

setDefaultTimeout(300_000);

const PLUGIN = "/usr/lib/cura/plugins/UM3NetworkPrinting";
const HARNESS = join(import.meta.dir, "cura_plugin_client.py");
const havePlugin = existsSync(PLUGIN) && existsSync("/usr/bin/python3");
if (!havePlugin) console.warn(`SKIP cura-plugin tests: ${PLUGIN} missing — install Debian's cura package (apt-get install cura; scripts/setup.sh --with-test-tools does as root)`);

type Event = Record<string, unknown> & { event: string };

export async function runHarness(args: string[], timeoutMs = 240_000, netns?: string): Promise<{ events: Event[]; code: number; stderr: string }> {
  const cmd = [...(netns ? ["ip", "netns", "exec", netns] : []), "/usr/bin/python3", HARNESS, ...args];
  const proc = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe", env: { ...process.env, QT_QPA_PLATFORM: "offscreen" } });
  const timer = setTimeout(() => proc.kill(), timeoutMs);
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  const events = out
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Event);
  return { events, code, stderr: err };
}

describe.skipIf(!havePlugin)("Cura's UM3NetworkPrinting plugin against Stepline", () => {
  let f: CuraFixture;
  beforeAll(async () => {
    f = await startCuraFixture();
  });
  afterAll(() => f.stop());

  test("accepted as a cluster host; polls parse; UFP and gcode.gz print; pause/resume/abort reach the printer", async () => {
    const gcodePath = f.tmp.write("src/stepline_cube.gcode", testGcode(120));
    const ufpPath = join(f.tmp.path, "src", "stepline_cube.ufp");
    const made = await runHarness(["make-ufp", gcodePath, ufpPath]);
    expect(made.code).toBe(0);
    const gzPath = join(f.tmp.path, "src", "stepline_gz.gcode.gz");
    writeFileSync(gzPath, gzipSync(new TextEncoder().encode(testGcode(12))));

    // Watch the printer from Stepline's side while Cura drives it.
    const positions = new Set<string>();
    const states: string[] = [];
    // motion_report.live_position comes from the steppers' step history: it changes only when steps move.
    const sub = f.host.subscribeObjects({ motion_report: ["live_position"], print_stats: ["state"] }, (changes) => {
      const pos = changes.motion_report?.live_position;
      if (Array.isArray(pos)) positions.add(pos.slice(0, 2).join(","));
      const st = changes.print_stats?.state;
      if (typeof st === "string" && states.at(-1) !== st) states.push(st);
    });

    const txt = ultimakerService(f.cura.identity.name, f.cura.port!).txt;
    const { events, code, stderr } = await runHarness(["session", `127.0.0.1:${f.cura.port}`, ufpPath, gzPath, JSON.stringify(txt)]);
    sub.unsubscribe();
    if (code !== 0) console.error(stderr.slice(-4000), events);
    expect(code).toBe(0);
    const ev = (name: string, extra: Record<string, unknown> = {}) => events.find((e) => e.event === name && Object.entries(extra).every(([k, v]) => e[k] === v));

    // /api/v1/system and /materials parsed by the plugin's models.
    expect(ev("system")).toMatchObject({ parsed: true, firmware: "5.2.11", typeid: 9066, materials: 0 });
    // One printer, as Cura's PrinterOutputModel sees it.
    expect(ev("printers")).toMatchObject({ count: 1, key: f.cura.identity.uuid, state: "idle", extruders: 1, core: "AA 0.4" });
    // UFP: uploaded by the plugin's multipart code, printed, progress advancing, linked to the printer.
    expect(ev("uploaded", { file: "stepline_cube.ufp" })).toMatchObject({ network_error: 0 });
    expect(ev("printing", { name: "stepline_cube" })).toMatchObject({ printer: f.cura.identity.uuid, printer_state: "printing" });
    expect(ev("progress", { name: "stepline_cube" })!.elapsed).toBeGreaterThan(0);
    expect(ev("paused")).toBeDefined();
    expect(ev("resumed")).toBeDefined();
    expect(ev("aborted")).toBeDefined();
    // gcode.gz: uploaded, printed to the end.
    expect(ev("uploaded", { file: "stepline_gz.gcode.gz" })).toMatchObject({ network_error: 0 });
    expect(ev("progress", { name: "stepline_gz" })!.elapsed).toBeGreaterThan(0);
    expect(ev("finished", { name: "stepline_gz" })).toBeDefined();
    // Cura showed "Print job was successfully sent" for both uploads.
    expect((ev("messages")!.texts as string[]).filter((t) => /successfully sent/i.test(t))).toHaveLength(2);

    // What the printer did: steppers moved, paused, resumed, cancelled, then printed the second job.
    expect(positions.size).toBeGreaterThan(10);
    const seq = states.join(" ");
    expect(seq).toMatch(/printing paused printing cancelled printing complete/);
    // Both jobs were written into gcodes/ through the file manager, intact.
    expect(readFileSync(join(f.gcodesDir, "stepline_cube.gcode"), "utf8")).toBe(readFileSync(gcodePath, "utf8"));
    expect(readFileSync(join(f.gcodesDir, "stepline_gz.gcode"), "utf8")).toBe(testGcode(12));
  });
});
