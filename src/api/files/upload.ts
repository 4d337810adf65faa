// POST /server/files/upload (and the OctoPrint /api/files/local): the multipart body streamed into a
// temp file, then checked (root, path, checksum) and renamed into place; `print=true` starts it.
// Anything that goes wrong (bad form, cut-off body, oversize, bad path) leaves nothing behind.
import { ApiError } from "../endpoint.ts";
import type { FileItem, FileManager, TempUpload } from "./file-manager.ts";
import { multipartBoundary, readMultipart } from "./multipart.ts";
import { checkRelativePath } from "./roots.ts";

/** Moonraker's answer to an upload (HTTP 201, not wrapped in {result}). */
export interface UploadResult {
  item: FileItem;
  print_started?: boolean;
  print_queued?: boolean;
  action: "create_file";
}

const MAX_FIELD_BYTES = 8 * 1024;

/** Form fields of an upload besides the file. */
interface UploadFields {
  root?: string;
  path?: string;
  checksum?: string;
  print?: string;
}

const FIELD_NAMES = new Set(["root", "path", "checksum", "print"]);

/** The request body; a read failure (client gone mid-upload) becomes a 400 like any bad body. */
async function* requestBody(req: Request): AsyncIterable<Uint8Array> {
  if (!req.body) throw new ApiError("Upload without a body", 400);
  try {
    yield* req.body;
  } catch (err) {
    throw new ApiError(`Upload aborted: ${(err as Error).message || "connection closed"}`, 400);
  }
}

/** Check a path/filename pair early, so a bad one is refused before the file is read. */
function checkTarget(fields: UploadFields, filename: string | null): void {
  if (fields.path !== undefined) checkRelativePath(fields.path);
  if (filename !== null) checkRelativePath(filename);
}

export async function receiveUpload(fm: FileManager, req: Request, defaults: { root?: string } = {}): Promise<UploadResult> {
  const boundary = multipartBoundary(req.headers.get("content-type"));
  const declared = Number(req.headers.get("content-length") ?? NaN);
  if (Number.isFinite(declared) && declared > fm.maxUploadBytes + 64 * 1024) {
    throw new ApiError(`Upload of ${declared} bytes exceeds the limit of ${fm.maxUploadBytes} bytes`, 413);
  }
  const fields: UploadFields = { ...defaults };
  let temp: TempUpload | null = null;
  let filename: string | null = null;
  let current: { field: string; text: string[]; bytes: number } | null = null;
  let inFile = false;
  let sum: { size: number; sha256: string } | null = null;
  try {
    for await (const ev of readMultipart(requestBody(req), boundary)) {
      if (ev.kind === "part") {
        if (ev.part.name === "file" && ev.part.filename !== null) {
          if (temp) throw new ApiError("Only one file per upload", 400);
          filename = ev.part.filename;
          if (filename === "") throw new ApiError("Upload without a file name", 400);
          checkTarget(fields, filename);
          temp = await fm.openTemp();
          inFile = true;
        } else {
          current = { field: ev.part.name, text: [], bytes: 0 };
        }
      } else if (ev.kind === "data") {
        if (inFile) await temp!.write(ev.chunk);
        else if (current) {
          current.bytes += ev.chunk.byteLength;
          if (current.bytes > MAX_FIELD_BYTES) throw new ApiError(`Form field '${current.field}' is too large`, 400);
          current.text.push(Buffer.from(ev.chunk).toString("utf8"));
        }
      } else {
        if (inFile) {
          inFile = false;
          sum = await temp!.finish();
        } else if (current) {
          if (FIELD_NAMES.has(current.field)) {
            Object.assign(fields, { [current.field]: current.text.join("") });
            if (current.field === "path") checkTarget(fields, filename);
          }
          current = null;
        }
      }
    }
    if (!temp || !sum || filename === null) throw new ApiError("No file in the upload (expected a form field 'file' with a file name)", 400);
    const rootName = (fields.root ?? "gcodes").trim();
    const rel = [fields.path?.trim() ?? "", filename].filter((p) => p.replace(/^\/+|\/+$/g, "") !== "").join("/");
    const saved = await fm.commitTemp(temp, sum, rootName, rel, fields.checksum ? { checksum: fields.checksum.trim() } : {});
    if (rootName !== "gcodes") return { item: saved.item, action: "create_file" };
    const wantsPrint = fields.print?.trim().toLowerCase() === "true";
    const started = wantsPrint ? await fm.startPrint(saved.item.path) : false;
    return { item: saved.item, print_started: started, print_queued: false, action: "create_file" };
  } finally {
    if (temp) await temp.discard(); // after a commit the temp name is gone already; otherwise cleanup
  }
}
