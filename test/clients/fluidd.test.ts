// Unmodified Fluidd 1.37.4 in headless chromium against `stepline run --web <fluidd>` (a real
// subprocess on the virtual printer): the dashboard comes up with Klippy ready, shows the server's
// live temperatures and position, homes from its console, uploads a sliced file through the Jobs
// page, prints it, pauses, resumes and cancels it — each step checked on the server's API too.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { haveChromium, warnIfNoChromium } from "../support/browser.ts";
import { checkHomeAndMove, checkLiveHeating, expectNoTrouble, fileOnServer, historyOnServer, slicedGcode, startUiSession, until, untilPrintState, type UiControls, type UiSession } from "./ui-rig.ts";

warnIfNoChromium("Fluidd browser tests");

const TEST_TIMEOUT = 120_000;

/** Normal on a fresh install (Moonraker answers the same): Fluidd reads its namespace before creating it. */
const EXPECTED = { rpc: [/^server\.database\.get_item → -32601 Namespace 'fluidd' not found$/] };

/** mdi-plus: the Jobs toolbar's "add" menu (upload, new file, new folder). */
const PLUS_ICON = "M19,13H13V19H11V13H5V11H11V5H13V11H19V13Z";

describe.skipIf(!haveChromium)("Fluidd against stepline run", () => {
  let s: UiSession;
  beforeAll(async () => {
    s = await startUiSession("fluidd", "fluidd-1.37.4.tar.gz");
  }, 90_000);
  afterAll(async () => {
    await s?.close();
  }, 30_000);

  const heaterRow = (heater: string) => s.page.locator("tr").filter({ has: s.page.locator("td.temp-name", { hasText: new RegExp(`^\\s*${heater}\\s*$`) }) });
  const tempCell = (heater: string) => heaterRow(heater).locator("td.temp-actual");
  const targetInput = (heater: string) => heaterRow(heater).locator("input");
  const position = (axis: string) => s.page.locator(".v-input").filter({ has: s.page.locator("label", { hasText: new RegExp(`^${axis} \\[`) }) }).locator("input").inputValue();
  const consoleCard = () => s.page.locator(".v-card").filter({ has: s.page.locator(".v-card__title", { hasText: "Console" }) }).first();
  const consoleSend = async (script: string) => {
    const box = consoleCard().locator("textarea").first();
    await box.fill(script);
    await box.press("Enter");
  };
  const statusCard = () => s.page.locator(".v-card").filter({ has: s.page.locator(".v-card__title", { hasText: /Printing|Paused|Cancelled/i }) }).first();
  const menuItem = (text: string) => s.page.locator(".v-menu__content.menuable__content__active .v-list-item").filter({ hasText: text }).first();
  const dashboard = () => s.page.goto(s.page.url().replace(/#.*/, "#/"));

  test("reaches the dashboard with Klippy ready and no error dialog", async () => {
    const res = await s.page.goto(s.server.url + "/");
    expect(res?.status()).toBe(200);
    await until(() => s.page.locator("body").innerText(), (t) => t.includes("Klippy: Ready") || (t.includes("Thermals") && t.includes("Console")), "Fluidd's dashboard", 60_000);
    await tempCell("Extruder").waitFor();
    await tempCell("Heater Bed").waitFor();
    // No login overlay, no connection / klippy error dialogs
    expect(await s.page.locator(".v-dialog--active").count()).toBe(0);
    expect(await s.page.locator("body").innerText()).not.toMatch(/Unable to connect|Klippy: (Error|Shutdown|Disconnected)|Login/i);
    // It talks to this server (the test keeps it off port 7125)
    expect(s.server.lines.some((l) => /websocket \d+: fluidd 1\.37\.4/.test(l))).toBe(true);
    await s.shot("01-dashboard");
    expectNoTrouble(s.trouble, EXPECTED);
  }, TEST_TIMEOUT);

  const ui: UiControls = { tempCell, targetInput, position, consoleSend, consoleText: () => consoleCard().innerText() };

  test("shows the server's live temperatures, and a target set in the UI heats the extruder", () => checkLiveHeating(s, ui), TEST_TIMEOUT);

  test("G28 from the console homes the printer, and the shown position follows a move", () => checkHomeAndMove(s, ui), TEST_TIMEOUT);

  test("uploads a sliced file through the Jobs page (a real file chooser)", async () => {
    const text = slicedGcode();
    const path = s.writeFile("fluidd-cube.gcode", text);
    await s.page.goto(s.page.url().replace(/#.*/, "#/jobs"));
    await s.page.locator(`.filesystem-wrapper header button:has(path[d^="${PLUS_ICON}"])`).click();
    const [chooser] = await Promise.all([s.page.waitForEvent("filechooser"), menuItem("Upload Files").click()]);
    await chooser.setFiles(path);
    const row = s.page.locator('tr:has-text("fluidd-cube.gcode")').first();
    await row.waitFor();
    expect(await fileOnServer(s.server.url, "fluidd-cube.gcode")).toMatchObject({ size: Buffer.byteLength(text) });
    // Metadata the server parsed from the slicer comments (layer height, filament type)
    await until(() => row.innerText(), (t) => t.includes("0.2 mm") && t.includes("PLA"), "metadata in the file row");
    await s.shot("04-uploaded");
  }, TEST_TIMEOUT);

  test("starts, pauses, resumes and cancels the print from the UI", async () => {
    await s.page.locator('tr:has-text("fluidd-cube.gcode")').first().click({ button: "right" });
    await menuItem("Print").click();
    await untilPrintState(s.server.url, "printing");
    await dashboard();
    await until(() => statusCard().innerText(), (t) => /Printing/i.test(t) && t.includes("fluidd-cube.gcode"), "the status card printing");
    await s.shot("05-printing");

    await statusCard().locator("button", { hasText: /^\s*Pause\s*$/i }).click();
    await untilPrintState(s.server.url, "paused", 60_000);
    await until(() => statusCard().innerText(), (t) => /Paused/i.test(t), "the card paused");
    await s.shot("06-paused");

    await statusCard().locator("button", { hasText: /^\s*Resume\s*$/i }).click();
    await untilPrintState(s.server.url, "printing");
    await until(() => statusCard().innerText(), (t) => /Printing/i.test(t), "the card printing again");

    await statusCard().locator("button", { hasText: /^\s*Cancel\s*$/i }).click();
    // Fluidd asks before cancelling
    const confirm = s.page.locator(".v-dialog--active button", { hasText: /^\s*(Yes|Cancel print|OK)\s*$/i });
    await until(() => confirm.count(), (n) => n > 0, "the cancel confirmation", 5_000).then(
      () => confirm.first().click(),
      () => undefined,
    );
    await untilPrintState(s.server.url, "cancelled");
    await until(() => s.page.locator("body").innerText(), (t) => /Cancelled/i.test(t), "the UI showing cancelled");
    await s.shot("07-cancelled");
    expectNoTrouble(s.trouble, EXPECTED);
  }, TEST_TIMEOUT);

  test("every page opens with each API call answered; History lists the cancelled job", async () => {
    const jobs = await historyOnServer(s.server.url);
    expect(jobs[0]).toMatchObject({ filename: "fluidd-cube.gcode", status: "cancelled", metadata: { layer_height: 0.2 } });
    const pages: [route: string, shows: RegExp][] = [
      // the job row shows the file size from the job's metadata
      ["history", /fluidd-cube\.gcode[^\n]*[\s\S]*\d(\.\d+)? ?kB/i],
      ["configure", /printer\.cfg/],
      ["system", /System Information[\s\S]*Mcu Information/],
      ["console", /\$ PAUSE[\s\S]*\$ RESUME[\s\S]*\$ CANCEL_PRINT/],
      ["settings", /General|Theme/],
      ["jobs", /fluidd-cube\.gcode/],
      ["", /Thermals/],
    ];
    for (const [route, shows] of pages) {
      await s.page.goto(s.page.url().replace(/#.*/, `#/${route}`));
      await until(() => s.page.locator("main").innerText(), (t) => shows.test(t), `the ${route || "dashboard"} page`);
      await s.shot(`08-page-${route || "dashboard"}`);
    }
    await Bun.sleep(2_000);
    expectNoTrouble(s.trouble, EXPECTED);
  }, TEST_TIMEOUT);
});
