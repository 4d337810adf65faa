// Upload-and-print against the real built-in virtual printer (live Host, virtual MCU): print=true
// starts the job through SDCARD_PRINT_FILE, print_stats shows it printing, the file cannot be deleted
// or overwritten while it prints, and can be once the job is cancelled.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { createFilesComponent } from "../../../src/api/files/index.ts";
import { startApiServer, type ApiServer } from "../../../src/api/server.ts";
import type { LiveHost } from "../../../src/live/host.ts";
import { startVirtualHost, type VirtualHost } from "../../support/virtual-host.ts";
import { uploadForm } from "./support.ts";

setDefaultTimeout(60_000);

const quiet = { info: () => {}, warn: () => {}, error: () => {} };
let vh: VirtualHost;
let host: LiveHost;
let api: ApiServer;

beforeAll(async () => {
  vh = await startVirtualHost("stepline-files-live-");
  host = vh.host;
  api = await startApiServer({ host, dataDir: vh.tmp.path, port: 0, hostname: "127.0.0.1", log: quiet, components: [(ctx) => createFilesComponent(ctx, { watch: false })] });
});

afterAll(async () => {
  await api?.stop();
  await vh?.close();
});

async function printStats(): Promise<{ state: string; filename: string }> {
  const res = (await host.call("objects/query", { objects: { print_stats: ["state", "filename"] } })) as { status: { print_stats: { state: string; filename: string } } };
  return res.status.print_stats;
}

async function until(pred: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await pred()) return;
    await Bun.sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("upload and print on the virtual printer", () => {
  test("print=true starts it; the printing file is protected until the job is cancelled", async () => {
    expect(host.state().state).toBe("ready");
    // a job that stays busy for a while: dwells, one after the other
    const job = [";FLAVOR:Marlin", ...Array.from({ length: 60 }, () => "G4 P500"), ""].join("\n");
    const res = await fetch(`${api.url}/server/files/upload`, { method: "POST", body: uploadForm("jobs/live job.gcode", job, { print: "true" }) });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ item: { root: "gcodes", path: "jobs/live job.gcode" }, print_started: true, print_queued: false });
    await until(async () => (await printStats()).state === "printing", "print_stats printing");
    expect((await printStats()).filename).toBe("jobs/live job.gcode");

    const del = await fetch(`${api.url}/server/files/gcodes/jobs/live%20job.gcode`, { method: "DELETE" });
    expect(del.status).toBe(403);
    const again = await fetch(`${api.url}/server/files/upload`, { method: "POST", body: uploadForm("jobs/other.gcode", "G28\n", { print: "true" }) });
    expect(await again.json()).toMatchObject({ print_started: false });

    await host.call("gcode/script", { script: "CANCEL_PRINT" });
    await until(async () => (await printStats()).state === "cancelled", "print_stats cancelled");
    const ok = await fetch(`${api.url}/server/files/gcodes/jobs/live%20job.gcode`, { method: "DELETE" });
    expect(ok.status).toBe(200);
    expect(existsSync(join(vh.gcodesDir, "jobs/live job.gcode"))).toBe(false);
  });
});
