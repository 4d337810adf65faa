// `stepline vmcu --pty` as a separate process, driven over a real pseudo-terminal (needs socat).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { closeSync, createReadStream, existsSync, openSync, writeFileSync, writeSync, type ReadStream } from "node:fs";
import { join } from "node:path";
import { BlockReader, DataDictionary, encodeBlock, type DecodedMessage } from "../../src/protocol/index.ts";
import { fetchDictionary } from "../support/identify.ts";
import { STEPLINE_MAIN } from "../support/cli.ts";
import { TempDir } from "../support/temp-dir.ts";

const haveSocat = Bun.spawnSync(["sh", "-c", "command -v socat"]).exitCode === 0;
const FREQ = 48_000_000;

describe.skipIf(!haveSocat)("stepline vmcu --pty", () => {
  const tmp = new TempDir("vmcu-pty-");
  const dir = tmp.path;
  const ptyPath = join(dir, "ttyVMCU");
  const dictPath = join(dir, "vmcu.dict");
  let proc: ReturnType<typeof Bun.spawn>;
  let fd = -1;
  let stream: ReadStream;
  let dict = DataDictionary.bootstrap();
  let seq = 0;
  const reader = new BlockReader();
  const received: DecodedMessage[] = [];
  let wake: () => void = () => {};
  let stderrText = "";

  const send = (line: string) => {
    writeSync(fd, encodeBlock(seq, dict.encodeCommandText(line)));
    seq = (seq + 1) & 15;
  };
  const next = async (name: string, after = 0): Promise<DecodedMessage> => {
    const deadline = Date.now() + 10000;
    for (;;) {
      const m = received.slice(after).find((r) => r.name === name);
      if (m) return m;
      if (Date.now() > deadline) throw new Error(`no '${name}' from the vmcu within 10 s`);
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, 200);
      });
    }
  };
  const request = async (line: string, response: string) => {
    const at = received.length;
    send(line);
    return next(response, at);
  };

  beforeAll(async () => {
    const hardware = join(dir, "hw.json");
    writeFileSync(hardware, JSON.stringify({ axes: [{ stepPin: "PA0", initialPosition: 10 }] }));
    proc = Bun.spawn([process.execPath, STEPLINE_MAIN, "vmcu", "--pty", ptyPath, "--dict-out", dictPath, "--clock-freq", String(FREQ), "--hardware", hardware], {
      stdout: "pipe",
      stderr: "pipe",
    });
    void (async () => {
      for await (const chunk of proc.stderr as ReadableStream<Uint8Array>) stderrText += new TextDecoder().decode(chunk);
    })();
    const out = proc.stdout as ReadableStream<Uint8Array>;
    const first = await out.getReader().read();
    expect(new TextDecoder().decode(first.value)).toContain(`ready on ${ptyPath}`);
    openPty();
  });

  function openPty(): void {
    fd = openSync(ptyPath, "r+");
    stream = createReadStream("", { fd: openSync(ptyPath, "r"), highWaterMark: 256 });
    stream.on("error", () => {}); // EIO once the vmcu closes its side of the pty
    stream.on("data", (chunk) => {
      reader.push(chunk as Buffer);
      for (let b = reader.next(); b; b = reader.next()) received.push(...dict.decodeMessages(b.payload));
      wake();
    });
  }

  afterAll(async () => {
    stream?.destroy();
    if (fd >= 0) closeSync(fd);
    if (proc && proc.exitCode === null) {
      proc.kill("SIGTERM");
      await proc.exited;
    }
    tmp.remove();
  });

  test("identify over the pty returns the dictionary also written by --dict-out", async () => {
    dict = await fetchDictionary(async (offset, count) =>
      (await request(`identify offset=${offset} count=${count}`, "identify_response")).params.data as Uint8Array);
    expect(dict.json).toEqual(JSON.parse(await Bun.file(dictPath).text()));
    expect(dict.clockFreq).toBe(FREQ);
  });

  test("the clock runs in real time and steps queued ahead of it execute", async () => {
    const c1 = (await request("get_clock", "clock")).params.clock as number;
    await Bun.sleep(50);
    const c2 = (await request("get_clock", "clock")).params.clock as number;
    expect(c2 - c1).toBeGreaterThan(0.04 * FREQ);
    send("allocate_oids count=1");
    send("config_stepper oid=0 step_pin=PA0 dir_pin=PA1 invert_step=0 step_pulse_ticks=100");
    send("finalize_config crc=42");
    expect((await request("get_config", "config")).params).toEqual({ is_config: 1, crc: 42, is_shutdown: 0, move_count: 1024 });
    const now = (await request("get_clock", "clock")).params.clock as number;
    send(`reset_step_clock oid=0 clock=${(now + 0.2 * FREQ) >>> 0}`);
    send("set_next_step_dir oid=0 dir=1");
    send(`queue_step oid=0 interval=${FREQ / 1000} count=25 add=0`);
    // the move ends 225 ms after `now`; poll the position until it gets there
    let pos = 0;
    for (let tries = 0; tries < 100 && pos !== 25; tries++) {
      await Bun.sleep(20);
      pos = (await request("stepper_get_position oid=0", "stepper_position")).params.pos as number;
    }
    expect(pos).toBe(25);
    expect(received.some((m) => m.name === "shutdown")).toBe(false);
  });

  test("load statistics arrive every 5 s like firmware stats", async () => {
    const s = await next("stats");
    expect(s.params.count as number).toBeGreaterThan(0);
  }, 20_000);

  test("if socat dies the pty is recreated at the same path and the MCU answers there", async () => {
    const children = Bun.spawnSync(["ps", "-o", "pid=,comm=", "--ppid", String(proc.pid)]).stdout.toString();
    const socat = children.split("\n").map((l) => l.trim().split(/\s+/)).find((f) => f[1] === "socat");
    expect(socat).toBeDefined();
    stream.destroy();
    closeSync(fd);
    fd = -1;
    process.kill(Number(socat![0]), "SIGTERM");
    // the vmcu reports the restart; the new pty may get the same /dev/pts number, so wait for the log line
    const deadline = Date.now() + 10000;
    while (!stderrText.includes("re-opening") && Date.now() < deadline) await Bun.sleep(20);
    expect(stderrText).toContain(`re-opening ${ptyPath}`);
    while (!existsSync(ptyPath) && Date.now() < deadline) await Bun.sleep(20);
    openPty();
    expect((await request("get_clock", "clock")).params.clock).toBeGreaterThan(0);
  }, 20_000);

  test("SIGTERM ends the process cleanly and removes the pty link", async () => {
    proc.kill("SIGTERM");
    expect(await proc.exited).toBe(0);
    expect(existsSync(ptyPath)).toBe(false);
  });
});
