// Live printing benchmark: the host's CPU and memory while it prints, Stepline (`stepline run`) against
// real Klipper (klippy from the reference tarball, scripts/lib/klippy.ts), each driving the virtual MCU as
// a separate process on a pty (`stepline vmcu`), on the same config (the example virtual printer plus
// [virtual_sdcard]) and the same sliced file (the 57-minute reference print, heating commands removed)
// started by SDCARD_PRINT_FILE on the host's G-code pty. Runs alternate between the hosts. CPU comes
// from /proc/PID/stat: start to ready + G28 + the first --skip seconds of printing, then a --window
// second window; RSS from /proc/PID/status; progress from M27 at the window's end (its reply time is
// printed too: a command from the pty must not wait behind the print).
// Stepline runs as it ships, the executable scripts/build.sh makes; --source (implied by --profile)
// runs `bun src/main.ts` instead. Also printed: the host's wake-ups (voluntary context switches) per
// second and its busiest threads (Bun's JS thread is "bun"; JIT compiler and allocator threads apart).
// usage: bun run bench:live [--runs N] [--window S] [--skip S] [--only stepline|klippy] [--profile DIR] [--source]
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VIRTUAL_PRINTER_CFG } from "../firmware-bridge/index.ts";
import { klippyPy, klippyRoot, klippyUnavailable, PYTHON } from "./lib/klippy.ts";
import { buildExecutable } from "./lib/executable.ts";
import { median, procCpuSeconds, residentMiB } from "./lib/measure.ts";
import { SHARED_REFERENCE } from "./lib/reference.ts";

const ROOT = join(import.meta.dir, "..");
const MAIN = join(ROOT, "src", "main.ts");
const HARDWARE = join(ROOT, "firmware-bridge", "examples", "virtual-printer.json");
const GCODE = `${SHARED_REFERENCE}/klipper/cases/sliced_ender3v2_example002_full/input.gcode`;

function option(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  const v = i > 0 ? Number(process.argv[i + 1]) : dflt;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} needs a positive number`);
  return v;
}

/** CPU seconds (user + system, all threads) of a live process. */
function cpuSeconds(pid: number): number {
  return procCpuSeconds(`/proc/${pid}/stat`);
}

/** CPU seconds of each thread of a live process, by thread name (Bun's JS thread is the process's name). */
function threadCpu(pid: number): Map<string, number> {
  const byName = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, "utf8").trim();
    byName.set(name, (byName.get(name) ?? 0) + procCpuSeconds(`/proc/${pid}/task/${tid}/stat`));
  }
  return byName;
}

/** Voluntary context switches of every thread of a live process: how often it slept and woke. */
function wakeups(pid: number): number {
  let n = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const status = readFileSync(`/proc/${pid}/task/${tid}/status`, "utf8");
    n += Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0);
  }
  return n;
}

/** A G-code terminal on a host's pty (through socat): send a line, collect its reply up to "ok". */
class PtyClient {
  private readonly proc;
  private buf = "";
  private waiter: ((lines: string[]) => void) | null = null;
  private lines: string[] = [];

  constructor(path: string) {
    this.proc = Bun.spawn(["socat", "-", `FILE:${path},raw,echo=0`], { stdin: "pipe", stdout: "pipe", stderr: "ignore" });
    void this.read();
  }

  private async read(): Promise<void> {
    const dec = new TextDecoder();
    for await (const chunk of this.proc.stdout) {
      this.buf += dec.decode(chunk, { stream: true });
      for (let i = this.buf.indexOf("\n"); i >= 0; i = this.buf.indexOf("\n")) {
        const line = this.buf.slice(0, i).trim();
        this.buf = this.buf.slice(i + 1);
        if (!line) continue;
        this.lines.push(line);
        if (line.startsWith("ok") && this.waiter) {
          const done = this.waiter;
          this.waiter = null;
          done(this.lines.splice(0));
        }
      }
    }
  }

  /** Sends one line; resolves with the reply lines (ending with "ok"), or rejects after timeoutMs. */
  send(line: string, timeoutMs = 60_000): Promise<string[]> {
    this.lines = [];
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.waiter = null; reject(new Error(`no reply to '${line}' in ${timeoutMs} ms`)); }, timeoutMs);
      this.waiter = (lines) => { clearTimeout(timer); resolve(lines); };
      this.proc.stdin.write(`${line}\n`);
      this.proc.stdin.flush();
    });
  }

  close(): void {
    this.proc.kill();
  }
}

type Host = "stepline" | "klippy";

/** Raised priorities (negative nice) need root; otherwise both run at the default. */
const canRaise = process.getuid?.() === 0;
const NICE_VMCU = canRaise ? ["nice", "-n", "-10"] : [];
const NICE_HOST = canRaise ? ["nice", "-n", "-5"] : [];

interface LiveRun {
  /** CPU seconds from start to ready + G28 + the first `skip` seconds of the print */
  startCpu: number;
  /** CPU percent of one core over the window */
  cpuPct: number;
  rss: number;
  peakRss: number;
  /** the process's own resident memory (anonymous: heap, JIT code), not pages read from files */
  ownRss: number;
  vmcuPct: number;
  /** the host's wake-ups (voluntary context switches, all threads) per second over the window */
  wakeups: number;
  /** CPU percent over the window of the busiest threads, by name */
  threads: string;
  progress: string;
  m27Ms: number;
}

async function waitFor(what: string, ok: () => boolean, proc: { exitCode: number | null }, timeoutMs: number, log: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (proc.exitCode !== null) throw new Error(`${what}: the process ended (${proc.exitCode})\n${log()}`);
    if (Date.now() > deadline) throw new Error(`${what}: timed out\n${log()}`);
    await Bun.sleep(50);
  }
}

async function liveRun(host: Host, base: string, skip: number, window: number): Promise<LiveRun> {
  const dir = join(base, `${host}-${Date.now()}`);
  const gcodes = join(dir, "gcodes");
  mkdirSync(gcodes, { recursive: true });
  // Heating removed: no temperature waits, and extrusion allowed cold
  const text = readFileSync(GCODE, "utf8").split("\n").filter((l) => !/^M(104|109|140|190)\b/.test(l)).join("\n");
  writeFileSync(join(gcodes, "print.gcode"), text);
  const vmcuPath = join(dir, "vmcu"), ptyPath = join(dir, "printer"), log = join(dir, "host.log");
  writeFileSync(join(dir, "printer.cfg"), `${VIRTUAL_PRINTER_CFG.replace("serial: /tmp/vmcu", `serial: ${vmcuPath}`)}
