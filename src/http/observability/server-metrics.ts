import type { ModelPool } from "../../engine/model-pool.ts";
import { Counter, Gauge, Histogram, MetricsRegistry } from "./prometheus.ts";
import type { RequestRecord } from "./request-observation.ts";

const METHODS = new Set(["GET", "POST", "OPTIONS", "HEAD", "PUT", "PATCH", "DELETE"]);
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
const TTFT_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const TOKEN_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export interface LiveState {
  inFlight(): number;
  draining(): boolean;
}

/**
 * The server's metrics. Request counters and latency histograms are fed from each finished request's record;
 * engine load (queue depth, active sequences) is read from the pool at scrape time.
 */
export class ServerMetrics {
  private readonly registry = new MetricsRegistry();
  readonly requests = this.registry.add(new Counter("gpt3dev_requests_total", "HTTP requests answered, by route, method and status."));
  readonly duration = this.registry.add(new Histogram("gpt3dev_request_duration_seconds", "Time from arrival to the end of the response (streams included), by route.", LATENCY_BUCKETS));
  readonly promptTokens = this.registry.add(new Counter("gpt3dev_prompt_tokens_total", "Prompt tokens processed, by model."));
  readonly completionTokens = this.registry.add(new Counter("gpt3dev_completion_tokens_total", "Tokens generated, by model."));
  readonly ttft = this.registry.add(new Histogram("gpt3dev_time_to_first_token_seconds", "Time from arrival to the first generated token, by model.", TTFT_BUCKETS));
  readonly tokenLatency = this.registry.add(new Histogram("gpt3dev_time_per_output_token_seconds", "Gap between consecutive generated tokens of one sequence, by model.", TOKEN_BUCKETS));
  readonly modelLoad = this.registry.add(new Gauge("gpt3dev_model_load_seconds", "Duration of each model's last successful load (download excluded when cached)."));

  constructor(
    private readonly pool: ModelPool,
    private readonly live: LiveState,
  ) {
    this.registry.add(new Gauge("gpt3dev_queue_depth", "Requests waiting for a batch slot, over all models.", () => [{ value: this.pool.stats().queued }]));
    this.registry.add(new Gauge("gpt3dev_active_sequences", "Sequences being prefilled or decoded, over all models.", () => [{ value: this.pool.stats().activeSequences }]));
    this.registry.add(new Gauge("gpt3dev_in_flight_requests", "Requests being served (open streams included).", () => [{ value: this.live.inFlight() }]));
    this.registry.add(new Gauge("gpt3dev_draining", "1 while the server drains for shutdown.", () => [{ value: this.live.draining() ? 1 : 0 }]));
    this.registry.add(new Gauge("gpt3dev_models_loaded", "Models loaded and shared.", () => [{ value: this.pool.loadedModels().length }]));
    this.registry.add(new Gauge("process_resident_memory_bytes", "Resident set size of the server process.", () => [{ value: process.memoryUsage.rss() }]));
  }

  /** A model label only for registry ids: a hostile body cannot create series. */
  modelLabel(model: string | null): string {
    return model !== null && this.pool.spec(model) ? model : "none";
  }

  loaded(model: string, ms: number): void {
    this.modelLoad.set({ model }, ms / 1000);
  }

  tokenGap(seconds: number, model: string): void {
    this.tokenLatency.observe({ model: this.modelLabel(model) }, seconds);
  }

  /** Counts a finished request (its response fully sent or abandoned). */
  finished(r: RequestRecord, durationMs: number): void {
    this.requests.inc({ route: r.route, method: METHODS.has(r.method) ? r.method : "other", status: String(r.status) });
    this.duration.observe({ route: r.route }, durationMs / 1000);
    const model = { model: this.modelLabel(r.model) };
    if (r.promptTokens > 0) this.promptTokens.inc(model, r.promptTokens);
    if (r.completionTokens > 0) this.completionTokens.inc(model, r.completionTokens);
    if (r.ttftMs !== null) this.ttft.observe(model, r.ttftMs / 1000);
  }

  render(): string {
    return this.registry.render();
  }
}
