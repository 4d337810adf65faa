// The streaming multipart reader: the same parts and bytes whatever way the body is cut into chunks
// (boundaries split across chunks at every position), quoted and RFC 5987 file names, and errors.
import { describe, expect, test } from "bun:test";
import { readMultipart, multipartBoundary, type MultipartEvent } from "../../../src/api/files/multipart.ts";
import { seededRandom } from "../../../scripts/lib/random.ts";

interface Part {
  name: string;
  filename: string | null;
  data: Buffer;
}

async function collect(chunks: Uint8Array[], boundary: string): Promise<Part[]> {
  async function* gen() {
    yield* chunks;
  }
  const parts: Part[] = [];
  let cur: { name: string; filename: string | null; bufs: Buffer[] } | null = null;
  for await (const ev of readMultipart(gen(), boundary) as AsyncGenerator<MultipartEvent>) {
    if (ev.kind === "part") cur = { ...ev.part, bufs: [] };
    else if (ev.kind === "data") cur!.bufs.push(Buffer.from(ev.chunk)); // copy: the reader reuses its buffer
    else {
      parts.push({ name: cur!.name, filename: cur!.filename, data: Buffer.concat(cur!.bufs) });
      cur = null;
    }
  }
  return parts;
}

async function encode(form: FormData): Promise<{ body: Buffer; boundary: string }> {
  const res = new Response(form);
  const boundary = multipartBoundary(res.headers.get("content-type"));
  return { body: Buffer.from(await res.arrayBuffer()), boundary };
}

describe("multipart reader", () => {
  test("every split position of a body with a binary file (CR/LF and dashes in it) gives the same parts", async () => {
    const file = Buffer.from("line1\r\n--not-a-boundary\r\n\r\n\x00\xff end\r\n-", "latin1");
    const form = new FormData();
    form.append("root", "gcodes");
    form.append("file", new Blob([file]), "pa th/ä.gcode");
    form.append("print", "true");
    const { body, boundary } = await encode(form);
    const expected = [
      { name: "root", filename: null, data: Buffer.from("gcodes") },
      { name: "file", filename: "pa th/ä.gcode", data: file },
      { name: "print", filename: null, data: Buffer.from("true") },
    ];
    expect(await collect([body], boundary)).toEqual(expected);
    for (let cut = 1; cut < body.length; cut++) {
      expect(await collect([body.subarray(0, cut), body.subarray(cut)], boundary)).toEqual(expected);
    }
    const rand = seededRandom(7);
    for (let round = 0; round < 50; round++) {
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < body.length; ) {
        const n = 1 + Math.floor(rand() * (round % 2 ? 12 : 120)); // small and boundary-sized chunks
        chunks.push(body.subarray(i, i + n));
        i += n;
      }
      expect(await collect(chunks, boundary)).toEqual(expected);
    }
  });

  test("filename*=UTF-8'' and unquoted names; preamble and epilogue ignored", async () => {
    const body = Buffer.from(
      "preamble text\r\n--B\r\nContent-Disposition: form-data; name=file; filename*=UTF-8''b%C3%A9nchy.gcode\r\nContent-Type: text/plain\r\n\r\nG28\r\n--B--\r\nepilogue",
    );
    expect(await collect([body], "B")).toEqual([{ name: "file", filename: "bénchy.gcode", data: Buffer.from("G28") }]);
  });

  test("errors: missing closing boundary, no Content-Disposition, huge headers, wrong content type", async () => {
    await expect(collect([Buffer.from("--B\r\nContent-Disposition: form-data; name=a\r\n\r\nxx")], "B")).rejects.toMatchObject({ status: 400 });
    await expect(collect([Buffer.from("--B\r\nX: y\r\n\r\nxx\r\n--B--")], "B")).rejects.toMatchObject({ status: 400 });
    await expect(collect([Buffer.from(`--B\r\nX: ${"y".repeat(20000)}`)], "B")).rejects.toMatchObject({ status: 400 });
    expect(() => multipartBoundary("text/plain")).toThrow();
    expect(() => multipartBoundary("multipart/form-data")).toThrow();
    expect(multipartBoundary('multipart/form-data; boundary="a b"')).toBe("a b");
  });
});
