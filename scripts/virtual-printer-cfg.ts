// Prints the built-in virtual printer's printer.cfg for a data folder, the same text `stepline run`
// writes on first start; scripts/build-pi-image.sh puts it into the image as the starter config.
// Usage: bun scripts/virtual-printer-cfg.ts GCODES_DIR
import { virtualPrinterConfig } from "../src/live/virtual-printer/index.ts";

const gcodesDir = process.argv[2];
if (!gcodesDir?.startsWith("/")) {
  console.error("usage: bun scripts/virtual-printer-cfg.ts /absolute/path/to/printer_data/gcodes");
  process.exit(2);
}
process.stdout.write(virtualPrinterConfig({ gcodesDir }));
