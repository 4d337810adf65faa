// A first-in first-out queue on a ring buffer, for the hot paths that queue messages (MCU command
// queues, the step synchroniser).
/** FIFO on a ring buffer (capacity a power of two, doubled when full): no copying per pop. */
export class Fifo<T> {
  private items: (T | undefined)[] = new Array<T | undefined>(16);
  private head = 0;
  private count = 0;
  get length(): number {
    return this.count;
  }
  push(item: T): void {
    if (this.count === this.items.length) this.grow();
    this.items[(this.head + this.count) & (this.items.length - 1)] = item;
    this.count++;
  }
  peek(): T | undefined {
    return this.count ? this.items[this.head] : undefined;
  }
  shift(): T | undefined {
    if (!this.count) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined; // let it be collected
    this.head = (this.head + 1) & (this.items.length - 1);
    this.count--;
    return item;
  }
  *[Symbol.iterator](): Iterator<T> {
    for (let i = 0; i < this.count; i++) yield this.items[(this.head + i) & (this.items.length - 1)]!;
  }
  private grow(): void {
    const old = this.items, mask = old.length - 1;
    const items = new Array<T | undefined>(old.length * 2);
    for (let i = 0; i < this.count; i++) items[i] = old[(this.head + i) & mask];
    this.items = items;
    this.head = 0;
  }
}
