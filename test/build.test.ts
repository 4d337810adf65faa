// `bun run build` (scripts/build.sh) end to end: both executables are produced, the x64 one runs from a
// directory without node_modules, the arm64 one is an aarch64 ELF. Takes a few seconds and ~220 MB of
// temp space; STEPLINE_SKIP_BUILD_TEST=1 skips it.
import { SHARED_REFERENCE } from "./support/reference.ts";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { closeSync, copyFileSync, existsSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSerialTransport, type ByteTransport } from "../src/mcu/transport/index.ts";
import { BlockReader, DataDictionary, encodeBlock } from "../src/protocol/index.ts";
import { startSocatPair } from "./support/socat-pair.ts";
import { fetchDictionary } from "./support/identify.ts";
import { freePort } from "./support/cli.ts";
import { APPLIANCE_RUNTIME_ENV } from "../src/cli/appliance-runtime.ts";

const ROOT = join(import.meta.dir, "..");
const REFERENCE = `${SHARED_REFERENCE}/klipper`;
const PARSEDUMP_CASE = "tk_manual_stepper";
const skip = process.env.STEPLINE_SKIP_BUILD_TEST === "1";

const EM_X86_64 = 0x3e;
const EM_AARCH64 = 0xb7;

let outDir = "";
let workDir = "";
let buildLog = "";
let buildExit = -1;

/** ELF class/endianness and e_machine from the file header. */
function elfHeader(path: string): { magic: string; class64: boolean; littleEndian: boolean; machine: number } {
  const h = Buffer.alloc(20);
  const fd = openSync(path, "r");
  try {
    readSync(fd, h, 0, 20, 0);
  } finally {
    closeSync(fd);
  }
  return { magic: h.subarray(0, 4).toString("latin1"), class64: h[4] === 2, littleEndian: h[5] === 1, machine: h.readUInt16LE(18) };
}

function runBinary(args: string[]) {
  const r = Bun.spawnSync([join(outDir, "stepline-linux-x64"), ...args], { cwd: workDir, env: { PATH: "/usr/bin:/bin" } });
  return { code: r.exitCode, out: r.stdout.toString(), err: r.stderr.toString() };
}

/** The first match of `re` in a process's output, or null if it ends first. */
async function firstMatch(stream: ReadableStream<Uint8Array>, re: RegExp): Promise<RegExpMatchArray | null> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let text = "";
  try {
    for (;;) {
      const m = text.match(re);
      if (m) return m;
      const r = await reader.read();
      if (r.done) return null;
      text += decoder.decode(r.value);
    }
  } finally {
    reader.releaseLock();
  }
}

/** The MCU's dictionary over a transport, through Klipper's identify exchange. */
function transportDictionary(t: ByteTransport): Promise<DataDictionary> {
  const boot = DataDictionary.bootstrap();
  const reader = new BlockReader();
  let pending: ((data: Uint8Array) => void) | null = null;
  t.onData((chunk) => {
    reader.push(chunk);
    for (let b = reader.next(); b; b = reader.next()) {
      for (const m of boot.decodeMessages(b.payload)) if (m.name === "identify_response") pending?.(m.params.data as Uint8Array);
    }
  });
  let seq = 0;
  return fetchDictionary((offset, count) => {
    const got = new Promise<Uint8Array>((resolve) => (pending = resolve));
    t.write(encodeBlock(seq++, boot.encodeCommand("identify", { offset, count })));
    return got;
  });
}

