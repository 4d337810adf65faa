// scripts/build-pi-image.sh on a synthetic Raspberry Pi OS-like image (MBR: FAT boot + ext4 root,
// made with mkfs.vfat / mkfs.ext4 -d and sfdisk in a temp dir, no root): every file it writes is read
// back from the output image with debugfs / mtools; the input stays byte-identical; bad input is a
// clear error and leaves no output behind.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { TempDir } from "../support/temp-dir.ts";

const ROOT = join(import.meta.dir, "../..");
const SCRIPT = join(ROOT, "scripts/build-pi-image.sh");
const TOOLS = ["sfdisk", "mkfs.vfat", "mkfs.ext4", "mcopy", "mtype", "debugfs", "e2fsck", "xz", "openssl"];
const missing = TOOLS.filter((t) => !Bun.which(t, { PATH: `${process.env.PATH}:/usr/sbin:/sbin` }));
if (missing.length > 0) console.warn(`pi-image tests skipped: missing ${missing.join(", ")} (apt-get install fdisk dosfstools mtools e2fsprogs xz-utils openssl)`);

const PATH = `${process.env.PATH}:/usr/sbin:/sbin`;
const SECTOR = 512;
const BOOT_START = 2048, BOOT_SECTORS = 16384; // 8 MiB FAT
const ROOT_START = BOOT_START + BOOT_SECTORS, ROOT_SECTORS = 65536; // 32 MiB ext4

function sh(cmd: string[], opts: { cwd?: string; stdin?: string } = {}) {
  const r = Bun.spawnSync(cmd, { cwd: opts.cwd, env: { ...process.env, PATH, MTOOLS_SKIP_CHECK: "1" }, stdin: opts.stdin === undefined ? "ignore" : Buffer.from(opts.stdin) });
  return { code: r.exitCode, out: r.stdout.toString(), err: r.stderr.toString() };
}
function ok(cmd: string[], opts: { cwd?: string; stdin?: string } = {}): string {
  const r = sh(cmd, opts);
  if (r.code !== 0) throw new Error(`${cmd.join(" ")} failed (${r.code}): ${r.err}`);
  return r.out;
}

/** A Raspberry Pi OS-like root tree: the accounts, hostname and systemd folders the script edits. */
function writeRootTree(dir: TempDir, rel: string): string {
  const files: Record<string, string> = {
    "etc/passwd": "root:x:0:0:root:/root:/bin/bash\nsystemd-network:x:998:998::/:/usr/sbin/nologin\npi:x:1000:1000:,,,:/home/pi:/bin/bash\n",
    "etc/group": "root:x:0:\ndialout:x:20:pi\nshadow:x:42:\nsystemd-network:x:998:\npi:x:1000:\n",
    "etc/shadow": "root:*:19000:0:99999:7:::\npi:!:19000:0:99999:7:::\n",
    "etc/gshadow": "root:*::\ndialout:*::pi\nshadow:*::\npi:!::\n",
    "etc/hostname": "raspberrypi\n",
    "etc/hosts": "127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n\n127.0.1.1\t\traspberrypi\n",
    "etc/os-release": 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n',
    "etc/systemd/system/multi-user.target.wants/.keep": "",
    "home/pi/.bashrc": "# pi\n",
  };
  for (const [p, text] of Object.entries(files)) dir.write(`${rel}/${p}`, text);
  return join(dir.path, rel);
}

