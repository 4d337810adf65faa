// Micro-benchmark of the step pipeline: solver + compression (+ encoding) for a long series
// of cartesian moves on three steppers, 16 MHz clock, flushed in 0.25 s batches like batch
// mode. Prints steps/s and commands/s.
// Usage: bun scripts/bench-steps.ts [moves=20000] [--shaper] [--corexy] [--dict klipper.dict]
// (--dict: encode commands with a real data dictionary instead of a minimal stand-in)
import { TrapQ } from "../src/motion/steps/trapq.ts";
import { StepperSyncManager } from "../src/motion/steps/steppersync.ts";
import { CartesianStepperKinematics } from "../src/motion/steps/stepper-kinematics/cartesian.ts";
import { CoreXYStepperKinematics } from "../src/motion/steps/stepper-kinematics/corexy.ts";
import { InputShaperKinematics } from "../src/motion/steps/stepper-kinematics/shaper.ts";
import { initShaper } from "../src/motion/steps/shaper-defs.ts";
import type { StepperKinematics } from "../src/motion/steps/itersolve.ts";
import { DataDictionary } from "../src/protocol/index.ts";
import { readFileSync } from "node:fs";

const args = process.argv.slice(2);
const nMoves = Number(args.find((a) => /^\d+$/.test(a)) ?? 20000);
const useShaper = args.includes("--shaper"), useCoreXY = args.includes("--corexy");
const dictPath = args.includes("--dict") ? args[args.indexOf("--dict") + 1] : undefined;
const dict = dictPath ? DataDictionary.fromJson(readFileSync(dictPath, "utf8")) : null;
const FREQ = 16e6;

// Deterministic "print-like" moves: short XY segments at 100-300 mm/s, occasional Z hops.
let seed = 1;
const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);

const tq = new TrapQ();
const mgr = new StepperSyncManager();
let messages = 0, bytes = 0, steps = 0;
const standIn = (name: string, p: Record<string, number>) => {
  // a compact stand-in for the dictionary encoder (no encoding cost measured)
  const out = new Uint8Array(8);
  out[0] = name.length;
  out[1] = p.oid! & 0x7f;
  return out;
};
const ss = mgr.allocStepperSync(dict ? (n, p) => dict.encodeCommand(n, p) : standIn, (data, _min, _req, msg) => {
  messages++; bytes += data.length;
  if (msg.name === "queue_step") steps += msg.params.count!;
});
ss.setupMoveQueue(500);
ss.setTime(0, FREQ);

const kins: StepperKinematics[] = useCoreXY
  ? [new CoreXYStepperKinematics("+"), new CoreXYStepperKinematics("-"), new CartesianStepperKinematics("z")]
  : [new CartesianStepperKinematics("x"), new CartesianStepperKinematics("y"), new CartesianStepperKinematics("z")];
const sds = [40 / 3200, 40 / 3200, 8 / 3200];
kins.forEach((k0, i) => {
  let sk = k0;
  if (useShaper && i < 2) {
    const is = new InputShaperKinematics(k0);
    const { A, T } = initShaper("mzv", 45, 0.1)!;
    is.setShaperParams("x", A, T); is.setShaperParams("y", A, T);
    sk = is;
  }
  const se = ss.allocSyncEmitter(`stepper${i}`);
  se.stepcompress!.configure(i, Math.trunc(0.000025 * FREQ));
  sk.setTrapQ(tq, sds[i]!);
  se.setStepperKinematics(sk);
});

let t = 0.5, x = 100, y = 100, z = 1;
for (const sk of ss.emitters.map((e) => e.sk!)) sk.setPosition(x, y, z);
const accel = 3000;
let genT = 0;
const start = performance.now();
for (let i = 0; i < nMoves; i++) {
  const zhop = rnd() < 0.02;
  let dx = 0, dy = 0, dz = 0;
  if (zhop) dz = rnd() < 0.5 && z > 1 ? -0.4 : 0.4;
  else { dx = (rnd() - 0.5) * 30; dy = (rnd() - 0.5) * 30; if (x + dx < 10 || x + dx > 190) dx = -dx; if (y + dy < 10 || y + dy > 190) dy = -dy; }
  const d = Math.hypot(dx, dy, dz);
  const v = zhop ? 10 : 100 + rnd() * 200, a = zhop ? 100 : accel;
  const ta = Math.min(v / a, Math.sqrt(d / a)), vc = a * ta, tc = (d - a * ta * ta) / vc;
  tq.append(t, ta, tc, ta, x, y, z, dx / d, dy / d, dz / d, 0, vc, a);
  x += dx; y += dy; z += dz;
  t += 2 * ta + tc;
  while (genT + 0.25 < t - 0.5) {
    genT += 0.25;
    mgr.genSteps(genT - 0.05, genT, genT - 30);
    tq.finalizeMoves(genT - 0.01, genT - 30);
  }
}
mgr.genSteps(t + 1, t + 1, t);
const ms = performance.now() - start;
console.log(`moves=${nMoves} printTime=${t.toFixed(1)}s steppers=3${useShaper ? " (mzv shaper on x/y)" : ""}${useCoreXY ? " corexy" : ""}${dict ? " (real encoding)" : ""}`);
console.log(`steps=${steps} commands=${messages} wall=${ms.toFixed(0)} ms`);
console.log(`=> ${(steps / (ms / 1000) / 1e6).toFixed(2)} M steps/s, ${(messages / (ms / 1000) / 1e3).toFixed(0)} k commands/s, ${(t / (ms / 1000)).toFixed(0)}x real time`);
