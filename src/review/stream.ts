/** A byte stream pulled from a synchronous generator, so a response is produced only as fast as it is read. */
export function pullStream(
  chunks: Iterator<Uint8Array | string>,
  onDone: () => void = () => undefined,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    onDone();
  };
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      try {
        const next = chunks.next();
        if (next.done) {
          controller.close();
          finish();
          return;
        }
        controller.enqueue(typeof next.value === "string" ? encoder.encode(next.value) : next.value);
      } catch (error) {
        controller.error(error);
        finish();
      }
    },
    cancel() {
      chunks.return?.(undefined);
      finish();
    },
  });
}
