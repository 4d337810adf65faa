// parsedump output must equal, byte for byte, what Klipper's klippy/parsedump.py printed for every
// MCU stream of every reference case. Both sides are streamed and compared chunk by chunk.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { readStream } from "../../src/cli/parsedump.ts";
import { DataDictionary, ParseDumper } from "../../src/protocol/index.ts";
import { DICT_DIR, REFERENCE } from "./helpers.ts";
import { runStepline, STEPLINE_MAIN } from "../support/cli.ts";

interface McuOutput {
  dict: string;
  serial: string;
  parsedump: string;
}

const CASES = REFERENCE + "cases/";

function mcuOutputs(): { label: string; dict: string; serial: string; parsedump: string }[] {
  const out = [];
  for (const c of readdirSync(CASES, { withFileTypes: true })) {
    if (!c.isDirectory()) continue;
    const meta = JSON.parse(readFileSync(`${CASES}${c.name}/meta.json`, "utf8")) as { mcu_outputs: Record<string, McuOutput> };
    for (const [mcu, o] of Object.entries(meta.mcu_outputs)) {
      out.push({ label: `${c.name} ${mcu}`, dict: DICT_DIR + o.dict, serial: `${CASES}${c.name}/${o.serial}`, parsedump: `${CASES}${c.name}/${o.parsedump}` });
    }
  }
  return out.sort((a, b) => a.label.localeCompare(b.label));
}

/** Pulls exact byte counts out of an async byte stream. */
class Puller {
  private buf: Uint8Array = new Uint8Array(0);
  private done = false;
  constructor(private readonly it: AsyncIterator<Uint8Array>) {}
  async take(n: number): Promise<Uint8Array> {
    while (this.buf.length < n && !this.done) {
      const r = await this.it.next();
      if (r.done) this.done = true;
      else this.buf = this.buf.length ? Buffer.concat([this.buf, r.value]) : r.value;
    }
    const got = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(got.length);
    return got;
  }
}

/** Streams `actual` text chunks against the reference bytes; returns a description of the first difference. */
async function compareStreams(actual: AsyncIterable<Uint8Array>, reference: string): Promise<{ bytes: number; diff: string | null }> {
  const ref = new Puller(readStream(reference));
  let offset = 0;
  for await (const chunk of actual) {
    const want = await ref.take(chunk.length);
    if (!Buffer.from(chunk).equals(want)) {
      let i = 0;
      while (i < want.length && chunk[i] === want[i]) i++;
      const ctx = (b: Uint8Array) => JSON.stringify(Buffer.from(b.subarray(Math.max(0, i - 60), i + 60)).toString("latin1"));
      return { bytes: offset + i, diff: `first difference at byte ${offset + i}:\n ours: ${ctx(chunk)}\n ref:  ${ctx(want)}` };
    }
    offset += chunk.length;
  }
  const rest = await ref.take(1);
  return { bytes: offset, diff: rest.length ? `reference continues after our ${offset} bytes` : null };
}

/** Our parsedump of a stream, as encoded text chunks. */
async function* dump(dictPath: string, serial: string): AsyncGenerator<Uint8Array> {
  const dict = DataDictionary.fromJson(readFileSync(dictPath, "utf8"));
  const out: Uint8Array[] = [];
  const dumper = new ParseDumper(dict, (t) => out.push(t));
  for await (const chunk of readStream(serial)) {
    dumper.push(chunk);
    yield* out.splice(0);
  }
  dumper.end();
  yield* out.splice(0);
  expect(dumper.reader.stats.bytesDiscarded).toBe(0);
  expect(dumper.reader.buffered).toBe(0);
  expect(dumper.problems).toEqual([]);
}

describe("parsedump equals Klipper's output", () => {
  const outputs = mcuOutputs();
  test("every case of the reference is found", () => {
    expect(outputs.length).toBeGreaterThanOrEqual(22);
    expect(outputs.some((o) => o.serial.endsWith(".gz"))).toBe(true);
  });
  for (const o of outputs) {
    test(o.label, async () => {
      const r = await compareStreams(dump(o.dict, o.serial), o.parsedump);
      expect(r.diff).toBeNull();
      expect(r.bytes).toBeGreaterThan(0);
    }, 60_000);
  }

  test("the command line reads a gzipped stream and prints the same text", async () => {
    const dir = mkdtempSync(join(tmpdir(), "stepline-parsedump-"));
    try {
      const o = outputs.find((x) => x.label === "tk_commands mcu")!;
      const gz = join(dir, "out.serial.gz");
      writeFileSync(gz, gzipSync(readFileSync(o.serial)));
      const proc = Bun.spawn([process.execPath, STEPLINE_MAIN, "parsedump", o.dict, gz], { stdout: "pipe", stderr: "pipe" });
      const r = await compareStreams(proc.stdout as AsyncIterable<Uint8Array>, o.parsedump);
      expect(await proc.exited).toBe(0);
      expect(r.diff).toBeNull();
      expect(await new Response(proc.stderr).text()).toBe("");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("the command line names a missing file", () => {
    const r = runStepline("parsedump", DICT_DIR + "atmega2560.dict", "/nonexistent/out.serial");
    expect(r.code).toBe(1);
    expect(r.err).toContain("'/nonexistent/out.serial'");
  });
});
