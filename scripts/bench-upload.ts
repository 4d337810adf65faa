// Upload benchmark: one streamed multipart upload (default 1 GiB of G-code) to a real web API server
// (the built-in virtual printer behind it) on loopback, sent by a separate client process. Prints
// throughput in MB/s and the server process's RSS before, at its peak during, and after the upload:
// the upload path streams to disk, so RSS should stay flat whatever the size.
// usage: bun scripts/bench-upload.ts [--mb 1024]
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFilesComponent } from "../src/api/files/index.ts";
import { startApiServer } from "../src/api/server.ts";
import { ensureDataDirs, virtualPrinterConfig, virtualPrinterHardware } from "../src/live/virtual-printer/index.ts";
import { startLiveHost } from "../src/live/host.ts";

const mbArg = process.argv.indexOf("--mb");
const totalMb = mbArg > 0 ? Number(process.argv[mbArg + 1]) : 1024;
const totalBytes = totalMb * 1024 * 1024;

// The client: streams `total` bytes of G-code lines as one multipart file part, never holding more
// than one 256 KiB chunk; prints the HTTP status and body when done.
const CLIENT = `
const [url, total] = [process.argv[1], Number(process.argv[2])];
const boundary = "----stepline-bench";
const enc = new TextEncoder();
const head = enc.encode("--" + boundary + '\\r\\nContent-Disposition: form-data; name="file"; filename="bench.gcode"\\r\\n\\r\\n');
const tail = enc.encode("\\r\\n--" + boundary + "--\\r\\n");
const line = "G1 X100.000 Y100.000 E0.12345 ; bench line padding to 64 bytes..\\n";
const chunk = enc.encode(line.repeat(4096)); // 256 KiB
let sent = 0;
let stage = 0;
const body = new ReadableStream({
  pull(ctrl) {
    if (stage === 0) { ctrl.enqueue(head); stage = 1; return; }
    if (stage === 1) {
      const n = Math.min(chunk.length, total - sent);
      ctrl.enqueue(n === chunk.length ? chunk : chunk.subarray(0, n));
      sent += n;
      if (sent >= total) stage = 2;
      return;
    }
    ctrl.enqueue(tail);
    ctrl.close();
  },
});
const res = await fetch(url, {
  method: "POST",
  headers: { "content-type": "multipart/form-data; boundary=" + boundary, "content-length": String(head.length + total + tail.length) },
  body,
  duplex: "half",
});
console.log(res.status, await res.text());
`;

const quiet = { info: () => {}, warn: (m: string) => console.warn(m), error: (m: string) => console.error(m) };
const dataDir = mkdtempSync(join(tmpdir(), "stepline-bench-upload-"));
const mb = (b: number) => (b / 1024 / 1024).toFixed(1);
try {
  const dirs = ensureDataDirs(dataDir);
  const printer = await startLiveHost({
    configText: virtualPrinterConfig({ gcodesDir: dirs.gcodes, idleTimeout: 600, thermalTimeScale: 1 }),
    dataDir,
    log: quiet,
    board: { hardware: virtualPrinterHardware({ thermalTimeScale: 1 }), logCommands: false },
  });
  const api = await startApiServer({
    host: printer.host,
    dataDir,
    port: 0,
    hostname: "127.0.0.1",
    log: quiet,
    components: [(ctx) => createFilesComponent(ctx, { maxUploadBytes: totalBytes + 1024 ** 2 })],
  });
  Bun.gc(true);
  const rssBefore = process.memoryUsage().rss;
  let rssPeak = rssBefore;
  const sampler = setInterval(() => {
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
  }, 20);
  const t0 = performance.now();
  const client = Bun.spawn([process.execPath, "-e", CLIENT, `${api.url}/server/files/upload`, String(totalBytes)], { stdout: "pipe", stderr: "inherit" });
  const out = await new Response(client.stdout).text();
  await client.exited;
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  Bun.gc(true);
  const rssAfter = process.memoryUsage().rss;
  const size = statSync(join(dirs.gcodes, "bench.gcode")).size;
  console.log(`upload: ${out.trim().slice(0, 160)}`);
  console.log(`file on disk: ${mb(size)} MiB (sent ${mb(totalBytes)} MiB)`);
  console.log(`throughput: ${(totalBytes / 1e6 / seconds).toFixed(1)} MB/s (${seconds.toFixed(2)} s)`);
  console.log(`server RSS: before ${mb(rssBefore)} MiB, peak ${mb(rssPeak)} MiB (+${mb(rssPeak - rssBefore)}), after ${mb(rssAfter)} MiB`);
  await api.stop();
  await printer.stop();
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
