// Stepline's batch mode against real klippy (the reference tarball) on Klipper's example printer
// configs × move.gcode, step by step at 0 µs and with a global offset of 0: a few printers with a probe
// ([bltouch]; [probe] + [safe_z_home]) plus a seeded sample of the rest. All ~200:
// `bun scripts/sweep-klippy.ts`.
import { afterAll, describe, expect, test } from "bun:test";
import { klippyMissing } from "../scripts/lib/klippy-oracle.ts";
import { sweepConfigs, sweepOne } from "../scripts/lib/klippy-sweep.ts";
import { Rng } from "../scripts/lib/random.ts";
import { TempDir } from "./support/temp-dir.ts";

// a BLTouch with stow_on_each_sample: False among them (it was ~21 µs off after its Z home until batch
// input stopped running timers between a block that yielded and the next read)
const PROBE_PRINTERS = ["kit-zav3d-2019.cfg", "printer-mtw-create-2015.cfg", "printer-prusa-mini-plus-2020.cfg", "printer-creality-ender3-s1-2021.cfg"];
const SAMPLE = 3;
const SEED = 9;

describe.skipIf(klippyMissing() !== null)("example printers × move.gcode: the same steps as klippy", () => {
  const tmp = new TempDir("stepline-klippy-sweep-");
  afterAll(() => tmp.remove());
  const all = sweepConfigs();
  const rng = new Rng(SEED);
  const rest = all.filter((c) => !PROBE_PRINTERS.includes(c.name));
  const sample = Array.from({ length: SAMPLE }, () => rest.splice(rng.int(0, rest.length - 1), 1)[0]!);
  for (const c of [...all.filter((c) => PROBE_PRINTERS.includes(c.name)), ...sample]) {
    test(c.name, async () => {
      const r = await sweepOne(tmp.path, c);
      expect(r.klippy.exitCode).toBe(0);
      expect(r.stepline.error).toBeNull();
      expect(r.summary).toStartWith("PASS klippy:");
      expect(r.offsetTicks).toBe(0);
    }, 120_000);
  }
});
