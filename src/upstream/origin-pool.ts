/**
 * The upstream HTTP/1.1 client: keep-alive connections to one origin (per event-loop thread),
 * each carrying one exchange at a time.
 *
 * Why not undici: on this path the gateway makes one POST and relays the answer. Measured on the
 * benchmark machine (nginx upstream, 64 concurrent requests, one core), undici's Pool cost 43–52 µs
 * of CPU per exchange against 19 µs for a plain socket exchange, and the whole nginx proxy_pass
 * costs ~28 µs per request: with undici the gateway could not reach half of nginx's throughput.
 * This client does only what that path needs: write the head and body in one corked write, parse
 * the response incrementally (response-parser.ts), hand out body views without copies, reuse
 * connections, and report errors precisely.
 *
 * Contract:
 * - `request()` returns an Exchange at once; the handler gets `onHead`, then `onBody`* and
 *   `onComplete`, or `onError` once (also after `onHead`, when the body breaks off).
 * - `onBody`'s chunk is lent for the call only: plain-TCP connections read into one buffer shared
 *   by every connection of the thread (net's `onread`), so no Buffer is allocated per read and no
 *   stream machinery runs; a handler that keeps body bytes copies them.
 * - `onBody` returning false pauses reading until `exchange.resume()`.
 * - `exchange.abort(reason)` destroys the connection (it is never reused) and reports nothing more.
 * - A request that fails on a reused idle connection before any response byte arrives (the
 *   server closed it while idle) is retried once on a fresh connection; nothing else is retried.
 * - `idleTimeoutMs`: inactivity limit while an exchange waits for bytes (headers or body).
 */
import net from 'node:net';
import tls from 'node:tls';
import { ResponseParser, type ResponseSink } from './response-parser.js';

export interface ExchangeHandler {
  onHead(status: number, headers: Record<string, string>): void;
  /** Valid only during the call; copy what must be kept. */
  onBody(chunk: Buffer): boolean;
  onComplete(): void;
  onError(error: Error): void;
}

export interface RequestOptions {
  readonly path: string;
  /** Header lines after Host, each ending in CRLF, without Content-Length. */
  readonly headerBlock: string;
  readonly body: Buffer;
  /** Fails the exchange when no byte arrives for this long (0: no limit). */
  readonly idleTimeoutMs: number;
}

export interface OriginPoolOptions {
  readonly maxConnections?: number;
  /** How long an idle connection is kept open for reuse. */
  readonly keepAliveMs?: number;
  readonly connectTimeoutMs?: number;
}

/**
 * The read buffer of every plain-TCP upstream connection of this thread. Sharing one is safe: a
 * read is handed to its callback, which consumes or copies it, before the next read starts.
 */
let readBuffer: Buffer | null = null;
function sharedReadBuffer(): Buffer {
  readBuffer ??= Buffer.allocUnsafeSlow(64 * 1024);
  return readBuffer;
}

export class UpstreamTimeoutError extends Error {
  readonly code = 'AILB_UPSTREAM_IDLE_TIMEOUT';
}

export class ConnectTimeoutError extends Error {
  readonly code = 'AILB_UPSTREAM_CONNECT_TIMEOUT';
}

export class OriginPool {
  readonly origin: string;
  private readonly host: string;
  private readonly port: number;
  private readonly secure: boolean;
  /** `host` header value. */
  private readonly authority: string;
  private readonly maxConnections: number;
  private readonly keepAliveMs: number;
  private readonly connectTimeoutMs: number;
  /** Idle connections, most recently used last (reused first: it is the warmest). */
  private readonly idle: Connection[] = [];
  private readonly queue: Exchange[] = [];
  private open = 0;
  private closed = false;
  private closeWaiters: (() => void)[] = [];
  /** Closes connections idle past keepAliveMs; runs only while some connection is idle. */
  private sweeper: NodeJS.Timeout | null = null;

