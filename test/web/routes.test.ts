// The dashboard's routes over HTTP: content types, gzip when asked for, ETag revalidation, and
// nothing answered outside its own paths (the API keeps every other path).
import { expect, test } from "bun:test";
import { dashboardRoutes } from "../../src/web/dashboard.ts";

const app = dashboardRoutes();

test("/ and /index.html are the page; script and stylesheet have their types", async () => {
  for (const [path, type] of [["/", "text/html"], ["/index.html", "text/html"], ["/stepline/app.js", "text/javascript"], ["/stepline/app.css", "text/css"]] as const) {
    const r = await app.request(path);
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toContain(type);
  }
  expect((await app.request("/server/info")).status).toBe(404);
});

test("gzip when the browser accepts it, identical content once decompressed", async () => {
  const plain = await (await app.request("/stepline/app.js")).text();
  const r = await app.request("/stepline/app.js", { headers: { "Accept-Encoding": "gzip, deflate" } });
  expect(r.headers.get("content-encoding")).toBe("gzip");
  const body = new Uint8Array(await r.arrayBuffer());
  expect(body.length).toBeLessThan(plain.length);
  expect(new TextDecoder().decode(Bun.gunzipSync(body))).toBe(plain);
});

test("a matching ETag is answered 304 without a body", async () => {
  const first = await app.request("/");
  const etag = first.headers.get("etag");
  expect(etag).toMatch(/^".+"$/);
  const again = await app.request("/", { headers: { "If-None-Match": etag! } });
  expect(again.status).toBe(304);
  expect(await again.text()).toBe("");
  expect((await app.request("/", { headers: { "If-None-Match": '"stale"' } })).status).toBe(200);
});
