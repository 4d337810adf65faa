// [virtual_sdcard] + [print_stats] + [display_status]: printing files from a real folder
// through the G-code dispatcher, with a toolhead on a batch-mode MCU and the live reactor.
import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { lookupHeaters } from "../../../src/extras/heaters/heaters.ts";
import type { PrintStats } from "../../../src/extras/jobs/print-stats.ts";
import type { VirtualSD } from "../../../src/extras/jobs/virtual-sdcard.ts";
import { CARTESIAN_CFG, type Rig, startPrinter } from "../../support/printer-rig.ts";

const rigs: Rig[] = [];
afterEach(async () => {
  for (const r of rigs.splice(0)) await r.close();
});

const SD_CFG = `
[virtual_sdcard]
path: \${TMP}/gcodes
[display_status]
[respond]
[gcode_macro REPORT]
gcode:
  {% set sd = printer.virtual_sdcard %}
  RESPOND MSG="at {sd.file_position}/{sd.file_size} active={sd.is_active} state={printer.print_stats.state} layer={printer.print_stats.info.current_layer}"
`;

const PRINT = [
  "; a small print",
  "G28",
  "G90",
  "SET_PRINT_STATS_INFO TOTAL_LAYER=2",
  "SET_PRINT_STATS_INFO CURRENT_LAYER=1",
  "M117 layer one",
  "G1 X10 Y10 Z0.3 F6000",
  "G1 X20 Y10",
  "REPORT",
  "SET_PRINT_STATS_INFO CURRENT_LAYER=2",
  "G1 X20 Y20 Z0.6",
  "M73 P50",
  "REPORT",
  "G1 X30 Y30",
  "",
].join("\n");

async function sdPrinter(files: Record<string, string>): Promise<Rig> {
  const rig = await startPrinter(`${CARTESIAN_CFG}\n${SD_CFG}`, { files: Object.fromEntries(Object.entries(files).map(([k, v]) => [`gcodes/${k}`, v])) });
  rigs.push(rig);
  return rig;
}

const sd = (rig: Rig) => rig.printer.lookupObject<VirtualSD>("virtual_sdcard");
const stats = (rig: Rig) => rig.printer.lookupObject<PrintStats>("print_stats").getStatus();
const status = (rig: Rig, name: string) => rig.printer.lookupObject<{ getStatus(t?: number): Record<string, unknown> }>(name).getStatus(0);

/** Byte offset where `line` starts in `text`. */
const offsetOf = (text: string, line: string) => Buffer.byteLength(text.slice(0, text.indexOf(`\n${line}\n`) + 1));