  constructor(origin: string, options: OriginPoolOptions = {}) {
    const url = new URL(origin);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`unsupported upstream protocol ${url.protocol}`);
    this.origin = url.origin;
    this.secure = url.protocol === 'https:';
    this.host = url.hostname.replace(/^\[|\]$/g, '');
    this.port = url.port === '' ? (this.secure ? 443 : 80) : Number(url.port);
    this.authority = url.host;
    this.maxConnections = options.maxConnections ?? 256;
    this.keepAliveMs = options.keepAliveMs ?? 30_000;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  }

  /** The head's first lines for a POST to `path`; callers append their header block. */
  requestLine(path: string): string {
    return `POST ${path} HTTP/1.1\r\nhost: ${this.authority}\r\n`;
  }

  request(options: RequestOptions, handler: ExchangeHandler): Exchange {
    const exchange = new Exchange(this, options, handler);
    if (this.closed) {
      queueMicrotask(() => exchange.fail(new Error('upstream pool is closed')));
      return exchange;
    }
    this.assign(exchange);
    return exchange;
  }

  /** Stops taking requests; resolves when every connection in use has finished its exchange. */
  close(): Promise<void> {
    this.closed = true;
    this.stopSweeper();
    for (const connection of this.idle.splice(0)) connection.destroy();
    if (this.open === 0) return Promise.resolve();
    return new Promise((resolve) => this.closeWaiters.push(resolve));
  }

  /** @internal Starts `exchange` on an idle (unless `fresh`) or new connection, or queues it. */
  assign(exchange: Exchange, fresh = false): void {
    const reused = fresh ? undefined : this.idle.pop();
    if (reused !== undefined) {
      reused.start(exchange, true);
      return;
    }
    if (this.open < this.maxConnections) {
      this.open++;
      new Connection(this, (onBytes) => this.connect(onBytes)).start(exchange, false);
      return;
    }
    this.queue.push(exchange);
  }

  /** @internal A connection finished an exchange and can be reused. */
  release(connection: Connection): void {
    const next = this.queue.shift();
    if (next !== undefined) {
      connection.start(next, true);
      return;
    }
    if (this.closed) {
      connection.destroy();
      return;
    }
    connection.idleAt = performance.now();
    this.idle.push(connection);
    // Keep-alive expiry is swept, not timed per connection: arming a socket timer on every
    // release and disarming it on every reuse cost more than the rest of the pool's work.
    if (this.sweeper === null) {
      this.sweeper = setInterval(() => this.sweepIdle(), Math.max(10, Math.min(1000, this.keepAliveMs / 2)));
      this.sweeper.unref();
    }
  }

  private sweepIdle(): void {
    const limit = performance.now() - this.keepAliveMs;
    // Least recently used first: reuse takes from the end.
    const expired = this.idle.filter((connection) => connection.idleAt <= limit);
    for (const connection of expired) connection.destroy();
    if (this.idle.length === 0) this.stopSweeper();
  }

  private stopSweeper(): void {
    if (this.sweeper !== null) {
      clearInterval(this.sweeper);
      this.sweeper = null;
    }
  }

  /** @internal A connection is gone (closed, failed, or destroyed). */
  forget(connection: Connection): void {
    const index = this.idle.indexOf(connection);
    if (index >= 0) this.idle.splice(index, 1);
    this.open--;
    const next = this.queue.shift();
    if (next !== undefined) this.assign(next);
    if (this.closed && this.open === 0) for (const resolve of this.closeWaiters.splice(0)) resolve();
  }

  /** @internal Removes a queued exchange that was aborted before it started. */
  dequeue(exchange: Exchange): void {
    const index = this.queue.indexOf(exchange);
    if (index >= 0) this.queue.splice(index, 1);
  }

  /** A socket to the origin whose bytes go to `onBytes` (lent for the call only). */
  private connect(onBytes: (chunk: Buffer) => boolean): net.Socket {
    let socket: net.Socket;
    if (this.secure) {
      socket = tls.connect({ host: this.host, port: this.port, servername: net.isIP(this.host) ? undefined : this.host, ALPNProtocols: ['http/1.1'] });
      socket.on('data', (chunk: Buffer) => {
        if (!onBytes(chunk)) socket.pause();
      });
    } else {
      // Returning false from the callback pauses the socket, as pause() would.
      socket = net.connect({ host: this.host, port: this.port, onread: { buffer: sharedReadBuffer(), callback: (length, buffer) => onBytes((buffer as Buffer).subarray(0, length)) } });
    }
    socket.setNoDelay(true);
    return socket;
  }

  get connectTimeout(): number {
    return this.connectTimeoutMs;
  }
}

