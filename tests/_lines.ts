/**
 * Reading a child process's output line by line, for the test harnesses.
 *
 * @module
 */

/**
 * Calls `onLine` with each line of `stream`, in order, without its newline;
 * a last line without a newline is passed too. Resolves at the stream's end.
 *
 * @param stream a child's stdout or stderr
 * @param onLine what to do with each line
 */
export async function forEachLine(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
): Promise<void> {
  let buffered = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      onLine(buffered.slice(0, nl));
      buffered = buffered.slice(nl + 1);
    }
  }
  if (buffered !== "") onLine(buffered);
}
