// Feed benchmark: how short a step interval the live host keeps the MCU fed at. Stepline (the built
// executable; --source for `bun src/main.ts`) drives the virtual MCU as a separate process on a pty
// (`stepline vmcu`, so its CPU is reported apart), on the example virtual printer. After G28, the X
// axis sweeps back and forth for about --seconds at each speed in turn (velocity limit and
// acceleration raised by SET_VELOCITY_LIMIT), until the printer shuts down (e.g. "Timer too close")
// or the fastest speed passes (4000 mm/s: 3.1 µs between X steps, 320 000 steps a second). Printed
// per speed: X's step interval at that speed, host and virtual-MCU CPU.
// usage: bun run bench:feed [--seconds S] [--source]
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VIRTUAL_PRINTER_CFG } from "../firmware-bridge/index.ts";
import { buildExecutable } from "./lib/executable.ts";
import { freePort } from "./lib/free-port.ts";
import { procCpuSeconds } from "./lib/measure.ts";

const ROOT = join(import.meta.dir, "..");
const MAIN = join(ROOT, "src", "main.ts");
const HARDWARE = join(ROOT, "firmware-bridge", "examples", "virtual-printer.json");
/** The example printer's X: 200 full steps x 16 microsteps per 40 mm, travel 0..200 mm. */
const X_STEPS_PER_MM = (200 * 16) / 40;
const X_FROM = 10, X_TO = 190;
const SPEEDS = [50, 100, 200, 300, 400, 600, 800, 1000, 1250, 1500, 2000, 2500, 3000, 4000];
/** High enough that each sweep reaches the fastest speed: v² = ACCEL × sweep length. */
const ACCEL = 100_000;

const secondsArg = process.argv.indexOf("--seconds");
const SECONDS = secondsArg > 0 ? Number(process.argv[secondsArg + 1]) : 4;
if (!(SECONDS > 0)) throw new Error("--seconds needs a positive number");
if (Math.sqrt(ACCEL * (X_TO - X_FROM)) < SPEEDS[SPEEDS.length - 1]!) throw new Error("the sweeps are too short to reach the fastest speed");

interface Api {
  state(): Promise<{ state: string; message: string }>;
  /** Runs a G-code script; resolves with the error message, or null when it ran. */
  gcode(script: string): Promise<string | null>;
}

function api(url: string): Api {
  return {
    async state() {
      const r = await fetch(`${url}/printer/objects/query?webhooks=state,state_message`);
      const wh = ((await r.json()) as { result: { status: { webhooks: { state: string; state_message: string } } } }).result.status.webhooks;
      return { state: wh.state, message: wh.state_message };
    },
    async gcode(script) {
      const r = await fetch(`${url}/printer/gcode/script`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ script }) });
      if (r.ok) return null;
      const body = (await r.json().catch(() => ({}))) as { error?: { message?: string } };
      return body.error?.message ?? `HTTP ${r.status}`;
    },
  };
}

/** Back-and-forth sweeps along X lasting about `seconds` at `speed` mm/s, then M400. */
function sweeps(speed: number, seconds: number): string {
  const accelTime = speed / ACCEL;
  const cruise = Math.max(0, X_TO - X_FROM - speed * accelTime) / speed;
  const n = Math.max(2, Math.ceil(seconds / (cruise + 2 * accelTime)));
  const lines = [`SET_VELOCITY_LIMIT VELOCITY=${speed} ACCEL=${ACCEL} MINIMUM_CRUISE_RATIO=0`, `G1 X${X_FROM} F${speed * 60}`];
  for (let i = 0; i < n; i++) lines.push(`G1 X${i % 2 ? X_FROM : X_TO} F${speed * 60}`);
  lines.push("M400");
  return lines.join("\n");
}

async function until(what: string, ok: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
}

const exe = process.argv.includes("--source") ? null : buildExecutable();
const dir = mkdtempSync(join(tmpdir(), "bench-feed-"));
const vmcuPath = join(dir, "vmcu");
writeFileSync(join(dir, "printer.cfg"), VIRTUAL_PRINTER_CFG.replace("serial: /tmp/vmcu", `serial: ${vmcuPath}`));
const vmcu = Bun.spawn([process.execPath, MAIN, "vmcu", "--pty", vmcuPath, "--hardware", HARDWARE], { stdout: "ignore", stderr: "ignore" });
const port = freePort();
const url = `http://127.0.0.1:${port}`;
let host: ReturnType<typeof Bun.spawn> | null = null;
try {
  await until("the virtual MCU's pty", async () => existsSync(vmcuPath), 30_000);
  const stepline = exe ? [exe.path] : [process.execPath, MAIN];
  host = Bun.spawn([...stepline, "run", "--config", join(dir, "printer.cfg"), "--data", join(dir, "data"), "--port", String(port), "--host", "127.0.0.1", "--gcode-pty", "none", "--no-cura"],
    { stdout: "ignore", stderr: "ignore" });
  const printer = api(url);
  await until("the printer ready", async () => (await printer.state()).state === "ready", 60_000);
  const homed = await printer.gcode("G28");
  if (homed) throw new Error(`G28: ${homed}`);
  console.log(`stepline: ${exe ? "the built executable" : "bun src/main.ts"}; X sweeps of ${X_TO - X_FROM} mm for about ${SECONDS} s per speed, accel ${ACCEL} mm/s²`);
  console.log("speed mm/s  X step interval  host CPU  vmcu CPU  result");
  let fastestOk: number | null = null;
  for (const speed of SPEEDS) {
    const h0 = procCpuSeconds(`/proc/${host.pid}/stat`), v0 = procCpuSeconds(`/proc/${vmcu.pid}/stat`), t0 = performance.now();
    const err = await printer.gcode(sweeps(speed, SECONDS));
    const secs = (performance.now() - t0) / 1000;
    const hostPct = (100 * (procCpuSeconds(`/proc/${host.pid}/stat`) - h0)) / secs;
    const vmcuPct = (100 * (procCpuSeconds(`/proc/${vmcu.pid}/stat`) - v0)) / secs;
    const st = await printer.state();
    const result = st.state === "ready" && !err ? "kept fed" : `${st.state}: ${(st.message || err || "").split("\n")[0]}`;
    const intervalUs = 1e6 / (speed * X_STEPS_PER_MM);
    console.log(`${String(speed).padStart(11)}  ${intervalUs.toFixed(1).padStart(12)} µs  ${hostPct.toFixed(1).padStart(6)} %  ${vmcuPct.toFixed(1).padStart(6)} %  ${result}`);
    if (result !== "kept fed") break;
    fastestOk = speed;
  }
  console.log(fastestOk === null
    ? "the host did not keep the slowest speed fed"
    : `shortest step interval kept fed: ${(1e6 / (fastestOk * X_STEPS_PER_MM)).toFixed(1)} µs (${fastestOk} mm/s on X)`);
} finally {
  host?.kill("SIGTERM");
  await host?.exited;
  vmcu.kill("SIGTERM");
  await vmcu.exited;
  rmSync(dir, { recursive: true, force: true });
  exe?.remove();
}
