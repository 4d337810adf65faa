// Cura's job upload read as it arrives (the web API's streaming multipart reader): the small text
// fields (owner, require_printer_name) and the one file part as a stream, so memory stays flat.
import { ApiError } from "../api/endpoint.ts";
import { multipartBoundary, readMultipart, type MultipartEvent } from "../api/files/multipart.ts";
import { requestBody } from "../api/files/upload.ts";

export interface StreamedForm {
  /** The file part's file name. */
  filename: string;
  /** The file part's bytes. Ends only after the closing boundary was read (a cut-off body errors it). */
  file: ReadableStream<Uint8Array>;
  /** Text fields; those after the file part are here once `file` has ended. */
  fields: Map<string, string>;
  /** Stop reading (the upload is refused before its file is read). */
  discard(): Promise<void>;
}

const MAX_FIELD_BYTES = 8 * 1024;

/** Counts the body's bytes: a body without a Content-Length still cannot exceed the limit. */
async function* limited(body: AsyncIterable<Uint8Array>, max: number): AsyncIterable<Uint8Array> {
  let total = 0;
  for await (const chunk of body) {
    total += chunk.byteLength;
    if (total > max) throw new ApiError(`upload is larger than the limit of ${max} bytes`, 413);
    yield chunk;
  }
}

/**
 * Reads up to the start of the part named `file`; throws ApiError (400, 413) for a body that is not
 * multipart/form-data, has no file part, or has a field that is too large.
 */
export async function openStreamedForm(req: Request, maxBytes: number): Promise<StreamedForm> {
  const boundary = multipartBoundary(req.headers.get("content-type"));
  const events: AsyncIterator<MultipartEvent> = readMultipart(limited(requestBody(req), maxBytes), boundary)[Symbol.asyncIterator]();
  const fields = new Map<string, string>();
  let field: { name: string; text: string } | null = null;

  /** Applies one non-file event to the text fields. */
  const onFieldEvent = (ev: MultipartEvent) => {
    if (ev.kind === "part") {
      field = { name: ev.part.name, text: "" };
    } else if (ev.kind === "data" && field) {
      field.text += Buffer.from(ev.chunk).toString("utf8");
      if (field.text.length > MAX_FIELD_BYTES) throw new ApiError(`form field '${field.name}' is too large`, 400);
    } else if (ev.kind === "end-part" && field) {
      fields.set(field.name, field.text);
      field = null;
    }
  };

  let filename: string | null = null;
  for (;;) {
    const r = await events.next();
    if (r.done) throw new ApiError("upload needs a 'file' part", 400);
    if (r.value.kind === "part" && r.value.part.name === "file" && r.value.part.filename !== null) {
      filename = r.value.part.filename;
      break;
    }
    onFieldEvent(r.value);
  }

  let inFile = true;
  const file = new ReadableStream<Uint8Array>({
    async pull(ctl) {
      for (;;) {
        const r = await events.next();
        if (r.done) {
          ctl.close();
          return;
        }
        const ev = r.value;
        if (inFile && ev.kind === "data") {
          ctl.enqueue(ev.chunk);
          return;
        }
        if (inFile && ev.kind === "end-part") inFile = false;
        else if (ev.kind === "part" && ev.part.name === "file" && ev.part.filename !== null) throw new ApiError("only one file per upload", 400);
        else onFieldEvent(ev);
      }
    },
    async cancel() {
      await events.return?.();
    },
  });
  return {
    filename,
    file,
    fields,
    async discard() {
      await events.return?.();
    },
  };
}
