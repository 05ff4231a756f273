import type { Redis } from 'ioredis';

/** How often a connection to Redis is pinged, and how long a ping may take. */
const HEARTBEAT_MS = 250;

/**
 * Pings `connection` while it is ready (a subscribed connection may PING too). A link that stops
 * answering without closing anything (a black hole) would otherwise look alive for as long as TCP
 * takes to give up, minutes: a ping unanswered within HEARTBEAT_MS calls `silent`, then drops the
 * connection, which reconnects as after any loss. A link found silent is so within 0.5 s.
 * Returns the function that stops the heartbeat.
 */
export function heartbeat(connection: Redis, silent: () => void): () => void {
  let waiting = false;
  const timer = setInterval(() => {
    if (waiting || connection.status !== 'ready') return;
    waiting = true;
    let answered = false;
    void connection.ping().then(
      () => (answered = true),
      () => undefined,
    );
    setTimeout(
      // After the poll phase (setImmediate): an answer already read off the socket while the event
      // loop was busy counts, so a slow instance does not call a live Redis silent.
      () =>
        setImmediate(() => {
          waiting = false;
          if (answered || connection.status !== 'ready') return;
          silent();
          connection.disconnect(true);
        }),
      HEARTBEAT_MS,
    ).unref();
  }, HEARTBEAT_MS);
  timer.unref();
  return () => clearInterval(timer);
}
