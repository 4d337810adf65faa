// Discovery over a real interface that is not loopback: the advertiser runs in one network namespace,
// Cura's ZeroConfClient (Debian's cura plugin) in another, joined by a veth pair with 10.77.0.x
// addresses (namespaces made by this test only). Then the printer's address changes and the
// advertisement follows: goodbye for the old address, Cura re-adds the printer at the new one.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";

setDefaultTimeout(120_000);

const PLUGIN = "/usr/lib/cura/plugins/UM3NetworkPrinting";
const HARNESS = join(import.meta.dir, "cura_plugin_client.py");
const ip = (...args: string[]) => Bun.spawnSync(["ip", ...args], { stderr: "pipe" });
const canNetns = process.getuid?.() === 0 && ip("netns", "list").exitCode === 0;
const runnable = canNetns && existsSync(PLUGIN);
if (!runnable) console.warn("SKIP discovery-netns: needs root with `ip netns` and Debian's cura package (scripts/setup.sh --with-test-tools installs it as root)");

const tag = randomBytes(3).toString("hex");
const SERVER = `stl-srv-${tag}`;
const CLIENT = `stl-cli-${tag}`;
const run = (...args: string[]) => {
  const r = ip(...args);
  if (r.exitCode !== 0) throw new Error(`ip ${args.join(" ")}: ${r.stderr.toString()}`);
};

describe.skipIf(!runnable)("discovery from another network namespace", () => {
  beforeAll(() => {
    run("netns", "add", SERVER);
    run("netns", "add", CLIENT);
    run("link", "add", `vs${tag}`, "netns", SERVER, "type", "veth", "peer", "name", `vc${tag}`, "netns", CLIENT);
    run("-n", SERVER, "addr", "add", "10.77.0.1/24", "dev", `vs${tag}`);
    run("-n", CLIENT, "addr", "add", "10.77.0.2/24", "dev", `vc${tag}`);
    for (const [ns, dev] of [[SERVER, `vs${tag}`], [CLIENT, `vc${tag}`]] as const) {
      run("-n", ns, "link", "set", "lo", "up");
      run("-n", ns, "link", "set", dev, "up");
    }
  });
  afterAll(() => {
    ip("netns", "del", SERVER); // also removes the veth pair
    ip("netns", "del", CLIENT);
  });

  test("Cura finds the printer over the veth at its interface address, then follows an address change", async () => {
    const bun = process.execPath;
    const server = Bun.spawn(["ip", "netns", "exec", SERVER, bun, join(import.meta.dir, "advertise-main.ts"), "stepline-ns-test", "80"], { stdout: "pipe", stderr: "pipe" });
    const client = Bun.spawn(["ip", "netns", "exec", CLIENT, "/usr/bin/python3", HARNESS, "discover", "60", "10.77.0.5"], {
      stdout: "pipe",
      stderr: "pipe",
      env: { ...process.env, QT_QPA_PLATFORM: "offscreen" },
    });
    const events: Record<string, unknown>[] = [];
    const reader = (async () => {
      let buf = "";
      for await (const chunk of client.stdout) {
        buf += new TextDecoder().decode(chunk);
        let nl: number;
        while ((nl = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line.startsWith("{")) events.push(JSON.parse(line));
        }
      }
    })();
    try {
      const deadline = Date.now() + 30_000;
      while (!events.some((e) => e.event === "added")) {
        if (Date.now() > deadline) throw new Error(`not discovered; client: ${await new Response(client.stderr).text()}`);
        await Bun.sleep(100);
      }
      const first = events.find((e) => e.event === "added")!;
      expect(first.key).toBe("stepline-ns-test._ultimaker._tcp.local.");
      expect(first.address).toBe("10.77.0.1"); // the veth address, not 127.0.0.1
      expect(first.properties).toMatchObject({ type: "printer", machine: "9066", firmware_version: "5.2.11" });

      // The printer's address changes.
      run("-n", SERVER, "addr", "del", "10.77.0.1/24", "dev", `vs${tag}`);
      run("-n", SERVER, "addr", "add", "10.77.0.5/24", "dev", `vs${tag}`);
      expect(await client.exited).toBe(0);
      await reader;
      const seq = events.filter((e) => e.event === "added" || e.event === "removed").map((e) => `${e.event}${e.address ? ` ${e.address}` : ""}`);
      expect(seq).toEqual(["added 10.77.0.1", "removed", "added 10.77.0.5"]);
      // The plugin's own checks on what it found: a UM3, firmware new enough, a cluster of one.
      expect(events.find((e) => e.event === "device")).toMatchObject({ printer_type: "ultimaker3", firmware_supported: true, cluster_size: 1, address: "10.77.0.5" });
    } finally {
      client.kill();
      server.kill("SIGTERM");
      await server.exited;
    }
  });
});
