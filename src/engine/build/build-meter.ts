import type { BuildProgress } from "../../convert/build-decoder.ts";
import { formatBytes } from "../hub/format-bytes.ts";

const CALLBACK_EVERY_MS = 200;
const LINE_MIN_GAP_MS = 500;
const LINE_EVERY_FRACTION = 0.1;
const LINE_HEARTBEAT_MS = 5_000;

/**
 * Progress of one build: feeds the caller's callback (throttled; the model's `building` state) and prints lines
 * such as `build: GPT3-dev 40% 12/30 tensors, 210.0 MB / 525.1 MB` — one per 10 % step, at most one per 500 ms,
 * and at least one every 5 s, as the download meter does.
 */
export class BuildMeter {
  private readonly started = performance.now();
  private lastCallback = -Infinity;
  private lastLine = -Infinity;
  private lastFraction = 0;

  constructor(
    private readonly label: string,
    private readonly onProgress: (p: BuildProgress) => void,
    private readonly log: (line: string) => void,
  ) {}

  update(p: BuildProgress): void {
    const now = performance.now();
    const last = p.tensorsDone === p.tensorsTotal;
    if (last || now - this.lastCallback >= CALLBACK_EVERY_MS) {
      this.lastCallback = now;
      this.onProgress(p);
    }
    if (last || now - this.started < LINE_MIN_GAP_MS) return;
    const fraction = p.bytesTotal ? p.bytesDone / p.bytesTotal : 0;
    if ((fraction - this.lastFraction >= LINE_EVERY_FRACTION && now - this.lastLine >= LINE_MIN_GAP_MS) || now - this.lastLine >= LINE_HEARTBEAT_MS) {
      this.lastLine = now;
      this.lastFraction = fraction;
      this.log(`build: ${this.label} ${Math.floor(fraction * 100)}% ${p.tensorsDone}/${p.tensorsTotal} tensors, ${formatBytes(p.bytesDone)} / ${formatBytes(p.bytesTotal)}`);
    }
  }

  seconds(): number {
    return (performance.now() - this.started) / 1000;
  }
}
