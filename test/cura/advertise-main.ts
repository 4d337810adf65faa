// Runs only the mDNS advertiser (as `stepline run` does) with a fast address poll; the namespace test
// starts it inside a network namespace. Args: <instance label> <port>. Stops (with goodbyes) on SIGTERM.
import { startAdvertiser } from "../../src/cura/mdns-advertiser.ts";
import { ultimakerService } from "../../src/cura/mdns-records.ts";

const [instance = "stepline-test", port = "80"] = process.argv.slice(2);
const log = { info: (m: string) => console.log(m), warn: (m: string) => console.log(m), error: (m: string) => console.log(m) };
const adv = startAdvertiser({ host: { instance, hostLabel: instance, services: [ultimakerService("nsprinter", Number(port))] }, log, pollMs: 500 });
process.on("SIGTERM", () => void adv.stop().then(() => process.exit(0)));
