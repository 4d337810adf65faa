import { describe, expect, test } from "bun:test";
import { configure, connect, FREQ } from "./setup.ts";
import type { TestHost } from "./host.ts";

const HARDWARE = {
  axes: [{ stepPin: "PA0", initialPosition: 0 }],
  endstops: [{ pin: "PB1", stepPin: "PA0", side: "min" as const, triggerAt: -500 }],
};
const CONFIG = [
  "config_stepper oid=0 step_pin=PA0 dir_pin=PA1 invert_step=0 step_pulse_ticks=100",
  "config_endstop oid=1 pin=PB1 pull_up=1",
  "config_trsync oid=2",
];
const START = FREQ / 10;
const REASON_ENDSTOP_HIT = 1;
const REASON_COMMS_TIMEOUT = 4;

/** klippy's homing sequence: arm the trsync and endstop, then move towards the switch. */
function home(host: TestHost, steps: number, timeoutS = 5): void {
  host.send(
    `trsync_start oid=2 report_clock=${START} report_ticks=${FREQ / 10} expire_reason=${REASON_COMMS_TIMEOUT}`,
    "stepper_stop_on_trigger oid=0 trsync_oid=2",
    `trsync_set_timeout oid=2 clock=${START + timeoutS * FREQ}`,
    `endstop_home oid=1 clock=${START} sample_ticks=${FREQ / 100000} sample_count=4 rest_ticks=${FREQ / 10000} pin_value=1 trsync_oid=2 trigger_reason=${REASON_ENDSTOP_HIT}`,
    `reset_step_clock oid=0 clock=${START}`,
    "set_next_step_dir oid=0 dir=0",
    `queue_step oid=0 interval=${FREQ / 1000} count=${steps} add=0`,
  );
}

const finalState = (host: TestHost) => host.messages("trsync_state").find((m) => m.params.can_trigger === 0);

describe("endstops and trsync", () => {
  test("the endstop at its configured position triggers the trsync, which stops the stepper there", () => {
    const { mcu, host } = connect({ hardware: HARDWARE });
    configure(host, 3, CONFIG);
    home(host, 2000);
    mcu.advance(3);
    const state = finalState(host)!;
    expect(state.params.trigger_reason).toBe(REASON_ENDSTOP_HIT);
    // the switch closes at step 500 (at 0.6 s); four samples 10 µs apart confirm it before the next step
    expect(mcu.position("PA0")).toBe(-500);
    expect(state.params.clock as number).toBeGreaterThanOrEqual(0.6 * FREQ);
    expect(state.params.clock as number).toBeLessThan(0.601 * FREQ);
    host.send("stepper_get_position oid=0", "endstop_query_state oid=1");
    expect(host.last("stepper_position")!.params.pos).toBe(-500);
    expect(host.last("endstop_state")!.params.pin_value).toBe(1);
    expect(host.messages("shutdown")).toEqual([]);
  });

  test("while homing the trsync reports can_trigger=1 every report_ticks", () => {
    const { mcu, host } = connect({ hardware: HARDWARE });
    configure(host, 3, CONFIG);
    home(host, 300);
    mcu.advance(0.45);
    const clocks = host.messages("trsync_state").map((m) => [m.params.can_trigger, m.params.clock]);
    expect(clocks).toEqual([1, 2, 3, 4].map((k) => [1, START + ((k - 1) * FREQ) / 10]));
  });

  test("after a trigger the stepper ignores moves until reset_step_clock", () => {
    const { mcu, host } = connect({ hardware: HARDWARE });
    configure(host, 3, CONFIG);
    home(host, 2000);
    mcu.advance(1);
    host.send("set_next_step_dir oid=0 dir=1", `queue_step oid=0 interval=${FREQ / 1000} count=50 add=0`);
    mcu.advance(1);
    expect(mcu.position("PA0")).toBe(-500);
    const t = Math.round(2.1 * FREQ);
    host.send(`reset_step_clock oid=0 clock=${t}`, "set_next_step_dir oid=0 dir=1", `queue_step oid=0 interval=${FREQ / 1000} count=50 add=0`);
    mcu.advance(1);
    expect(mcu.position("PA0")).toBe(-450);
  });

  test("without a trigger the timeout fires with the expire reason and stops the stepper", () => {
    const { mcu, host } = connect({ hardware: HARDWARE });
    configure(host, 3, CONFIG);
    home(host, 400, 0.2); // 400 steps never reach the switch; timeout at 0.3 s
    mcu.advance(1);
    expect(finalState(host)!.params.trigger_reason).toBe(REASON_COMMS_TIMEOUT);
    expect(mcu.position("PA0")).toBe(-199);
  });

  test("trsync_trigger from the host stops at once and reports with clock 0", () => {
    const { mcu, host } = connect({ hardware: HARDWARE });
    configure(host, 3, CONFIG);
    home(host, 400);
    mcu.advance(0.15);
    host.send("trsync_trigger oid=2 reason=7");
    expect(host.last("trsync_state")!.params).toEqual({ oid: 2, can_trigger: 0, trigger_reason: 7, clock: 0 });
    const pos = mcu.position("PA0");
    mcu.advance(1);
    expect(mcu.position("PA0")).toBe(pos);
  });

  test("registering the same stepper twice on a trsync is refused like firmware", () => {
    const { host } = connect({ hardware: HARDWARE });
    configure(host, 3, CONFIG);
    host.send("trsync_start oid=2 report_clock=0 report_ticks=0 expire_reason=4", "stepper_stop_on_trigger oid=0 trsync_oid=2", "stepper_stop_on_trigger oid=0 trsync_oid=2");
    expect(host.last("shutdown")!.params.static_string_id).toBe("Can't add signal that is already active");
  });
});