describe.skipIf(skip)("build", () => {
  beforeAll(async () => {
    outDir = mkdtempSync(join(tmpdir(), "stepline-dist-"));
    workDir = mkdtempSync(join(tmpdir(), "stepline-bin-cwd-"));
    const proc = Bun.spawn(["bash", join(ROOT, "scripts/build.sh")], { env: { ...process.env, OUT_DIR: outDir }, stdout: "pipe", stderr: "pipe" });
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    buildLog = out + err;
    buildExit = code;
  }, 300_000);

  afterAll(() => {
    for (const d of [outDir, workDir]) if (d) rmSync(d, { recursive: true, force: true });
  });

  test("scripts/build.sh writes both executables", () => {
    expect(buildExit).toBe(0);
    // The build warns about run-time module/file lookups that would be missing from the executable.
    expect(buildLog.split("\n").filter((l) => l.startsWith("build: warning") || l.startsWith("  "))).toEqual([]);
    expect(buildLog).toContain(`build: ${join(outDir, "stepline-linux-x64")}`);
    expect(buildLog).toContain(`build: ${join(outDir, "stepline-linux-arm64")}`);
  });

  test("the x64 executable is an x86-64 ELF that runs --version and --help from a bare directory", () => {
    expect(elfHeader(join(outDir, "stepline-linux-x64"))).toEqual({ magic: "\x7fELF", class64: true, littleEndian: true, machine: EM_X86_64 });
    expect(existsSync(join(workDir, "node_modules"))).toBe(false);
    const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
    expect(runBinary(["--version"])).toEqual({ code: 0, out: `stepline ${version}\n`, err: "" });
    const help = runBinary(["--help"]);
    expect(help.code).toBe(0);
    for (const c of ["run", "batch", "parsedump", "vmcu", "check-config"]) expect(help.out).toContain(`  ${c} `);
  });

  test("the arm64 executable is a 64-bit little-endian aarch64 ELF", () => {
    expect(elfHeader(join(outDir, "stepline-linux-arm64"))).toEqual({ magic: "\x7fELF", class64: true, littleEndian: true, machine: EM_AARCH64 });
  });

  test.skipIf(!existsSync(join(REFERENCE, "cases", PARSEDUMP_CASE)))(`the executable's parsedump matches Klipper's on ${PARSEDUMP_CASE}`, () => {
    const caseDir = join(REFERENCE, "cases", PARSEDUMP_CASE);
    const meta = JSON.parse(readFileSync(join(caseDir, "meta.json"), "utf8")) as { dicts: Record<string, string> };
    copyFileSync(join(REFERENCE, "dict", meta.dicts.mcu!), join(workDir, "mcu.dict"));
    copyFileSync(join(caseDir, "out.serial"), join(workDir, "out.serial"));
    const r = runBinary(["parsedump", "mcu.dict", "out.serial"]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const expected = readFileSync(join(caseDir, "parsedump.txt"), "utf8");
    expect(r.out.length).toBeGreaterThan(1000);
    if (r.out !== expected) {
      const lineA = r.out.split("\n"), lineB = expected.split("\n");
      const i = lineA.findIndex((l, k) => l !== lineB[k]);
      throw new Error(`parsedump differs at line ${i + 1}: got '${lineA[i]}', Klipper has '${lineB[i]}'`);
    }
  });

  test.skipIf(!existsSync(join(REFERENCE, "cases", PARSEDUMP_CASE)))(`the executable's batch output equals the source's on ${PARSEDUMP_CASE}`, () => {
    const caseDir = join(REFERENCE, "cases", PARSEDUMP_CASE);
    const meta = JSON.parse(readFileSync(join(caseDir, "meta.json"), "utf8")) as { dicts: Record<string, string> };
    const args = (out: string) => ["batch", join(caseDir, "printer.cfg"), "-i", join(caseDir, "input.gcode"), "-o", out, "-d", join(REFERENCE, "dict", meta.dicts.mcu!)];
    const fromBinary = runBinary(args("binary.serial"));
    expect(fromBinary.code).toBe(0);
    const fromSource = Bun.spawnSync([process.execPath, join(ROOT, "src/main.ts"), ...args("source.serial")], { cwd: workDir });
    expect(fromSource.exitCode).toBe(0);
    const a = readFileSync(join(workDir, "binary.serial"));
    expect(a.length).toBeGreaterThan(100);
    expect(a.equals(readFileSync(join(workDir, "source.serial")))).toBe(true);
  });

  test("the executable's virtual MCU serves its embedded data dictionary over a pty", async () => {
    const link = join(workDir, "vmcu-pty");
    const proc = Bun.spawn([join(outDir, "stepline-linux-x64"), "vmcu", "--pty", link], { cwd: workDir, env: { PATH: "/usr/bin:/bin" }, stdout: "pipe", stderr: "pipe" });
    let transport: ByteTransport | null = null;
    try {
      const ready = await firstMatch(proc.stdout, /ready on .* \(CLOCK_FREQ=(\d+)\)/);
      expect(ready).not.toBeNull();
      transport = await openSerialTransport(link);
      const dict = await transportDictionary(transport);
      expect(dict.clockFreq).toBe(Number(ready![1]));
      expect(dict.hasCommand("queue_step")).toBe(true);
    } finally {
      await transport?.close();
      proc.kill("SIGTERM");
      await proc.exited;
    }
  });

  /** /proc/PID/<file> as its NUL-separated strings. */
  const procStrings = (pid: number, file: string) => readFileSync(`/proc/${pid}/${file}`, "latin1").split("\0").filter(Boolean);

  /** Starts the executable's appliance on the virtual printer; resolves with its environment once its API is ready. */
  async function applianceEnviron(env: Record<string, string>, name: string): Promise<string[]> {
    const port = freePort();
    const exe = join(outDir, "stepline-linux-x64");
    const args = ["run", "--data", join(workDir, `${name}-data`), "--gcode-pty", "none", "--port", String(port), "--host", "127.0.0.1", "--no-cura"];
    const proc = Bun.spawn([exe, ...args], { cwd: workDir, env: { PATH: "/usr/bin:/bin", ...env }, stdout: "ignore", stderr: "pipe" });
    try {
      for (const deadline = Date.now() + 30_000; ; await Bun.sleep(50)) {
        const state = await fetch(`http://127.0.0.1:${port}/server/info`).then(async (r) => ((await r.json()) as { result: { klippy_state: string } }).result.klippy_state, () => null);
        if (state === "ready") break;
        if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`appliance not ready (exit ${proc.exitCode}): ${await new Response(proc.stderr).text()}`);
      }
      // the pid Bun.spawn gave is still the appliance: execve replaced the process in place
      expect(procStrings(proc.pid, "cmdline")).toEqual([exe, ...args]);
      return procStrings(proc.pid, "environ");
    } finally {
      proc.kill("SIGTERM");
      await proc.exited;
    }
  }

  test("the executable's appliance restarts itself in place with its runtime options (no optimizing JIT tiers, no allocator thread, a slower idle-GC timer)", async () => {
    const environ = await applianceEnviron({}, "tiers");
    expect(environ).toContain("BUN_JSC_useDFGJIT=0");
    expect(environ).toContain("BUN_GC_TIMER_INTERVAL=10000");
    for (const [k, v] of Object.entries(APPLIANCE_RUNTIME_ENV)) expect(environ).toContain(`${k}=${v}`);
    expect(environ).toContain("PATH=/usr/bin:/bin");
  }, 60_000);

  test("once up, the appliance hands the executable's start-up pages back to the kernel", async () => {
    await applianceEnviron({}, "pages");
    const log = readFileSync(join(workDir, "pages-data", "logs", "stepline.log"), "utf8");
    const m = /start-up pages of the executable handed back: resident ([\d.]+) -> ([\d.]+) MiB/.exec(log);
    expect(m).not.toBeNull();
    expect(Number(m![2])).toBeLessThan(Number(m![1]) - 10);
  }, 60_000);

  test("a runtime option the user set is kept; the others are still added", async () => {
    const environ = await applianceEnviron({ BUN_JSC_useDFGJIT: "1" }, "user-tiers");
    expect(environ.filter((e) => e.startsWith("BUN_JSC_useDFGJIT="))).toEqual(["BUN_JSC_useDFGJIT=1"]);
    expect(environ).toContain("MIMALLOC_SCAVENGER=0");
  }, 60_000);

  // The serial binding (bun:ffi into libc, Bun's reader on the fd) inside executables for both CPUs.
  // arm64 runs under qemu-user when installed (apt-get install qemu-user-static libc6-arm64-cross);
  // qemu 7.2 does not emulate TCGETS2, so there only the data path can be checked.
  for (const arch of ["x64", "arm64"] as const) {
    const qemu = arch === "arm64" ? [Bun.which("qemu-aarch64-static") ?? Bun.which("qemu-aarch64"), "-L", "/usr/aarch64-linux-gnu"] : [];
    const runnable = arch === "x64" ? process.arch === "x64" : qemu[0] !== null && existsSync("/usr/aarch64-linux-gnu/lib/libc.so.6");
    test.skipIf(!runnable)(`the serial binding works inside an executable for ${arch}${arch === "arm64" ? " (qemu-user)" : ""}`, async () => {
      const probe = join(outDir, `arch-probe-${arch}`);
      const target = arch === "x64" ? "bun-linux-x64" : "bun-linux-arm64";
      const runtime = Bun.spawnSync(["bash", join(ROOT, "scripts/get-bun.sh"), arch]).stdout.toString().trim();
      const built = Bun.spawnSync([process.execPath, "build", join(ROOT, "test/transport/arch-probe.ts"), "--compile", `--target=${target}`, `--compile-executable-path=${runtime}`, `--outfile=${probe}`]);
      expect(built.stderr.toString()).toBe("");
      const pair = await startSocatPair();
      try {
        const r = Bun.spawnSync([...(qemu as string[]), probe, pair.a, pair.b], { cwd: workDir, env: { PATH: "/usr/bin:/bin" } });
        expect(r.stderr.toString()).toBe("");
        const report = JSON.parse(r.stdout.toString()) as { arch: string; intact: boolean; settings?: { baudRate: number }; settingsError?: string };
        expect(report.arch).toBe(arch);
        expect(report.intact).toBe(true);
        if (arch === "x64" || report.settingsError === undefined) expect(report.settings?.baudRate).toBe(250000);
        else expect(report.settingsError).toContain("(ENOSYS)");
      } finally {
        await pair.stop();
      }
    });
  }
});

