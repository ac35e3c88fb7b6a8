// Notification tests: a local HTTP receiver that records what it gets, and a poll-until helper.
import http from "node:http";
import type { AddressInfo } from "node:net";

export type Received = { headers: http.IncomingHttpHeaders; body: string };
export interface Receiver {
  url: string;
  port: number;
  got: Received[];
  close(): Promise<void>;
}

/** A local HTTP receiver; `answer` picks the status of the n-th request (0-based). */
export async function receiver(answer: (n: number) => number = () => 200, port = 0): Promise<Receiver> {
  const got: Received[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString("utf8")));
    req.on("end", () => {
      const status = answer(got.length);
      got.push({ headers: req.headers, body });
      res.writeHead(status).end(status === 200 ? "ok" : "nope");
    });
  });
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  const p = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${p}/hook`, port: p, got, close: () => new Promise((r) => server.close(() => r())) };
}

export async function freePort(): Promise<number> {
  const r = await receiver();
  await r.close();
  return r.port;
}

export async function until<T>(what: string, fn: () => Promise<T | undefined | null | false>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

