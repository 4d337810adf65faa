// The verify_heater state machine: once a second it compares a heater's temperature with its target
// and decides whether the heater is behaving. Two failures are detected: the heater cannot hold its
// target (accumulated shortfall beyond max_error), and the heater does not gain heating_gain degrees
// within check_gain_time while approaching a new target. Pure logic; the module wires it to a timer.

export interface HeaterCheckParams {
  hysteresis: number;
  maxError: number;
  heatingGain: number;
  checkGainTime: number;
}

export const HEATER_CHECK_DEFAULTS = { hysteresis: 5, maxError: 120, heatingGain: 2 } as const;
/** check_gain_time defaults: beds heat slowly. */
export function defaultCheckGainTime(heaterName: string): number {
  return heaterName === "heater_bed" ? 60 : 20;
}

export const HINT_THERMAL =
  "\nSee the 'verify_heater' section in docs/Config_Reference.md\nfor the parameters that control this check.\n";

export function heaterFaultMessage(heaterName: string): string {
  return `Heater ${heaterName} not heating at expected rate${HINT_THERMAL}`;
}

export class HeaterCheck {
  private approaching = false;
  private startingApproach = false;
  private lastTarget = 0;
  private goalTemp = 0;
  private goalTime = Infinity;
  /** Accumulated degree-seconds below (target − hysteresis). */
  error = 0;

  constructor(readonly params: HeaterCheckParams) {}

  /** One check at `eventTime` (seconds). Returns false when the heater has faulted. */
  check(eventTime: number, temp: number, target: number): boolean {
    const p = this.params;
    if (temp >= target - p.hysteresis || target <= 0) {
      // Near (or above) the target: everything is fine, start over.
      this.approaching = this.startingApproach = false;
      if (temp <= target + p.hysteresis) this.error = 0;
      this.lastTarget = target;
      return true;
    }
    this.error += target - p.hysteresis - temp;
    if (!this.approaching) {
      if (target !== this.lastTarget) {
        // New target: give the heater check_gain_time to rise heating_gain degrees.
        this.approaching = this.startingApproach = true;
        this.goalTemp = temp + p.heatingGain;
        this.goalTime = eventTime + p.checkGainTime;
      } else if (this.error >= p.maxError) {
        return false;
      }
    } else if (temp >= this.goalTemp) {
      this.startingApproach = false;
      this.error = 0;
      this.goalTemp = temp + p.heatingGain;
      this.goalTime = eventTime + p.checkGainTime;
    } else if (eventTime >= this.goalTime) {
      // Stopped gaining: from now on the error accumulates towards max_error.
      this.approaching = false;
    } else if (this.startingApproach) {
      // The temperature may still fall right after a new target (heater lag); follow it down.
      this.goalTemp = Math.min(this.goalTemp, temp + p.heatingGain);
    }
    this.lastTarget = target;
    return true;
  }
}
