// The G-code pseudo-terminal (Klipper's /tmp/printer) over the real pty it opens itself: "ok" per
// line, "// info" and "!! error" replies, CR/LF line ends, M112 ahead of queued commands, and a
// second client after the first one closed, M112 ending a running G28; and `stepline run` serving it with no socat on its PATH.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, lstatSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { GCodePty } from "../../src/live/gcode-pty.ts";
import { startTestPrinter, type TestPrinter } from "./helpers.ts";
import { openPtyClient } from "./pty-client.ts";
import { STEPLINE_MAIN } from "../support/cli.ts";
import { TempDir } from "../support/temp-dir.ts";

describe("G-code pty", () => {
  let p: TestPrinter;
  let pty: GCodePty;
  let ptyPath: string;
  beforeAll(async () => {
    p = await startTestPrinter();
    ptyPath = join(p.dataDir, "printer");
    pty = new GCodePty(p.lp, { path: ptyPath });
    await pty.start();
  });
  afterAll(async () => {
    await pty.stop();
    await p.close();
  });

  test("answers each line with ok, info and error replies", async () => {
    expect(lstatSync(ptyPath).isSymbolicLink()).toBe(true);
    const c = await openPtyClient(ptyPath);
    try {
      c.send("M105\n");
      expect(c.lines[await c.waitFor(/^ok /)]).toMatch(/^ok B:\d+\.\d \/0\.0 T0:\d+\.\d \/0\.0$/);
      let from = c.lines.length;
      c.send("NOT_A_COMMAND\r\n");
      const unknown = await c.waitFor('// Unknown command:"NOT_A_COMMAND"', from);
      expect(c.lines[unknown + 1]).toBe("ok");
      from = c.lines.length;
      c.send("M104 S999\n");
      const err = await c.waitFor(/^!! /, from);
      expect(c.lines[err]).toBe("!! Requested temperature (999.0) out of range (0.0:280.0)");
      expect(c.lines[err + 1]).toBe("ok");
      from = c.lines.length;
      c.send("M115\r\nG4 P1\nSTATUS\n");
      await c.waitFor("// Klipper state: Ready", from);
      const oks = async () => c.lines.slice(from).filter((l) => l.startsWith("ok")).length;
      const deadline = performance.now() + 5000;
      while ((await oks()) < 3 && performance.now() < deadline) await Bun.sleep(10);
      expect(c.lines.slice(from).filter((l) => l.startsWith("ok"))).toEqual([expect.stringMatching(/^ok FIRMWARE_NAME:Klipper FIRMWARE_VERSION:stepline-/), "ok", "ok"]);
    } finally {
      await c.close();
    }
  });

  test("a new client can open the pty after the first one closed", async () => {
    // The first client left; the pty stays behind the same path
    expect(existsSync(ptyPath)).toBe(true);
    const c = await openPtyClient(ptyPath);
    try {
      c.send("STATUS\n");
      await c.waitFor("// Klipper state: Ready");
    } finally {
      await c.close();
    }
  }, 20_000);

  test("garbage on the line is answered, not fatal", async () => {
    const c = await openPtyClient(ptyPath);
    try {
      const from = c.lines.length;
      // Invalid UTF-8, control bytes, a 5000-character word, parameters that are not numbers
      const garbage = new Uint8Array([0xff, 0xfe, 0x00, 0x1b, 0x5b, 0x41, 0x0a]);
      c.send(new TextDecoder("latin1").decode(garbage));
      c.send(`${"X".repeat(5000)}\nG1 X1.2.3\nM104 S\nM109 S=5\n`);
      c.send("STATUS\n");
      await c.waitFor("// Klipper state: Ready", from);
      const replies = c.lines.slice(from);
      expect(replies).toContainEqual(expect.stringMatching(/^\/\/ Unknown command:"X{5000}"$/));
      expect(replies).toContain("!! Unable to parse move 'G1 X1.2.3'");
      expect(replies.filter((l) => l.startsWith("!! ")).length).toBeGreaterThanOrEqual(3);
      expect(p.lp.printer.getStateMessage()[1]).toBe("ready");
    } finally {
      await c.close();
    }
  }, 20_000);

  test("refuses to replace a file that is not its symlink", async () => {
    const path = join(p.dataDir, "not-a-link");
    writeFileSync(path, "keep me");
    const other = new GCodePty(p.lp, { path });
    await expect(other.start()).rejects.toThrow(`${path} exists and is not a symlink`);
    await other.stop();
    expect(readFileSync(path, "utf8")).toBe("keep me");
  });

  test("M112 acts ahead of a waiting M109", async () => {
    const c = await openPtyClient(ptyPath);
    try {
      c.send("M109 S200\n");
      await p.until(() => (p.lp.virtualMcus.get("mcu")!.output("PC0") ?? 0) > 0, "heating");
      const from = c.lines.length;
      c.send("M112\n");
      await c.waitFor(/^\/\/ Klipper state: Shutdown/, from);
      expect(p.lp.printer.getStateMessage()[0]).toStartWith("Shutdown due to M112 command");
      await p.until(() => !p.lp.virtualMcus.get("mcu")!.output("PC0"), "hotend off");
    } finally {
      await c.close();
    }
  }, 20_000);

  test("M112 during G28 ends the G28 with Klipper's error and ok; M27 then answers", async () => {
    const c = await openPtyClient(ptyPath);
    try {
      c.send("FIRMWARE_RESTART\n");
      await p.until(() => p.lp.printer.getStateMessage()[1] === "ready", "ready after FIRMWARE_RESTART");
      let from = c.lines.length;
      c.send("G28\n");
      await Bun.sleep(300); // homing has started
      c.send("M112\n");
      const err = await c.waitFor("!! Homing failed due to printer shutdown", from);
      expect(c.lines[err + 1]).toBe("ok");
      from = c.lines.length;
      c.send("M27\n");
      const m27 = await c.waitFor(/^!! Shutdown due to M112 command/, from);
      expect(c.lines.slice(m27).some((l) => l === "ok")).toBe(true);
    } finally {
      await c.close();
    }
  }, 40_000);
});

