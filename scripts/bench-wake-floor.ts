// The runtime's own cost of an event-loop wake-up, the floor under the live host's CPU: a Bun process
// that does nothing but wake on a timer N times a second, against a Python process doing the same with
// epoll (klippy's reactor waits in poll the same way). Each child measures its own CPU (getrusage, all
// threads) over the window, so start-up is not counted. Prints CPU % per rate, each runtime's fit of
// background CPU + cost per wake-up, and what that comes to at the live host's wake-up rate (bench:live
// prints that rate). The Bun children run with the appliance's runtime options (appliance-runtime.ts).
// Then the live host's event pattern with no work in it: a pty that receives a small chunk --reads
// times a second (the MCU's reports and acks; socat writes them) read the way each host reads its MCU
// (Bun: the MCU link's own LinuxSerialPort.pump; Python: epoll and read), plus --timers
// timer wake-ups a second. That is the runtime's share of the live host's CPU before any work.
// usage: bun run bench:wake-floor [--window S] [--hz N,N,...] [--runs N] [--reads N] [--timers N]
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { APPLIANCE_RUNTIME_ENV } from "../src/cli/appliance-runtime.ts";
import { median } from "./lib/measure.ts";

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
};
const WINDOW = Number(arg("--window", "15"));
const RATES = arg("--hz", "4,12,25").split(",").map(Number);
const RUNS = Number(arg("--runs", "3"));
const PATTERN_READS = Number(arg("--reads", "12"));
const PATTERN_TIMERS = Number(arg("--timers", "10"));
const PYTHON = "/usr/bin/python3";
/** Wake-ups per second of the live host while printing (bench:live, at this commit). */
const LIVE_WAKEUPS = 22;
/** Seconds a pattern child runs before it measures (start-up and the JIT's first compiles). */
const WARMUP = 3;

const BUN_CHILD = `
const [hz, secs] = process.argv.slice(-2).map(Number);
const u0 = process.cpuUsage(), t0 = performance.now();
let n = 0;
const h = setInterval(() => {
  if (++n < hz * secs) return;
  clearInterval(h);
  const u = process.cpuUsage(u0);
  console.log(JSON.stringify({ cpu: (u.user + u.system) / 1e6, wall: (performance.now() - t0) / 1000, wakes: n }));
}, 1000 / hz);`;

const PY_CHILD = `
import json, resource, select, sys, time
hz, secs = float(sys.argv[-2]), float(sys.argv[-1])
ep = select.epoll()
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
c0, t0, n = cpu(), time.monotonic(), 0
while n < hz * secs:
    ep.poll(1.0 / hz)
    n += 1
print(json.dumps({"cpu": cpu() - c0, "wall": time.monotonic() - t0, "wakes": n}))`;

const LINUX_PORT = join(import.meta.dir, "..", "src", "mcu", "transport", "linux-port.ts");
const BUN_PATTERN_CHILD = `
import { LinuxSerialPort } from ${JSON.stringify(LINUX_PORT)};
const [path, hz, secs, warmup] = process.argv.slice(-4);
const port = await LinuxSerialPort.open({ path, baudRate: 250000 });
let n = 0;
if (Number(hz) > 0) setInterval(() => {}, 1000 / Number(hz));
port.pump(() => n++).catch((e) => { console.error(e); process.exit(1); });
await Bun.sleep(Number(warmup) * 1000);
const u0 = process.cpuUsage(), t0 = performance.now(), n0 = n;
setTimeout(() => {
  const u = process.cpuUsage(u0);
  console.log(JSON.stringify({ cpu: (u.user + u.system) / 1e6, wall: (performance.now() - t0) / 1000, wakes: n - n0 }));
  process.exit(0);
}, Number(secs) * 1000);`;

const PY_PATTERN_CHILD = `
import json, os, resource, select, sys, time
path, hz, secs, warmup = sys.argv[-4], float(sys.argv[-3]), float(sys.argv[-2]), float(sys.argv[-1])
fd = os.open(path, os.O_RDWR | os.O_NONBLOCK | os.O_NOCTTY)
ep = select.epoll()
ep.register(fd, select.EPOLLIN)
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
start = time.monotonic()
nxt, n, c0, t0, n0 = start, 0, None, None, 0
while True:
    now = time.monotonic()
    if c0 is None and now - start >= warmup:
        c0, t0, n0 = cpu(), now, n
    if c0 is not None and now - t0 >= secs:
        break
    for _ in ep.poll(max(0.0, nxt - now) if hz > 0 else 1.0):
        os.read(fd, 4096)
        n += 1
    if hz > 0 and time.monotonic() >= nxt:
        nxt += 1.0 / hz
print(json.dumps({"cpu": cpu() - c0, "wall": time.monotonic() - t0, "wakes": n - n0}))`;