export class Exchange {
  readonly options: RequestOptions;
  private readonly pool: OriginPool;
  private readonly handler: ExchangeHandler;
  private connection: Connection | null = null;
  /** Set once the handler has been told the outcome (or the exchange was aborted). */
  settled = false;
  retried = false;

  constructor(pool: OriginPool, options: RequestOptions, handler: ExchangeHandler) {
    this.pool = pool;
    this.options = options;
    this.handler = handler;
  }

  /** Resumes reading after `onBody` returned false. */
  resume(): void {
    this.connection?.resume();
  }

  /** Cancels the exchange: its connection is destroyed and the handler hears nothing more. */
  abort(_reason?: Error): void {
    if (this.settled) return;
    this.settled = true;
    if (this.connection !== null) this.connection.destroy();
    else this.pool.dequeue(this);
  }

  /** @internal */
  attach(connection: Connection | null): void {
    this.connection = connection;
  }

  /** @internal */
  head(status: number, headers: Record<string, string>): void {
    if (!this.settled) this.handler.onHead(status, headers);
  }

  /** @internal */
  body(chunk: Buffer): boolean {
    return this.settled ? true : this.handler.onBody(chunk);
  }

  /** @internal */
  complete(): void {
    if (this.settled) return;
    this.settled = true;
    this.connection = null;
    this.handler.onComplete();
  }

  /** @internal */
  fail(error: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.connection = null;
    this.handler.onError(error);
  }

  /** @internal Runs the exchange again on a fresh connection (idle-close race). */
  retry(): void {
    this.retried = true;
    this.connection = null;
    this.pool.assign(this, true);
  }
}

class Connection implements ResponseSink {
  private readonly pool: OriginPool;
  private readonly socket: net.Socket;
  private exchange: Exchange | null = null;
  private parser: ResponseParser | null = null;
  private reused = false;
  private connected = false;
  private gone = false;
  private keepAlive = true;
  private connectTimer: NodeJS.Timeout | null = null;
  /** The socket's inactivity timeout now set (0: none); changed only when it must change. */
  private socketTimeoutMs = 0;
  /** performance.now() when the connection last went idle in the pool. */
  idleAt = 0;

  constructor(pool: OriginPool, connect: (onBytes: (chunk: Buffer) => boolean) => net.Socket) {
    this.pool = pool;
    const socket = connect((chunk) => this.onData(chunk));
    this.socket = socket;
    socket.on(socket instanceof tls.TLSSocket ? 'secureConnect' : 'connect', () => this.onConnect());
    socket.on('end', () => this.onEnd());
    socket.on('error', (error: Error) => this.onSocketError(error));
    socket.on('close', () => this.onClose());
    socket.on('timeout', () => this.onTimeout());
    this.connectTimer = setTimeout(() => {
      this.connectTimer = null;
      this.onSocketError(new ConnectTimeoutError(`connect to ${pool.origin} timed out after ${pool.connectTimeout} ms`));
    }, pool.connectTimeout);
  }

  start(exchange: Exchange, reused: boolean): void {
    this.exchange = exchange;
    this.reused = reused;
    this.parser = new ResponseParser(this);
    exchange.attach(this);
    this.setSocketTimeout(exchange.options.idleTimeoutMs);
    if (this.connected) this.write();
  }