[extruder]
min_extrude_temp: 0

[virtual_sdcard]
path: ${gcodes}
`);
  // The virtual MCU stands in for hardware that never waits for a CPU: it runs at a higher priority
  // (when allowed) than the hosts, which run at the same one, so a busy machine does not fail it.
  const vmcu = Bun.spawn([...NICE_VMCU, process.execPath, MAIN, "vmcu", "--pty", vmcuPath, "--hardware", HARDWARE], { stdout: "ignore", stderr: "ignore" });
  let proc: ReturnType<typeof Bun.spawn> | null = null;
  let pty: PtyClient | null = null;
  const logTail = () => (existsSync(log) ? readFileSync(log, "utf8").split("\n").filter((l) => !l.startsWith("Stats")).slice(-15).join("\n") : "");
  try {
    await waitFor("vmcu pty", () => existsSync(vmcuPath), vmcu, 30_000, () => "");
    proc = host === "stepline"
      ? Bun.spawn([...NICE_HOST, ...STEPLINE, "run", "--config", join(dir, "printer.cfg"), "--data", join(dir, "data"), "--gcode-pty", ptyPath, "--port", "0"],
        { stdout: Bun.file(log), stderr: "inherit" })
      : Bun.spawn([...NICE_HOST, PYTHON, klippyPy(), join(dir, "printer.cfg"), "-I", ptyPath, "-l", log], { cwd: klippyRoot(), stdout: "ignore", stderr: "ignore" });
    const p = proc;
    await waitFor(`${host} G-code pty`, () => existsSync(ptyPath), p, 60_000, logTail);
    pty = new PtyClient(ptyPath);
    // Ready: STATUS says so
    const readyBy = Date.now() + 60_000;
    for (;;) {
      const reply = await pty.send("STATUS", 10_000).catch(() => ["!! no reply"]);
      if (reply.some((l) => /state: Ready/i.test(l))) break;
      if (Date.now() > readyBy || p.exitCode !== null) throw new Error(`${host} did not become ready: ${reply.join(" | ")}\n${logTail()}`);
      await Bun.sleep(200);
    }
    const started = await pty.send("SDCARD_PRINT_FILE FILENAME=print.gcode");
    if (started.some((l) => l.startsWith("!!"))) throw new Error(`${host}: SDCARD_PRINT_FILE: ${started.join(" | ")}`);
    await Bun.sleep(skip * 1000);
    const startCpu = cpuSeconds(p.pid), vmcu0 = cpuSeconds(vmcu.pid), wake0 = wakeups(p.pid), threads0 = threadCpu(p.pid), t0 = performance.now();
    await Bun.sleep(window * 1000);
    const cpu1 = cpuSeconds(p.pid), vmcu1 = cpuSeconds(vmcu.pid), wake1 = wakeups(p.pid), threads1 = threadCpu(p.pid), secs = (performance.now() - t0) / 1000;
    const threads = [...threads1].map(([name, c]) => [name, (100 * (c - (threads0.get(name) ?? 0))) / secs] as const)
      .filter(([, pct]) => pct >= 0.01).sort((a, b) => b[1] - a[1]).slice(0, 4).map(([name, pct]) => `${name} ${pct.toFixed(2)} %`).join(", ");
    const mem = residentMiB(p.pid);
    const q0 = performance.now();
    const m27 = await pty.send("M27");
    const m27Ms = performance.now() - q0;
    const progress = m27.find((l) => /SD printing byte|Not SD printing/i.test(l)) ?? m27.join(" | ");
    return {
      startCpu, cpuPct: (100 * (cpu1 - startCpu)) / secs, rss: mem.rss, peakRss: mem.peak, ownRss: mem.own,
      vmcuPct: (100 * (vmcu1 - vmcu0)) / secs, wakeups: (wake1 - wake0) / secs, threads, progress: progress.replace(/^\/\/\s*/, ""), m27Ms,
    };
  } finally {
    pty?.close();
    if (proc && proc.exitCode === null) {
      proc.kill("SIGTERM");
      const killer = setTimeout(() => proc?.kill("SIGKILL"), 5000);
      await proc.exited;
      clearTimeout(killer);
    }
    vmcu.kill("SIGTERM");
    const vmcuKiller = setTimeout(() => vmcu.kill("SIGKILL"), 5000); // seen not to exit after a host shutdown
    await vmcu.exited;
    clearTimeout(vmcuKiller);
    rmSync(dir, { recursive: true, force: true });
  }
}

const runs = option("--runs", 2);
/** --profile DIR: Stepline runs under Bun's sampling profiler, one .cpuprofile per run in DIR */
const profileDir = process.argv.includes("--profile") ? process.argv[process.argv.indexOf("--profile") + 1] : undefined;
const PROFILE = profileDir ? ["--cpu-prof", "--cpu-prof-interval=200", `--cpu-prof-dir=${profileDir}`] : process.env.BENCH_PRELOAD ? ["--preload", process.env.BENCH_PRELOAD] : [];
const exe = process.argv.includes("--source") || PROFILE.length > 0 ? null : buildExecutable();
const STEPLINE = exe ? [exe.path] : [process.execPath, ...PROFILE, MAIN];
const skip = option("--skip", 15);
const window = option("--window", 120);
const missing = klippyUnavailable();
if (!Bun.which("socat")) throw new Error("bench:live needs socat (apt-get install socat)");
const only = process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1] : undefined;
const hosts: Host[] = missing || only === "stepline" ? ["stepline"] : only === "klippy" ? ["klippy"] : ["klippy", "stepline"];
console.log(`stepline: ${exe ? "the built executable" : "bun src/main.ts"}`);
console.log(`live print of sliced_ender3v2_example002_full (heating removed) on the virtual MCU over a pty; CPU over ${window} s from ${skip} s into the print; ${runs} alternating run(s) of ${hosts.join(" and ")}`);
if (missing) console.log(`KLIPPY CANNOT RUN HERE: ${missing}; Stepline alone`);
const base = join(tmpdir(), `bench-live-${process.pid}`);
mkdirSync(base, { recursive: true });
const results: Record<Host, LiveRun[]> = { stepline: [], klippy: [] };
try {
  for (let i = 0; i < runs; i++) {
    for (const h of i % 2 ? [...hosts].reverse() : hosts) {
      const r = await liveRun(h, base, skip, window);
      results[h].push(r);
      console.log(`  ${h.padEnd(8)} CPU ${r.cpuPct.toFixed(2)} %, start+G28+${skip} s ${r.startCpu.toFixed(2)} s CPU, RSS ${r.rss.toFixed(1)} MiB (peak ${r.peakRss.toFixed(1)}, own ${r.ownRss.toFixed(1)}), `
        + `${r.wakeups.toFixed(0)} wake-ups/s (threads: ${r.threads}), vmcu ${r.vmcuPct.toFixed(2)} %, ${r.progress}, M27 answered in ${r.m27Ms.toFixed(0)} ms`);
    }
  }
} finally {
  rmSync(base, { recursive: true, force: true });
  exe?.remove();
}
const med = (h: Host, k: keyof Omit<LiveRun, "progress" | "threads">) => median(results[h].map((r) => r[k]));
console.log(`\nmedians of ${runs}:`);
for (const h of hosts)
  console.log(`${h.padEnd(8)} CPU ${med(h, "cpuPct").toFixed(2)} %, start+G28+${skip} s ${med(h, "startCpu").toFixed(2)} s CPU, RSS ${med(h, "rss").toFixed(1)} MiB (peak ${med(h, "peakRss").toFixed(1)}, own ${med(h, "ownRss").toFixed(1)}), ${med(h, "wakeups").toFixed(0)} wake-ups/s, M27 ${med(h, "m27Ms").toFixed(0)} ms`);
if (hosts.length === 2) {
  console.log(`CPU ratio stepline/klippy while printing: ${(med("stepline", "cpuPct") / med("klippy", "cpuPct")).toFixed(3)}; start-up+G28+${skip} s: ${(med("stepline", "startCpu") / med("klippy", "startCpu")).toFixed(3)}; RSS ratio ${(med("stepline", "rss") / med("klippy", "rss")).toFixed(3)}`);
}
