import type { DownloadProgress } from "./hub-types.ts";
import { formatBytes } from "./format-bytes.ts";

/** How often the callback (the model state the pool reports) may fire, and the stderr lines' pacing. */
const CALLBACK_EVERY_MS = 200;
const LINE_MIN_GAP_MS = 500;
const LINE_EVERY_FRACTION = 0.1;
/** Slow downloads (or ones of unknown size) still print a line this often, so a stall is visible. */
const LINE_HEARTBEAT_MS = 5_000;

/**
 * Progress of one file: feeds the caller's callback (throttled) and prints lines such as
 * `hub: owner/name@main onnx/model.onnx 45% 11.9 MB / 26.4 MB, 8.1 MB/s`: one per 10 % step (at most one per 500 ms), and
 * at least one every 5 s, so a large file prints about ten lines and a slow one still shows it is moving.
 */
export class ProgressMeter {
  private loaded = 0;
  private readonly started = performance.now();
  private lastCallback = -Infinity;
  private lastLine = -Infinity;
  private lastLineFraction = 0;

  constructor(
    private readonly label: string,
    private readonly file: string,
    private readonly total: number | null,
    private readonly onProgress: (p: DownloadProgress) => void,
    private readonly log: (line: string) => void,
  ) {
    this.onProgress(this.snapshot());
  }

  add(bytes: number): void {
    this.loaded += bytes;
    const now = performance.now();
    if (now - this.lastCallback >= CALLBACK_EVERY_MS) {
      this.lastCallback = now;
      this.onProgress(this.snapshot());
    }
    // Files that arrive within half a second (and the last chunk of any file) print only their "done" line.
    if (now - this.started < LINE_MIN_GAP_MS || this.loaded === this.total) return;
    const fraction = this.total ? this.loaded / this.total : 0;
    const stepDue = fraction - this.lastLineFraction >= LINE_EVERY_FRACTION && now - this.lastLine >= LINE_MIN_GAP_MS;
    if (stepDue || now - this.lastLine >= LINE_HEARTBEAT_MS) {
      this.lastLine = now;
      this.lastLineFraction = fraction;
      this.log(this.line());
    }
  }

  done(): void {
    this.onProgress(this.snapshot());
    const seconds = (performance.now() - this.started) / 1000;
    this.log(`hub: ${this.label} ${this.file} ${formatBytes(this.loaded)} done in ${seconds.toFixed(1)} s (${formatBytes(this.rate())}/s)`);
  }

  private snapshot(): DownloadProgress {
    return { file: this.file, loadedBytes: this.loaded, totalBytes: this.total, bytesPerSecond: Math.round(this.rate()) };
  }

  private rate(): number {
    const seconds = (performance.now() - this.started) / 1000;
    return seconds > 0 ? this.loaded / seconds : 0;
  }

  private line(): string {
    const rate = `${formatBytes(this.rate())}/s`;
    if (!this.total) return `hub: ${this.label} ${this.file} ${formatBytes(this.loaded)}, ${rate}`;
    const pct = Math.floor((this.loaded / this.total) * 100);
    return `hub: ${this.label} ${this.file} ${pct}% ${formatBytes(this.loaded)} / ${formatBytes(this.total)}, ${rate}`;
  }
}
