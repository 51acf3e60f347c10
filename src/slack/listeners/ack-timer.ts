/**
 * Times each ack: from the moment a listener is called to its ack(). Bolt gives every middleware
 * and listener its own copy of the arguments, so the only place to observe a listener's ack is a
 * wrapper around the listener itself. Where the timings go (a histogram) is the caller's choice.
 */

export type AckKind = 'command' | 'action';

export type AckTimer = <Args extends { ack: (...rest: never[]) => Promise<void> }>(
  kind: AckKind,
  listener: (args: Args) => Promise<void>,
) => (args: Args) => Promise<void>;

/** `observe` gets each ack's kind and the seconds from the listener's call to its ack. */
export function ackTimer(observe: (kind: AckKind, seconds: number) => void): AckTimer {
  return (kind, listener) => async (args) => {
    const started = performance.now();
    const ack = args.ack;
    let timed = false;
    const timedAck = (async (...rest: never[]) => {
      if (!timed) {
        timed = true;
        observe(kind, (performance.now() - started) / 1000);
      }
      return ack(...rest);
    }) as typeof ack;
    await listener({ ...args, ack: timedAck });
  };
}
