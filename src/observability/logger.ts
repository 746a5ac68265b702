/**
 * Structured logs, one line per event, on stderr (stdout carries only the "listening" line and CLI output).
 * LOG_FORMAT=json writes one JSON object per line; text writes `time LEVEL msg key=value …`. Callers pass
 * fields, never secrets: nothing here knows about keys or prompts, so nothing here can leak them.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, string | number | boolean | null | undefined>;

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LoggerOptions {
  level: LogLevel;
  format: "text" | "json";
  /** Where lines go; stderr by default, a buffer in tests. */
  write?: (line: string) => void;
  now?: () => Date;
}

export class Logger {
  private readonly min: number;
  private readonly write: (line: string) => void;
  private readonly now: () => Date;

  constructor(private readonly opts: LoggerOptions) {
    this.min = RANK[opts.level];
    this.write = opts.write ?? ((line) => void process.stderr.write(line));
    this.now = opts.now ?? (() => new Date());
  }

  enabled(level: LogLevel): boolean {
    return RANK[level] >= this.min;
  }

  debug(msg: string, fields: LogFields = {}): void {
    this.log("debug", msg, fields);
  }
  info(msg: string, fields: LogFields = {}): void {
    this.log("info", msg, fields);
  }
  warn(msg: string, fields: LogFields = {}): void {
    this.log("warn", msg, fields);
  }
  error(msg: string, fields: LogFields = {}): void {
    this.log("error", msg, fields);
  }

  log(level: LogLevel, msg: string, fields: LogFields): void {
    if (!this.enabled(level)) return;
    const time = this.now().toISOString();
    if (this.opts.format === "json") {
      const obj: Record<string, unknown> = { time, level, msg };
      for (const [k, v] of Object.entries(fields)) if (v !== undefined) obj[k] = v;
      this.write(`${JSON.stringify(obj)}\n`);
      return;
    }
    let line = `${time} ${level.toUpperCase().padEnd(5)} ${msg}`;
    for (const [k, v] of Object.entries(fields)) if (v !== undefined) line += ` ${k}=${textValue(v)}`;
    this.write(`${line}\n`);
  }
}

/** Bare when plain; JSON-quoted when a value could break the line or be mistaken for another field. */
function textValue(v: string | number | boolean | null): string {
  const s = String(v);
  return typeof v === "string" && (s === "" || /[\s"=\\\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(s)) ? JSON.stringify(s) : s;
}

/** A logger that drops everything (unit tests of parts that log). */
export const silentLogger = new Logger({ level: "error", format: "text", write: () => {} });
