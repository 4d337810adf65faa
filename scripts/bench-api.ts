// Web API benchmark on the built-in virtual printer (real server on loopback, clients in a separate
// process): 100 websocket clients identify and subscribe to toolhead, extruder, heater_bed and
// print_stats as Mainsail/Fluidd do, while a print runs; prints p50/p99/max notification latency
// (server eventtime → client receipt), notifications per second, the server's CPU use and RSS.
// Then the upload benchmark (scripts/bench-upload.ts) for throughput and RSS of a large upload.
// usage: bun scripts/bench-api.ts [--clients 100] [--seconds 20] [--upload-mb 1024]
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startWebApi } from "../src/cli/web-api.ts";
import { hostMonotonic } from "../src/live/reactor.ts";
import { ensureDataDirs, virtualPrinterConfig, virtualPrinterHardware } from "../src/live/virtual-printer/index.ts";
import { startLiveHost } from "../src/live/host.ts";

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const clients = arg("--clients", 100);
const seconds = arg("--seconds", 20);
const uploadMb = arg("--upload-mb", 1024);

// The client process: opens the sockets, subscribes, then records for each notify_status_update
// the delay from the server's eventtime (its monotonic clock, turned into wall time by the offset
// handed over) to arrival; prints one JSON line with the latencies in ms when told to stop (stdin).
const CLIENT = `
const [url, n, offset, all] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3]), process.argv[4] === "all"];
const wall = () => (performance.timeOrigin + performance.now()) / 1000;
const lat = [];
let count = 0, measuring = false;
let objects = { toolhead: null, extruder: null, heater_bed: null, print_stats: null };
const socks = [];
for (let i = 0; i < n; i++) {
  const ws = new WebSocket(url);
  await new Promise((res, rej) => { ws.onopen = res; ws.onerror = rej; });
  let id = 0;
  const call = (method, params) => new Promise((res) => {
    const my = ++id;
    const prev = ws.onmessage;
    ws.onmessage = (ev) => { const m = JSON.parse(ev.data); if (m.id === my) { ws.onmessage = prev; res(m); } };
    ws.send(JSON.stringify({ jsonrpc: "2.0", method, params, id: my }));
  });
  await call("server.connection.identify", { client_name: "bench" + i, version: "1", type: "web", url: "x" });
  // Mainsail and Fluidd subscribe to every listed object with all fields
  if (all && i === 0) objects = Object.fromEntries((await call("printer.objects.list", {})).result.objects.map((o) => [o, null]));
  await call("printer.objects.subscribe", { objects });
  ws.onmessage = (ev) => {
    const m = JSON.parse(ev.data);
    if (!measuring || m.method !== "notify_status_update") return;
    count++;
    lat.push((wall() - (m.params[1] + offset)) * 1000);
  };
  socks.push(ws);
}
console.log("ready");
for await (const line of console) {
  if (line === "start") { measuring = true; continue; }
  measuring = false;
  lat.sort((a, b) => a - b);
  const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))];
  console.log(JSON.stringify({ count, p50: q(0.5), p99: q(0.99), max: lat[lat.length - 1] }));
  for (const s of socks) s.close();
  process.exit(0);
}
`;

