// Shutdown reasons worded the way Klipper reports them (klippy/extras/error_mcu.py): what
// happened, a hint for well-known MCU errors, and what to do next.
import type { McuShutdown } from "../mcu/mcu.ts";

export const MESSAGE_SHUTDOWN =
  '\nOnce the underlying issue is corrected, use the\n"FIRMWARE_RESTART" command to reset the firmware, reload the\nconfig, and restart the host software.\nPrinter is shutdown\n';

const MCU_HINTS: [prefixes: string[], hint: string][] = [
  [["Timer too close"], "\nThis often indicates the host computer is overloaded. Check\nfor other processes consuming excessive CPU time, high swap\nusage, disk errors, overheating, unstable voltage, or\nsimilar system problems on the host computer."],
  [["Missed scheduling of next "], "\nThis is generally indicative of an intermittent\ncommunication failure between micro-controller and host."],
  [["ADC out of range"], "\nThis generally occurs when a heater temperature exceeds\nits configured min_temp or max_temp."],
  [["Rescheduled timer in the past", "Stepper too far in past"], "\nThis generally occurs when the micro-controller has been\nrequested to step at a rate higher than it is capable of\nobtaining."],
  [["Command request"], "\nThis generally occurs in response to an M112 G-Code command\nor in response to an internal error in the host software."],
];

export function mcuErrorHint(reason: string): string {
  for (const [prefixes, hint] of MCU_HINTS) if (prefixes.some((p) => reason.startsWith(p))) return hint;
  return "";
}

/** The printer's state message after an MCU stopped. */
export function mcuShutdownMessage(s: McuShutdown): string {
  switch (s.eventType) {
    case "shutdown":
      return `MCU '${s.mcu}' shutdown: ${s.reason}${mcuErrorHint(s.reason)}${MESSAGE_SHUTDOWN}`;
    case "is_shutdown":
      return `Previous MCU '${s.mcu}' shutdown: ${s.reason}${mcuErrorHint(s.reason)}${MESSAGE_SHUTDOWN}`;
    default:
      // restart, clock jump, lost link: the Mcu already words the reason
      return `${s.reason}${MESSAGE_SHUTDOWN}`;
  }
}

/** A host-side shutdown reason (exception, M112) with Klipper's closing text. */
export function hostShutdownMessage(reason: string): string {
  return reason.endsWith(MESSAGE_SHUTDOWN) ? reason : `${reason}${MESSAGE_SHUTDOWN}`;
}
