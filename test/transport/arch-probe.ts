// Entry point compiled into an executable for each target CPU (see test/build.test.ts): checks the
// serial binding where it will really run (e.g. aarch64 under qemu-user). Arguments: the two ends of a
// pty pair. Prints one JSON line: the CPU, 64 KiB sent through the binding (FFI write, Bun's epoll
// reads) intact or not, and the line settings at 250000 baud as read back (or why they could not be set).
import { LinuxBinding } from "../../src/mcu/transport/index.ts";

const [pathA, pathB] = process.argv.slice(-2) as [string, string];

async function transfer(): Promise<boolean> {
  const a = await LinuxBinding.open({ path: pathA, baudRate: 0, configureLine: false });
  const b = await LinuxBinding.open({ path: pathB, baudRate: 0, configureLine: false });
  const sent = Buffer.alloc(65536);
  for (let i = 0; i < sent.length; i++) sent[i] = (i * 31 + (i >> 8)) & 0xff;
  const got = Buffer.alloc(sent.length);
  let n = 0;
  const reading = (async () => {
    while (n < got.length) n += (await b.read(got, n, got.length - n)).bytesRead;
  })();
  await a.write(sent);
  await reading;
  await a.close();
  await b.close();
  return got.equals(sent);
}

async function lineSettings(): Promise<object> {
  try {
    const a = await LinuxBinding.open({ path: pathA, baudRate: 250000 });
    const settings = a.readLineSettings();
    await a.close();
    return { settings };
  } catch (e) {
    return { settingsError: (e as Error).message };
  }
}

console.log(JSON.stringify({ arch: process.arch, intact: await transfer(), ...(await lineSettings()) }));
