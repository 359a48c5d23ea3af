/**
 * Control test: does the S3 server the tests use (moto) itself keep conditional PUTs and DELETEs
 * linearisable under concurrent requests? If it did not, every compare-and-swap test above it
 * could pass or fail for the server's reasons, not ours. Raw SDK calls, no S3Store: many
 * concurrent PUTs with If-None-Match: * on one key, and with If-Match on one version; exactly one
 * must win each round, and the object must hold the winner's bytes.
 *
 * Finding (moto 5.2.4): moto checks the condition and then stores the object without a lock, so it
 * is linearisable only as long as Python does not switch threads between the two. With Python's
 * default 5 ms switch interval the rounds below all pass; with a 1 µs interval two PUTs with the
 * same If-Match both win within a few rounds. test/helpers/moto.ts therefore runs moto with its
 * object-changing requests serialised (a lock around PUT/POST/DELETE, bodies read before it), and
 * this test checks that server under the 1 µs interval. ZARRIFY_MOTO_PLAIN_CONTROL=1 adds a run
 * against plain moto, to see the race again (expected to fail).
 */
import { Agent } from "node:http";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Moto,
  type MotoOptions,
  motoSkipReason,
  skipMoto,
  startMoto,
} from "../helpers/moto.js";

const RACERS = 16;
const ROUNDS = 25;
/**
 * Chunk-sized bodies: moto checks the condition, then hashes the body (hashlib lets other threads
 * run meanwhile for bodies over 2 KiB), then stores it; tiny bodies would hide a race there.
 */
const SIZE = 256 << 10;
const payload = (tag: string) => {
  const b = Buffer.alloc(SIZE, 0x20);
  b.write(tag);
  return b;
};

const servers: [string, MotoOptions][] = [
  ["moto as the tests run it (writes serialised), 1 µs switch interval", { switchInterval: 1e-6 }],
];
if (process.env.ZARRIFY_MOTO_PLAIN_CONTROL === "1") {
  servers.push([
    "plain moto, 1 µs switch interval",
    { serialiseWrites: false, switchInterval: 1e-6 },
  ]);
}

describe.each(servers)("%s", (_name, options) => {
  let moto: Moto;
  let client: S3Client;

  beforeAll(async () => {
    if (skipMoto) return;
    moto = await startMoto("control", options);
    client = new S3Client({
      ...moto.s3,
      maxAttempts: 1,
      // One socket per racer, so the requests really are in flight at the same time.
      requestHandler: { httpAgent: new Agent({ keepAlive: true, maxSockets: RACERS * 2 }) },
    });
  });
  afterAll(async () => {
    client?.destroy();
    await moto?.stop();
  });

  async function attempt(send: () => Promise<unknown>): Promise<"won" | "lost"> {
    try {
      await send();
      return "won";
    } catch (err) {
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 412) return "lost";
      throw err;
    }
  }

  async function body(key: string): Promise<string> {
    const r = await client.send(new GetObjectCommand({ Bucket: moto.bucket, Key: key }));
    return (await r.Body?.transformToString()) ?? "";
  }

  describe.skipIf(skipMoto)(
    `moto keeps conditional writes linearisable${skipMoto ? ` (skipped: ${motoSkipReason})` : ""}`,
    () => {
      it(`If-None-Match: * — one winner of ${RACERS} in each of ${ROUNDS} rounds`, async () => {
        const winners: number[] = [];
        for (let round = 0; round < ROUNDS; round++) {
          const key = `absent/${round}`;
          const results = await Promise.all(
            Array.from({ length: RACERS }, (_, i) =>
              attempt(() =>
                client.send(
                  new PutObjectCommand({
                    Bucket: moto.bucket,
                    Key: key,
                    Body: payload(`racer ${i}`),
                    IfNoneMatch: "*",
                  }),
                ),
              ),
            ),
          );
          const won = results.flatMap((r, i) => (r === "won" ? [i] : []));
          winners.push(won.length);
          if (won.length === 1) expect((await body(key)).trimEnd()).toBe(`racer ${won[0]}`);
        }
        expect(winners).toEqual(Array(ROUNDS).fill(1));
      });

      it(`If-Match on one version — one winner of ${RACERS} in each of ${ROUNDS} rounds`, async () => {
        const key = "match/k";
        const first = await client.send(
          new PutObjectCommand({ Bucket: moto.bucket, Key: key, Body: "start" }),
        );
        let etag = first.ETag as string;
        const winners: number[] = [];
        for (let round = 0; round < ROUNDS; round++) {
          const tags: (string | undefined)[] = Array(RACERS);
          const results = await Promise.all(
            Array.from({ length: RACERS }, (_, i) =>
              attempt(async () => {
                const r = await client.send(
                  new PutObjectCommand({
                    Bucket: moto.bucket,
                    Key: key,
                    Body: payload(`round ${round} racer ${i}`),
                    IfMatch: etag,
                  }),
                );
                tags[i] = r.ETag;
              }),
            ),
          );
          const won = results.flatMap((r, i) => (r === "won" ? [i] : []));
          winners.push(won.length);
          if (won.length !== 1) break;
          expect((await body(key)).trimEnd()).toBe(`round ${round} racer ${won[0]}`);
          etag = tags[won[0]] as string;
        }
        expect(winners).toEqual(Array(ROUNDS).fill(1));
      });

      it(`DELETE with If-Match — one winner of ${RACERS} in each of ${ROUNDS} rounds`, async () => {
        const winners: number[] = [];
        for (let round = 0; round < ROUNDS; round++) {
          const key = `delete/${round}`;
          const put = await client.send(
            new PutObjectCommand({ Bucket: moto.bucket, Key: key, Body: payload(`v${round}`) }),
          );
          const results = await Promise.all(
            Array.from({ length: RACERS }, () =>
              attempt(() =>
                client.send(
                  new DeleteObjectCommand({ Bucket: moto.bucket, Key: key, IfMatch: put.ETag }),
                ),
              ).catch((err) => {
                // A racer that finds the key already gone gets 404 NoSuchKey: it lost too.
                if ((err as { name?: string }).name === "NoSuchKey") return "lost" as const;
                throw err;
              }),
            ),
          );
          winners.push(results.filter((r) => r === "won").length);
        }
        expect(winners).toEqual(Array(ROUNDS).fill(1));
      });
    },
  );
});
