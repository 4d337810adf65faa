import { startUiSession } from "./ui-rig.ts";
const [ui, tarball, script] = process.argv.slice(2);
const s = await startUiSession(ui!, tarball!);
try {
  await s.page.goto(s.server.url + "/");
  await Bun.sleep(10000);
  const fn = new Function("s", `return (async () => { ${await Bun.file(script!).text()} })()`);
  await fn(s);
  console.log(JSON.stringify(s.trouble));
} catch (e) { console.log("ERR", e); await s.shot("err"); }
finally {
  await s.close();
  console.log(s.server.lines.filter(l=>/warn|error|32601|404/i.test(l)).join("\n"));
}
