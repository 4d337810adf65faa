// A streaming multipart/form-data reader (RFC 7578): yields each part's headers and then its body in
// chunks as they arrive, so a 1 GB upload passes through in flat memory (Hono's parseBody buffers).
import { ApiError } from "../endpoint.ts";

export interface PartInfo {
  /** The form field name (Content-Disposition `name`). */
  name: string;
  /** The file name when the part is a file (Content-Disposition `filename`), else null. */
  filename: string | null;
}

export type MultipartEvent = { kind: "part"; part: PartInfo } | { kind: "data"; chunk: Uint8Array } | { kind: "end-part" };

const MAX_HEADER_BYTES = 16 * 1024;
const CRLF = Buffer.from("\r\n");
const HEADER_END = Buffer.from("\r\n\r\n");

/** The boundary from a Content-Type header; 400 when the request is not multipart/form-data. */
export function multipartBoundary(contentType: string | null | undefined): string {
  if (!contentType || !/^multipart\/form-data/i.test(contentType.trim())) {
    throw new ApiError("Expected a multipart/form-data body", 400);
  }
  const m = /boundary=(?:"([^"]{1,70})"|([^;\s]{1,70}))/i.exec(contentType);
  const boundary = m?.[1] ?? m?.[2];
  if (!boundary) throw new ApiError("multipart/form-data without a boundary", 400);
  return boundary;
}

function unquote(v: string): string {
  return v.replace(/\\(.)/g, "$1");
}

/** Parse a part's header block; only Content-Disposition matters for form data. */
function parsePartHeaders(block: string): PartInfo {
  const disp = block.split("\r\n").find((l) => /^content-disposition:/i.test(l));
  if (!disp || !/form-data/i.test(disp)) throw new ApiError("Multipart part without Content-Disposition: form-data", 400);
  const name = /;\s*name="((?:[^"\\]|\\.)*)"/i.exec(disp) ?? /;\s*name=([^;\s]+)/i.exec(disp);
  if (!name) throw new ApiError("Multipart part without a field name", 400);
  const star = /;\s*filename\*=UTF-8''([^;\s]+)/i.exec(disp);
  const plain = /;\s*filename="((?:[^"\\]|\\.)*)"/i.exec(disp) ?? /;\s*filename=([^;\s]+)/i.exec(disp);
  let filename: string | null = null;
  if (star) filename = decodeURIComponent(star[1]!);
  else if (plain) filename = unquote(plain[1]!);
  return { name: unquote(name[1]!), filename };
}

/**
 * Read a multipart body as a stream of events. Ends with the closing boundary; a body that stops
 * before it (a cut-off upload) or is malformed throws ApiError 400. The caller awaits each event
 * before the next chunk is read, which is what keeps memory flat (backpressure to the socket).
 */
export async function* readMultipart(body: AsyncIterable<Uint8Array>, boundary: string): AsyncGenerator<MultipartEvent> {
  const delim = Buffer.from(`\r\n--${boundary}`);
  // The first boundary has no CRLF before it; prepend one so every boundary looks the same.
  let buf: Buffer = Buffer.from(CRLF);
  let state = "preamble" as "preamble" | "after-delim" | "headers" | "body" | "done";
  const keep = delim.length - 1;

  async function* drain(): AsyncGenerator<MultipartEvent> {
    for (;;) {
      if (state === "preamble") {
        const i = buf.indexOf(delim);
        if (i < 0) {
          if (buf.length > MAX_HEADER_BYTES) throw new ApiError("Multipart boundary not found", 400);
          return;
        }
        buf = buf.subarray(i + delim.length);
        state = "after-delim";
      } else if (state === "after-delim") {
        if (buf.length < 2) return;
        if (buf[0] === 0x2d && buf[1] === 0x2d) {
          state = "done";
          return;
        }
        const eol = buf.indexOf(CRLF);
        if (eol < 0) {
          if (buf.length > 256) throw new ApiError("Malformed multipart boundary line", 400);
          return;
        }
        if (buf.subarray(0, eol).toString("latin1").trim() !== "") throw new ApiError("Malformed multipart boundary line", 400);
        buf = buf.subarray(eol + 2);
        state = "headers";
      } else if (state === "headers") {
        const end = buf.indexOf(HEADER_END);
        if (end < 0) {
          if (buf.length > MAX_HEADER_BYTES) throw new ApiError("Multipart part headers too large", 400);
          return;
        }
        const part = parsePartHeaders(buf.subarray(0, end).toString("utf8"));
        buf = buf.subarray(end + 4);
        state = "body";
        yield { kind: "part", part };
      } else if (state === "body") {
        const i = buf.indexOf(delim);
        if (i >= 0) {
          if (i > 0) yield { kind: "data", chunk: buf.subarray(0, i) };
          yield { kind: "end-part" };
          buf = buf.subarray(i + delim.length);
          state = "after-delim";
        } else {
          // Hold back what could be the start of a boundary split across chunks.
          if (buf.length > keep) {
            yield { kind: "data", chunk: buf.subarray(0, buf.length - keep) };
            buf = buf.subarray(buf.length - keep);
          }
          return;
        }
      } else {
        return;
      }
    }
  }

  for await (const chunk of body) {
    if (state === "done") continue; // epilogue: ignored, as RFC 2046 says
    const c = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (state === "body" && buf.length > 0 && buf.length <= keep && c.length >= delim.length) {
      // The usual case in a file body: only the held-back tail is pending. When no boundary starts
      // in it, pass it on and go on with the new chunk as is, without copying the chunk.
      const j = Buffer.concat([buf, c.subarray(0, delim.length)]).indexOf(delim);
      if (j < 0 || j >= buf.length) {
        yield { kind: "data", chunk: buf };
        buf = c;
        yield* drain();
        continue;
      }
    }
    buf = buf.length ? Buffer.concat([buf, c]) : c;
    yield* drain();
  }
  yield* drain();
  if (state !== "done") throw new ApiError("Upload incomplete: the multipart body ended before its closing boundary", 400);
}
