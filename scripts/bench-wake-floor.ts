// The runtime's own cost of an event-loop wake-up, the floor under the live host's CPU: a Bun process
// that does nothing but wake on a timer N times a second, against a Python process doing the same with
// epoll (klippy's reactor waits in poll the same way). Each child measures its own CPU (getrusage, all
// threads) over the window, so start-up is not counted. Prints CPU % per rate, each runtime's fit of
// background CPU + cost per wake-up, and what that comes to at the live host's wake-up rate (bench:live
// prints that rate).
// usage: bun run bench:wake-floor [--window S] [--hz N,N,...] [--runs N]
import { median } from "./lib/measure.ts";

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
};
const WINDOW = Number(arg("--window", "15"));
const RATES = arg("--hz", "4,12,25").split(",").map(Number);
const RUNS = Number(arg("--runs", "3"));
const PYTHON = "/usr/bin/python3";
/** Wake-ups per second of the live host while printing (bench:live, at this commit). */
const LIVE_WAKEUPS = 25;

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

interface Sample {
  cpu: number;
  wall: number;
  wakes: number;
}

async function measure(cmd: string[]): Promise<Sample> {
  const p = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  if (code !== 0) throw new Error(`${cmd[0]} exited ${code}: ${err.slice(-500)}`);
  return JSON.parse(out.trim().split("\n").pop()!) as Sample;
}

const python = Bun.spawnSync([PYTHON, "-c", "import select; select.epoll"]).exitCode === 0;
if (!python) console.log(`${PYTHON} with select.epoll not found: Bun only`);
console.log(`wake-up floor: ${RUNS} interleaved runs of ${WINDOW} s per rate, medians`);
const fits: Record<string, [number, number][]> = { bun: [], python: [] };
for (const hz of RATES) {
  const bun: Sample[] = [];
  const py: Sample[] = [];
  for (let r = 0; r < RUNS; r++) {
    bun.push(await measure([process.execPath, "-e", BUN_CHILD, String(hz), String(WINDOW)]));
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