describe("printing a file", () => {
  test("SDCARD_PRINT_FILE runs every line, tracks position, layers and progress, and completes", async () => {
    const rig = await sdPrinter({ "part.gcode": PRINT });
    const start = rig.out.length;
    await rig.printer.gcode.runScript("SDCARD_PRINT_FILE FILENAME=part.gcode");
    expect(rig.out.slice(start)).toEqual([`File opened:part.gcode Size:${PRINT.length}`, "File selected"]);
    await rig.waitOutput(/^Done printing file$/, start);
    const size = PRINT.length;
    // REPORT sees the position at the start of its own line, as Klipper's file_position is
    const firstReport = offsetOf(PRINT, "REPORT");
    const secondReport = PRINT.lastIndexOf("REPORT");
    expect(rig.out.filter((l) => l.startsWith("echo: at"))).toEqual([
      `echo: at ${firstReport}/${size} active=True state=printing layer=1`,
      `echo: at ${secondReport}/${size} active=True state=printing layer=2`,
    ]);
    expect(stats(rig)).toMatchObject({ filename: "part.gcode", state: "complete", message: "", info: { total_layer: 2, current_layer: 2 } });
    expect(sd(rig).getStatus()).toEqual({ file_path: null, progress: 1, is_active: false, file_position: size, file_size: size });
    expect(status(rig, "toolhead").position).toEqual([30, 30, 0.6, 0]);
    expect(status(rig, "display_status")).toEqual({ progress: 0.5, message: "layer one" });
  });

  test("M23 selects, M24 starts, M27 reports, M20 lists; writing is refused", async () => {
    const rig = await sdPrinter({ "b.gcode": "G28\n", "A.gco": "G28\nG1 X5\n", "notes.txt": "x", ".hidden": "x", "sub/deep.gcode": "G28\n" });
    expect(await rig.run("M20")).toEqual(["Begin file list", "A.gco 10", "b.gcode 4", "notes.txt 1", "End file list"]);
    await rig.printer.gcode.runScript("M27");
    expect(rig.out.at(-1)).toBe("Not SD printing.");
    await rig.printer.gcode.runScript("M23 /a.gco");
    expect(rig.out.slice(-2)).toEqual(["File opened:a.gco Size:10", "File selected"]);
    expect(stats(rig)).toMatchObject({ filename: "a.gco", state: "standby" });
    expect(sd(rig).getStatus().file_path).toBe(join(sd(rig).dirname, "A.gco"));
    await rig.printer.gcode.runScript("M27");
    expect(rig.out.at(-1)).toBe("SD printing byte 0/10");
    await rig.printer.gcode.runScript("M24");
    await sd(rig).waitIdle();
    expect(stats(rig).state).toBe("complete");
    expect(status(rig, "toolhead").position).toEqual([5, 0, 0.5, 0]);
    await expect(rig.printer.gcode.runScript("M28 x.gcode")).rejects.toThrow("SD write not supported");
    // Files in subfolders are reachable with SDCARD_PRINT_FILE (not with M23)
    await expect(rig.printer.gcode.runScript("M23 sub/deep.gcode")).rejects.toThrow("Unable to open file 'sub/deep.gcode'");
    await rig.printer.gcode.runScript("SDCARD_PRINT_FILE FILENAME=sub/deep.gcode");
    await sd(rig).waitIdle();
    expect(stats(rig)).toMatchObject({ filename: "sub/deep.gcode", state: "complete" });
  });

  test("M26 sets where M24 starts; M25 pauses", async () => {
    const text = "SET_PRINT_STATS_INFO TOTAL_LAYER=9\nG1 X20 F6000\nG1 Y5\n";
    const rig = await sdPrinter({ "seek.gcode": text });
    await rig.printer.gcode.runScript(`G28\nM23 seek.gcode\nM26 S${text.indexOf("G1 X20")}\nM24\nM25`);
    // Paused before its first line (M25 ran right after M24, in the same script)
    expect(stats(rig).state).toBe("paused");
    expect(sd(rig).getStatus()).toMatchObject({ is_active: false, file_position: text.indexOf("G1 X20") });
    await rig.printer.gcode.runScript("M24");
    await sd(rig).waitIdle();
    expect(stats(rig).state).toBe("complete");
    // Only the lines from the M26 position on ran
    expect(status(rig, "toolhead").position).toEqual([20, 5, 0.5, 0]);
    expect(stats(rig).info.total_layer).toBeNull();
    await expect(rig.printer.gcode.runScript("M26")).rejects.toThrow("missing S");
  });

  test("a last line without a newline still runs", async () => {
    const rig = await sdPrinter({ "tail.gcode": "G28\nG1 X7 F6000" });
    await rig.printer.gcode.runScript("SDCARD_PRINT_FILE FILENAME=tail.gcode");
    await sd(rig).waitIdle();
    expect(status(rig, "toolhead").position).toEqual([7, 0, 0.5, 0]);
    expect(sd(rig).getStatus()).toMatchObject({ progress: 1, file_position: 15 });
  });

  test("a missing file is a clear error and changes nothing", async () => {
    const rig = await sdPrinter({ "real.gcode": "G28\n" });
    await expect(rig.printer.gcode.runScript("SDCARD_PRINT_FILE FILENAME=nope.gcode")).rejects.toThrow(
      `Unable to open file 'nope.gcode': no such file in ${sd(rig).dirname}`,
    );
    expect(rig.out.at(-1)).toStartWith("!! Unable to open file 'nope.gcode'");
    expect(stats(rig).state).toBe("standby");
    expect(sd(rig).isActive()).toBe(false);
  });

  test("a bad line fails the print with its message; on_error_gcode runs; the printer stays usable", async () => {
    const text = "G28\nM104 S150\nG1 X10 F6000\nG1 X=oops\nG1 X50\n";
    const rig = await sdPrinter({ "bad.gcode": text });
    await rig.printer.gcode.runScript("SDCARD_PRINT_FILE FILENAME=bad.gcode");
    await sd(rig).waitIdle();
    const message = "Unable to parse move 'G1 X=oops'";
    expect(stats(rig)).toMatchObject({ state: "error", message, filename: "bad.gcode" });
    expect(rig.out).toContain(`!! ${message}`);
    // The failing line is where the file stopped; the line after it never ran
    expect(sd(rig).getStatus()).toMatchObject({ is_active: false, file_position: text.indexOf("G1 X=oops") });
    expect(status(rig, "toolhead").position).toEqual([10, 0, 0.5, 0]);
    // Default on_error_gcode: heaters off
    expect(lookupHeaters(rig.printer).lookupHeater("extruder").targetTemp).toBe(0);
    expect(rig.printer.isShutdown()).toBe(false);
    await rig.printer.gcode.runScript("G1 X20");
    expect(status(rig, "toolhead").position).toEqual([20, 0, 0.5, 0]);
    // The file can be printed again from the start (and fails again at the same line)
    await rig.printer.gcode.runScript("SDCARD_PRINT_FILE FILENAME=bad.gcode");
    await sd(rig).waitIdle();
    expect(stats(rig)).toMatchObject({ state: "error", message });
  });

  test("while a print runs, file commands are refused and console commands run between its lines", async () => {
    const lines = ["G28", "RESPOND MSG=checkpoint", ...Array.from({ length: 3000 }, (_, i) => `G1 X${(i % 100) + 1} F30000`)].join("\n");
    const rig = await sdPrinter({ "long.gcode": `${lines}\n` });
    // In the same script as the start: the print is running but has not read a line yet
    for (const busy of ["M23 long.gcode", "M26 S0", "SDCARD_PRINT_FILE FILENAME=long.gcode", "M24"]) {
      const from = rig.out.length;
      await expect(rig.printer.gcode.runScript(`SDCARD_RESET_FILE\nSDCARD_PRINT_FILE FILENAME=long.gcode\n${busy}`)).rejects.toThrow("SD busy");
      expect(rig.out.slice(from)).toEqual([`File opened:long.gcode Size:${lines.length + 1}`, "File selected", "!! SD busy"]);
    }
    await rig.waitOutput(/^echo: checkpoint$/);
    await rig.printer.gcode.runScript("RESPOND MSG=console");
    expect(sd(rig).isActive()).toBe(true);
    await sd(rig).waitIdle();
    const console = rig.out.indexOf("echo: console");
    expect(console).toBeGreaterThan(rig.out.indexOf("echo: checkpoint"));
    expect(console).toBeLessThan(rig.out.indexOf("Done printing file"));
    expect(stats(rig).state).toBe("complete");
  });

  test("SDCARD_RESET_FILE stops the print and drops the file", async () => {
    const rig = await sdPrinter({ "part.gcode": PRINT });
    await rig.printer.gcode.runScript("SDCARD_PRINT_FILE FILENAME=part.gcode\nSDCARD_RESET_FILE");
    expect(sd(rig).getStatus()).toEqual({ file_path: null, progress: 0, is_active: false, file_position: 0, file_size: 0 });
    expect(stats(rig)).toMatchObject({ state: "standby", filename: "" });
    // Nothing of the file ran
    await rig.printer.gcode.runScript("M400");
    expect(status(rig, "toolhead").homed_axes).toBe("");
  });
});

describe("SET_PRINT_STATS_INFO", () => {
  test("layers: a new total resets the current layer; the current layer is capped; 0 clears", async () => {
    const rig = await sdPrinter({});
    const info = () => stats(rig).info;
    await rig.printer.gcode.runScript("SET_PRINT_STATS_INFO TOTAL_LAYER=10");
    expect(info()).toEqual({ total_layer: 10, current_layer: 0 });
    await rig.printer.gcode.runScript("SET_PRINT_STATS_INFO CURRENT_LAYER=4");
    expect(info()).toEqual({ total_layer: 10, current_layer: 4 });
    await rig.printer.gcode.runScript("SET_PRINT_STATS_INFO CURRENT_LAYER=40");
    expect(info()).toEqual({ total_layer: 10, current_layer: 10 });
    await rig.printer.gcode.runScript("SET_PRINT_STATS_INFO TOTAL_LAYER=0");
    expect(info()).toEqual({ total_layer: null, current_layer: null });
    await expect(rig.printer.gcode.runScript("SET_PRINT_STATS_INFO TOTAL_LAYER=-1")).rejects.toThrow("TOTAL_LAYER must have minimum of 0");
  });
});
