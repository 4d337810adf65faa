// Helpers for extras tests: run `stepline batch` in-process on a config written to a temp dir
// and decode what it wrote with the real dictionary (parsedump text lines).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runBatch } from "../../src/batch/run.ts";
import { checkConfig } from "../../src/cli/check-config.ts";
import { BlockReader, DataDictionary } from "../../src/protocol/index.ts";
import { KLIPPER_REFERENCE } from "../support/reference.ts";

export const REF = KLIPPER_REFERENCE;

export class Scratch {
  readonly dir = mkdtempSync(join(tmpdir(), "stepline-extras-"));
  write(name: string, text: string): string {
    const p = join(this.dir, name);
    writeFileSync(p, text);
    return p;
  }
  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function decodeSerial(path: string, dictPath: string): string[] {
  const dict = DataDictionary.fromJson(readFileSync(dictPath, "utf8"));
  const reader = new BlockReader();
  reader.push(new Uint8Array(readFileSync(path)));
  const out: string[] = [];
  for (let b = reader.next(); b; b = reader.next()) for (const m of dict.decodeMessages(b.payload)) out.push(dict.formatMessage(m));
  return out;
}

/** Run a batch and return { error, lines } (lines decoded with `dict`). */
export async function batchLines(scratch: Scratch, configPath: string, gcode: string, dictName: string): Promise<{ error: string | null; lines: string[]; responses: string[] }> {
  const input = scratch.write("input.gcode", gcode);
  const output = join(scratch.dir, "out.serial");
  const dictPath = `${REF}/dict/${dictName}`;
  const responses: string[] = [];
  const r = await runBatch({ config: configPath, input, output, dicts: { mcu: dictPath }, respond: (l) => responses.push(l) });
  return { error: r.error, lines: r.error === null ? decodeSerial(output, dictPath) : [], responses };
}

/** check-config errors for a config text (with the atmega2560 dictionary). */
export async function configErrors(scratch: Scratch, text: string): Promise<string[]> {
  const p = scratch.write("printer.cfg", text);
  const r = await checkConfig(p, { dicts: { mcu: `${REF}/dict/atmega2560.dict` } });
  return r.errors;
}

/** A minimal cartesian printer on an atmega2560 (RAMPS pins); append sections to it. */
export const BASE_CONFIG = `
[stepper_x]
step_pin: PF0
dir_pin: PF1
enable_pin: !PD7
microsteps: 16
rotation_distance: 40
endstop_pin: ^PE5
position_endstop: 0
position_max: 200
homing_speed: 50

[stepper_y]
step_pin: PF6
dir_pin: !PF7
enable_pin: !PF2
microsteps: 16
rotation_distance: 40
endstop_pin: ^PJ1
position_endstop: 0
position_max: 200
homing_speed: 50

[stepper_z]
step_pin: PL3
dir_pin: PL1
enable_pin: !PK0
microsteps: 16
rotation_distance: 8
endstop_pin: ^PD3
position_endstop: 0.5
position_max: 200

[mcu]
serial: /dev/ttyACM0

[printer]
kinematics: cartesian
max_velocity: 300
max_accel: 3000
max_z_velocity: 5
max_z_accel: 100
`;
