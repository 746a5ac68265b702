import { isEventStream, type DoorStep } from "./compose.ts";

/**
 * The outermost step: runs the request's end hooks (in-flight tracking, the observation) when its response has
 * fully gone out. A JSON answer has once it is returned; a stream only when its last byte was read or the
 * client went away, so its body is passed on through a reader that notices.
 */
export const watchResponseEnd: DoorStep = async (ctx, next) => {
  const response = await next();
  let ended = false;
  const end = (clientGone: boolean) => {
    if (ended) return;
    ended = true;
    for (const hook of ctx.onEnd) hook(clientGone);
  };
  if (!isEventStream(response)) {
    end(false);
    return response;
  }
  return new Response(watchEnd(response.body!, end), response);
};

/** The same bytes, pulled only as the client reads; `onEnd` runs once when the body is done or abandoned. */
function watchEnd(body: ReadableStream<Uint8Array>, onEnd: (clientGone: boolean) => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const { done, value } = await reader.read();
          if (done) {
            controller.close();
            onEnd(false);
          } else controller.enqueue(value);
        } catch (err) {
          controller.error(err);
          onEnd(true);
        }
      },
      cancel(reason) {
        onEnd(true);
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}