describe("stepline run's G-code terminal on a machine without socat", () => {
  test("the process, with nothing on its PATH, opens the pty; a client gets ok; SIGTERM removes the link", async () => {
    const tmp = new TempDir("gcode-pty-cli-");
    const ptyPath = join(tmp.path, "printer");
    const emptyBin = join(tmp.path, "empty-bin");
    mkdirSync(emptyBin);
    const proc = Bun.spawn([process.execPath, STEPLINE_MAIN, "run", "--data", join(tmp.path, "data"), "--gcode-pty", ptyPath, "--port", "0"], {
      stdout: "pipe", stderr: "pipe", env: { PATH: emptyBin, HOME: tmp.path },
    });
    try {
      const out = await firstMatch(proc.stdout, /G-code terminal on .*\n|stepline: stopped/);
      expect(out).toBe(`G-code terminal on ${ptyPath}\n`);
      const c = await openPtyClient(ptyPath);
      try {
        c.send("M105\n");
        expect(c.lines[await c.waitFor(/^ok /)]).toMatch(/^ok B:\d+\.\d \/0\.0 T0:\d+\.\d \/0\.0$/);
      } finally {
        await c.close();
      }
      proc.kill("SIGTERM");
      expect(await proc.exited).toBe(0);
      expect(existsSync(ptyPath)).toBe(false);
    } finally {
      if (proc.exitCode === null) proc.kill("SIGKILL");
      tmp.remove();
    }
  }, 30_000);
});

/** The first match of `re` in a process's output; the whole output if it ends first. */
async function firstMatch(stream: ReadableStream<Uint8Array>, re: RegExp): Promise<string> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let text = "";
  try {
    for (;;) {
      const m = text.match(re);
      if (m) return m[0];
      const r = await reader.read();
      if (r.done) return text;
      text += decoder.decode(r.value);
    }
  } finally {
    reader.releaseLock();
  }
}
