// A running Stepline for the Cura tests: the web API rig (test/api/printer-rig.ts) on the built-in
// virtual printer with Cura's door on a free loopback port (never 80) and no mDNS, in a temp data folder.
import type { CuraDoorOptions } from "../../src/cura/component.ts";
import type { CuraService } from "../../src/cura/start.ts";
import type { LiveHost } from "../../src/live/host.ts";
import { startApiRig, untilReady } from "../api/printer-rig.ts";
import type { TempDir } from "../support/temp-dir.ts";

export interface CuraFixture {
  tmp: TempDir;
  host: LiveHost;
  cura: CuraService;
  /** Cura's own port. */
  base: string;
  /** The web API's port (Moonraker's API, and Cura's too). */
  web: string;
  gcodesDir: string;
  log: string[];
  stop(): Promise<void>;
}

export async function startCuraFixture(extra: Partial<CuraDoorOptions> = {}, seed?: Record<string, string>): Promise<CuraFixture> {
  const rig = await startApiRig({ cura: { port: 0, hostname: "127.0.0.1", advertise: false, ...extra }, seed });
  await untilReady(rig.host);
  const cura = rig.api.cura!;
  return {
    tmp: rig.tmp,
    host: rig.host,
    cura,
    base: `http://127.0.0.1:${cura.port}`,
    web: rig.api.url,
    gcodesDir: rig.dirs.gcodes,
    log: rig.logLines,
    stop: () => rig.stop(),
  };
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
