// Extras modules in batch output on an atmega2560 (16 MHz): MCU configuration and the commands
// they send, with expected values derived from the chips' timing and protocol facts.
import { describe, expect, test } from "bun:test";
import { turnsText } from "../../src/extras/leveling/screws-tilt-adjust.ts";
import { diffRuns, pack9 } from "../../src/extras/display/lcd-chips.ts";
import { batchLines, configErrors } from "../support/printer-rig.ts";
import { CARTESIAN_MOTION_CFG } from "../support/printer-configs.ts";

const PROBE_BASE = CARTESIAN_MOTION_CFG.replace("endstop_pin: ^PD3\nposition_endstop: 0.5", "endstop_pin: probe:z_virtual_endstop\nposition_min: -2");

const EXTRAS = `
[bltouch]
sensor_pin: ^PD2
control_pin: PB5
z_offset: 1.5
[safe_z_home]
home_xy_position: 100,100
[static_digital_output leds]
pins: PA1, !PA2
[filament_switch_sensor runout]
switch_pin: ^PA3
[display]
lcd_type: st7920
cs_pin: PH1
sclk_pin: PA5
sid_pin: PA4
encoder_pins: ^PC6, ^PC4
click_pin: ^!PC2
[ad5206 pots]
enable_pin: PL0
channel_1: 0.5
channel_3: 0.25
[neopixel strip]
pin: PB7
chain_count: 2
initial_RED: 0.2
`;

describe("a printer with bltouch, buttons, display, digipot and neopixel", async () => {
  const cfg = PROBE_BASE + EXTRAS;
  const r = await batchLines(cfg, "G28\nG1 Z5\nSET_LED LED=strip GREEN=1 INDEX=2 SYNC=0\n");
  const oidOf = (re: RegExp) => Number(/oid=(\d+)/.exec(r.lines.find((l) => re.test(l))!)![1]);

  test("runs to the end", () => {
    expect(r.error).toBeNull();
  });

  test("static_digital_output: set once in the config, inverted pins low", () => {
    expect(r.lines).toContain("set_digital_out pin=PA1 value=1");
    expect(r.lines).toContain("set_digital_out pin=PA2 value=0");
  });

  test("all buttons of the MCU in one group, polled every 2 ms, inverted ones flagged", () => {
    // runout switch, the two encoder pins, the click button (inverted: bit 3 of the group)
    const oid = oidOf(/^config_buttons/);
    expect(r.lines).toContain(`config_buttons oid=${oid} button_count=4`);
    expect(r.lines).toContain(`buttons_add oid=${oid} pos=0 pin=PA3 pull_up=1`);
    expect(r.lines).toContain(`buttons_add oid=${oid} pos=3 pin=PC2 pull_up=1`);
    // 2 ms at 16 MHz = 32000 ticks
    expect(r.lines.some((l) => new RegExp(`^buttons_query oid=${oid} clock=\\d+ rest_ticks=32000 retransmit_count=50 invert=8$`).test(l))).toBe(true);
  });

  test("st7920: delays in ticks, init sequence, then the whole framebuffer", () => {
    const oid = oidOf(/^config_st7920/);
    // 45 us and 20 us at 16 MHz
    expect(r.lines).toContain(`config_st7920 oid=${oid} cs_pin=PH1 sclk_pin=PA5 sid_pin=PA4 sync_delay_ticks=720 cmd_delay_ticks=320`);
    const cmds = r.lines.filter((l) => l.startsWith(`st7920_send_cmds oid=${oid}`));
    // extended, scroll 0, CGRAM, graphics on, basic, home, entry mode, display on
    expect(cmds[0]).toBe(`st7920_send_cmds oid=${oid} cmds=b'$@\\x02&"\\x02\\x06\\x0c'`);
    // text (64) + CGRAM glyphs (128) + 32 graphics rows of 32 bytes, in 16-byte runs
    expect(r.lines.filter((l) => l.startsWith(`st7920_send_data oid=${oid}`)).length).toBe((64 + 128 + 32 * 32) / 16);
    // the first graphics write switches to the extended instruction set (0x26)
    expect(cmds).toContain(`st7920_send_cmds oid=${oid} cmds=b'&\\x80\\x80'`);
  });

  test("ad5206: one [channel, value] write per channel, value = fraction * 256 rounded", () => {
    const oid = oidOf(/^config_spi oid=\d+ pin=PL0/);
    expect(r.lines).toContain(`spi_set_bus oid=${oid} spi_bus=spi mode=0 rate=25000000`);
    expect(r.lines).toContain(`spi_send oid=${oid} data=b'\\x00\\x80'`); // channel 1: 0.5 -> 128
    expect(r.lines).toContain(`spi_send oid=${oid} data=b'\\x02@'`); // channel 3: 0.25 -> 64 ('@')
  });

  test("neopixel: GRB bytes per LED; SET_LED sends only the changed run", () => {
    const oid = oidOf(/^config_neopixel/);
    // 4 us / 50 us at 16 MHz; 2 LEDs x 3 colours
    expect(r.lines).toContain(`config_neopixel oid=${oid} pin=PB7 data_size=6 bit_max_ticks=64 reset_min_ticks=800`);
    // red 0.2 -> round(51) = 0x33 in the second (R) position of GRB
    expect(r.lines).toContain(`neopixel_update oid=${oid} pos=0 data=b'\\x003\\x00\\x003\\x00'`);
    // LED 2 becomes green only: bytes 3 (G) and 4 (R) change
    expect(r.lines).toContain(`neopixel_update oid=${oid} pos=3 data=b'\\xff\\x00'`);
  });

  test("bltouch: 50 Hz servo signal; pulse widths of pin_up, touch_mode and pin_down", () => {
    const oid = oidOf(/^config_digital_out oid=\d+ pin=PB5/);
    // 20 ms cycle at 16 MHz
    expect(r.lines).toContain(`set_digital_out_pwm_cycle oid=${oid} cycle_ticks=320000`);
    const widths = r.lines.filter((l) => l.startsWith(`queue_digital_out oid=${oid}`)).map((l) => Number(/on_ticks=(\d+)/.exec(l)![1]));
    // 1.475 ms, 1.165 ms, 0.650 ms at 16 MHz
    expect(widths).toContain(23600);
    expect(widths).toContain(18640);
    expect(widths).toContain(10400);
    // every pulse train is switched off again
    expect(widths.filter((w) => w === 0).length).toBeGreaterThanOrEqual(widths.filter((w) => w > 0).length);
  });
});

