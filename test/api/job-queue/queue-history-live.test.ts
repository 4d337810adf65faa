// Job queue and job history against the real virtual printer through the web API: queued files
// print one after another, each print becomes a history job with its status and totals; a
// cancelled print pauses the queue and is recorded as cancelled.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Database } from "../../../src/api/database/database.ts";
import { createDatabaseComponent } from "../../../src/api/database/database-component.ts";
import { createHistoryComponent } from "../../../src/api/history/history-component.ts";
import { createJobQueueComponent } from "../../../src/api/job-queue/job-queue-component.ts";
import { startApiServer, type ApiServer } from "../../../src/api/server.ts";
import type { ApiContext } from "../../../src/api/endpoint.ts";
import type { LiveHost } from "../../../src/live/host.ts";
import type { TempDir } from "../../support/temp-dir.ts";
import { startVirtualHost, type VirtualHost } from "../../support/virtual-host.ts";
import { getJson, postJson, rpcClient } from "../auth/auth-fixture.ts";
import { quietLog } from "../transport-fixture.ts";

setDefaultTimeout(120_000);

let vh: VirtualHost;
let tmp: TempDir;
let host: LiveHost;
let server: ApiServer;
let gcodes: string;

beforeAll(async () => {
  vh = await startVirtualHost("stepline-queue-", { log: quietLog });
  ({ tmp, host, gcodesDir: gcodes } = vh);
  const db = Database.open(join(tmp.path, "database"), quietLog);
  server = await startApiServer({
    host,
    dataDir: tmp.path,
    port: 0,
    hostname: "127.0.0.1",
    components: [
      (ctx) => createDatabaseComponent(ctx, { db }),
      (ctx) => createHistoryComponent(ctx, { db, metadata: async (f) => ({ size: f.length, job_id: "dropped" }) }),
      (ctx) => createJobQueueComponent(ctx, { db }),
    ],
    log: quietLog,
  });
});

afterAll(async () => {
  await server?.stop();
  await vh?.close();
});

async function until(pred: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
}

const api = (path: string) => `${server.url}${path}`;
const history = async () => (await getJson(api("/server/history/list?order=asc"))).body.result as { count: number; jobs: any[] };
const queue = async () => (await getJson(api("/server/job_queue/status"))).body.result as { queue_state: string; queued_jobs: any[] };

