// First-order thermal model of a heated block: the temperature relaxes towards
// ambient + maxRise·duty with time constant tau. The heater input is piecewise constant
// between pin changes, so each interval is integrated exactly.

export interface ThermalParams {
  ambient: number; // °C
  maxRise: number; // °C above ambient at 100 % duty (steady state)
  timeConstant: number; // seconds
}

export class ThermalBody {
  private temp: number;
  private duty = 0;
  private lastTime = 0;

  constructor(private readonly p: ThermalParams) {
    this.temp = p.ambient;
  }

  /** Temperature at time t (seconds, simulated); t must not go backwards. */
  temperatureAt(t: number): number {
    this.advance(t);
    return this.temp;
  }

  /** Heater duty (0..1) from time t on. */
  setDuty(duty: number, t: number): void {
    this.advance(t);
    this.duty = Math.min(1, Math.max(0, duty));
  }

  private advance(t: number): void {
    const dt = t - this.lastTime;
    if (dt <= 0) return;
    const target = this.p.ambient + this.p.maxRise * this.duty;
    this.temp = target + (this.temp - target) * Math.exp(-dt / this.p.timeConstant);
    this.lastTime = t;
  }
}
