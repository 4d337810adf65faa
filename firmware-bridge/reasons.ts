// Every shutdown reason the virtual MCU can report, worded exactly as Klipper firmware words them;
// the data dictionary's static_string_id enumeration is built from this list.

export const SHUTDOWN_REASONS = [
  "Shutdown cleared when not shutdown",
  "Timer too close",
  "Invalid command",
  "Command parser error",
  "Command request",
  "oids already allocated",
  "Can't assign oid",
  "Invalid oid type",
  "Already finalized",
  "Invalid move request size",
  "Move queue overflow",
  "update_digital_out not valid with active queue",
  "Scheduled digital out event will exceed max_duration",
  "Can not set soft pwm cycle ticks while updates pending",
  "Missed scheduling of next digital out event",
  "Invalid count parameter",
  "Stepper too far in past",
  "Can't reset time when stepper active",
  "Can't add signal that is already active",
  "Invalid analog_in bytes_per_report",
  "ADC out of range",
  "Scheduled pwm event will exceed max_duration",
  "Missed scheduling of next hard pwm event",
  "Rescheduled timer in the past",
  "Not a valid pin",
] as const;

export type ShutdownReason = (typeof SHUTDOWN_REASONS)[number];

/** Thrown by firmware code to abandon the current command or timer and enter shutdown (firmware longjmp). */
export class ShutdownSignal extends Error {
  constructor(readonly reason: ShutdownReason) {
    super(reason);
  }
}
