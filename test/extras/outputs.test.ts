// Servo, pwm_cycle_time, I2C digipot, SX1509 expander and HD44780 display in batch output on an
// atmega2560 (16 MHz), values derived from the modules' formulas and the chips' register maps.
import { describe, expect, test } from "bun:test";
import { batchLines } from "../support/printer-rig.ts";
import { CARTESIAN_MOTION_CFG } from "../support/printer-configs.ts";

/** A 4-bit HD44780 text display on RAMPS pins. */
const HD44780_DISPLAY = `[display]
lcd_type: hd44780
rs_pin: PH1
e_pin: PH0
d4_pin: PA1
d5_pin: PA3
d6_pin: PA5
d7_pin: PA7
`;

describe("servo, pwm_cycle_time, mcp4451, sx1509, hd44780", async () => {
  const cfg = `${CARTESIAN_MOTION_CFG}
[servo s]
pin: PB6
initial_angle: 90
[pwm_cycle_time beeper]
pin: PC0
cycle_time: 0.001
[mcp4451 pot]
i2c_address: 44
wiper_0: 0.5
[sx1509 ex]
i2c_address: 62
[output_pin light]
pin: sx1509_ex:PIN_3
value: 1
${HD44780_DISPLAY}`;
  const r = await batchLines(cfg, "SET_SERVO SERVO=s ANGLE=180\nSET_PIN PIN=beeper VALUE=0.5 CYCLE_TIME=0.0005\nG4 P100\n");
  const oidOf = (re: RegExp) => Number(/oid=(\d+)/.exec(r.lines.find((l) => re.test(l))!)![1]);

  test("runs to the end", () => expect(r.error).toBeNull());

  test("servo: 50 Hz, pulse width 1 ms + angle/180 ms, changes aligned to a cycle start", () => {
    const oid = oidOf(/^config_digital_out oid=\d+ pin=PB6/);
    expect(r.lines).toContain(`set_digital_out_pwm_cycle oid=${oid} cycle_ticks=320000`);
    const q = r.lines.filter((l) => l.startsWith(`queue_digital_out oid=${oid} `));
    // 90 degrees: 1.5 ms of 20 ms = 0.075 * 320000; 180 degrees: 2 ms -> 32000
    expect(q[0]).toMatch(/on_ticks=24000$/);
    const last = q.at(-1)!;
    expect(last).toMatch(/on_ticks=32000$/);
    const first = Number(/clock=(\d+)/.exec(q[0]!)![1]);
    expect((Number(/clock=(\d+)/.exec(last)![1]) - first) % 320000).toBe(0);
  });

  test("pwm_cycle_time: new cycle time sent before the value that uses it", () => {
    const oid = oidOf(/^config_digital_out oid=\d+ pin=PC0/);
    // 1 ms and 0.5 ms at 16 MHz; value 0.5 of 8000 ticks
    expect(r.lines).toContain(`set_digital_out_pwm_cycle oid=${oid} cycle_ticks=16000`);
    const i = r.lines.indexOf(`set_digital_out_pwm_cycle oid=${oid} cycle_ticks=8000`);
    expect(i).toBeGreaterThan(0);
    expect(r.lines.slice(i + 1).find((l) => l.startsWith(`queue_digital_out oid=${oid} `))).toMatch(/on_ticks=4000$/);
  });

  test("mcp4451: terminal registers enabled, wiper 0 = 0.5 * 255 rounded", () => {
    const oid = oidOf(/^i2c_set_bus oid=\d+ i2c_bus=twi rate=100000 address=44/);
    // register address in the high nibble: 0x04 -> 0x40, 0x0a -> 0xa0, wiper 0 (0x00) = 128
    const writes = r.lines.filter((l) => l.startsWith(`i2c_transfer oid=${oid} `));
    expect(writes).toEqual([
      `i2c_transfer oid=${oid} write=b'@\\xff' read_len=0`,
      `i2c_transfer oid=${oid} write=b'\\xa0\\xff' read_len=0`,
      `i2c_transfer oid=${oid} write=b'\\x00\\x80' read_len=0`,
    ]);
  });

  test("sx1509: reset, clock, then the cached registers; PIN_3 is an output driven high", () => {
    const oid = oidOf(/^i2c_set_bus oid=\d+ i2c_bus=twi rate=400000 address=62/);
    const writes = r.lines.filter((l) => l.startsWith(`i2c_transfer oid=${oid} `)).map((l) => /write=b'(.*)' /.exec(l)![1]);
    expect(writes.slice(0, 4)).toEqual(["}\\x12", "}4", "\\x1e@", "\\x1f\\x10"]);
    // RegDir 0x0e: all inputs (1) except bit 3; RegData 0x10: bit 3 set
    expect(writes[4]).toBe("\\x0e\\xff\\xf7");
    expect(writes[5]).toBe("\\x10\\x00\\x08");
    // 6 word registers + 16 intensity registers after the 4 setup writes
    expect(writes.length).toBe(4 + 6 + 16);
  });

  test("hd44780: 40 us delay, 4-bit init timed 100 ms apart, then both text lines and CGRAM", () => {
    const oid = oidOf(/^config_hd44780/);
    expect(r.lines).toContain(`config_hd44780 oid=${oid} rs_pin=PH1 e_pin=PH0 d4_pin=PA1 d5_pin=PA3 d6_pin=PA5 d7_pin=PA7 delay_ticks=640`);
    const cmds = r.lines.filter((l) => l.startsWith(`hd44780_send_cmds oid=${oid}`)).map((l) => /cmds=b'(.*)'/.exec(l)![1]);
    expect(cmds.slice(0, 5)).toEqual(["3", "3", "2", "((\\x02", "\\x06\\x0c"]);
    // 20 columns: 2 x 40 text bytes + 64 CGRAM bytes
    const data = r.lines.filter((l) => l.startsWith(`hd44780_send_data oid=${oid}`));
    const bytes = data.reduce((n, l) => n + [.../data=b'(.*)'$/.exec(l)![1]!.matchAll(/\\x..|./g)].length, 0);
    expect(bytes).toBe(2 * 40 + 64);
  });
});

