import { describe, expect, test } from "bun:test";
import { configure, connect, shutdownReason } from "./setup.ts";

describe("configuration phase", () => {
  test("get_config reports nothing before and the CRC and move count after finalize_config", () => {
    const { host } = connect({ moveCount: 500 });
    host.send("get_config");
    expect(host.last("config")!.params).toEqual({ is_config: 0, crc: 0, is_shutdown: 0, move_count: 0 });
    configure(host, 2, ["config_stepper oid=0 step_pin=PA0 dir_pin=PA1 invert_step=0 step_pulse_ticks=100", "config_endstop oid=1 pin=PB1 pull_up=1"], 0xdeadbeef);
    host.send("get_config");
    expect(host.last("config")!.params).toEqual({ is_config: 1, crc: 0xdeadbeef, is_shutdown: 0, move_count: 500 });
    expect(host.messages("shutdown")).toEqual([]);
  });

  test("the execution log lists the executed commands in order with their parameters", () => {
    const { mcu, host } = connect();
    configure(host, 1, ["config_digital_out oid=0 pin=PC3 value=0 default_value=0 max_duration=0"], 77);
    const log = mcu.executed.filter((c) => c.name !== "identify");
    expect(log.map((c) => c.name)).toEqual(["allocate_oids", "config_digital_out", "finalize_config"]);
    expect(log[1]!.params).toEqual({ oid: 0, pin: host.dict.enumValue("pin", "PC3"), value: 0, default_value: 0, max_duration: 0 });
    expect(log[2]!.params.crc).toBe(77);
  });

  test("a second finalize_config is 'Already finalized'", () => {
    const { host } = connect();
    configure(host, 0, []);
    host.send("finalize_config crc=1");
    expect(shutdownReason(host)).toBe("Already finalized");
  });

  test("objects can not be created after finalize_config or on a used oid", () => {
    const { host } = connect();
    configure(host, 2, ["config_trsync oid=0"]);
    host.send("config_trsync oid=1");
    expect(shutdownReason(host)).toBe("Can't assign oid");
  });

  test("an oid used with another object's command is 'Invalid oid type'", () => {
    const { host } = connect();
    configure(host, 1, ["config_trsync oid=0"]);
    host.send("stepper_get_position oid=0");
    expect(shutdownReason(host)).toBe("Invalid oid type");
  });

  test("while shut down, ordinary commands answer is_shutdown; clear_shutdown resumes", () => {
    const { host } = connect();
    configure(host, 1, ["config_stepper oid=0 step_pin=PA0 dir_pin=PA1 invert_step=0 step_pulse_ticks=100"]);
    host.send("emergency_stop");
    expect(shutdownReason(host)).toBe("Command request");
    host.send("stepper_get_position oid=0");
    expect(host.last("is_shutdown")!.params.static_string_id).toBe("Command request");
    expect(host.messages("stepper_position")).toEqual([]);
    host.send("clear_shutdown", "stepper_get_position oid=0");
    expect(host.last("stepper_position")!.params).toEqual({ oid: 0, pos: 0 });
    host.send("clear_shutdown");
    expect(shutdownReason(host)).toBe("Shutdown cleared when not shutdown");
  });

  test("shutdown reports the first reason even when later errors shut down again", () => {
    const { host } = connect();
    host.send("emergency_stop");
    host.sendPayload(new Uint8Array([0x5f]));
    const reasons = host.messages("shutdown").map((m) => m.params.static_string_id);
    expect(reasons).toEqual(["Command request", "Command request"]);
  });

  test("reset reboots the firmware: 'starting', clock from zero, configuration gone", () => {
    const { mcu, host } = connect();
    configure(host, 1, ["config_trsync oid=0"]);
    mcu.advance(2);
    const before = host.blocks.length;
    host.send("reset");
    // a rebooting MCU does not ack; it only announces itself, numbering from sequence 0
    expect(host.blocks.slice(before)).toEqual([{ seq: 0, messages: [{ name: "starting", params: {} }] }]);
    host.seq = 0; // a rebooted MCU expects sequence 0 again
    host.send("get_config", "get_clock");
    expect(host.last("config")!.params.is_config).toBe(0);
    expect(host.last("clock")!.params.clock).toBe(0);
  });

  test("a timer that keeps re-arming itself in the past is 'Rescheduled timer in the past'", () => {
    const { mcu, host } = connect();
    // report_ticks of 2^32-1 moves the report one tick back each time (a host bug)
    configure(host, 1, ["config_trsync oid=0"]);
    host.send(`trsync_start oid=0 report_clock=${72_000_000 / 10} report_ticks=4294967295 expire_reason=4`);
    mcu.advance(0.2);
    expect(shutdownReason(host)).toBe("Rescheduled timer in the past");
  });
});
