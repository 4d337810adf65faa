// What the Mainsail and Fluidd browser tests share: the unmodified UI build unpacked from
// ../shared/clients, `stepline run --web <ui>` as a real subprocess (virtual printer, temp data
// folder, free port on 127.0.0.1), a headless chromium page on it that records every failed HTTP
// request and JSON-RPC error reply the UI receives, the server's state read back over its HTTP API,
// and a small sliced G-code file to upload.
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { expect } from "bun:test";
import type { Browser, Locator, Page } from "playwright-core";
import { solidPng, thumbnailBlock } from "../api/files/slicer-samples.ts";
import { launchChromium } from "../support/browser.ts";
import { freePort, spawnStepline } from "../support/cli.ts";
import { SHARED_REFERENCE } from "../support/reference.ts";
import { TempDir } from "../support/temp-dir.ts";

/** ../shared/clients (beside ../shared/reference), or STEPLINE_CLIENTS. */
export const SHARED_CLIENTS = process.env.STEPLINE_CLIENTS ?? resolve(SHARED_REFERENCE, "../clients");

/** Unpack a UI tarball (its built folder at the top level) into `into`; returns that folder. */
export function unpackClient(tarball: string, into: string): string {
  mkdirSync(into, { recursive: true });
  const r = Bun.spawnSync(["tar", "-xzf", join(SHARED_CLIENTS, tarball), "-C", into], { stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`tar -xzf ${tarball}: ${r.stderr.toString()}`);
  return into;
}

export interface SteplineRun {
  url: string;
  dataDir: string;
  /** Everything the process printed (stdout and stderr), line by line. */
  lines: string[];
  stop(): Promise<number>;
}

/** `stepline run --web webDir` on a temp data folder and a free port; resolves once the API answers. */
export async function startSteplineRun(webDir: string, dataDir: string): Promise<SteplineRun> {
  const port = freePort();
  const args = ["run", "--data", dataDir, "--port", String(port), "--host", "127.0.0.1", "--web", webDir, "--gcode-pty", "none"];
  const run = spawnStepline(null, args);
  const url = `http://127.0.0.1:${port}`;
  const stop = () => run.stop("SIGTERM");
  const timeout = setTimeout(() => run.proc.kill("SIGKILL"), 60_000);
  try {
    await run.waitFor(new RegExp(`^web API on ${url}`));
  } catch (e) {
    await stop();
    throw new Error(`stepline run did not serve ${url}: ${(e as Error).message}`);
  } finally {
    clearTimeout(timeout);
  }
  return { url, dataDir, lines: run.lines, stop };
}

/** A JSON-RPC error reply the UI received over its websocket, with the method it had asked for. */
export interface RpcError {
  method: string;
  code: number;
  message: string;
}

/** What went wrong as the page saw it: HTTP ≥ 400, JSON-RPC errors, page errors, console errors. */
export interface PageTrouble {
  http: string[];
  rpc: RpcError[];
  /** JSON-RPC requests still unanswered, with when they were sent (Mainsail waits forever on one). */
  pending: Map<unknown, { method: string; sentAt: number }>;
  pageErrors: string[];
  console: string[];
}

/** Record the UI's failed requests and errors; JSON-RPC replies are matched to requests by id. */
export function watchPage(page: Page): PageTrouble {
  const trouble: PageTrouble = { http: [], rpc: [], pending: new Map(), pageErrors: [], console: [] };
  page.on("response", (r) => {
    if (r.status() >= 400) trouble.http.push(`${r.request().method()} ${new URL(r.url()).pathname} → ${r.status()}`);
  });
  page.on("pageerror", (e) => trouble.pageErrors.push(e.message));
  page.on("console", (m) => {
    if (m.type() === "error") trouble.console.push(m.text());
  });
  page.on("websocket", (ws) => {
    const methods = new Map<unknown, string>();
    // ids are per socket; key the pending ones by socket too
    const key = (id: unknown) => `${ws.url()}#${String(id)}`;
    const each = (payload: string | Buffer, fn: (msg: Record<string, unknown>) => void) => {
      try {
        const parsed: unknown = JSON.parse(String(payload));
        for (const m of Array.isArray(parsed) ? parsed : [parsed]) if (m && typeof m === "object") fn(m as Record<string, unknown>);
      } catch {
        trouble.console.push(`non-JSON websocket frame: ${String(payload).slice(0, 80)}`);
      }
    };
    ws.on("framesent", (f) =>
      each(f.payload, (m) => {
        if (m.id === undefined) return;
        methods.set(m.id, String(m.method));
        trouble.pending.set(key(m.id), { method: String(m.method), sentAt: Date.now() });
      }),
    );
    ws.on("framereceived", (f) =>
      each(f.payload, (m) => {
        if (m.id !== undefined) trouble.pending.delete(key(m.id));
        const err = m.error as { code: number; message: string } | undefined;
        if (err) trouble.rpc.push({ method: methods.get(m.id) ?? "?", code: err.code, message: err.message });
      }),
    );
  });
  return trouble;
}

/**
 * Fluidd also probes ws://<host>:7125 (Moonraker's default port), which a user's appliance may hold;
 * the tests never reach it: a websocket to any other origin is held unanswered (never opens), so
 * the UI settles on the page's own origin as it does when nothing listens there.
 */
async function keepToOwnServer(page: Page, url: string): Promise<void> {
  const own = new URL(url).host;
  await page.routeWebSocket((u) => u.host !== own, () => new Promise<void>(() => {}));
}

/** The server's own view, over its HTTP API (what the UI shows must match it). */
export async function queryObjects(url: string, objects: string): Promise<Record<string, Record<string, unknown>>> {
  const r = await fetch(`${url}/printer/objects/query?${objects}`);
  if (!r.ok) throw new Error(`objects/query ${objects}: HTTP ${r.status}`);
  return ((await r.json()) as { result: { status: Record<string, Record<string, unknown>> } }).result.status;
}

/** What a UI normally meets on a fresh install, each matched against "<method|request> → <outcome>". */
export interface ExpectedTrouble {
  http?: RegExp[];
  rpc?: RegExp[];
  console?: RegExp[];
}

/** Nothing went wrong in the page beyond `expected`: no page errors, no unexpected failures. */
export function expectNoTrouble(trouble: PageTrouble, expected: ExpectedTrouble = {}): void {
  const unexpected = (seen: string[], allowed: RegExp[] = []) => seen.filter((x) => !allowed.some((re) => re.test(x)));
  expect(trouble.pageErrors).toEqual([]);
  expect(unexpected(trouble.http, expected.http)).toEqual([]);
  expect(unexpected(trouble.rpc.map((e) => `${e.method} → ${e.code} ${e.message}`), expected.rpc)).toEqual([]);
  expect(unexpected(trouble.console, expected.console)).toEqual([]);
  // Anything asked more than 10 s ago must have had its answer
  const stale = [...trouble.pending.values()].filter((p) => Date.now() - p.sentAt > 10_000).map((p) => p.method);
  expect(stale).toEqual([]);
}

/**
 * Poll the server's objects until `ok` holds; fails at once, with Klipper's message, if the printer
 * shut down meanwhile (e.g. "Timer too close" when the machine is overloaded).
 */
export async function serverUntil(url: string, objects: string, ok: (status: Record<string, Record<string, unknown>>) => boolean, what: string, timeoutMs = 30_000): Promise<Record<string, Record<string, unknown>>> {
  return until(
    async () => {
      const status = await queryObjects(url, `${objects}&webhooks=state,state_message`);
      const wh = status["webhooks"]!;
      if (wh["state"] !== "ready") throw new PrinterNotReady(`printer ${wh["state"]} while waiting for ${what}: ${wh["state_message"]}`);
      return status;
    },
    ok,
    what,
    timeoutMs,
  );
}

class PrinterNotReady extends Error {}

/** Poll the server until print_stats.state is `state`. */
export function untilPrintState(url: string, state: string, timeoutMs = 30_000): Promise<unknown> {
  return serverUntil(url, "print_stats=state", (st) => st["print_stats"]!["state"] === state, `print_stats ${state}`, timeoutMs);
}

/** The server's file-list entry for a G-code file, or undefined. */
export async function fileOnServer(url: string, path: string): Promise<{ path: string; size: number } | undefined> {
  const r = await fetch(`${url}/server/files/list?root=gcodes`);
  const list = ((await r.json()) as { result: { path: string; size: number }[] }).result;
  return list.find((f) => f.path === path);
}

/** The server's job history, newest first. */
export async function historyOnServer(url: string): Promise<{ filename: string; status: string; metadata: Record<string, unknown> }[]> {
  const r = await fetch(`${url}/server/history/list`);
  return ((await r.json()) as { result: { jobs: { filename: string; status: string; metadata: Record<string, unknown> }[] } }).result.jobs;
}

/** Poll `probe` until `ok` holds; the error names `what` and the last value seen. */
export async function until<T>(probe: () => Promise<T>, ok: (v: T) => boolean, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    try {
      last = await probe();
      if (ok(last)) return last;
    } catch (e) {
      if (e instanceof PrinterNotReady) throw e;
      // not there yet (element not rendered, request refused): poll again
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
    await Bun.sleep(100);
  }
}

/**
 * A small PrusaSlicer-style file (header, thumbnail, config footer) whose body is cold travel moves:
 * no heating, no extrusion, so it starts at once on the virtual printer and runs ~`seconds`.
 */
export function slicedGcode(seconds = 120): string {
  const moves: string[] = [];
  // 20 mm zigzags at 50 mm/s: 0.4 s each
  for (let i = 0; i < seconds / 0.4; i++) moves.push(`G1 X${i % 2 ? 120 : 100} Y${(100 + (i % 20)).toFixed(1)} F3000`);
  return [
    "; generated by PrusaSlicer 2.7.1+linux-x64-GTK3 on 2024-01-20 at 10:00:00 UTC",
    "",
    thumbnailBlock(solidPng(32, 32, [30, 144, 255]), 32, 32),
    "",
    "; external perimeters extrusion width = 0.45mm",
    "M73 P0 R2",
    "G28",
    "G90",
    "G1 Z5 F600",
    ";LAYER_CHANGE",
    ";Z:0.2",
    ";HEIGHT:0.2",
    ...moves,
    "G1 Z10 F600",
    "; filament used [mm] = 0.00",
    "; filament used [g] = 0.00",
    `; estimated printing time (normal mode) = ${Math.floor(seconds / 60)}m ${seconds % 60}s`,
    "",
    "; prusaslicer_config = begin",
    "; layer_height = 0.2",
    "; first_layer_height = 0.2",
    "; nozzle_diameter = 0.4",
    "; filament_type = PLA",
    "; first_layer_temperature = 0",
    "; first_layer_bed_temperature = 0",
    "; prusaslicer_config = end",
    "",
  ].join("\n");
}

/** One UI under test: the server, the browser page, what went wrong, where screenshots go. */
export interface UiSession {
  server: SteplineRun;
  browser: Browser;
  page: Page;
  trouble: PageTrouble;
  artifacts: string;
  /** A file in the session's temp folder (for the upload's file input). */
  writeFile(name: string, text: string): string;
  shot(name: string): Promise<void>;
  close(): Promise<void>;
}

/** Unpack `tarball`, run stepline with it, open chromium at `/` (not yet navigated). */
export async function startUiSession(ui: string, tarball: string): Promise<UiSession> {
  const tmp = new TempDir(`stepline-${ui}-`);
  const artifacts = mkdtempSync(join(tmpdir(), `stepline-${ui}-shots-`));
  console.log(`${ui} screenshots: ${artifacts}`);
  const webDir = unpackClient(tarball, join(tmp.path, "ui"));
  const server = await startSteplineRun(webDir, join(tmp.path, "data"));
  let browser: Browser;
  try {
    browser = await launchChromium();
  } catch (e) {
    await server.stop();
    tmp.remove();
    throw e;
  }
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await keepToOwnServer(page, server.url);
  const trouble = watchPage(page);
  return {
    server,
    browser,
    page,
    trouble,
    artifacts,
    writeFile: (name, text) => tmp.write(join("files", name), text),
    shot: async (name) => void (await page.screenshot({ path: join(artifacts, `${name}.png`) })),
    async close() {
      await browser.close();
      await server.stop();
      // The server's output is an artifact too (what it logged while the UI drove it)
      writeFileSync(join(artifacts, "stepline-run.log"), server.lines.join("\n") + "\n");
      cpSync(join(server.dataDir, "logs"), join(artifacts, "logs"), { recursive: true });
      tmp.remove();
    },
  };
}

/** Where a UI shows what the shared checks read, and how its console sends a line. */
export interface UiControls {
  tempCell(heater: string): Locator;
  targetInput(heater: string): Locator;
  position(axis: string): Promise<string>;
  consoleSend(script: string): Promise<void>;
  consoleText(): Promise<string>;
}

/** The shown extruder temperature is the server's; a target typed into the UI heats it (then off again). */
export async function checkLiveHeating(s: UiSession, ui: UiControls): Promise<void> {
  const server = (await queryObjects(s.server.url, "extruder=temperature"))["extruder"]!;
  const shown = () => ui.tempCell("Extruder").innerText().then(parseFloat);
  expect(Math.abs((await shown()) - Number(server["temperature"]))).toBeLessThan(1);
  const before = await shown();
  await ui.targetInput("Extruder").fill("45");
  await ui.targetInput("Extruder").press("Enter");
  await serverUntil(s.server.url, "extruder=target", (st) => st["extruder"]!["target"] === 45, "the extruder target on the server");
  // The displayed temperature follows notify_status_update as the virtual hotend heats
  const warm = await until(shown, (t) => t > before + 5, "the shown extruder temperature to rise");
  expect(Number((await queryObjects(s.server.url, "extruder=temperature"))["extruder"]!["temperature"])).toBeGreaterThan(before + 5);
  expect(warm).toBeGreaterThan(before + 5);
  await s.shot("02-heating");
  await ui.consoleSend("M104 S0");
  await serverUntil(s.server.url, "extruder=target", (st) => st["extruder"]!["target"] === 0, "the heater off");
}

/** G28 from the UI's console homes the printer; after `homed` (the UI's own check) a move shows in its position. */
export async function checkHomeAndMove(s: UiSession, ui: UiControls, homed: () => Promise<void> = async () => {}): Promise<void> {
  await ui.consoleSend("G28");
  await serverUntil(s.server.url, "toolhead=homed_axes", (st) => st["toolhead"]!["homed_axes"] === "xyz", "homed_axes xyz on the server");
  await homed();
  await ui.consoleSend("G1 X50 Y60 Z10 F6000");
  await until(() => ui.position("X"), (v) => parseFloat(v) === 50, "X 50 shown");
  expect(parseFloat(await ui.position("Y"))).toBe(60);
  expect(parseFloat(await ui.position("Z"))).toBe(10);
  const server = (await queryObjects(s.server.url, "toolhead=position"))["toolhead"]!["position"] as number[];
  expect(server.slice(0, 3)).toEqual([50, 60, 10]);
  expect(await ui.consoleText()).toContain("G28");
  await s.shot("03-homed-moved");
}
