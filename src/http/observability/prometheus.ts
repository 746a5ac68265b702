/**
 * Just enough of the Prometheus text exposition format (version 0.0.4): counters, gauges and histograms
 * with labels, rendered on demand. Label values come from bounded sets chosen by the callers.
 */
type Labels = Record<string, string>;

interface Metric {
  render(): string;
}

function labelText(labels: Labels, extra?: [string, string]): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  if (extra) parts.push(`${extra[0]}="${escapeLabel(extra[1])}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function num(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

/** One series per distinct label set, keyed by its rendered labels. */
class Series<T> {
  private readonly map = new Map<string, { labels: Labels; value: T }>();
  constructor(private readonly init: () => T) {}
  get(labels: Labels): T {
    const key = labelText(labels);
    let s = this.map.get(key);
    if (!s) {
      s = { labels, value: this.init() };
      this.map.set(key, s);
    }
    return s.value;
  }
  find(labels: Labels): T | undefined {
    return this.map.get(labelText(labels))?.value;
  }
  entries(): { labels: Labels; value: T }[] {
    return [...this.map.values()];
  }
}

export class Counter implements Metric {
  private readonly series = new Series(() => ({ v: 0 }));
  constructor(readonly name: string, readonly help: string) {}
  inc(labels: Labels = {}, by = 1): void {
    this.series.get(labels).v += by;
  }
  value(labels: Labels = {}): number {
    return this.series.find(labels)?.v ?? 0;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const { labels, value } of this.series.entries()) lines.push(`${this.name}${labelText(labels)} ${num(value.v)}`);
    return lines.join("\n");
  }
}

export class Gauge implements Metric {
  private readonly series = new Series(() => ({ v: 0 }));
  /** A gauge read at scrape time (queue depth, RSS) instead of being set. */
  constructor(readonly name: string, readonly help: string, private readonly collect?: () => { labels?: Labels; value: number }[]) {}
  set(labels: Labels, value: number): void {
    this.series.get(labels).v = value;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`];
    const samples = this.collect ? this.collect().map((s) => ({ labels: s.labels ?? {}, value: { v: s.value } })) : this.series.entries();
    for (const { labels, value } of samples) lines.push(`${this.name}${labelText(labels)} ${num(value.v)}`);
    return lines.join("\n");
  }
}

export class Histogram implements Metric {
  private readonly series: Series<{ counts: number[]; sum: number; count: number }>;
  constructor(readonly name: string, readonly help: string, private readonly buckets: readonly number[]) {
    this.series = new Series(() => ({ counts: new Array<number>(buckets.length).fill(0), sum: 0, count: 0 }));
  }
  observe(labels: Labels, value: number): void {
    if (!Number.isFinite(value)) return;
    const s = this.series.get(labels);
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) s.counts[i]!++;
    s.sum += value;
    s.count++;
  }
  count(labels: Labels = {}): number {
    return this.series.find(labels)?.count ?? 0;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const { labels, value } of this.series.entries()) {
      this.buckets.forEach((le, i) => lines.push(`${this.name}_bucket${labelText(labels, ["le", num(le)])} ${value.counts[i]}`));
      lines.push(`${this.name}_bucket${labelText(labels, ["le", "+Inf"])} ${value.count}`);
      lines.push(`${this.name}_sum${labelText(labels)} ${num(value.sum)}`);
      lines.push(`${this.name}_count${labelText(labels)} ${value.count}`);
    }
    return lines.join("\n");
  }
}

/** Everything registered, in order, as one exposition body. */
export class MetricsRegistry {
  private readonly metrics: Metric[] = [];
  add<M extends Metric>(m: M): M {
    this.metrics.push(m);
    return m;
  }
  render(): string {
    return `${this.metrics.map((m) => m.render()).join("\n")}\n`;
  }
}