  private setSocketTimeout(ms: number): void {
    if (ms === this.socketTimeoutMs) return;
    this.socketTimeoutMs = ms;
    this.socket.setTimeout(ms);
  }

  resume(): void {
    if (!this.gone) this.socket.resume();
  }

  destroy(): void {
    if (this.gone) return;
    this.gone = true;
    this.clearConnectTimer();
    this.socket.destroy();
    this.pool.forget(this);
  }

  // --- ResponseSink: called by the parser --------------------------------------------------

  onHead(status: number, headers: Record<string, string>, keepAlive: boolean): void {
    this.keepAlive = keepAlive;
    this.exchange?.head(status, headers);
  }

  onBody(chunk: Buffer): boolean {
    return this.exchange === null ? true : this.exchange.body(chunk);
  }

  onComplete(): void {
    const exchange = this.exchange;
    this.exchange = null;
    this.parser = null;
    if (this.keepAlive && !this.gone) {
      this.setSocketTimeout(0);
      this.pool.release(this);
    } else {
      this.destroy();
    }
    exchange?.complete();
  }

  onError(error: Error): void {
    const exchange = this.exchange;
    this.exchange = null;
    this.destroy();
    exchange?.fail(error);
  }

  // --- socket events -----------------------------------------------------------------------

  private onConnect(): void {
    this.connected = true;
    this.clearConnectTimer();
    if (this.exchange !== null) this.write();
  }

  private write(): void {
    const { path, headerBlock, body } = this.exchange!.options;
    const head = `${this.pool.requestLine(path)}${headerBlock}content-length: ${body.length}\r\n\r\n`;
    // One buffer, one write: a corked pair of writes goes through writev, which measured
    // noticeably slower for the typical few-KiB body than copying the body once.
    const headLength = Buffer.byteLength(head, 'latin1');
    const packet = Buffer.allocUnsafe(headLength + body.length);
    packet.write(head, 0, headLength, 'latin1');
    body.copy(packet, headLength);
    this.socket.write(packet);
  }

  /** Bytes from the socket (lent for the call); false pauses reading. */
  private onData(chunk: Buffer): boolean {
    const parser = this.parser;
    if (parser === null) {
      // Bytes on an idle connection: the server is confused; do not reuse it.
      this.destroy();
      return true;
    }
    return parser.push(chunk) || this.gone || this.exchange === null;
  }

  private onEnd(): void {
    this.parser?.end();
    this.destroy();
  }

  private onSocketError(error: Error): void {
    const exchange = this.exchange;
    const parser = this.parser;
    this.exchange = null;
    this.destroy();
    if (exchange === null) return;
    if (this.reused && parser !== null && !parser.sawBytes && !exchange.retried && !exchange.settled) {
      exchange.retry();
      return;
    }
    exchange.fail(error);
  }

  private onClose(): void {
    if (this.exchange !== null) {
      const parser = this.parser;
      if (parser !== null && parser.readsUntilClose) {
        parser.end();
        this.destroy();
        return;
      }
      const error = Object.assign(new Error(`upstream ${this.pool.origin} closed the connection`), { code: 'ECONNRESET' });
      this.onSocketError(error);
      return;
    }
    this.destroy();
  }

  private onTimeout(): void {
    if (this.exchange === null) {
      this.destroy(); // no exchange to fail: nothing should be waiting on this socket
      return;
    }
    const exchange = this.exchange;
    this.exchange = null;
    this.destroy();
    exchange.fail(new UpstreamTimeoutError(`no data from ${this.pool.origin} for ${exchange.options.idleTimeoutMs} ms`));
  }

  private clearConnectTimer(): void {
    if (this.connectTimer !== null) {
      clearTimeout(this.connectTimer);
      this.connectTimer = null;
    }
  }
}