/** One measurement: the client process subscribes its sockets, records for `seconds`, reports. */
async function measure(apiUrl: string, what: string, all: boolean): Promise<void> {
  const offset = (performance.timeOrigin + performance.now()) / 1000 - hostMonotonic();
  const wsUrl = `${apiUrl.replace(/^http/, "ws")}/websocket`;
  const client = Bun.spawn([process.execPath, "-e", CLIENT, wsUrl, String(clients), String(offset), all ? "all" : "four"], { stdin: "pipe", stdout: "pipe", stderr: "inherit" });
  const reader = client.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const nextLine = async () => {
    let buf = "";
    while (!buf.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`bench client exited: ${buf}`);
      buf += value;
    }
    return buf.trim();
  };
  if ((await nextLine()) !== "ready") throw new Error("bench client did not get ready");
  // no forced GC here: a full collection stalls the in-process MCU past its timers (a shutdown)
  const rssBefore = process.memoryUsage().rss;
  let rssPeak = rssBefore;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 100);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  client.stdin.write("start\n");
  client.stdin.flush();
  await Bun.sleep(seconds * 1000);
  client.stdin.write("stop\n");
  client.stdin.flush();
  const cpu = process.cpuUsage(cpu0);
  const wallS = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  const r = JSON.parse(await nextLine()) as { count: number; p50: number; p99: number; max: number };
  await client.exited;
  const status = (await (await fetch(`${apiUrl}/printer/objects/query?print_stats=state&virtual_sdcard=progress`)).json()) as { result: { status: Record<string, Record<string, unknown>> } };
  console.log(`${clients} websocket clients subscribed to ${what}, ${wallS.toFixed(1)} s while printing (print_stats.state ${status.result.status.print_stats?.state}, progress ${Number(status.result.status.virtual_sdcard?.progress).toFixed(3)})`);
  console.log(`  notifications: ${r.count} (${(r.count / wallS).toFixed(0)}/s, ${(r.count / wallS / clients).toFixed(2)}/s per client)`);
  console.log(`  latency (server eventtime → client): p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, max ${r.max.toFixed(2)} ms`);
  console.log(`  server CPU: ${(((cpu.user + cpu.system) / 1e6 / wallS) * 100).toFixed(1)}% of one core (user ${(cpu.user / 1e6).toFixed(2)} s, system ${(cpu.system / 1e6).toFixed(2)} s; includes the virtual MCU and the print)`);
  console.log(`  server RSS: before ${mib(rssBefore)} MiB, peak ${mib(rssPeak)} MiB`);
}

const quiet = { info: () => {}, warn: (m: string) => console.warn(m), error: (m: string) => console.error(m) };
const dataDir = mkdtempSync(join(tmpdir(), "stepline-bench-api-"));
const mib = (b: number) => (b / 1024 / 1024).toFixed(1);
try {
  const dirs = ensureDataDirs(dataDir);
  const live = await startLiveHost({
    configText: virtualPrinterConfig({ gcodesDir: dirs.gcodes, idleTimeout: 600 }),
    dataDir,
    log: quiet,
    board: { hardware: virtualPrinterHardware(), logCommands: false },
  });
  const api = await startWebApi({ host: live.host, dataDir, port: 0, hostname: "127.0.0.1", allowPowerControl: false, log: quiet });
  // A print that outlasts the measurement: heaters heating (extruding would wait minutes for a real-
  // time hotend, so the moves travel without E) and zig-zags at 60 mm/s
  const lines = ["M140 S60", "M104 S200", "G28", "G90", "G1 Z0.3 F600"];
  for (let i = 0; i < 4000; i++) lines.push(`G1 X${i % 2 ? 180 : 40} Y${40 + (i % 100)} F3600`);
  writeFileSync(join(dirs.gcodes, "bench.gcode"), lines.join("\n") + "\n");

  const start = await fetch(`${api.url}/printer/print/start`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ filename: "bench.gcode" }) });
  if (!start.ok) throw new Error(`print start: ${start.status} ${await start.text()}`);
  await Bun.sleep(3000); // homing done, moving
  await measure(api.url, "toolhead, extruder, heater_bed, print_stats", false);
  await measure(api.url, "every object, all fields (what Mainsail and Fluidd subscribe)", true);
  await api.stop();
  await live.stop();
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}

if (uploadMb > 0) {
  console.log(`\nupload (scripts/bench-upload.ts --mb ${uploadMb}):`);
  const up = Bun.spawn([process.execPath, join(import.meta.dir, "bench-upload.ts"), "--mb", String(uploadMb)], { stdout: "inherit", stderr: "inherit" });
  process.exitCode = await up.exited;
}
