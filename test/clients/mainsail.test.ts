// Unmodified Mainsail 2.18.2 in headless chromium against `stepline run --web <mainsail>` (a real
// subprocess on the virtual printer): the dashboard comes up ready, shows the server's live
// temperatures and position, homes from its console, uploads a sliced file through the G-Code Files
// page, prints it, pauses, resumes and cancels it — each step checked on the server's API too.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { haveChromium, warnIfNoChromium } from "../support/browser.ts";
import { checkHomeAndMove, checkLiveHeating, expectNoTrouble, fileOnServer, historyOnServer, slicedGcode, startUiSession, until, untilPrintState, type UiControls, type UiSession } from "./ui-rig.ts";

warnIfNoChromium("Mainsail browser tests");

const TEST_TIMEOUT = 120_000;

/** Normal on a fresh install: Mainsail probes for an optional theme in the config root (404 JSON). */
const EXPECTED = {
  http: [/^GET \/server\/files\/config\/\.theme\/\S+ → 404$/],
  console: [/^Failed to load resource: the server responded with a status of 404/],
};

describe.skipIf(!haveChromium)("Mainsail against stepline run", () => {
  let s: UiSession;
  beforeAll(async () => {
    s = await startUiSession("mainsail", "mainsail-2.18.2.tar.gz");
  }, 90_000);
  afterAll(async () => {
    await s?.close();
  }, 30_000);

  const heaterRow = (heater: string) => s.page.locator("tr").filter({ has: s.page.locator("td.name", { hasText: new RegExp(`^\\s*${heater}\\s*$`) }) });
  const tempCell = (heater: string) => heaterRow(heater).locator("td.current");
  const targetInput = (heater: string) => heaterRow(heater).locator("td.target input");
  const position = (axis: string) => s.page.locator(`.toolhead-control-panel .v-input:has(.v-text-field__suffix:text-is("${axis}")) input`).inputValue();
  const consoleSend = async (script: string) => {
    const box = s.page.locator(".v-card:has(.v-toolbar__title:has-text('Console')) textarea").first();
    await box.fill(script);
    await box.press("Enter");
  };
  const statusPanel = () => s.page.locator(".v-card").filter({ has: s.page.locator(".v-toolbar__title", { hasText: /Printing|Paused/ }) }).first();

  test("reaches the dashboard with the printer ready and no error dialog", async () => {
    const res = await s.page.goto(s.server.url + "/");
    expect(res?.status()).toBe(200);
    // The toolhead and temperature panels only render once klippy is ready and subscribed
    await s.page.locator(".toolhead-control-panel").waitFor({ timeout: 60_000 });
    await tempCell("Extruder").waitFor();
    await tempCell("Heater Bed").waitFor();
    // Mainsail's "Initializing…" / connection dialogs are v-dialogs; none may be left open
    expect(await s.page.locator(".v-dialog--active").count()).toBe(0);
    expect(await s.page.locator("body").innerText()).not.toMatch(/Initializing|Connection failed|Klippy.*(error|shutdown)/i);
    await s.shot("01-dashboard");
    expectNoTrouble(s.trouble, EXPECTED);
  }, TEST_TIMEOUT);

  const consoleText = () => s.page.locator(".v-card:has(.v-toolbar__title:has-text('Console'))").innerText();
  const ui: UiControls = { tempCell, targetInput, position, consoleSend, consoleText };
  // Homed axes enable the position inputs
  const inputsEnabled = async () => {
    await until(() => s.page.locator(".toolhead-control-panel input[type=number]:not([disabled])").count(), (n) => n >= 3, "enabled position inputs");
  };

  test("shows the server's live temperatures, and a target set in the UI heats the extruder", () => checkLiveHeating(s, ui), TEST_TIMEOUT);

  test("G28 from the console homes the printer, and the shown position follows a move", () => checkHomeAndMove(s, ui, inputsEnabled), TEST_TIMEOUT);

  test("uploads a sliced file through the G-Code Files page (a real file input)", async () => {
    const text = slicedGcode();
    const path = s.writeFile("mainsail-cube.gcode", text);
    await s.page.goto(s.server.url + "/files");
    // The free-disk line comes from the server's directory listing: the reloaded page is connected
    // and has its gcodes root (an upload chosen before that can be dropped on a loaded machine)
    await until(() => s.page.locator("main").innerText(), (t) => /Free disk/.test(t), "the G-Code Files page loaded from the server", 60_000).catch((e: unknown) => {
      expectNoTrouble(s.trouble, EXPECTED); // an unanswered call or a failed request says more than the timeout
      throw e;
    });
    // Mainsail's file page has its own multi-file input (the toolbar's one is Upload & Print)
    const uploaded = s.page.waitForResponse((r) => new URL(r.url()).pathname === "/server/files/upload", { timeout: 60_000 });
    await s.page.locator("input[type=file][multiple]").setInputFiles(path);
    expect((await uploaded).status()).toBe(201);
    await s.page.locator('tr:has-text("mainsail-cube.gcode")').first().waitFor();
    expect(await fileOnServer(s.server.url, "mainsail-cube.gcode")).toMatchObject({ size: Buffer.byteLength(text) });
    // Metadata the server parsed from the slicer comments shows in the row (layer height column)
    await until(() => s.page.locator('tr:has-text("mainsail-cube.gcode")').first().innerText(), (t) => t.includes("0.20 mm"), "layer height in the file row");
    await s.shot("04-uploaded");
  }, TEST_TIMEOUT);

  test("starts, pauses, resumes and cancels the print from the UI", async () => {
    await s.page.locator('tr:has-text("mainsail-cube.gcode")').first().click();
    await s.page.locator('.v-dialog--active button:has-text("print")').click();
    await untilPrintState(s.server.url, "printing");
    await s.page.goto(s.server.url + "/");
    await until(() => statusPanel().innerText(), (t) => /Printing/.test(t) && t.includes("mainsail-cube.gcode"), "the status panel printing");
    await s.shot("05-printing");

    await statusPanel().locator("button.warning--text").first().click();
    await untilPrintState(s.server.url, "paused", 60_000);
    await until(() => statusPanel().innerText(), (t) => /Paused/.test(t), "the panel paused");
    await s.shot("06-paused");

    await statusPanel().locator("button.success--text").first().click();
    await untilPrintState(s.server.url, "printing");
    await until(() => statusPanel().innerText(), (t) => /Printing/.test(t), "the panel printing again");

    // Cancel is offered while paused (Mainsail's layout): pause again, then cancel
    await statusPanel().locator("button.warning--text").first().click();
    await untilPrintState(s.server.url, "paused", 60_000);
    await statusPanel().locator("button.error--text").first().click();
    // A confirmation, when Mainsail asks for one
    const confirm = s.page.locator(".v-dialog--active button:has-text('cancel print')");
    if (await confirm.count()) await confirm.click();
    await untilPrintState(s.server.url, "cancelled");
    await until(() => s.page.locator("body").innerText(), (t) => /Cancelled/i.test(t), "the UI showing cancelled");
    await s.shot("07-cancelled");
    expectNoTrouble(s.trouble, EXPECTED);
  }, TEST_TIMEOUT);

  test("every page opens with each API call answered; History lists the cancelled job", async () => {
    const jobs = await historyOnServer(s.server.url);
    expect(jobs[0]).toMatchObject({ filename: "mainsail-cube.gcode", status: "cancelled", metadata: { layer_height: 0.2 } });
    const pages: [link: string, shows: RegExp][] = [
      // the job row shows the file size from the job's metadata
      ["History", /mainsail-cube\.gcode/],
      ["Machine", /printer\.cfg[\s\S]*System Loads|System Loads[\s\S]*printer\.cfg/],
      ["Console", /SDCARD_PRINT_FILE/],
      ["G-Code Files", /mainsail-cube\.gcode/],
      ["Dashboard", /Temperatures/],
    ];
    for (const [link, shows] of pages) {
      await s.page.locator(".v-navigation-drawer a").filter({ hasText: new RegExp(link, "i") }).first().click();
      await until(() => s.page.locator("main").innerText(), (t) => shows.test(t), `the ${link} page`);
      await s.shot(`08-page-${link.toLowerCase().replace(/\W+/g, "-")}`);
    }
    // Let the last page's requests settle, then nothing may be left unanswered or failed
    await Bun.sleep(2_000);
    expectNoTrouble(s.trouble, EXPECTED);
  }, TEST_TIMEOUT);
});
