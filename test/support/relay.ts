import net from 'node:net';

/** One client connection through the relay, and its connection to the server once made. */
interface Link {
  client: net.Socket;
  upstream?: net.Socket;
  /** Nothing crosses it: what the client sends waits in the relay. */
  held: boolean;
}

/** A TCP relay to a real server that a test can cut and restore, standing for a network fault. */
export class Relay {
  private readonly server = net.createServer((client) => this.accept(client));
  private readonly links = new Set<Link>();
  private mode: 'open' | 'cut' | 'stalled' = 'open';
  /** What a client must not get across: the link that sends it is held just before. */
  private trap: Buffer | undefined;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as net.AddressInfo).port;
  }

  /** Drops every open connection and refuses new ones until restored. */
  cut(): void {
    this.mode = 'cut';
    for (const link of this.links) this.drop(link);
  }

  /**
   * A black hole: open connections stay open but nothing crosses them any more, and new ones are
   * accepted and never answered, as with a peer that vanished without closing anything.
   */
  stall(): void {
    this.mode = 'stalled';
    for (const link of this.links) this.hold(link);
  }

  /** Relays again; connections caught in a stall are dropped, as a reset link would. */
  restore(): void {
    if (this.mode === 'stalled') for (const link of this.links) if (link.held) this.drop(link);
    this.mode = 'open';
  }

  /**
   * New connections relay again, while those caught in the stall stay held: a partition that
   * heals for new connections first (TCP retransmits on the old ones with a growing back-off).
   */
  reopen(): void {
    this.mode = 'open';
  }

  /**
   * The link heals: connections caught in the stall deliver what they held, in order, and go on
   * (TCP delivers what it retransmitted once a partition ends), and new ones relay.
   */
  heal(): void {
    this.mode = 'open';
    for (const link of this.links) if (link.held) this.flow(link);
  }

  /**
   * Holds the next link whose client sends a statement that begins with `text`, just before it
   * crosses (the others go on), as a link that fails at that very moment; `heal()` delivers it. A
   * statement is a COM_QUERY packet (0x03, then its text): `COMMIT` is not caught in `SET
   * TRANSACTION ISOLATION LEVEL READ COMMITTED`.
   */
  stallAt(text: string): void {
    this.trap = Buffer.concat([Buffer.from([0x03]), Buffer.from(text)]);
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private accept(client: net.Socket): void {
    if (this.mode === 'cut') {
      client.destroy();
      return;
    }
    const link: Link = { client, held: true };
    this.links.add(link);
    client.on('error', () => client.destroy());
    // The client is gone: what it sent before still reaches the server (end, not destroy).
    client.on('close', () => {
      this.links.delete(link);
      link.upstream?.end();
    });
    if (this.mode === 'open') this.flow(link);
  }

  /** Relays both ways, connecting to the server first if the link never got that far. */
  private flow(link: Link): void {
    link.held = false;
    if (link.upstream === undefined) {
      const upstream = net.connect(this.targetPort, this.targetHost);
      link.upstream = upstream;
      upstream.on('error', () => upstream.destroy());
      upstream.on('close', () => link.client.destroy());
      link.client.on('data', (chunk: Buffer) => {
        if (this.trap !== undefined && chunk.includes(this.trap)) {
          this.trap = undefined;
          link.client.unshift(chunk);
          this.hold(link);
        } else {
          upstream.write(chunk);
        }
      });
      link.client.on('end', () => upstream.end());
    }
    link.client.resume();
    link.upstream.pipe(link.client);
  }

  private hold(link: Link): void {
    link.held = true;
    link.client.pause();
    link.upstream?.unpipe();
    link.upstream?.pause();
  }

  private drop(link: Link): void {
    link.client.destroy();
    link.upstream?.destroy();
  }
}
