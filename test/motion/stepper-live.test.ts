// A stepper on a live Mcu talking to the virtual MCU (in-process stream): generated and
// compressed steps are executed by the firmware, and stepper_get_position brings the
// MCU's step count back into the host's position bookkeeping.
import { describe, expect, test } from "bun:test";
import { VirtualMcu } from "../../firmware-bridge/index.ts";
import { Mcu } from "../../src/mcu/mcu.ts";
import { StepperSyncManager } from "../../src/motion/steps/steppersync.ts";
import { TrapQ } from "../../src/motion/steps/trapq.ts";
import { McuStepper, type StepperMcu } from "../../src/motion/stepper.ts";
import { CartesianStepperKinematics } from "../../src/motion/steps/stepper-kinematics/cartesian.ts";
import { vmcuLink } from "../mcu/vmcu-link.ts";
import { Cleanups } from "../support/cleanups.ts";

const cleanups = new Cleanups();

describe("McuStepper on a live MCU", () => {
  test("steps reach the firmware and the queried position matches", async () => {
    const vmcu = new VirtualMcu({ clockFreq: 72_000_000 });
    vmcu.start();
    cleanups.push(() => vmcu.stop());
    const mcu = new Mcu("mcu", { live: { transport: vmcuLink(vmcu) }, log: { info: () => {}, warn: () => {} } });
    cleanups.push(() => mcu.close());
    const mgr = new StepperSyncManager();
    const ss = mgr.allocStepperSync((n, p) => mcu.dict.encodeCommand(n, p),
      (data, minClock, reqClock) => mcu.sendCommand(data, { minClock, reqClock }));
    const flush = { registerFlushCallback: () => {}, unregisterFlushCallback: () => {} };
    const sm = mcu as unknown as StepperMcu;
    const stepper = new McuStepper({
      name: "stepper_x", stepPin: { mcu: sm, pin: "PA0", invert: false }, dirPin: { mcu: sm, pin: "PA1", invert: true },
      rotationDist: 40, stepsPerRotation: 3200, syncEmitter: ss.allocSyncEmitter("stepper_x"), flush,
    });
    stepper.setStepperKinematics(new CartesianStepperKinematics("x"));
    const tq = new TrapQ();
    stepper.setTrapq(tq);
    await mcu.identify();
    await mcu.connect();
    ss.setupMoveQueue(mcu.moveCount);
    ss.setTime(0, mcu.dict.clockFreq);
    await stepper.queryMcuPosition();
    expect(stepper.getMcuPosition()).toBe(0);

    // 1 mm (80 steps) in +x, starting 0.3 s from now
    const start = mcu.estimatedPrintTime(mcu.monotonic()) + 0.3;
    tq.append(start, 0.01, 0.09, 0.01, 0, 0, 0, 1, 0, 0, 0, 1 / 0.1, 1 / 0.01 / 0.1);
    const end = start + 0.11;
    tq.checkSentinels();
    mgr.genSteps(end + 0.1, end + 0.1, 0);
    const commanded = Math.round(stepper.getCommandedPosition() / stepper.getStepDist());
    expect(commanded).toBe(80);
    // The host's own bookkeeping says 80 before the MCU is asked
    expect(stepper.getMcuPosition()).toBe(80);
    // Ask the MCU (dir pin inverted: the firmware counts -80) until the move has run
    const deadline = mcu.monotonic() + 5;
    for (;;) {
      await stepper.queryMcuPosition();
      if (stepper.getPastMcuPosition(mcu.estimatedPrintTime(mcu.monotonic())) === 80 || mcu.monotonic() > deadline) break;
    }
    expect(stepper.getMcuPosition()).toBe(80);
    expect(stepper.mcuToCommandedPosition(80)).toBeCloseTo(stepper.getCommandedPosition(), 9);
  });
});
