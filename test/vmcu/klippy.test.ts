// Real Klipper host (klippy from the reference tarball, scripts/lib/klippy-oracle.ts) driving the virtual
// MCU over a pty: connect, identify, configure, home, move, heat, emergency stop. Skipped (an error in
// CI) when Debian's python3 with klippy's modules, gcc or socat are missing.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PtyServer } from "../../firmware-bridge/pty.ts";
import { VIRTUAL_PRINTER_CFG, VIRTUAL_PRINTER_HARDWARE, VirtualMcu } from "../../firmware-bridge/index.ts";
import { KlippyApi } from "../support/klippy-api.ts";
import { klippyMissing, klippyRoot, PYTHON } from "../../scripts/lib/klippy-oracle.ts";
import { TempDir } from "../support/temp-dir.ts";

const available = klippyMissing() === null && Bun.which("socat") !== null;

describe.skipIf(!available)("real klippy against the virtual MCU", () => {
  const tmp = new TempDir("vmcu-klippy-");
  const dir = tmp.path;
  const tty = join(dir, "tty");
  const uds = join(dir, "uds");
  const log = join(dir, "klippy.log");
  const vmcu = new VirtualMcu({ hardware: VIRTUAL_PRINTER_HARDWARE });
  const pty = new PtyServer(vmcu, { path: tty });
  let klippy: ReturnType<typeof Bun.spawn>;
  let api: KlippyApi;
  const logTail = () => (existsSync(log) ? readFileSync(log, "utf8").split("\n").filter((l) => !l.startsWith("Stats")).slice(-30).join("\n") : "(no log)");

  beforeAll(async () => {
    writeFileSync(join(dir, "printer.cfg"), VIRTUAL_PRINTER_CFG.replace("serial: /tmp/vmcu", `serial: ${tty}`));
    await pty.start();
    vmcu.start();
    klippy = Bun.spawn([PYTHON, join(klippyRoot(), "klippy", "klippy.py"), join(dir, "printer.cfg"), "-l", log, "-a", uds], { stdout: "ignore", stderr: "ignore" });
    // klippy compiles its C helper on first start, then connects; wait until it reports ready
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (Date.now() > deadline || klippy.exitCode !== null) throw new Error(`klippy did not become ready:\n${logTail()}`);
      if (existsSync(uds)) {
        api ??= await KlippyApi.connect(uds);
        const info = await api.call<{ state: string; state_message: string }>("info");
        if (info.state === "ready") break;
        if (info.state === "error" || info.state === "shutdown") throw new Error(`klippy ${info.state}: ${info.state_message}\n${logTail()}`);
      }
      await Bun.sleep(250);
    }
  }, 100_000);

  afterAll(async () => {
    api?.close();
    if (klippy && klippy.exitCode === null) {
      klippy.kill("SIGTERM");
      await klippy.exited;
    }
    vmcu.stop();
    await pty.stop();
    tmp.remove();
  });

  test("klippy identifies and configures the MCU", () => {
    const text = readFileSync(log, "utf8");
    expect(text).toContain("Loaded MCU 'mcu'");
    expect(text).toContain("Configured MCU 'mcu' (1024 moves)");
  });

  test("G28 homes every axis on the simulated endstops and moves land on exact step positions", async () => {
    await api.gcode("G28");
    await api.gcode("G1 X50 Y60 Z5 F6000");
    await api.gcode("M400");
    // 80 steps/mm on X and Y, 400 on Z (the example printer.cfg)
    expect([vmcu.position("PA0"), vmcu.position("PA3"), vmcu.position("PA6")]).toEqual([4000, 4800, 2000]);
    expect(vmcu.shutdownReason).toBeNull();
  }, 60_000);

  test("M104 heats the simulated hotend and klippy reads it through the thermistor", async () => {
    await api.gcode("M104 S200");
    await api.gcode("G4 P4000");
    type Status = { status: { extruder: { temperature: number } } };
    const s = await api.call<Status>("objects/query", { objects: { extruder: ["temperature"] } });
    const board = vmcu.temperature("PC1")!;
    expect(board).toBeGreaterThan(30);
    expect(Math.abs(s.status.extruder.temperature - board)).toBeLessThan(3);
  }, 30_000);

  test("M112 shuts the MCU down with the firmware's reason and switches the heater off", async () => {
    await api.gcode("M112").catch(() => {});
    const deadline = Date.now() + 5000;
    while (vmcu.shutdownReason === null && Date.now() < deadline) await Bun.sleep(20);
    expect(vmcu.shutdownReason).toBe("Command request");
    expect(vmcu.output("PC0")).toBe(0);
  });

  test("FIRMWARE_RESTART reboots the MCU with `reset`; klippy reconnects and the board keeps its state", async () => {
    await api.call("gcode/firmware_restart").catch(() => {});
    api.close();
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (Date.now() > deadline) throw new Error(`klippy did not come back:\n${logTail()}`);
      await Bun.sleep(250);
      try {
        api = await KlippyApi.connect(uds);
        const info = await api.call<{ state: string }>("info");
        if (info.state === "ready") break;
        api.close();
      } catch {
        // klippy is restarting: its API socket comes and goes
      }
    }
    expect(vmcu.shutdownReason).toBeNull();
    expect(readFileSync(log, "utf8")).toContain("Attempting MCU 'mcu' reset command");
    expect([vmcu.position("PA0"), vmcu.position("PA3"), vmcu.position("PA6")]).toEqual([4000, 4800, 2000]);
  }, 70_000);
});