describe("scripts/install-pi.sh", () => {
  const script = join(ROOT, "scripts/install-pi.sh");
  let dir = "";
  let fakeBinary = "";
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "stepline-install-"));
    // Just enough of an aarch64 ELF header for the installer's checks.
    const header = Buffer.alloc(64);
    header.write("\x7fELF", 0, "latin1");
    header[4] = 2;
    header[5] = 1;
    header.writeUInt16LE(EM_AARCH64, 18);
    fakeBinary = join(dir, "stepline-linux-arm64");
    writeFileSync(fakeBinary, header);
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  const install = (...args: string[]) => {
    const r = Bun.spawnSync(["bash", script, ...args], { env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } });
    return { code: r.exitCode, out: r.stdout.toString(), err: r.stderr.toString() };
  };

  test("is valid bash", () => {
    expect(Bun.spawnSync(["bash", "-n", script]).exitCode).toBe(0);
  });

  test("--root installs the binary, a data dir and a unit that may bind port 80 as a normal user", () => {
    const root = join(dir, "root");
    const r = install("--root", root, "--user", "pi", "--binary", fakeBinary);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const bin = join(root, "usr/local/bin/stepline");
    expect(readFileSync(bin)).toEqual(readFileSync(fakeBinary));
    expect(statSync(bin).mode & 0o777).toBe(0o755);
    for (const sub of ["config", "gcodes", "logs", "database"]) expect(statSync(join(root, "home/pi/printer_data", sub)).isDirectory()).toBe(true);
    const unit = readFileSync(join(root, "etc/systemd/system/stepline.service"), "utf8");
    const service = unit.split("[Service]\n")[1]!.split("\n[")[0]!.split("\n");
    expect(service).toContain("User=pi");
    // No --config: the first start writes and runs the virtual printer's printer.cfg, never a halted service
    expect(service).toContain("ExecStart=/usr/local/bin/stepline run --data /home/pi/printer_data");
    expect(service).toContain("AmbientCapabilities=CAP_NET_BIND_SERVICE");
    expect(service).toContain("CapabilityBoundingSet=CAP_NET_BIND_SERVICE");
    expect(service).toContain("WorkingDirectory=/home/pi/printer_data");
    expect(unit).toContain("[Install]\nWantedBy=multi-user.target\n");
    expect(r.out).toContain("first start runs the virtual printer (its printer.cfg goes to /home/pi/printer_data/config/)");
  });

  test("an upgrade in place replaces the binary and keeps config, gcodes and database; --uninstall keeps the data", () => {
    const root = join(dir, "root-upgrade");
    expect(install("--root", root, "--user", "pi", "--binary", fakeBinary).code).toBe(0);
    const data = join(root, "home/pi/printer_data");
    const kept = { "config/printer.cfg": "[mcu]\nserial: /dev/ttyACM0\n", "gcodes/part.gcode": "G28\n", "database/moonraker-sql.db": "db" };
    for (const [rel, text] of Object.entries(kept)) writeFileSync(join(data, rel), text);
    const newer = join(dir, "stepline-newer");
    writeFileSync(newer, Buffer.concat([readFileSync(fakeBinary), Buffer.from("v2")]));
    expect(install("--root", root, "--user", "pi", "--binary", newer).code).toBe(0);
    expect(readFileSync(join(root, "usr/local/bin/stepline"))).toEqual(readFileSync(newer));
    for (const [rel, text] of Object.entries(kept)) expect(readFileSync(join(data, rel), "utf8")).toBe(text);
    const r = install("--root", root, "--uninstall");
    expect(r.code).toBe(0);
    expect(existsSync(join(root, "usr/local/bin/stepline"))).toBe(false);
    expect(existsSync(join(root, "etc/systemd/system/stepline.service"))).toBe(false);
    for (const [rel, text] of Object.entries(kept)) expect(readFileSync(join(data, rel), "utf8")).toBe(text);
  });

  test.skipIf(!Bun.which("systemd-analyze"))("systemd accepts the unit (systemd-analyze verify)", () => {
    const root = join(dir, "root-verify");
    expect(install("--root", root, "--user", "pi", "--data", "/srv/printer_data", "--binary", fakeBinary).code).toBe(0);
    const r = Bun.spawnSync(["systemd-analyze", "verify", join(root, "etc/systemd/system/stepline.service")]);
    // The executable is installed under the --root dir, not in this machine's /usr/local/bin.
    const complaints = (r.stdout.toString() + r.stderr.toString()).split("\n").filter((l) => l && !l.includes("Command /usr/local/bin/stepline is not executable"));
    expect(complaints).toEqual([]);
  });

  test("--dry-run prints the unit and writes nothing", () => {
    const root = join(dir, "root-dry");
    const r = install("--dry-run", "--root", root, "--user", "pi", "--binary", fakeBinary);
    expect(r.code).toBe(0);
    expect(r.out).toContain("AmbientCapabilities=CAP_NET_BIND_SERVICE");
    expect(existsSync(root)).toBe(false);
  });

  test("bad input is a clear error", () => {
    expect(install("--binary", join(dir, "missing"), "--dry-run")).toMatchObject({ code: 1, err: expect.stringContaining(`binary '${join(dir, "missing")}' not found`) });
    const notElf = join(dir, "script.sh");
    writeFileSync(notElf, "#!/bin/sh\n");
    expect(install("--binary", notElf, "--dry-run")).toMatchObject({ code: 1, err: expect.stringContaining("is not an ELF executable") });
    expect(install("--root", join(dir, "r"), "--binary", fakeBinary, "--data", "printer_data")).toMatchObject({ code: 1, err: expect.stringContaining("--data must be an absolute path") });
    expect(install("--frobnicate")).toMatchObject({ code: 2, err: expect.stringContaining("unknown option '--frobnicate'") });
  });
});