/** MBR image: partition 1 FAT (cmdline.txt, config.txt), partition 2 ext4 from `rootTree`. */
function buildImage(dir: TempDir, name: string, rootTree: string, opts: { bootType?: string; rootType?: string; label?: string } = {}): string {
  const boot = join(dir.path, `${name}.boot`);
  const root = join(dir.path, `${name}.root`);
  const img = join(dir.path, name);
  ok(["truncate", "-s", String(BOOT_SECTORS * SECTOR), boot]);
  ok(["mkfs.vfat", "-n", "BOOTFS", boot]);
  dir.write(`${name}.cmdline.txt`, "console=serial0,115200 root=PARTUUID=0-02 rootfstype=ext4 fsck.repair=yes rootwait\n");
  dir.write(`${name}.config.txt`, "arm_64bit=1\n");
  ok(["mcopy", "-i", boot, join(dir.path, `${name}.cmdline.txt`), "::cmdline.txt"]);
  ok(["mcopy", "-i", boot, join(dir.path, `${name}.config.txt`), "::config.txt"]);
  ok(["truncate", "-s", String(ROOT_SECTORS * SECTOR), root]);
  ok(["mkfs.ext4", "-q", "-L", "rootfs", "-d", rootTree, root]);
  ok(["truncate", "-s", String((ROOT_START + ROOT_SECTORS + 64) * SECTOR), img]);
  const table = `label: ${opts.label ?? "dos"}\nstart=${BOOT_START}, size=${BOOT_SECTORS}, type=${opts.bootType ?? "c"}\nstart=${ROOT_START}, size=${ROOT_SECTORS}, type=${opts.rootType ?? "83"}\n`;
  ok(["sfdisk", "-q", img], { stdin: table });
  ok(["dd", `if=${boot}`, `of=${img}`, `bs=${SECTOR}`, `seek=${BOOT_START}`, "conv=notrunc", "status=none"]);
  ok(["dd", `if=${root}`, `of=${img}`, `bs=${SECTOR}`, `seek=${ROOT_START}`, "conv=notrunc", "status=none"]);
  return img;
}

const rootfs = (img: string) => `${img}?offset=${ROOT_START * SECTOR}`;
const bootfs = (img: string) => `${img}@@${BOOT_START * SECTOR}`;
const cat = (img: string, path: string) => ok(["debugfs", "-R", `cat ${path}`, rootfs(img)]);
/** Mode (octal, with the file type), uid, gid and (symlinks) target of a path in the root partition. */
function stat(img: string, path: string): { mode: string; uid: number; gid: number; link?: string } {
  const out = sh(["debugfs", "-R", `stat ${path}`, rootfs(img)]).out;
  const type = out.match(/Type: (\w+)\s+Mode:\s+(\d+)/);
  const owner = out.match(/User:\s+(\d+)\s+Group:\s+(\d+)/);
  if (!type || !owner) throw new Error(`no ${path} in the image: ${out}`);
  const link = out.match(/Fast link dest: "([^"]*)"/)?.[1];
  return { mode: `${type[1]} ${type[2]}`, uid: Number(owner[1]), gid: Number(owner[2]), ...(link !== undefined ? { link } : {}) };
}
const sha256 = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

