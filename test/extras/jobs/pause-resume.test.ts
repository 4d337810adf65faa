// [pause_resume] with [virtual_sdcard] and [print_stats]: the pause/resume/cancel state
// machine on a real printer (toolhead on a batch-mode MCU, live reactor), including the
// usual rename_existing park macros.
import { afterEach, describe, expect, test } from "bun:test";
import type { PrintStats } from "../../../src/extras/jobs/print-stats.ts";
import type { VirtualSD } from "../../../src/extras/jobs/virtual-sdcard.ts";
import type { LiveReactor } from "../../../src/live/reactor.ts";
import { CARTESIAN_CFG, type Rig, startPrinter } from "../../support/printer-rig.ts";

const rigs: Rig[] = [];
afterEach(async () => {
  for (const r of rigs.splice(0)) await r.close();
});

const CFG = `${CARTESIAN_CFG.replace("max_temp: 250", "max_temp: 250\nmin_extrude_temp: 0")}
[virtual_sdcard]
path: \${TMP}/gcodes
[pause_resume]
recover_velocity: 80
[respond]
[gcode_macro PAUSE]
rename_existing: BASE_PAUSE
gcode:
  BASE_PAUSE
  G91
  G1 Z5 F600
  G90
  G1 X190 Y190 F6000
`;

const FILE = ["G28", "G90", "M83", "G1 X10 Y10 Z1 F6000", "G1 X20 E1 F3000", "PAUSE", "G1 X30 Y30 E1", "G1 X40", ""].join("\n");

async function rig(): Promise<Rig> {
  const r = await startPrinter(CFG, { files: { "gcodes/job.gcode": FILE } });
  rigs.push(r);
  return r;
}

const sd = (r: Rig) => r.printer.lookupObject<VirtualSD>("virtual_sdcard");
const stats = (r: Rig) => r.printer.lookupObject<PrintStats>("print_stats").getStatus();
const isPaused = (r: Rig) => r.printer.lookupObject<{ getStatus(): { is_paused: boolean } }>("pause_resume").getStatus().is_paused;
const position = (r: Rig) => r.printer.lookupObject<{ getStatus(t: number): { position: number[] } }>("toolhead").getStatus(0).position;

describe("pause and resume a virtual SD print", () => {
  test("PAUSE in the file parks; RESUME returns to the saved position and finishes the file", async () => {
    const r = await rig();
    await r.printer.gcode.runScript("SDCARD_PRINT_FILE FILENAME=job.gcode");
    await sd(r).waitIdle();
    expect(stats(r).state).toBe("paused");
    expect(isPaused(r)).toBe(true);
    // Stopped right after the PAUSE line; the park macro ran
    expect(sd(r).getStatus()).toMatchObject({ is_active: false, file_position: FILE.indexOf("G1 X30") });
    expect(position(r)).toEqual([190, 190, 6, 1]);
    // Paused time does not count as printing time
    const reactor = r.printer.reactor as LiveReactor;
    await reactor.pause(reactor.monotonic() + 0.05);
    const paused = stats(r);
    expect(paused.total_duration - paused.print_duration).toBeGreaterThanOrEqual(0.05);

    const from = r.out.length;
    await r.printer.gcode.runScript("PAUSE");
    expect(r.out.slice(from)).toEqual(["// Print already paused"]);
    await r.printer.gcode.runScript("RESUME");
    // Back at the saved position before the file goes on
    expect(position(r)).toEqual([20, 10, 1, 1]);
    expect(isPaused(r)).toBe(false);
    await sd(r).waitIdle();
    expect(stats(r)).toMatchObject({ state: "complete", filament_used: 2 });
    expect(position(r)).toEqual([40, 30, 1, 2]);
    expect(r.out.slice(from)).toContain("Done printing file");
  });

  test("a PAUSE from the console stops the print before its next line", async () => {
    const r = await rig();
    await r.printer.gcode.runScript("SDCARD_PRINT_FILE FILENAME=job.gcode\nBASE_PAUSE");
    expect(stats(r).state).toBe("paused");
    expect(sd(r).getStatus()).toMatchObject({ is_active: false, file_position: 0 });
    await r.printer.gcode.runScript("RESUME");
    await sd(r).waitIdle();
    // The file's own PAUSE then pauses it again
    expect(stats(r).state).toBe("paused");
    expect(sd(r).filePosition).toBe(FILE.indexOf("G1 X30"));
  });

  test("CANCEL_PRINT while paused ends the job as cancelled", async () => {
    const r = await rig();
    await r.printer.gcode.runScript("SDCARD_PRINT_FILE FILENAME=job.gcode");
    await sd(r).waitIdle();
    await r.printer.gcode.runScript("CANCEL_PRINT");
    expect(stats(r).state).toBe("cancelled");
    expect(isPaused(r)).toBe(false);
    expect(sd(r).getStatus()).toEqual({ file_path: null, progress: 0, is_active: false, file_position: 0, file_size: 0 });
    expect(await r.run("RESUME")).toEqual(["// Print is not paused, resume aborted"]);
  });
});

describe("without a virtual SD print the host is told", () => {
  test("action:paused / action:resumed / action:cancel", async () => {
    const r = await rig();
    await r.printer.gcode.runScript("G28\nG1 X50 Y50 F6000");
    const from = r.out.length;
    await r.printer.gcode.runScript("PAUSE");
    expect(position(r)).toEqual([190, 190, 5.5, 0]);
    await r.printer.gcode.runScript("RESUME VELOCITY=120");
    expect(position(r)).toEqual([50, 50, 0.5, 0]);
    await r.printer.gcode.runScript("CANCEL_PRINT");
    expect(r.out.slice(from)).toEqual(["// action:paused", "// action:resumed", "// action:cancel"]);
    expect(stats(r).state).toBe("standby");
    // CLEAR_PAUSE forgets a pause without moving back
    await r.printer.gcode.runScript("PAUSE\nCLEAR_PAUSE");
    expect(isPaused(r)).toBe(false);
    const after = r.out.length;
    await r.printer.gcode.runScript("RESUME");
    expect(r.out.slice(after)).toEqual(["// Print is not paused, resume aborted"]);
    expect(position(r)).toEqual([190, 190, 5.5, 0]);
  });
});
