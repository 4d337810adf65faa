// Batch mode: the config phase and queued commands end up as framed blocks in
// a file, decodable by the protocol module, with Klipper's config CRC.
import { SHARED_REFERENCE, loadDict } from "../support/reference.ts";
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BlockReader, DataDictionary } from "../../src/protocol/index.ts";
import { Mcu } from "../../src/mcu/mcu.ts";

const REF = `${SHARED_REFERENCE}/klipper`;
const dir = mkdtempSync(join(tmpdir(), "stepline-mcu-batch-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const quiet = { info: () => {}, warn: (m: string) => { throw new Error(`unexpected warning: ${m}`); } };

function decodeFile(dict: DataDictionary, path: string) {
  const reader = new BlockReader();
  reader.push(new Uint8Array(readFileSync(path)));
  const lines: string[] = [];
  const seqs: number[] = [];
  for (let b = reader.next(); b; b = reader.next()) {
    seqs.push(b.seq);
    for (const m of dict.decodeMessages(b.payload)) lines.push(dict.formatMessage(m));
  }
  return { lines, seqs, stats: reader.stats };
}

describe("Mcu batch mode", () => {
  const dict = loadDict("atmega2560.dict");
  const ref = readFileSync(`${REF}/cases/tk_move_cartesian/parsedump.txt`, "utf8").split("\n");
  const finalizeAt = ref.findIndex((l) => l.startsWith("finalize_config"));
  const refConfig = ref.slice(1, finalizeAt); // without allocate_oids

  test("config phase: allocate_oids, config lines, finalize_config with klippy's CRC, then init lines", async () => {
    const out = join(dir, "config.serial");
    const mcu = new Mcu("mcu", { batch: { dict, outputPath: out }, log: quiet });
    const oidCount = Number(/count=(\d+)/.exec(ref[0]!)![1]);
    for (let i = 0; i < oidCount; i++) mcu.createOid();
    // Half the lines come from a config callback, as printer objects do it.
    const half = Math.floor(refConfig.length / 2);
    for (const line of refConfig.slice(0, half)) mcu.addConfigCmd(line);
    mcu.registerConfigCallback(() => {
      for (const line of refConfig.slice(half)) mcu.addConfigCmd(line);
    });
    mcu.addConfigCmd("queue_digital_out oid=11 clock=3200000 on_ticks=0", { isInit: true });
    await mcu.connect();
    await mcu.close();
    expect(() => mcu.createOid()).toThrow(/after the config was finalized/);

    const { lines, seqs, stats } = decodeFile(dict, out);
    expect(stats.badCrc).toBe(0);
    expect(stats.bytesDiscarded).toBe(0);
    expect(lines).toEqual([...ref.slice(0, finalizeAt + 1), "queue_digital_out oid=11 clock=3200000 on_ticks=0"]);
    expect(lines[finalizeAt]).toBe("finalize_config crc=3915627893");
    expect(mcu.configCrc).toBe(3915627893);
    expect(seqs.every((s, i) => s === ((i + 1) & 0x0f))).toBe(true);
  });

  test("commands from several queues leave in reqClock order, each queue in FIFO order, packed into full blocks", async () => {
    const out = join(dir, "queues.serial");
    const mcu = new Mcu("mcu", { batch: { dict, outputPath: out }, log: quiet });
    await mcu.connect();
    const qa = mcu.allocCommandQueue();
    const qb = mcu.allocCommandQueue();
    const sent: string[] = [];
    for (let i = 0; i < 200; i++) {
      const a = `queue_step oid=2 interval=${1000 + i} count=1 add=0`;
      const b = `queue_step oid=5 interval=${2000 + i} count=1 add=0`;
      mcu.sendCommand(dict.encodeCommandText(a), { queue: qa, reqClock: 1000 * i });
      mcu.sendCommand(dict.encodeCommandText(b), { queue: qb, reqClock: 1000 * i + 500 });
      sent.push(a, b);
    }
    await mcu.close();
    const { lines, seqs } = decodeFile(dict, out);
    const body = lines.slice(2); // allocate_oids count=0, finalize_config
    expect(body).toEqual(sent);
    expect(mcu.printTimeToClock(1.5)).toBe(24_000_000);
    expect(mcu.clockToPrintTime(8_000_000)).toBe(0.5);
    expect(mcu.estimatedPrintTime(12345)).toBe(0);
    // 400 queue_step commands of 6-7 bytes must not take one block each.
    expect(seqs.length).toBeLessThan(80);
  });

  test("a very long synchronous burst is written out as it goes (bounded memory), nothing lost", async () => {
    const out = join(dir, "burst.serial");
    const mcu = new Mcu("mcu", { batch: { dict, outputPath: out }, log: quiet });
    await mcu.connect();
    const q = mcu.allocCommandQueue();
    const n = 60_000;
    for (let i = 0; i < n; i++) mcu.sendCommand(dict.encodeCommandText(`queue_step oid=2 interval=${1000 + (i % 5000)} count=${i % 1000} add=0`), { queue: q, reqClock: i });
    expect(statSync(out).size).toBeGreaterThan(100_000); // before the event loop got a turn
    await mcu.close();
    const { lines } = decodeFile(dict, out);
    expect(lines.length).toBe(n + 2);
    expect(lines.at(-1)).toBe(`queue_step oid=2 interval=${1000 + ((n - 1) % 5000)} count=${(n - 1) % 1000} add=0`);
  });

  test("text that the dictionary cannot encode is reported with the MCU name and the line", async () => {
    const mcu = new Mcu("z", { batch: { dict, outputPath: join(dir, "bad.serial") }, log: quiet });
    mcu.addConfigCmd("config_stepper oid=0 step_pin=NOPE dir_pin=PF1 invert_step=0 step_pulse_ticks=32");
    mcu.createOid();
    await expect(mcu.connect()).rejects.toThrow(/MCU 'z': cannot encode 'config_stepper oid=0 step_pin=NOPE/);
    await mcu.close();
  });
});
