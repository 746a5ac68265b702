import { EventQueue } from "../../engine/generation/event-queue.ts";
import type { GenerationEvent } from "../../engine/generation/generation-types.ts";

export interface TaggedEvent {
  /** Which prompt of the request the event belongs to. */
  prompt: number;
  event: GenerationEvent;
}

/** The events of several prompts of one request, as they come, tagged with their prompt index. */
export function mergeEvents(streams: AsyncIterable<GenerationEvent>[]): AsyncIterable<TaggedEvent> {
  const out = new EventQueue<TaggedEvent>();
  let open = streams.length;
  if (open === 0) out.close();
  streams.forEach(async (s, prompt) => {
    try {
      for await (const event of s) out.push({ prompt, event });
    } catch (err) {
      out.fail(err);
    } finally {
      if (--open === 0) out.close();
    }
  });
  return out;
}
