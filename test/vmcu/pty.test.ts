// `stepline vmcu --pty` as a separate process, driven over the real pseudo-terminal it opens itself:
// the process runs with a PATH that holds no socat (or anything else), the test talks to the pty with
// node:fs, a host may close and reopen it, and a second instance cannot take over a live path.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, lstatSync, readlinkSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { openSerialTransport, type ByteTransport } from "../../src/mcu/transport/index.ts";
import { BlockReader, DataDictionary, encodeBlock, type DecodedMessage } from "../../src/protocol/index.ts";
import { fetchDictionary } from "../support/identify.ts";
import { STEPLINE_MAIN } from "../support/cli.ts";
import { TempDir } from "../support/temp-dir.ts";

const FREQ = 48_000_000;

describe("stepline vmcu --pty", () => {
  const tmp = new TempDir("vmcu-pty-");
  const dir = tmp.path;
  const ptyPath = join(dir, "ttyVMCU");
  const dictPath = join(dir, "vmcu.dict");
  // A PATH with nothing on it: the pty must not need socat or any other program
  const emptyBin = join(dir, "empty-bin");
  let proc: ReturnType<typeof Bun.spawn>;
  let host: ByteTransport | null = null;
  let dict = DataDictionary.bootstrap();
  let seq = 0;
  const reader = new BlockReader();
  const received: DecodedMessage[] = [];
  let wake: () => void = () => {};
  let stderrText = "";

  const send = (line: string) => {
    host!.write(encodeBlock(seq, dict.encodeCommandText(line)));
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
    tmp.write("empty-bin/.keep", "");
    writeFileSync(hardware, JSON.stringify({ axes: [{ stepPin: "PA0", initialPosition: 10 }] }));
    // A stale link, as a crashed instance leaves it: replaced
    symlinkSync("/dev/pts/no-such-pty", ptyPath);
    proc = Bun.spawn([process.execPath, STEPLINE_MAIN, "vmcu", "--pty", ptyPath, "--dict-out", dictPath, "--clock-freq", String(FREQ), "--hardware", hardware], {
      stdout: "pipe",
      stderr: "pipe",
      env: { PATH: emptyBin },
    });
    void (async () => {
      for await (const chunk of proc.stderr as ReadableStream<Uint8Array>) stderrText += new TextDecoder().decode(chunk);
    })();
    const out = proc.stdout as ReadableStream<Uint8Array>;
    const first = await out.getReader().read();
    expect(new TextDecoder().decode(first.value)).toContain(`ready on ${ptyPath}`);
    await openPty();
  });

  /** Opens the pty as a host does (the serial transport: a tty opened by this process, no helper). */
  async function openPty(): Promise<void> {
    host = await openSerialTransport(ptyPath);
    host.onData((chunk) => {
      reader.push(chunk);
      for (let b = reader.next(); b; b = reader.next()) received.push(...dict.decodeMessages(b.payload));
      wake();
    });
  }

  afterAll(async () => {
    await host?.close().catch(() => {});
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

  test("the link points at a /dev/pts device held under a lock file", () => {
    expect(lstatSync(ptyPath).isSymbolicLink()).toBe(true);
    expect(readlinkSync(ptyPath)).toMatch(/^\/dev\/pts\/\d+$/);
    expect(existsSync(`${ptyPath}.lock`)).toBe(true);
  });

  test("a host that closes the pty can open it again and the MCU answers there", async () => {
    await host!.close();
    host = null;
    await openPty();
    expect((await request("get_clock", "clock")).params.clock).toBeGreaterThan(0);
  }, 20_000);

  test("a second instance is refused the path while the first one runs", () => {
    const r = Bun.spawnSync([process.execPath, STEPLINE_MAIN, "vmcu", "--pty", ptyPath], { stdout: "pipe", stderr: "pipe", env: { PATH: emptyBin } });
    expect(r.exitCode).toBe(1);
    expect(r.stderr.toString()).toContain(`${ptyPath} is the pty of another running Stepline (pid ${proc.pid})`);
    // The first instance's link is untouched and still answers
    expect(readlinkSync(ptyPath)).toMatch(/^\/dev\/pts\/\d+$/);
  });

  test("the first instance still answers after the refused one", async () => {
    expect((await request("get_clock", "clock")).params.clock).toBeGreaterThan(0);
  });

  test("SIGTERM ends the process cleanly and removes the pty link", async () => {
    proc.kill("SIGTERM");
    expect(await proc.exited).toBe(0);
    expect(existsSync(ptyPath)).toBe(false);
    expect(existsSync(`${ptyPath}.lock`)).toBe(false);
  });
});
