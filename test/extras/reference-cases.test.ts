// Ground truth: the reference cases Klipper ran with TMC UART drivers and a neopixel
// (cfg_ratrig_vminion_motion: 4x tmc2209 on stm32f446; cfg_skr_pico_motion: shared tmc2209 UART
// and a neopixel on rp2040). Their MCU configuration must be exactly Klipper's (oids, order,
// config_tmcuart bit times, step-on-both-edges steppers), and so must the whole stream.
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runBatch } from "../../src/batch/run.ts";
import { KLIPPER_REFERENCE, dictPath, loadDict } from "../support/reference.ts";
import { decodeLines } from "../support/serial.ts";
import { TempDir } from "../support/temp-dir.ts";

const scratch = new TempDir("stepline-extras-");
afterAll(() => scratch.remove());

function configBlock(lines: string[]): string[] {
  const start = lines.findIndex((l) => l.startsWith("allocate_oids"));
  const end = lines.findIndex((l) => l.startsWith("finalize_config"));
  return lines.slice(start, end + 1);
}

describe.each([
  ["cfg_ratrig_vminion_motion", "stm32f446.dict", ["config_tmcuart oid=0 rx_pin=PC4 pull_up=0 tx_pin=PC4 bit_time=4500"]],
  ["cfg_skr_pico_motion", "rp2040.dict", ["config_tmcuart oid=0 rx_pin=gpio9 pull_up=0 tx_pin=gpio8 bit_time=300", "config_neopixel oid=1 pin=gpio24 data_size=3 bit_max_ticks=48 reset_min_ticks=600"]],
] as const)("%s", (name, dictName, expectedLines) => {
  test("MCU configuration and the whole command stream match Klipper's", async () => {
    const dir = `${KLIPPER_REFERENCE}/cases/${name}`;
    const out = join(scratch.path, `${name}.serial`);
    const r = await runBatch({ config: `${dir}/printer.cfg`, input: `${dir}/input.gcode`, output: out, dicts: { mcu: dictPath(dictName) }, respond: () => {} });
    expect(r.error).toBeNull();
    const ours = decodeLines(loadDict(dictName), out);
    const theirs = readFileSync(`${dir}/parsedump.txt`, "utf8").trimEnd().split("\n");
    for (const l of expectedLines) expect(configBlock(ours)).toContain(l);
    expect(configBlock(ours)).toEqual(configBlock(theirs));
    // Different command queues interleave differently from run to run; compare as multisets
    expect([...ours].sort()).toEqual([...theirs].sort());
  });
});
