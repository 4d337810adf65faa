// [idle_timeout] on a live printer (the virtual MCU over an in-process link, so print time
// advances with the host clock): Printing → Ready → Idle, the idle G-code runs, and
// SET_IDLE_TIMEOUT. Timeouts are configured short; the tests wait on the printer's events.
import { afterEach, describe, expect, test } from "bun:test";
import { lookupHeaters } from "../../../src/extras/heaters/heaters.ts";
import type { IdleTimeout } from "../../../src/extras/jobs/idle-timeout.ts";
import { VIRTUAL_PRINTER_CFG } from "../../../firmware-bridge/index.ts";
import { type Rig, startPrinter } from "../../support/printer-rig.ts";

const rigs: Rig[] = [];
afterEach(async () => {
  for (const r of rigs.splice(0)) await r.close();
});

async function livePrinter(extra: string): Promise<Rig> {
  const r = await startPrinter(`${VIRTUAL_PRINTER_CFG}\n[respond]\n${extra}`, { mcu: "virtual" });
  rigs.push(r);
  return r;
}

const idle = (r: Rig) => r.printer.lookupObject<IdleTimeout>("idle_timeout");
const steppersEnabled = (r: Rig) => r.printer.lookupObject<{ getStatus(): { steppers: Record<string, boolean> } }>("stepper_enable").getStatus().steppers;

/** Record the idle_timeout events in order. */
function recordEvents(r: Rig): string[] {
  const events: string[] = [];
  for (const name of ["printing", "ready", "idle"]) r.printer.registerEventHandler(`idle_timeout:${name}`, () => events.push(name));
  return events;
}

describe("idle timeout", () => {
  test("after activity and the configured time without any, the idle G-code runs", async () => {
    const r = await livePrinter(`
[idle_timeout]
timeout: 0.4
gcode:
  RESPOND MSG="idle after {printer.idle_timeout.idle_timeout} s"
  TURN_OFF_HEATERS
  M84
`);
    const events = recordEvents(r);
    expect(idle(r).getStatus()).toMatchObject({ state: "Idle", idle_timeout: 0.4 });
    await r.printer.gcode.runScript("M104 S60\nSET_STEPPER_ENABLE STEPPER=stepper_x ENABLE=1\nG4 P50");
    expect(idle(r).state).toBe("Printing");
    expect(steppersEnabled(r).stepper_x).toBe(true);
    await r.waitOutput(/^echo: idle after 0.4 s$/);
    await r.waitFor(() => idle(r).state === "Idle", "the Idle state");
    expect(events).toEqual(["printing", "ready", "idle"]);
    expect(lookupHeaters(r.printer).lookupHeater("extruder").targetTemp).toBe(0);
    expect(steppersEnabled(r).stepper_x).toBe(false);
    expect(r.printer.isShutdown()).toBe(false);
    expect(idle(r).lastError).toBeNull();
  });

  test("defaults: 600 s, and the default G-code turns off heaters and motors", async () => {
    const r = await livePrinter("");
    expect(idle(r).getStatus()).toMatchObject({ state: "Idle", idle_timeout: 600 });
    expect(await r.run("SET_IDLE_TIMEOUT TIMEOUT=0.3")).toEqual(["// idle_timeout: Timeout set to 0.30 s"]);
    await r.printer.gcode.runScript("M140 S40\nSET_STEPPER_ENABLE STEPPER=stepper_y ENABLE=1\nG4 P20");
    await r.waitFor(() => idle(r).state === "Idle" && !steppersEnabled(r).stepper_y, "the default idle G-code");
    expect(lookupHeaters(r.printer).lookupHeater("heater_bed").targetTemp).toBe(0);
    await expect(r.printer.gcode.runScript("SET_IDLE_TIMEOUT TIMEOUT=0")).rejects.toThrow("TIMEOUT must be above 0");
  });

  test("a failing idle G-code is reported and retried, and the printer stays up", async () => {
    const r = await livePrinter(`
[idle_timeout]
timeout: 0.3
gcode:
  {action_raise_error("not now")}
`);
    await r.printer.gcode.runScript("G4 P10");
    await r.waitFor(() => idle(r).lastError !== null, "the idle G-code to fail");
    expect(idle(r).lastError).toBe("Error evaluating 'idle_timeout:gcode': gcode.CommandError: not now");
    expect(idle(r).state).toBe("Ready");
    expect(r.printer.isShutdown()).toBe(false);
  });
});