describe.skipIf(missing.length > 0)("scripts/build-pi-image.sh", () => {
  const dir = new TempDir("stepline-pi-image-");
  let base = "";
  let binary = "";
  let baseHash = "";
  const run = (...args: string[]) => sh(["bash", SCRIPT, ...args]);

  beforeAll(() => {
    base = buildImage(dir, "base.img", writeRootTree(dir, "tree"));
    baseHash = sha256(base);
    // An aarch64 ELF header and a body, so its bytes can be compared after the round trip.
    const header = Buffer.alloc(64);
    header.write("\x7fELF", 0, "latin1");
    header[4] = 2;
    header[5] = 1;
    header.writeUInt16LE(0xb7, 18);
    const body = Buffer.alloc(300_000);
    for (let i = 0; i < body.length; i++) body[i] = (i * 2654435761) >>> 24;
    binary = join(dir.path, "stepline-linux-arm64");
    writeFileSync(binary, Buffer.concat([header, body]));
  }, 60_000);
  afterAll(() => dir.remove());

  test("writes binary, service, enable link, service user, data folder, starter config, hostname, first-boot files", () => {
    const out = join(dir.path, "out.img");
    const r = run("--binary", binary, "--user", "maker", "--password", "s3cret", base, out);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toContain(`wrote ${out} (hostname stepline`);
    expect(sha256(base)).toBe(baseHash);

    // The executable: byte-identical, root-owned, mode 755
    const dumped = join(dir.path, "dumped-stepline");
    ok(["debugfs", "-R", `dump /usr/local/bin/stepline ${dumped}`, rootfs(out)]);
    expect(readFileSync(dumped).equals(readFileSync(binary))).toBe(true);
    expect(stat(out, "/usr/local/bin/stepline")).toEqual({ mode: "regular 0755", uid: 0, gid: 0 });

    // The service account: a system user in its own group and in dialout (serial ports)
    const passwd = cat(out, "/etc/passwd");
    const svc = passwd.split("\n").find((l) => l.startsWith("stepline:"))!.split(":");
    const uid = Number(svc[2]);
    expect(uid).toBeGreaterThanOrEqual(100);
    expect(uid).toBeLessThan(1000);
    expect(uid).not.toBe(998); // taken by systemd-network in the base image
    expect(svc.slice(4)).toEqual(["Stepline printer host", "/home/stepline", "/usr/sbin/nologin"]);
    expect(passwd).toContain("pi:x:1000:1000:,,,:/home/pi:/bin/bash\n");
    const group = cat(out, "/etc/group");
    expect(group).toContain("dialout:x:20:pi,stepline\n");
    expect(group).toContain(`stepline:x:${svc[3]}:\n`);
    expect(cat(out, "/etc/gshadow")).toContain("dialout:*::pi,stepline\n");
    expect(cat(out, "/etc/shadow")).toMatch(/\nstepline:!\*:\d+::::::\n/);
    expect(stat(out, "/etc/shadow")).toEqual({ mode: "regular 0640", uid: 0, gid: 42 });

    // The unit runs the binary as that user on the data folder, and is enabled by its symlink
    const unit = cat(out, "/etc/systemd/system/stepline.service");
    for (const line of ["User=stepline", "SupplementaryGroups=dialout", "ExecStart=/usr/local/bin/stepline run --data /home/stepline/printer_data", "WantedBy=multi-user.target"]) expect(unit).toContain(`${line}\n`);
    expect(stat(out, "/etc/systemd/system/stepline.service")).toEqual({ mode: "regular 0644", uid: 0, gid: 0 });
    expect(stat(out, "/etc/systemd/system/multi-user.target.wants/stepline.service")).toMatchObject({ mode: "symlink 0777", link: "/etc/systemd/system/stepline.service" });

    // printer_data owned by the service user, with the virtual printer's printer.cfg
    for (const d of ["/home/stepline", "/home/stepline/printer_data", ...["config", "gcodes", "logs", "database"].map((s) => `/home/stepline/printer_data/${s}`)]) {
      expect(stat(out, d)).toEqual({ mode: "directory 0755", uid, gid: Number(svc[3]) });
    }
    const cfg = cat(out, "/home/stepline/printer_data/config/printer.cfg");
    expect(cfg).toContain("[mcu]\nserial: stepline:virtual-mcu\n");
    expect(cfg).toContain("[virtual_sdcard]\npath: /home/stepline/printer_data/gcodes\n");
    expect(stat(out, "/home/stepline/printer_data/config/printer.cfg")).toEqual({ mode: "regular 0644", uid, gid: Number(svc[3]) });

    // Hostname, in /etc/hostname and /etc/hosts
    expect(cat(out, "/etc/hostname")).toBe("stepline\n");
    const hosts = cat(out, "/etc/hosts");
    expect(hosts).toContain("127.0.1.1\tstepline\n");
    expect(hosts).not.toContain("raspberrypi");
    expect(hosts).toContain("127.0.0.1\tlocalhost\n");

    // Boot partition: ssh on, userconf.txt with a SHA-512 crypt hash of the password, the rest intact
    expect(ok(["mtype", "-i", bootfs(out), "::ssh"])).toBe("");
    const userconf = ok(["mtype", "-i", bootfs(out), "::userconf.txt"]);
    const [name, hash] = userconf.trim().split(":");
    expect(name).toBe("maker");
    expect(hash).toStartWith("$6$");
    const salt = hash!.split("$")[2]!;
    expect(ok(["openssl", "passwd", "-6", "-salt", salt, "s3cret"]).trim()).toBe(hash!);
    expect(ok(["mtype", "-i", bootfs(out), "::cmdline.txt"])).toContain("root=PARTUUID=0-02");

    // The written file system is consistent
    expect(sh(["e2fsck", "-fn", rootfs(out)]).code).toBe(0);
  }, 120_000);

  test("reads .xz, takes --hostname, and run again on its own output adds nothing twice and keeps an edited printer.cfg", () => {
    const xz = join(dir.path, "base-copy.img");
    ok(["cp", base, xz]);
    ok(["xz", "-T1", "-0", xz]);
    const out1 = join(dir.path, "from-xz.img");
    const r = run("--binary", binary, "--hostname", "voron", "--no-ssh", `${xz}.xz`, out1);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(cat(out1, "/etc/hostname")).toBe("voron\n");
    expect(sh(["mtype", "-i", bootfs(out1), "::ssh"]).code).not.toBe(0);
    expect(sh(["mtype", "-i", bootfs(out1), "::userconf.txt"]).code).not.toBe(0);
    // Again over the output: one service user, one dialout membership, a user-edited config kept
    const edited = dir.write("edited.cfg", "[mcu]\nserial: /dev/serial/by-id/usb-Klipper_stm32f446xx-if00\n");
    const cfgPath = "/home/stepline/printer_data/config/printer.cfg";
    ok(["debugfs", "-w", "-f", "-", rootfs(out1)], { stdin: `rm ${cfgPath}\nwrite ${edited} ${cfgPath}\n` });
    const out2 = join(dir.path, "again.img");
    expect(run("--binary", binary, out1, out2).code).toBe(0);
    expect(cat(out2, "/etc/passwd").match(/^stepline:/gm)?.length).toBe(1);
    expect(cat(out2, "/etc/group")).toContain("dialout:x:20:pi,stepline\n");
    expect(cat(out2, "/etc/hostname")).toBe("stepline\n");
    expect(cat(out2, cfgPath)).toBe(readFileSync(edited, "utf8"));
    expect(sh(["e2fsck", "-fn", rootfs(out2)]).code).toBe(0);
  }, 120_000);

  /** Runs the script on a bad input; expects a clear error and no output file (nor a partial one). */
  function refused(input: string, message: string, args: string[] = []) {
    const out = join(dir.path, `refused-${Math.random().toString(36).slice(2)}.img`);
    const before = existsSync(input) ? sha256(input) : "";
    const r = run("--binary", binary, ...args, input, out);
    expect(r.code).not.toBe(0);
    expect(r.err).toContain(message);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir.path).filter((f) => f.includes(".partial."))).toEqual([]);
    if (before) expect(sha256(input)).toBe(before);
  }

  test("corrupt or wrong-layout input: a clear error, no output", () => {
    refused(dir.write("garbage.img", "x".repeat(1 << 20)), "has no readable partition table");
    refused(join(dir.path, "missing.img"), "base image");
    refused(dir.write("not.img.xz", "not xz"), "is not a readable .xz file");
    const tree = writeRootTree(dir, "tree2");
    refused(buildImage(dir, "gpt.img", tree, { label: "gpt", bootType: "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7", rootType: "0FC63DAF-8483-4772-8E3D-0C39CE6C69E4" }), "has a 'gpt' partition table");
    refused(buildImage(dir, "swapped.img", tree, { bootType: "83", rootType: "c" }), "partition 1 of");
    // The ext4 superblock zeroed
    const broken = buildImage(dir, "broken.img", tree);
    ok(["dd", "if=/dev/zero", `of=${broken}`, `bs=${SECTOR}`, `seek=${ROOT_START + 2}`, "count=2", "conv=notrunc", "status=none"]);
    refused(broken, "is not a clean ext4 file system");
    // A root partition that is ext4 but not an OS root
    const empty = dir.write("emptytree/README", "not an OS\n");
    refused(buildImage(dir, "notos.img", join(empty, "..")), "has no /etc/passwd");
    // Options
    refused(base, "not a valid host name", ["--hostname", "bad_name!"]);
    refused(base, "--user needs --password", ["--user", "maker"]);
    const x64 = join(dir.path, "x64-binary");
    const h = Buffer.from(readFileSync(binary));
    h.writeUInt16LE(0x3e, 18);
    writeFileSync(x64, h);
    refused(base, "is not an aarch64 (arm64) executable", ["--binary", x64]);
    expect(sha256(base)).toBe(baseHash);
  }, 120_000);
});