describe("SET_LED_TEMPLATE", () => {
  test("a display_template with a parameter drives one LED of a chain", async () => {
    const cfg = `${CARTESIAN_MOTION_CFG}
[neopixel strip]
pin: PB7
chain_count: 2
[display_template led_level]
param_v: 0.5
text: {param_v},0,{1 - param_v}
`;
    const r = await batchLines(cfg, "SET_LED_TEMPLATE LED=strip INDEX=2 TEMPLATE=led_level PARAM_V=0.2\nG4 P2000\n");
    expect(r.error).toBeNull();
    // LED 2 (bytes 3..5, GRB order): red 0.2 -> 51 ('3'), blue 0.8 -> 204; green stays 0
    expect(r.lines).toContain("neopixel_update oid=0 pos=4 data=b'3\\xcc'");
  });

  test("unknown template and parameter names are G-code errors", async () => {
    const cfg = `${CARTESIAN_MOTION_CFG}
[neopixel strip]
pin: PB7
[display_template led_level]
param_v: 0.5
text: {param_v},0,0
`;
    const a = await batchLines(cfg, "SET_LED_TEMPLATE LED=strip TEMPLATE=nope\n");
    expect(a.error ?? a.responses.join("\n")).toContain("Unknown display_template 'nope'");
    const b = await batchLines(cfg, "SET_LED_TEMPLATE LED=strip TEMPLATE=led_level PARAM_W=1\n");
    expect(b.error ?? b.responses.join("\n")).toContain("Invalid display_template parameter: param_w");
  });
});

describe("display_data rendering", () => {
  test("items of the active group are drawn at their row/column; ~right_arrow~ is the HD44780's 0x7e", async () => {
    const cfg = `${CARTESIAN_MOTION_CFG}
${HD44780_DISPLAY}display_group: mine
[display_data mine hello]
position: 1, 2
text: Hi {2 + 3}~right_arrow~
[display_data mine corner]
position: 0, 0
text: X
`;
    const r = await batchLines(cfg, "G4 P1000\n");
    expect(r.error).toBeNull();
    const sent = r.lines.filter((l) => l.startsWith("hd44780_send"));
    // Row 0 is DDRAM 0x80 + column; row 1 is the second line, 0xc0 + column
    const i = sent.indexOf("hd44780_send_cmds oid=0 cmds=b'\\x80'", 6);
    expect(sent[i + 1]).toBe("hd44780_send_data oid=0 data=b'X'");
    const j = sent.indexOf("hd44780_send_cmds oid=0 cmds=b'\\xc2'");
    expect(sent[j + 1]).toBe("hd44780_send_data oid=0 data=b'Hi 5~'");
  });
});
