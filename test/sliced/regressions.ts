// Minimal G-code files that once made Stepline's steps differ from klippy's, found by the sliced-print
// sweep (scripts/sweep-sliced.ts --shrink) and shrunk automatically; each names the printer config it
// ran on, any config sections the case appended, and the root cause that was fixed.
export interface Regression {
  name: string;
  /** file name in Klipper's configs/ (its dictionaries from printers.test) */
  config: string;
  /** config text the case appended to a copy of the printer's config */
  appended?: string;
  /** the G-code lines, or the name of a file in test/sliced/cases/ */
  gcode: string[] | string;
  /** what diverged and why */
  cause: string;
}

export const REGRESSIONS: Regression[] = [
  {
    name: "bltouch: the move after a probe home is flushed in one piece",
    config: "printer-creality-ender3-v2-neo-2022.cfg",
    gcode: ["G28", "G1 Z1"],
    cause:
      "batch input: klippy reads the next block (here the end of file) before its timers run again when the " +
      "previous block's commands yielded (the BLTouch home waits for its trigger callback); Stepline ran the " +
      "background flush first, so the Z move was step-compressed in 0.25 s batches, ~21 µs off",
  },
  {
    name: "TMC enable: the driver's wait_moves runs at the loop's next turn",
    config: "generic-duet3-mini.cfg",
    // shrunk by prefix only: removing any chunk moves the 4096-byte input block boundaries it depends on
    gcode: "duet3-mini-tmc-enable.gcode",
    cause:
      "Klipper runs a TMC driver's enable handling (which waits for moves, flushing the look-ahead) as a " +
      "reactor callback, i.e. after the current input block; Stepline ran it at once from step generation, " +
      "so the look-ahead was flushed at another move and the last moves were up to 37 ms off",
  },
  {
    name: "after a G-code error, lines that run a script without waiting still run",
    config: "printer-lulzbot-taz6-2017.cfg",
    appended: "\n[firmware_retraction]\nretract_length: 0.5\nretract_speed: 40\n",
    // 2.92 mm filament: E4 over 40 mm exceeds max_extrude_cross_section, klippy stops with rc 255
    gcode: ["G28", "G90", "G1 X120 Y113 Z0.3 F6000", "G92 E0", "G1 X160 E4 F1200", "G1 Z2 F3000", "M83", "G10", "G1 X130 Y130 F3000"],
    cause:
      "klippy runs the rest of the lines read so far until one pauses; Stepline's scripts (G10/G11, macros) " +
      "always returned a promise, so batch mode took them for a wait and cut the stream earlier",
  },
  {
    name: "TMC phase sync waits for the G-code mutex; the input that waits on it gives the loop a turn",
    config: "printer-eryone-er20-2021.cfg",
    appended: `
[bed_mesh default]
version = 1
points =
	-0.066653, 0.064934, -0.058304
	-0.066465, 0.061642, 0.082680
	-0.098943, 0.094723, -0.089908
x_count = 3
y_count = 3
mesh_x_pps = 2
mesh_y_pps = 2
algo = lagrange
tension = 0.2
min_x = 40
max_x = 210
min_y = 20
max_y = 205
`,
    // shrunk by prefix only (151 lines): the 4096-byte block boundary is part of the case
    gcode: "eryone-er20-mutex-handover.gcode",
    cause:
      "Klipper's TMC enable does its phase sync (wait_moves) holding the G-code mutex, so it runs between " +
      "batches of input lines, and the input waiting for the mutex back lets the background flush run; " +
      "Stepline synced at a yield inside G28 (BLTouch, samples: 2) and never ran that flush: 40 ms, then 18 µs off",
  },
];
