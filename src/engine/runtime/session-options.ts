import { availableParallelism } from "node:os";
import type * as ort from "onnxruntime-node";

/**
 * The onnxruntime session options every model (and the benchmark's raw loop, so it is a fair ceiling) runs
 * with: all threads to intra-op parallelism (a decoder graph is a chain of ops, inter-op threads would idle).
 */
export function sessionOptions(executionProviders: ort.InferenceSession.SessionOptions["executionProviders"], threads: number): ort.InferenceSession.SessionOptions {
  return {
    executionProviders,
    intraOpNumThreads: threads > 0 ? threads : availableParallelism(),
    interOpNumThreads: 1,
    graphOptimizationLevel: "all",
    executionMode: "sequential",
    logSeverityLevel: 3,
  };
}