describe("job queue and history on the virtual printer", () => {
  test("two queued files print back to back and are recorded as completed jobs", async () => {
    expect(host.state().state).toBe("ready");
    // Each file dwells long enough to be seen printing at Klipper's 250 ms status cadence
    writeFileSync(join(gcodes, "a.gcode"), "G4 P1000\nM400\n");
    writeFileSync(join(gcodes, "b.gcode"), "G4 P1000\nM400\n");
    const ws = await rpcClient(api("/websocket").replace("http", "ws"));
    const bad = await postJson(api("/server/job_queue/job"), { filenames: ["a.gcode", "missing.gcode"] });
    expect(bad.status).toBe(400);
    expect((await queue()).queued_jobs).toEqual([]);
    const posted = await postJson(api("/server/job_queue/job?filenames=a.gcode,b.gcode"), {});
    expect(posted.body.result.queued_jobs.map((j: { filename: string }) => j.filename)).toEqual(["a.gcode", "b.gcode"]);
    expect(posted.body.result.queue_state).toBe("ready");
    await postJson(api("/server/job_queue/start"), {});
    await until(async () => (await history()).jobs.filter((j) => j.status === "completed").length === 2, "two completed jobs");
    const { jobs, count } = await history();
    expect(count).toBe(2);
    expect(jobs.map((j) => [j.filename, j.status, j.exists])).toEqual([
      ["a.gcode", "completed", true],
      ["b.gcode", "completed", true],
    ]);
    for (const j of jobs) {
      expect(j.end_time).toBeGreaterThanOrEqual(j.start_time);
      // No extrusion in these files: Klipper counts no print_duration, only total_duration
      expect(j.total_duration).toBeGreaterThan(0);
      expect(j.total_duration).toBeGreaterThanOrEqual(j.print_duration);
      expect(j.metadata).toEqual({ size: 7 });
      // M400 after the 1 s dwell: the print lasts at least that long
      expect(j.total_duration).toBeGreaterThan(0.9);
    }
    expect((await queue()).queued_jobs).toEqual([]);
    const totals = (await getJson(api("/server/history/totals"))).body.result.job_totals;
    expect(totals.total_jobs).toBe(2);
    expect(totals.total_time).toBeCloseTo(jobs[0].total_duration + jobs[1].total_duration, 6);
    expect(totals.longest_job).toBe(Math.max(jobs[0].total_duration, jobs[1].total_duration));
    const page = (await getJson(api("/server/history/list?limit=1&start=1"))).body.result;
    expect(page.jobs.map((j: { filename: string }) => j.filename)).toEqual(["a.gcode"]);
    const since = (await getJson(api(`/server/history/list?since=${jobs[0].start_time}`))).body.result;
    expect(since.jobs.map((j: { filename: string }) => j.filename)).toEqual(["b.gcode"]);
    const one = await getJson(api(`/server/history/job?uid=${jobs[1].job_id}`));
    expect(one.body.result.job.filename).toBe("b.gcode");
    expect((await getJson(api("/server/history/job?uid=FFFFFF"))).status).toBe(404);
    const hist = ws.notifications.filter((n) => n.method === "notify_history_changed").map((n) => (n.params![0] as { action: string }).action);
    expect(hist).toEqual(["added", "finished", "added", "finished"]);
    const q = ws.notifications.filter((n) => n.method === "notify_job_queue_changed").map((n) => (n.params![0] as { action: string }).action);
    expect(q).toContain("job_loaded");
    ws.close();
  });

  test("a cancelled print is recorded as cancelled and pauses the queue with the next job kept", async () => {
    writeFileSync(join(gcodes, "long.gcode"), "G4 P500\n".repeat(200));
    const posted = await postJson(api("/server/job_queue/job"), { filenames: ["long.gcode", "a.gcode"], reset: true });
    const ids = posted.body.result.queued_jobs.map((j: { job_id: string }) => j.job_id);
    // jump: a.gcode to the front and back again
    expect((await postJson(api(`/server/job_queue/jump?job_id=${ids[1]}`), {})).body.result.queued_jobs[0].filename).toBe("a.gcode");
    await postJson(api(`/server/job_queue/jump?job_id=${ids[0]}`), {});
    await postJson(api("/server/job_queue/start"), {});
    await until(async () => (await history()).jobs.some((j) => j.filename === "long.gcode" && j.status === "in_progress"), "long.gcode printing");
    await host.call("gcode/script", { script: "CANCEL_PRINT" });
    await until(async () => (await history()).jobs.some((j) => j.filename === "long.gcode" && j.status === "cancelled"), "long.gcode cancelled");
    await until(async () => (await queue()).queue_state === "paused", "queue paused");
    expect((await queue()).queued_jobs.map((j) => j.filename)).toEqual(["a.gcode"]);
    const del = await getJson(api("/server/job_queue/job?all=true"), { method: "DELETE" });
    expect(del.body.result.queued_jobs).toEqual([]);
    const before = (await getJson(api("/server/history/totals"))).body.result.job_totals;
    expect(before.total_jobs).toBe(3);
    const reset = await postJson(api("/server/history/reset_totals"), {});
    expect(reset.body.result.last_totals).toEqual(before);
    expect((await getJson(api("/server/history/totals"))).body.result.job_totals.total_jobs).toBe(0);
    const deleted = await getJson(api("/server/history/job?all=true"), { method: "DELETE" });
    expect(deleted.body.result.deleted_jobs).toHaveLength(3);
    expect((await history()).count).toBe(0);
  });

  test("an emergency stop mid-print records klippy_shutdown; a job left in progress by a crash reads back as interrupted", async () => {
    writeFileSync(join(gcodes, "long.gcode"), "G4 P500\nM400\n".repeat(200));
    await host.call("gcode/script", { script: 'SDCARD_PRINT_FILE FILENAME="long.gcode"' });
    await until(async () => (await history()).jobs.some((j) => j.status === "in_progress"), "long.gcode printing");
    await host.call("emergency_stop");
    await until(async () => (await history()).jobs.some((j) => j.status === "klippy_shutdown"), "klippy_shutdown recorded");
    const [job] = (await history()).jobs;
    expect(job.filename).toBe("long.gcode");
    expect(job.end_time).not.toBeNull();

    // A database whose last run died mid-print, opened by a fresh history component
    const dir = join(tmp.path, "crashed-db");
    const crashed = Database.open(dir, quietLog);
    crashed.set("history", ["00000A"], { ...job, job_id: "00000A", status: "in_progress", end_time: null });
    await crashed.flush();
    const reopened = Database.open(dir, quietLog);
    const ctx = { host, dataDir: tmp.path, notify: () => {}, log: quietLog } as Pick<ApiContext, "host" | "dataDir" | "notify" | "log">;
    const comp = createHistoryComponent(ctx as ApiContext, { db: reopened });
    expect((reopened.get("history", ["00000A"]) as { status: string }).status).toBe("interrupted");
    comp.close?.();
  });
});