interface Sample {
  cpu: number;
  wall: number;
  wakes: number;
}

async function measure(cmd: string[], env: Record<string, string> = {}): Promise<Sample> {
  const p = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe", env: { ...process.env, ...env } });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  if (code !== 0) throw new Error(`${cmd[0]} exited ${code}: ${err.slice(-500)}`);
  return JSON.parse(out.trim().split("\n").pop()!) as Sample;
}

const python = Bun.spawnSync([PYTHON, "-c", "import select; select.epoll"]).exitCode === 0;
if (!python) console.log(`${PYTHON} with select.epoll not found: Bun only`);
/**
 * A pty receiving a 15-byte chunk `rate` times a second (socat), for the event-pattern children. The
 * writer's loop ends when a write fails, so it does not outlive socat.
 */
function chunkedPty(dir: string, rate: number): { path: string; stop(): void } {
  const path = join(dir, "pty");
  const writer = Bun.spawn(["socat", `PTY,link=${path},raw,echo=0`, `SYSTEM:while printf 0123456789abcde; do sleep ${(1 / rate).toFixed(4)}; done`], { stdout: "ignore", stderr: "ignore" });
  return { path, stop: () => writer.kill() };
}

async function waitForPath(path: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (existsSync(path)) return; // (Bun.file().exists() is false for a character device)
    await Bun.sleep(20);
  }
  throw new Error(`socat did not create ${path} within 2 s`);
}

console.log(`wake-up floor: ${RUNS} interleaved runs of ${WINDOW} s per rate, medians; Bun with ${Object.entries(APPLIANCE_RUNTIME_ENV).map(([k, v]) => `${k}=${v}`).join(" ")}`);
const fits: Record<string, [number, number][]> = { bun: [], python: [] };
for (const hz of RATES) {
  const bun: Sample[] = [];
  const py: Sample[] = [];
  for (let r = 0; r < RUNS; r++) {
    bun.push(await measure([process.execPath, "-e", BUN_CHILD, String(hz), String(WINDOW)], APPLIANCE_RUNTIME_ENV));
    if (python) py.push(await measure([PYTHON, "-c", PY_CHILD, String(hz), String(WINDOW)]));
  }
  const line = (name: string, s: Sample[]) => {
    const pct = median(s.map((x) => (100 * x.cpu) / x.wall));
    fits[name]!.push([hz, pct]);
    return `${name} ${pct.toFixed(3)} % (${((pct * 1e4) / hz).toFixed(0)} µs per wake-up)`;
  };
  console.log(`${String(hz).padStart(3)} Hz: ${line("bun", bun)}${python ? `, ${line("python", py)}` : ""}`);
}
// CPU % = background + rate * cost per wake-up (least squares over the rates)
for (const [name, pts] of Object.entries(fits)) {
  if (pts.length < 2) continue;
  const mx = pts.reduce((a, [x]) => a + x, 0) / pts.length;
  const my = pts.reduce((a, [, y]) => a + y, 0) / pts.length;
  const slope = pts.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0) / pts.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  const background = my - slope * mx;
  console.log(
    `${name}: ${background.toFixed(3)} % in the background + ${(slope * 1e4).toFixed(0)} µs per wake-up;` +
      ` at the live host's ~${LIVE_WAKEUPS} wake-ups/s ${(background + slope * LIVE_WAKEUPS).toFixed(2)} % before any work`,
  );
}

// The live host's event pattern, no work
if (!Bun.which("socat")) {
  console.log("event pattern: needs socat (apt-get install socat)");
} else {
  const bun: Sample[] = [];
  const py: Sample[] = [];
  for (let r = 0; r < RUNS; r++) {
    const dir = mkdtempSync(join(tmpdir(), "wake-floor-"));
    const pty = chunkedPty(dir, PATTERN_READS);
    try {
      await waitForPath(pty.path);
      const args = [pty.path, String(PATTERN_TIMERS), String(WINDOW), String(WARMUP)];
      bun.push(await measure([process.execPath, "-e", BUN_PATTERN_CHILD, ...args], APPLIANCE_RUNTIME_ENV));
      if (python) py.push(await measure([PYTHON, "-c", PY_PATTERN_CHILD, ...args]));
    } finally {
      pty.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const line = (name: string, s: Sample[]) =>
    `${name} ${median(s.map((x) => (100 * x.cpu) / x.wall)).toFixed(3)} % (${median(s.map((x) => x.wakes / x.wall)).toFixed(1)} chunks/s read)`;
  console.log(`event pattern (${PATTERN_READS} pty chunks/s + ${PATTERN_TIMERS} timer wake-ups/s, no work): ${line("bun", bun)}${python ? `, ${line("python", py)}` : ""}`);
}
