/**
 * Reads one tool-call JSON object as it streams in (`{"name": "f", "arguments": {...}}`, or "parameters" for
 * Llama 3): the name as soon as its string closes, then the raw text of the arguments value in fragments.
 */
export class CallObjectScanner {
  private depth = 0;
  private inString = false;
  private esc = false;
  private keyAtDepth1: string | null = null;
  private token = "";
  private reading: "key" | "name" | "args" | null = null;
  private expectingValue = false;
  private argsDepth = 0;
  private argsString = false;
  name: string | null = null;
  args = "";
  sawArgs = false;
  done = false;
  /** All text fed so far (to give it back as content when it was no call after all). */
  raw = "";

  /** Feeds text; returns how many characters were consumed (less than all once the object closed). */
  feed(text: string): number {
    for (let i = 0; i < text.length; i++) {
      if (this.done) return i;
      const c = text[i]!;
      this.raw += c;
      this.step(c);
    }
    return text.length;
  }

  private step(c: string): void {
    if (this.reading === "args") {
      this.args += c;
      if (this.argsString) {
        if (this.esc) this.esc = false;
        else if (c === "\\") this.esc = true;
        else if (c === '"' && this.argsDepth === 0) this.endArgs();
        else if (c === '"') this.argsString = false;
        return;
      }
      if (c === '"') this.argsString = true;
      else if (c === "{" || c === "[") this.argsDepth++;
      else if (c === "}" || c === "]") {
        if (this.argsDepth === 0) {
          // A scalar argument value ends at the object's close.
          this.args = this.args.slice(0, -1);
          this.endArgs();
          this.closeObject(c);
          return;
        }
        if (--this.argsDepth === 0) this.endArgs();
      } else if (c === "," && this.argsDepth === 0) {
        this.args = this.args.slice(0, -1);
        this.endArgs();
      }
      return;
    }
    if (this.inString) {
      if (this.esc) {
        this.esc = false;
        this.token += c;
      } else if (c === "\\") {
        this.esc = true;
        this.token += c;
      } else if (c === '"') {
        this.inString = false;
        const value = decode(this.token);
        if (this.reading === "key") this.keyAtDepth1 = value;
        else if (this.reading === "name") this.name = value;
        this.reading = null;
      } else this.token += c;
      return;
    }
    if (c === "{" || c === "[") {
      this.depth++;
      if (this.expectingValue) this.expectingValue = false;
      return;
    }
    if (c === "}" || c === "]") return this.closeObject(c);
    if (c === '"') {
      this.inString = true;
      this.token = "";
      if (this.depth === 1 && !this.expectingValue) this.reading = "key";
      else if (this.depth === 1 && this.expectingValue && this.keyAtDepth1 === "name") this.reading = "name";
      this.expectingValue = false;
      return;
    }
    if (c === ":" && this.depth === 1) {
      this.expectingValue = true;
      if (this.keyAtDepth1 === "arguments" || this.keyAtDepth1 === "parameters") {
        this.reading = "args";
        this.sawArgs = true;
        this.expectingValue = false;
        this.args = "";
        this.argsDepth = 0;
      }
      return;
    }
    if (c === ",") this.expectingValue = false;
  }

  private endArgs(): void {
    this.reading = null;
    this.args = this.args.trim();
  }

  private closeObject(c: string): void {
    void c;
    if (--this.depth === 0) this.done = true;
  }
}

function decode(raw: string): string {
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return raw;
  }
}
