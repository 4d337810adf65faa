// Fan speed requests through the request queue and the real motion flush, emitted by a real batch Mcu.
import { loadDict } from "../../support/reference.ts";
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FanOutput } from "../../../src/extras/fans/fan.ts";
import { McuDigitalOut } from "../../../src/core/mcu-pins/mcu-digital-out.ts";
import { McuPwm } from "../../../src/core/mcu-pins/mcu-pwm.ts";
import { RequestQueue } from "../../../src/extras/outputs/request-queue.ts";
import { Mcu } from "../../../src/mcu/mcu.ts";
import { PrinterMotionQueuing } from "../../../src/motion/motion-queuing.ts";
import { decodeLines } from "../../support/serial.ts";

const dir = mkdtempSync(join(tmpdir(), "stepline-fan-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let runs = 0;
const dict = loadDict("atmega2560.dict");


async function runFan(opts: Partial<ConstructorParameters<typeof FanOutput>[0]>, requests: Array<[number, number]>, withEnable = false) {
  const path = join(dir, `fan-${++runs}.serial`);
  const mcu = new Mcu("mcu", { batch: { dict, outputPath: path }, log: { info: () => {}, warn: () => {} } });
  const fan = new FanOutput(
    { maxPower: 1, kickStartTime: 0.1, offBelow: 0, cycleTime: 0.01, hardwarePwm: false, shutdownSpeed: 0, ...opts },
    new McuPwm(mcu, "PA0", false),
    withEnable ? new McuDigitalOut(mcu, "PA1", false) : null,
  );
  const mq = new PrinterMotionQueuing(false);
  let lookaheadTime = 0;
  const rq = new RequestQueue(() => ({ registerLookaheadCallback: (cb) => cb(lookaheadTime) }), () => 0,
    (t, v) => fan.applySpeed(t, v));
  rq.attach(mq);
  await mcu.connect();
  for (const [t, v] of requests) {
    lookaheadTime = t;
    rq.queueGcodeRequest(v);
  }
  while (mq.handleFlushTimer());
  await mcu.close();
  return { lines: decodeLines(dict, path).filter((l) => l.startsWith("queue_digital_out") && !l.includes("clock=3200000")), fan };
}

// 16 MHz clock, 0.01 s cycle = 160000 ticks.
describe("fan output", () => {
  test("a start from off kicks at full power for kick_start_time, then runs at the scaled speed", async () => {
    const { lines, fan } = await runFan({ maxPower: 0.8 }, [[1, 0.5]]);
    expect(lines).toEqual([
      "queue_digital_out oid=0 clock=16000000 on_ticks=128000",
      "queue_digital_out oid=0 clock=17600000 on_ticks=64000",
    ]);
    expect(fan.getStatus()).toEqual({ speed: 0.4, rpm: null });
  });

  test("off_below turns slow speeds off, the enable pin follows on/off, unchanged speeds are not re-sent", async () => {
    const { lines } = await runFan({ offBelow: 0.2, kickStartTime: 0 }, [[1, 0.5], [2, 0.5], [3, 0.1], [4, 0.6]], true);
    expect(lines).toEqual([
      "queue_digital_out oid=1 clock=16000000 on_ticks=1",
      "queue_digital_out oid=0 clock=16000000 on_ticks=80000",
      "queue_digital_out oid=1 clock=48000000 on_ticks=0",
      "queue_digital_out oid=0 clock=48000000 on_ticks=0",
      "queue_digital_out oid=1 clock=64000000 on_ticks=1",
      "queue_digital_out oid=0 clock=64000000 on_ticks=96000",
    ]);
  });

  test("a later request due at the same time overrides an earlier one", async () => {
    const { lines } = await runFan({ kickStartTime: 0 }, [[1, 0.3], [1, 0.7]]);
    expect(lines).toEqual(["queue_digital_out oid=0 clock=16000000 on_ticks=112000"]);
  });

  test("requests closer together than the MCU's minimum schedule time are spaced out", async () => {
    const { lines } = await runFan({ kickStartTime: 0 }, [[1, 0.3], [1.02, 0.7]]);
    expect(lines).toEqual([
      "queue_digital_out oid=0 clock=16000000 on_ticks=48000",
      "queue_digital_out oid=0 clock=17600000 on_ticks=112000",
    ]);
  });
});