describe("helpers", () => {
  test("framebuffer diff runs merge close changes into runs of at most 16 + gap", () => {
    const old = new Uint8Array(40);
    const data = old.slice();
    for (const i of [1, 3, 8, 30]) data[i] = 1;
    // 1 and 3 are within 5 of each other, 8 within 5 of 3; 30 stands alone
    expect(diffRuns(data, old, 5)).toEqual([[1, 8], [30, 1]]);
    expect(diffRuns(data, old, 4)).toEqual([[1, 3], [8, 1], [30, 1]]);
  });

  test("9-bit words packed MSB first", () => {
    // 0x1ff, 0x000 -> 111111111 000000000 -> 0xff 0x80 0x00 (+ 6 pad bits)
    expect(pack9([0x1ff, 0])).toEqual([0xff, 0x80, 0x00]);
    expect(pack9([0x002]).length).toBe(2);
  });

  test("screw turns as HH:MM with Python's rounding", () => {
    expect(turnsText(1 + 20 / 60)).toBe("01:20");
    expect(turnsText(0.5 / 60)).toBe("00:00"); // 0.5 minute rounds to even (0)
    expect(turnsText(1.5 / 60)).toBe("00:02");
  });
});

describe("option errors name section and option", () => {
  test.each([
    [`${PROBE_BASE}\n[bltouch]\ncontrol_pin: PB5\nz_offset: 1\n`, "Option 'sensor_pin' in section 'bltouch' must be specified"],
    [`${CARTESIAN_MOTION_CFG}\n[bed_screws]\nscrew1: 10,10\nscrew2: 100,100\n`, "bed_screws: Must have at least three screws"],
    [`${CARTESIAN_MOTION_CFG}\n[display]\nlcd_type: st7921\n`, "Choice 'st7921' for option 'lcd_type' in section 'display' is not a valid choice"],
    [`${CARTESIAN_MOTION_CFG}\n[neopixel s]\npin: PB7\ncolor_order: GRX\n`, "Invalid color_order 'GRX' in section 'neopixel s'"],
    [`${CARTESIAN_MOTION_CFG}\n[ad5206 p]\nenable_pin: PL0\nchannel_1: 2\n`, "Option 'channel_1' in section 'ad5206 p' must have maximum of 1.0"],
    [`${CARTESIAN_MOTION_CFG}\n[filament_switch_sensor f]\nswitch_pin: PA3\npause_delay: 0\n`, "Option 'pause_delay' in section 'filament_switch_sensor f' must be above 0.0"],
  ])("%#", async (text, message) => {
    const errors = await configErrors(text);
    expect(errors.some((e) => e.includes(message))).toBe(true);
  });
});
