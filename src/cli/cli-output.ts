/** Where a command writes: results to `out` (stdout), progress and errors to `err` (stderr). Tests capture both. */
export interface CliOutput {
  out: (line: string) => void;
  err: (line: string) => void;
}

export const stdio: CliOutput = {
  out: (line) => void process.stdout.write(`${line}\n`),
  err: (line) => void process.stderr.write(`${line}\n`),
};

/** Exit codes shared by the commands: 0 done, 1 something failed, 2 bad arguments or registry. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
