// Helpers for toolhead tests: run a real batch (config + g-code in a temp dir,
// output decoded with the protocol layer) and turn queue_step/set_next_step_dir
// into step times per stepper, as the MCU would execute them.
import { dictPath, loadDict } from "../support/reference.ts";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { runBatch, type BatchResult } from "../../src/batch/run.ts";
import type { DataDictionary, DecodedMessage } from "../../src/protocol/index.ts";
import { decodeMessages } from "../support/serial.ts";
import { TempDir } from "../support/temp-dir.ts";
import { StepExecutor } from "../support/step-executor.ts";

const DICT_PATH = dictPath("atmega2560.dict");
const CLOCK_FREQ = 16000000;

export interface Steps {
  /** Step times (s) in order. */
  times: number[];
  /** Direction wire level of each step. */
  dirs: number[];
}

export interface BatchRun {
  result: BatchResult;
  responses: string[];
  messages: DecodedMessage[];
  /** The dictionary the output was decoded with. */
  dict: DataDictionary;
  bytes: Uint8Array;
  /** Steps by config_stepper step_pin name. */
  stepsByPin: Map<string, Steps>;
}

export async function runGcode(cfgText: string, gcode: string): Promise<BatchRun> {
  const dir = new TempDir("stepline-toolhead-");
  try {
    const cfg = dir.write("printer.cfg", cfgText);
    const input = dir.write("input.gcode", gcode);
    const output = join(dir.path, "out.serial");
    const responses: string[] = [];
    const result = await runBatch({ config: cfg, input, output, dicts: { mcu: DICT_PATH }, respond: (l) => responses.push(l) });
    // A config error may stop the run before anything is written
    const bytes = existsSync(output) ? new Uint8Array(readFileSync(output)) : new Uint8Array(0);
    const dict = loadDict("atmega2560.dict");
    const messages = decodeMessages(dict, bytes);
    return { result, responses, messages, dict, bytes, stepsByPin: stepTimes(messages) };
  } finally {
    dir.remove();
  }
}

/** Execute queue_step / set_next_step_dir per stepper (64-bit clocks, MCU arithmetic). */
function stepTimes(messages: DecodedMessage[]): Map<string, Steps> {
  const byOid = new Map<number, StepExecutor>();
  const byPin = new Map<string, StepExecutor>();
  for (const m of messages) {
    const oid = m.params.oid as number;
    if (m.name === "config_stepper") {
      const ex = new StepExecutor();
      byOid.set(oid, ex);
      byPin.set(String(m.params.step_pin), ex);
    } else if (m.name === "set_next_step_dir") {
      byOid.get(oid)!.setNextDir(m.params.dir as number);
    } else if (m.name === "queue_step") {
      byOid.get(oid)!.queueStep(m.params.interval as number, m.params.count as number, m.params.add as number);
    }
  }
  return new Map([...byPin].map(([pin, ex]) => [pin, { times: ex.clocks.map((c) => c / CLOCK_FREQ), dirs: ex.dirs }]));
}

/** Net position in steps (dir 1 = +1) after all steps, given the dir pin inversion. */
export function netSteps(s: Steps, invertDir = false): number {
  let n = 0;
  for (const d of s.dirs) n += (d ^ (invertDir ? 1 : 0)) ? 1 : -1;
  return n;
}

/** Average step interval over the middle half of the steps after `from` (the cruise). */
export function cruiseInterval(s: Steps, from: number): number {
  const n = s.times.length - from;
  const a = from + Math.floor(n / 4), b = from + Math.floor((3 * n) / 4);
  return (s.times[b]! - s.times[a]!) / (b - a);
}
