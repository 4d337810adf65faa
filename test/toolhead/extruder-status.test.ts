// Status_Reference `extruder`: the heater's fields and the extruder stepper's, as macros and the
// web API read them (printer.extruder.temperature, .can_extrude, .pressure_advance, ...).
import { afterEach, expect, test } from "bun:test";
import { CARTESIAN_CFG, type Rig, startPrinter } from "../support/printer-rig.ts";

const rigs: Rig[] = [];
afterEach(async () => {
  for (const r of rigs.splice(0)) await r.close();
});

test("the extruder reports heater, can_extrude and pressure advance fields that follow commands", async () => {
  const r = await startPrinter(CARTESIAN_CFG);
  rigs.push(r);
  const status = () => r.printer.lookupObject<{ getStatus(): Record<string, unknown> }>("extruder").getStatus();
  expect(Object.keys(status()).sort()).toEqual(
    ["can_extrude", "motion_queue", "power", "pressure_advance", "smooth_time", "target", "temperature"].sort(),
  );
  // Like Klipper, the built-in stepper follows the trapq directly, so it reports no synced motion queue
  expect(status()).toMatchObject({ target: 0, motion_queue: null, pressure_advance: 0 });
  await r.run("M104 S205\nSET_PRESSURE_ADVANCE ADVANCE=0.0425 SMOOTH_TIME=0.03");
  expect(status()).toMatchObject({ target: 205, pressure_advance: 0.0425, smooth_time: 0.03 });
});
