// A simple heater model for control tests: a first-order thermal mass with an optional transport delay
// (the sensor sees the block temperature `delay` seconds late, like a real hotend).
export class ThermalPlant {
  temp: number;
  private readonly history: number[] = [];
  power = 0;

  /**
   * @param gain degrees above ambient at steady full power
   * @param tau time constant in seconds
   */
  constructor(readonly ambient: number, readonly gain: number, readonly tau: number, readonly delaySteps = 0) {
    this.temp = ambient;
  }

  step(dt: number): number {
    const target = this.ambient + this.gain * this.power;
    this.temp += (target - this.temp) * (1 - Math.exp(-dt / this.tau));
    this.history.push(this.temp);
    if (this.history.length > this.delaySteps + 1) this.history.shift();
    return this.history[0]!;
  }
}
