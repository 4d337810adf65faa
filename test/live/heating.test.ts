// Heating on the virtual printer: M109/M190 wait until the PID loops settle at their targets, and
// the temperatures the host reports follow the simulated bodies. The plant runs TEST_TIME_SCALE
// times faster than real time; the host's control loop is unchanged.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestPrinter, type TestPrinter } from "./helpers.ts";

describe("heating the virtual printer", () => {
  let p: TestPrinter;
  beforeAll(async () => {
    p = await startTestPrinter();
  });
  afterAll(async () => {
    await p.close();
  });

  const reported = (name: string) => p.lp.status.query({ [name]: ["temperature", "target"] })[name] as { temperature: number; target: number };

  test("M109 waits for the hotend and M190 for the bed under PID; readings follow the thermal model", async () => {
    const vmcu = p.lp.virtualMcus.get("mcu")!;
    const samples: [host: number, model: number][] = [];
    const sub = p.lp.status.subscribe({ heater_bed: ["temperature"] }, () => {});
    const sampler = setInterval(() => samples.push([reported("heater_bed").temperature, vmcu.temperature("PC3")!]), 250);
    try {
      await p.run("M140 S45\nM109 S150");
      const hot = vmcu.temperature("PC1")!;
      // M109 returns once the loop has settled within PID_SETTLE_DELTA of the target
      expect(Math.abs(hot - 150)).toBeLessThan(2.5);
      expect(Math.abs(reported("heater_bed").target - 45)).toBe(0);
      await p.run("M190 S45");
      expect(Math.abs(vmcu.temperature("PC3")! - 45)).toBeLessThan(1.5);
      // Heaters hold: a second later they are still there
      await Bun.sleep(1000);
      expect(Math.abs(vmcu.temperature("PC1")! - 150)).toBeLessThan(3);
      expect(Math.abs(p.lp.printer.lookupObject<{ getStatus(t: number): { temperature: number } }>("heater_bed").getStatus(0).temperature - vmcu.temperature("PC3")!)).toBeLessThan(1.5);
    } finally {
      clearInterval(sampler);
      sub.unsubscribe();
    }
    // While the bed heated, each reported temperature is one the model had within the last second
    // (the host sees a reading after its report interval and smoothing)
    let checked = 0;
    for (let i = 4; i < samples.length; i++) {
      if (samples[i]![1] < 27) continue;
      const recent = samples.slice(i - 4, i + 1).map(([, m]) => m);
      expect(samples[i]![0]).toBeGreaterThan(Math.min(...recent) - 1);
      expect(samples[i]![0]).toBeLessThan(Math.max(...recent) + 1);
      checked++;
    }
    expect(checked).toBeGreaterThan(5);
    const ext = p.lp.status.query({ extruder: ["temperature", "target", "power", "can_extrude"] }).extruder!;
    expect(ext.target).toBe(150);
    expect(ext.can_extrude).toBe(false); // 150 °C is below min_extrude_temp (170)
    expect(Math.abs((ext.temperature as number) - vmcu.temperature("PC1")!)).toBeLessThan(3);
    expect(ext.power as number).toBeGreaterThan(0);
    const out = await p.run("M105");
    expect(out.at(-1)).toMatch(/^B:4\d\.\d \/45\.0 T0:1[45]\d\.\d \/150\.0$/);
    await p.run("TURN_OFF_HEATERS");
    await p.until(() => vmcu.output("PC0") === 0 && vmcu.output("PC2") === 0, "heater outputs off");
  }, 90_000);
});
