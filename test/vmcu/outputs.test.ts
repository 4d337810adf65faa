import { describe, expect, test } from "bun:test";
import { configure, connect, FREQ, shutdownReason } from "./setup.ts";

const HEATER = (maxSeconds: number) => `config_digital_out oid=0 pin=PA2 value=0 default_value=0 max_duration=${maxSeconds * FREQ}`;
const CYCLE = FREQ / 10;

describe("digital outputs", () => {
  test("a pin left on past max_duration shuts down with the firmware's reason, at that clock", () => {
    const { mcu, host } = connect();
    configure(host, 1, [HEATER(2), `set_digital_out_pwm_cycle oid=0 cycle_ticks=${CYCLE}`]);
    host.send(`queue_digital_out oid=0 clock=${FREQ / 10} on_ticks=${CYCLE}`);
    mcu.advance(2.05);
    expect(mcu.output("PA2")).toBe(1);
    expect(host.messages("shutdown")).toEqual([]);
    mcu.advance(0.1);
    expect(shutdownReason(host)).toBe("Missed scheduling of next digital out event");
    expect(host.last("shutdown")!.params.clock).toBe(2.1 * FREQ);
    expect(mcu.output("PA2")).toBe(0); // back to its default value
  });

  test("refreshing the pin in time keeps it running", () => {
    const { mcu, host } = connect();
    configure(host, 1, [HEATER(2), `set_digital_out_pwm_cycle oid=0 cycle_ticks=${CYCLE}`]);
    for (let i = 1; i <= 10; i++) {
      host.send(`queue_digital_out oid=0 clock=${i * FREQ} on_ticks=${CYCLE}`);
      mcu.advance(1);
    }
    expect(host.messages("shutdown")).toEqual([]);
  });

  test("an update scheduled beyond max_duration is refused", () => {
    const { mcu, host } = connect();
    configure(host, 1, [HEATER(2), `set_digital_out_pwm_cycle oid=0 cycle_ticks=${CYCLE}`]);
    host.send(`queue_digital_out oid=0 clock=${FREQ / 10} on_ticks=${CYCLE}`, `queue_digital_out oid=0 clock=${3 * FREQ} on_ticks=0`);
    mcu.advance(0.2);
    expect(shutdownReason(host)).toBe("Scheduled digital out event will exceed max_duration");
  });

  test("software PWM toggles the pin with the requested duty in every cycle", () => {
    const { mcu, host } = connect();
    configure(host, 1, [HEATER(0), `set_digital_out_pwm_cycle oid=0 cycle_ticks=${CYCLE}`]);
    host.send(`queue_digital_out oid=0 clock=${FREQ} on_ticks=${CYCLE / 4}`);
    mcu.advance(1.001);
    const levels: number[] = [];
    for (let i = 0; i < 8; i++) {
      levels.push(mcu.output("PA2")!);
      mcu.advance(0.05);
    }
    // samples at 1.001 + k·0.05 s: on for the first 25 ms of each 100 ms cycle
    expect(levels).toEqual([1, 0, 1, 0, 1, 0, 1, 0]);
  });

  test("update_digital_out away from the default also obeys max_duration", () => {
    const { mcu, host } = connect();
    configure(host, 1, [HEATER(1)]);
    host.send("update_digital_out oid=0 value=1");
    expect(mcu.output("PA2")).toBe(1);
    mcu.advance(1.01);
    expect(shutdownReason(host)).toBe("Missed scheduling of next digital out event");
    host.send("clear_shutdown");
    host.send("update_digital_out oid=0 value=1");
    host.send("queue_digital_out oid=0 clock=99999999 on_ticks=0");
    host.send("update_digital_out oid=0 value=0");
    expect(shutdownReason(host)).toBe("update_digital_out not valid with active queue");
  });

  test("a pin with default_value=1 returns high on shutdown", () => {
    const { mcu, host } = connect();
    configure(host, 1, ["config_digital_out oid=0 pin=PB5 value=1 default_value=1 max_duration=0"]);
    host.send("update_digital_out oid=0 value=0");
    expect(mcu.output("PB5")).toBe(0);
    host.send("emergency_stop");
    expect(mcu.output("PB5")).toBe(1);
  });
});

describe("hardware PWM outputs", () => {
  test("queued values set the duty; a value not refreshed within max_duration shuts down", () => {
    const { mcu, host } = connect();
    configure(host, 1, [`config_pwm_out oid=0 pin=PB6 cycle_ticks=720 value=0 default_value=0 max_duration=${FREQ}`]);
    host.send(`queue_pwm_out oid=0 clock=${FREQ / 10} value=16384`);
    mcu.advance(0.5);
    expect(mcu.output("PB6")).toBe(0.5);
    mcu.advance(0.7);
    expect(shutdownReason(host)).toBe("Missed scheduling of next hard pwm event");
    expect(mcu.output("PB6")).toBe(0);
  });

  test("the default value needs no refresh", () => {
    const { mcu, host } = connect();
    configure(host, 1, [`config_pwm_out oid=0 pin=PB6 cycle_ticks=720 value=0 default_value=0 max_duration=${FREQ}`]);
    host.send(`queue_pwm_out oid=0 clock=${FREQ / 10} value=16384`, `queue_pwm_out oid=0 clock=${FREQ / 2} value=0`);
    mcu.advance(5);
    expect(host.messages("shutdown")).toEqual([]);
    expect(mcu.output("PB6")).toBe(0);
  });
});
