// A running Stepline for the Cura tests: the live Host on the built-in virtual printer, the real file
// manager and the Cura door on a free loopback port (never 80), in a temp data folder.
import type { HostStateInfo } from "../../src/core/host.ts";
import { FileManager } from "../../src/api/files/index.ts";
import { ensureDataDirs, virtualPrinterConfig, virtualPrinterHardware } from "../../src/live/virtual-printer/index.ts";
import { type CuraOptions, type CuraService, startCura } from "../../src/cura/start.ts";
import { type LiveHost, startLiveHost } from "../../src/live/host.ts";
import { TempDir } from "../support/temp-dir.ts";

export interface CuraFixture {
  tmp: TempDir;
  host: LiveHost;
  files: FileManager;
  cura: CuraService;
  base: string;
  gcodesDir: string;
  log: string[];
  stop(): Promise<void>;
}

export async function startCuraFixture(extra: Partial<CuraOptions> = {}): Promise<CuraFixture> {
  const tmp = new TempDir("stepline-cura-");
  const dirs = ensureDataDirs(tmp.path);
  const lines: string[] = [];
  const log = { info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m), error: (m: string) => lines.push(m) };
  const live = await startLiveHost({
    configText: virtualPrinterConfig({ gcodesDir: dirs.gcodes, idleTimeout: 600, thermalTimeScale: 10 }),
    dataDir: tmp.path,
    log,
    board: { hardware: virtualPrinterHardware({ thermalTimeScale: 10 }), logCommands: false },
  });
  await untilReady(live.host);
  const files = new FileManager({ dataDir: tmp.path, host: live.host, log, watch: false });
  const cura = startCura({ host: live.host, dataDir: tmp.path, files, log, port: 0, hostname: "127.0.0.1", advertise: false, ...extra });
  return {
    tmp,
    host: live.host,
    files,
    cura,
    base: `http://127.0.0.1:${cura.port}`,
    gcodesDir: dirs.gcodes,
    log: lines,
    async stop() {
      await cura.stop();
      files.close();
      await live.stop();
      tmp.remove();
    },
  };
}

function untilReady(host: LiveHost): Promise<HostStateInfo> {
  if (host.state().state === "ready") return Promise.resolve(host.state());
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`printer not ready: ${JSON.stringify(host.state())}`)), 30_000);
    const off = host.onStateChange((s) => {
      if (s.state !== "ready") return;
      clearTimeout(timer);
      off();
      resolve(s);
    });
  });
}

/** Poll `probe` every 100 ms until it returns a value (not undefined); fails after `ms`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(100);
  }
}

/** A small print: home, then `moves` straight moves of 40 mm at 40 mm/s, with Cura's time header. */
export function testGcode(moves: number): string {
  const lines = [";FLAVOR:Marlin", `;TIME:${moves}`, ";Generated for the Cura door tests", "G28", "G90", "G1 Z5 F600"];
  for (let i = 0; i < moves; i++) lines.push(`G1 X${i % 2 ? 20 : 60} Y${i % 2 ? 20 : 60} F2400`);
  lines.push("M400", ";End of Gcode", "");
  return lines.join("\n");
}

/** The multipart body Cura's Qt code sends (quoted boundary with '/', '+', '=', unquoted field name). */
export function curaMultipart(filename: string, content: Uint8Array, owner = "tester"): { body: Uint8Array; contentType: string } {
  const boundary = "boundary_.oOo._MTIzNDU2Nzg5/+AB=CD";
  const enc = new TextEncoder();
  const head = enc.encode(
    `--${boundary}\r\nContent-Type: text/plain\r\nContent-Disposition: form-data; name=owner\r\n\r\n${owner}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\n\r\n`,
  );
  const tail = enc.encode(`\r\n--${boundary}--\r\n`);
  const body = new Uint8Array(head.length + content.length + tail.length);
  body.set(head, 0);
  body.set(content, head.length);
  body.set(tail, head.length + content.length);
  return { body, contentType: `multipart/form-data; boundary="${boundary}"` };
}
