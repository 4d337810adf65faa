// `stepline run` as a real process with Cura's door on free ports (never 80, mDNS off): the Cura API
// answers on its own port and on the web port; a busy Cura port is one log line and the web port still
// serves Cura; a large upload streams to gcodes/ without the server's memory growing by its size.
import { expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { waitFor } from "../api/printer-rig.ts";
import { freePort, spawnStepline } from "../support/cli.ts";
import { Cleanups } from "../support/cleanups.ts";

setDefaultTimeout(120_000);
const cleanups = new Cleanups();

async function startRun(curaPort: number) {
  const data = cleanups.tempDir("stepline-cura-run-");
  const webPort = freePort();
  const run = spawnStepline(cleanups, ["run", "--data", data, "--port", String(webPort), "--host", "127.0.0.1", "--gcode-pty", "none", "--cura-port", String(curaPort), "--no-cura-mdns"]);
  await run.waitFor(/^web API on /);
  return { run, data, web: `http://127.0.0.1:${webPort}`, webPort };
}

// biome-ignore lint: bodies are checked by value
type Json = any;
const getJson = async (url: string): Promise<Json> => {
  const r = await fetch(url, { headers: { "Content-Type": "application/json" } });
  expect(r.status).toBe(200);
  return r.json();
};

/** Peak resident memory of a process (kB), from /proc. */
function peakRssKb(pid: number): number {
  const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!m) throw new Error(`no VmHWM for ${pid}`);
  return Number(m[1]);
}

test("the Cura API answers on the Cura port and on the web port; a large upload streams in flat memory", async () => {
  const curaPort = freePort();
  const { run, data, web } = await startRun(curaPort);
  const cura = `http://127.0.0.1:${curaPort}`;
  expect(run.lines.filter((l) => /Cura: cannot listen/.test(l))).toEqual([]);
  const [sysCura, sysWeb] = [await getJson(`${cura}/api/v1/system`), await getJson(`${web}/api/v1/system`)];
  expect(sysCura.guid).toMatch(/^[0-9a-f-]{36}$/);
  expect(sysWeb).toEqual(sysCura);
  const printers = await getJson(`${web}/cluster-api/v1/printers`);
  expect(printers).toHaveLength(1);
  expect(printers[0].uuid).toBe(sysCura.guid);
  await waitFor("the printer to be idle", async () => ((await getJson(`${cura}/cluster-api/v1/printers`))[0].status === "idle" ? true : undefined));
  // The Moonraker API is still the web port's own.
  expect((await getJson(`${web}/server/info`)).result.components).toContain("file_manager");

  // 64 MiB of G-code, generated as it is sent (chunked, no Content-Length), in Cura's multipart form.
  const boundary = "boundary_.oOo._c3RyZWFtaW5n/+A=";
  const line = `; stepline streaming upload test, a comment line of padding ${"x".repeat(60)}\n`;
  const chunk = new TextEncoder().encode(line.repeat(Math.floor((1 << 20) / line.length)));
  const chunks = 64;
  const hasher = new Bun.CryptoHasher("sha256");
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(ctl) {
      if (sent === 0) ctl.enqueue(new TextEncoder().encode(`--${boundary}\r\nContent-Type: text/plain\r\nContent-Disposition: form-data; name=owner\r\n\r\nbig\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.gcode"\r\n\r\n`));
      if (sent === chunks) {
        ctl.enqueue(new TextEncoder().encode(`\r\n--${boundary}--\r\n`));
        ctl.close();
        return;
      }
      hasher.update(chunk);
      ctl.enqueue(chunk);
      sent++;
    },
  });
  const size = chunk.length * chunks;
  const before = peakRssKb(run.proc.pid);
  const t0 = performance.now();
  const res = await fetch(`${cura}/cluster-api/v1/print_jobs/`, { method: "POST", body, headers: { "Content-Type": `multipart/form-data; boundary="${boundary}"` } });
  expect(res.status).toBe(201);
  const job: Json = await res.json();
  const after = peakRssKb(run.proc.pid);
  const growthKb = after - before;
  console.log(`upload of ${(size / 2 ** 20).toFixed(0)} MiB in ${((performance.now() - t0) / 1000).toFixed(1)} s: server peak RSS ${before} kB → ${after} kB (+${growthKb} kB)`);
  expect(growthKb * 1024).toBeLessThan(size);
  const saved = join(data, "gcodes", "big.gcode");
  expect(statSync(saved).size).toBe(size);
  expect(new Bun.CryptoHasher("sha256").update(readFileSync(saved)).digest("hex")).toBe(hasher.digest("hex"));
  expect(job).toMatchObject({ name: "big", owner: "big" });
  // The job is Cura's (queued, or already running through its comments on the idle printer).
  expect((await getJson(`${web}/cluster-api/v1/print_jobs`)).map((j: Json) => j.uuid)).toEqual([job.uuid]);
  expect(await run.stop("SIGINT")).toBe(0);
});

test("a busy Cura port: one clear log line, and the web port serves Cura", async () => {
  const busy = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("someone else") });
  cleanups.push(() => busy.stop(true));
  const { run, web, webPort } = await startRun(busy.port!);
  const said = run.lines.filter((l) => /Cura/.test(l) && /cannot listen/.test(l));
  expect(said).toHaveLength(1);
  expect(said[0]).toContain(`port ${busy.port}`);
  expect(said[0]).toContain("EADDRINUSE");
  expect(said[0]).toContain(`:${webPort}`);
  const printers = await getJson(`${web}/cluster-api/v1/printers`);
  expect(printers[0]).toMatchObject({ status: expect.any(String), machine_variant: "Ultimaker 3" });
  expect((await getJson(`${web}/cluster-api/v1/print_jobs`))).toEqual([]);
  // The other program keeps its port.
  expect(await (await fetch(`http://127.0.0.1:${busy.port}/`)).text()).toBe("someone else");
  expect(await run.stop("SIGTERM")).toBe(0);
});
