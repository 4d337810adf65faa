// The dashboard is part of the executable: bundling inlines the page, stylesheet and client script
// (build-time macros), and a `bun build --compile` binary serves them with src/web out of reach.
import { afterAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { TempDir } from "../support/temp-dir.ts";

const ROOT = join(import.meta.dir, "..", "..");
const tmp = new TempDir("stepline-web-embed-");
afterAll(() => tmp.remove());

/** A program that serves dashboardRoutes() on a free port and prints what it answers. */
function writeEntry(): string {
  return tmp.write(
    "entry.ts",
    `import { dashboardRoutes } from ${JSON.stringify(join(ROOT, "src/web/dashboard.ts"))};
const app = dashboardRoutes();
const out: Record<string, { status: number; type: string | null; text: string }> = {};
for (const p of ["/", "/stepline/app.js", "/stepline/app.css"]) {
  const r = await app.request(p);
  out[p] = { status: r.status, type: r.headers.get("content-type"), text: await r.text() };
}
console.log(JSON.stringify(out));
`,
  );
}

test("the bundle carries the dashboard's assets and no path into src/web", () => {
  const r = Bun.spawnSync([process.execPath, "build", writeEntry(), "--target=bun", "--outfile", join(tmp.path, "bundle.js")], { cwd: ROOT });
  expect(r.stderr.toString()).toBe("");
  expect(r.exitCode).toBe(0);
  const bundle = readFileSync(join(tmp.path, "bundle.js"), "utf8");
  expect(bundle).toContain("<title>Stepline</title>");
  expect(bundle).toContain("notify_status_update");
  expect(bundle).not.toContain("build-assets");
  expect(bundle).not.toContain("client/main.ts");
}, 60_000);

test("a compiled executable serves the page, script and stylesheet from memory", () => {
  const exe = join(tmp.path, "dashboard-exe");
  const b = Bun.spawnSync([process.execPath, "build", writeEntry(), "--compile", "--outfile", exe], { cwd: ROOT });
  expect(b.exitCode).toBe(0);
  // Run from an empty folder, without node_modules or the source tree next to it
  const empty = dirname(tmp.write("empty/.keep", ""));
  const run = Bun.spawnSync([exe], { cwd: empty, env: { PATH: "/usr/bin:/bin" } });
  expect(run.exitCode).toBe(0);
  const out = JSON.parse(run.stdout.toString()) as Record<string, { status: number; type: string; text: string }>;
  expect(out["/"]!.status).toBe(200);
  expect(out["/"]!.text).toContain('<script type="module" src="/stepline/app.js">');
  expect(out["/stepline/app.js"]!.type).toContain("javascript");
  expect(out["/stepline/app.js"]!.text).toContain("printer.objects.subscribe");
  expect(out["/stepline/app.css"]!.text).toContain("#temp-chart");
}, 120_000);
