import { Injectable } from '@nestjs/common';

/**
 * Whether the instance is draining before it closes (after SIGTERM, see main.ts): /ready answers
 * 503 so that load balancers stop routing here, and every answer closes its connection.
 */
@Injectable()
export class Draining {
  private started = false;

  start(): void {
    this.started = true;
  }

  get active(): boolean {
    return this.started;
  }
}
