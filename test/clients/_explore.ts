import { startUiSession } from "./ui-rig.ts";
const [ui, tarball] = process.argv.slice(2);
const s = await startUiSession(ui!, tarball!);
try {
  await s.page.goto(s.server.url + "/");
  await Bun.sleep(15000);
  await s.shot("explore");
  console.log(JSON.stringify(s.trouble, null, 1));
  console.log((await s.page.locator("body").innerText()).slice(0, 3000));
} finally {
  await s.close();
  console.log(s.server.lines.filter(l=>/warn|error|32601|404/i.test(l)).join("\n"));
}
