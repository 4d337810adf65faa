// The JSON Cura's UM3NetworkPrinting models parse (PrinterSystemStatus, ClusterPrinterStatus,
// ClusterPrintJobStatus): every key they require, with the types Cura's UI expects (int seconds, strings).
import type { HostStateInfo } from "../core/host.ts";
import type { CuraIdentity } from "./identity.ts";
import type { CuraJob } from "./job-queue.ts";
import { CURA_BOM, CURA_FIRMWARE } from "./mdns-records.ts";

const MACHINE_VARIANT = "Ultimaker 3";
/** Cura's Generic PLA: shown as a known material on the extruder. */
const GENERIC_PLA = { guid: "506c9f0d-e3aa-4bd4-b2d2-23e2425b1aa9", brand: "Generic", color: "#ffc924", material: "PLA" };

export function systemJson(id: CuraIdentity) {
  return {
    guid: id.uuid,
    firmware: CURA_FIRMWARE,
    hostname: id.hostLabel,
    name: id.name,
    platform: "Stepline",
    variant: MACHINE_VARIANT,
    hardware: { typeid: Number(CURA_BOM), revision: 0 },
  };
}

/** Cura's printer status from klippy's state and print_stats. */
export function printerStatus(klippy: HostStateInfo, printStats: string, preparing: boolean): string {
  if (klippy.state === "shutdown") return "maintenance";
  if (klippy.state === "error") return "error";
  if (klippy.state === "startup") return "booting";
  if (klippy.state === "disconnected") return "unreachable";
  if (printStats === "printing" || printStats === "paused") return "printing";
  if (preparing) return "pre_print";
  if (printStats === "error") return "error";
  return "idle";
}

export function printerJson(id: CuraIdentity, status: string, ipAddress: string) {
  return {
    enabled: true,
    firmware_version: CURA_FIRMWARE,
    friendly_name: id.name,
    ip_address: ipAddress,
    machine_variant: MACHINE_VARIANT,
    status,
    unique_name: id.instance,
    uuid: id.uuid,
    reserved_by: null,
    maintenance_required: false,
    firmware_update_status: "up_to_date",
    latest_available_firmware: CURA_FIRMWARE,
    build_plate: { type: "glass" },
    configuration: [{ extruder_index: 0, print_core_id: "AA 0.4", material: GENERIC_PLA }],
  };
}

export function jobJson(job: CuraJob, printerUuid: string) {
  const linked = job.status !== "queued";
  return {
    uuid: job.uuid,
    name: job.name,
    owner: job.owner,
    created_at: job.createdAt.toISOString(),
    force: job.force,
    machine_variant: MACHINE_VARIANT,
    started: job.startedAt !== null,
    status: job.status,
    time_total: Math.max(job.estimatedSeconds, job.elapsedSeconds),
    time_elapsed: job.elapsedSeconds,
    printer_uuid: linked ? printerUuid : null,
    assigned_to: linked ? printerUuid : null,
    printed_on_uuid: linked ? printerUuid : null,
    configuration: [{ extruder_index: 0, print_core_id: "AA 0.4", material: GENERIC_PLA }],
    constraints: {},
    compatible_machine_families: [MACHINE_VARIANT],
    impediments_to_printing: [],
    configuration_changes_required: [],
    build_plate: { type: "glass" },
    ...(job.endedAt ? { last_seen: (Date.now() - job.endedAt.getTime()) / 1000 } : {}),
  };
}
