// Benchmark (not a test): read latency and CPU use of the serial transport.
//   bun test/transport/bench-serial.ts
// Latency: a byte written into a pty master (in-process, no socat) until the transport on the slave
// side delivers it, for (1) the full stack (SerialPortStream + ByteTransport), (2) the binding's
// read() alone, and (3) for comparison, a poll-with-backoff read loop (read(2) on EAGAIN, retry after
// setTimeout). CPU: an idle open port for a few seconds, and a 250000-baud-like stream (25 kB/s).
import { dlopen, FFIType } from "bun:ffi";
import { LinuxBinding, openSerialTransport } from "../../src/mcu/transport/index.ts";

const libc = dlopen("libc.so.6", {
  posix_openpt: { args: [FFIType.i32], returns: FFIType.i32 },
  grantpt: { args: [FFIType.i32], returns: FFIType.i32 },
  unlockpt: { args: [FFIType.i32], returns: FFIType.i32 },
  ptsname: { args: [FFIType.i32], returns: FFIType.cstring },
  write: { args: [FFIType.i32, FFIType.ptr, FFIType.u64], returns: FFIType.i64_fast },
  read: { args: [FFIType.i32, FFIType.ptr, FFIType.u64], returns: FFIType.i64_fast },
  open: { args: [FFIType.cstring, FFIType.i32], returns: FFIType.i32 },
  close: { args: [FFIType.i32], returns: FFIType.i32 },
}).symbols;

const PINGS = 400;
const GAP_MS = 3;

function openPty(): { master: number; slave: string } {
  const master = libc.posix_openpt(0o2 | 0o400);
  if (master < 0 || libc.grantpt(master) !== 0 || libc.unlockpt(master) !== 0) throw new Error("cannot create a pty");
  return { master, slave: String(libc.ptsname(master)) };
}

function stats(us: number[]): string {
  const s = [...us].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!.toFixed(0);
  return `median ${q(0.5)} µs, p90 ${q(0.9)} µs, p99 ${q(0.99)} µs, max ${s[s.length - 1]!.toFixed(0)} µs (n=${s.length})`;
}

/** Writes one byte to the master every GAP_MS; `arm` registers a one-shot receive callback. */
async function measure(master: number, arm: (done: () => void) => void): Promise<number[]> {
  const out: number[] = [];
  const byte = new Uint8Array([0x55]);
  for (let i = 0; i < PINGS; i++) {
    await Bun.sleep(GAP_MS);
    const got = new Promise<void>((resolve) => arm(resolve));
    const t0 = Bun.nanoseconds();
    libc.write(master, byte, 1);
    await got;
    out.push((Bun.nanoseconds() - t0) / 1000);
  }
  return out;
}

function cpuPercent<T>(fn: () => Promise<T>): Promise<{ pct: number; result: T }> {
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  return fn().then((result) => {
    const c = process.cpuUsage(c0);
    return { pct: ((c.user + c.system) / 1000 / (performance.now() - w0)) * 100, result };
  });
}

async function main(): Promise<void> {
  const { master, slave } = openPty();
  console.log(`pty ${slave}, ${PINGS} one-byte pings ${GAP_MS} ms apart`);

  // (1) full stack
  {
    const t = await openSerialTransport(slave, 250000);
    let waiter: (() => void) | null = null;
    t.onData(() => {
      waiter?.();
      waiter = null;
    });
    console.log(`ByteTransport (SerialPortStream + binding): ${stats(await measure(master, (d) => (waiter = d)))}`);
    const idle = await cpuPercent(() => Bun.sleep(5000));
    console.log(`idle CPU with the port open and listening: ${idle.pct.toFixed(3)} % of one core (5 s)`);
    // 250000 baud ~ 25 kB/s: 250 bytes every 10 ms for 3 s
    let received = 0;
    t.onData((c) => (received += c.length));
    const chunk = new Uint8Array(250).fill(0x7e);
    const busy = await cpuPercent(async () => {
      for (let i = 0; i < 300; i++) {
        libc.write(master, chunk, chunk.length);
        await Bun.sleep(10);
      }
    });
    console.log(`CPU receiving 25 kB/s: ${busy.pct.toFixed(2)} % of one core (${received} bytes in)`);
    await t.close();
  }

  // (2) binding read() alone
  {
    const port = await LinuxBinding.open({ path: slave, baudRate: 250000 });
    const buf = Buffer.alloc(64);
    console.log(`binding read(): ${stats(await measure(master, (d) => void port.read(buf, 0, 64).then(d)))}`);
    await port.close();
  }

  // (3) the alternative: non-blocking read(2) polled with a 1 ms timer backoff
  {
    const fd = libc.open(Buffer.from(`${slave}\0`), 0o2 | 0o400 | 0o4000);
    const buf = new Uint8Array(64);
    let waiter: (() => void) | null = null;
    let running = true;
    const poll = () => {
      if (!running) return;
      if (Number(libc.read(fd, buf, 64)) > 0) {
        waiter?.();
        waiter = null;
      }
      setTimeout(poll, 1);
    };
    poll();
    console.log(`poll loop (setTimeout 1 ms): ${stats(await measure(master, (d) => (waiter = d)))}`);
    const idle = await cpuPercent(() => Bun.sleep(5000));
    console.log(`idle CPU of the poll loop: ${idle.pct.toFixed(3)} % of one core (5 s)`);
    running = false;
    libc.close(fd);
  }
  libc.close(master);
}

await main();
