// A streaming ZIP writer for server.files.zip: each file is read in chunks, CRC'd and deflated (or
// stored) straight into the output, with sizes in data descriptors, so memory stays flat however
// large the logs are. Classic ZIP (no ZIP64): archives and members up to 4 GiB, 65535 entries.
import { createReadStream } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createDeflateRaw, crc32 } from "node:zlib";
import { ApiError } from "../endpoint.ts";

export interface ZipMember {
  /** Name inside the archive ("/"-separated). */
  name: string;
  abs: string;
  mtimeMs: number;
  mode: number;
}

interface Written {
  name: Buffer;
  crc: number;
  csize: number;
  usize: number;
  offset: number;
  time: number;
  date: number;
  mode: number;
}

const LIMIT = 0xffffffff;
const FLAGS = 0x0808; // bit 3: sizes in a data descriptor; bit 11: UTF-8 names

function dosTime(ms: number): { time: number; date: number } {
  const d = new Date(Math.max(ms, Date.UTC(1980, 0, 1)));
  return {
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | (d.getSeconds() >> 1),
    date: ((d.getFullYear() - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
  };
}

/** Write `members` as a ZIP archive into the open file `out`; returns the archive size. */
export async function writeZip(out: FileHandle, members: ZipMember[], storeOnly: boolean): Promise<number> {
  if (members.length > 0xffff) throw new ApiError("Too many files for a ZIP archive (max 65535)", 400);
  const method = storeOnly ? 0 : 8;
  let offset = 0;
  const put = async (buf: Buffer) => {
    if (offset + buf.length > LIMIT) throw new ApiError("ZIP archive would exceed 4 GiB", 413);
    let done = 0;
    while (done < buf.length) done += (await out.write(buf, done)).bytesWritten;
    offset += buf.length;
  };
  const written: Written[] = [];
  for (const m of members) {
    const name = Buffer.from(m.name, "utf8");
    const { time, date } = dosTime(m.mtimeMs);
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(20, 4);
    header.writeUInt16LE(FLAGS, 6);
    header.writeUInt16LE(method, 8);
    header.writeUInt16LE(time, 10);
    header.writeUInt16LE(date, 12);
    header.writeUInt16LE(name.length, 26);
    const start = offset;
    await put(Buffer.concat([header, name]));
    let crc = 0;
    let usize = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        crc = crc32(chunk, crc);
        usize += chunk.length;
        cb(null, chunk);
      },
    });
    const dataStart = offset;
    const sink = async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) await put(chunk);
    };
    if (storeOnly) await pipeline(createReadStream(m.abs, { highWaterMark: 256 * 1024 }), tap, sink);
    else await pipeline(createReadStream(m.abs, { highWaterMark: 256 * 1024 }), tap, createDeflateRaw(), sink);
    if (usize > LIMIT) throw new ApiError(`'${m.name}' is too large for a ZIP archive (max 4 GiB)`, 413);
    const csize = offset - dataStart;
    const desc = Buffer.alloc(16);
    desc.writeUInt32LE(0x08074b50, 0);
    desc.writeUInt32LE(crc >>> 0, 4);
    desc.writeUInt32LE(csize, 8);
    desc.writeUInt32LE(usize, 12);
    await put(desc);
    written.push({ name, crc: crc >>> 0, csize, usize, offset: start, time, date, mode: m.mode });
  }
  const cdStart = offset;
  for (const w of written) {
    const h = Buffer.alloc(46);
    h.writeUInt32LE(0x02014b50, 0);
    h.writeUInt16LE((3 << 8) | 20, 4); // made by: Unix, spec 2.0 (so the mode below is honoured)
    h.writeUInt16LE(20, 6);
    h.writeUInt16LE(FLAGS, 8);
    h.writeUInt16LE(method, 10);
    h.writeUInt16LE(w.time, 12);
    h.writeUInt16LE(w.date, 14);
    h.writeUInt32LE(w.crc, 16);
    h.writeUInt32LE(w.csize, 20);
    h.writeUInt32LE(w.usize, 24);
    h.writeUInt16LE(w.name.length, 28);
    h.writeUInt32LE(((w.mode & 0xffff) << 16) >>> 0, 38);
    h.writeUInt32LE(w.offset, 42);
    await put(Buffer.concat([h, w.name]));
  }
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(written.length, 8);
  end.writeUInt16LE(written.length, 10);
  end.writeUInt32LE(offset - cdStart, 12);
  end.writeUInt32LE(cdStart, 16);
  await put(end);
  return offset;
}
