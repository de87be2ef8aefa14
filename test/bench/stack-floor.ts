/**
 * The stack's floor under the handler's CPU figure (issue 13): the least CPU that any decrypt on this
 * stack must spend, measured in the same run and in the same way as the handler (slices interleaved
 * with raw RSA slices). Per decrypt it does only what no implementation can skip, each with the
 * library the product is built on:
 *
 * - the `@azure/functions` HttpRequest the Functions host hands the handler, and its body;
 * - the request JSON, and the RS256 access-token check with jose (issuer, audience, expiry);
 * - the JWE: RSA-OAEP-256 unwrap and AES-256-GCM (shared/keys/jwe-decryptor.ts, node:crypto);
 * - the audit row and the user's rate-limit counter, written with the Tables SDK in one entity-group
 *   transaction per `decryptsPerTransaction` decrypts (the batch size the handler run reached);
 * - the JSON answer.
 *
 * It skips everything else the service does: the limiter's logic, the tenant counter, the tenant and
 * key state checks, the error paths, the pipeline's headers and ids. So the CPU ratio it reaches is
 * an upper bound for the handler's on this stack and this machine.
 */
import { createPublicKey, randomUUID } from 'node:crypto';
import functions from '@azure/functions';
import type { TableEntity, TransactionAction } from '@azure/data-tables';
import { decodeJwt, type JWK, jwtVerify } from 'jose';
import { getSimulation } from '../../shared/dev/simulation.js';
import { decryptProtectedSecret, parseProtectedSecret } from '../../shared/keys/jwe-decryptor.js';
import { TABLE_NAMES } from '../../shared/storage/table-store.js';
import type { Services } from '../../shared/wiring.js';
import { interleavedWithRaw, type RawRsa } from './raw-rsa.js';

const { HttpRequest } = functions;

export interface FloorFigures {
  /** CPU of this process per decrypt. */
  cpuMsPerDecrypt: number;
  /** Raw RSA CPU per decrypt, in slices interleaved with the floor's. */
  rawCpuMsPerDecrypt: number;
  decrypts: number;
  decryptsPerTransaction: number;
}

interface FloorUser {
  token: string;
  body: string;
}

const FLOOR_SLICE_MS = 1_000;

export async function stackFloor(
  services: Services,
  tenantId: string,
  users: readonly FloorUser[],
  /** The handler run's table transactions per decrypt: the floor batches as many decrypts per transaction. */
  tablePerDecrypt: number,
  /** Decrypts in flight, as in the handler's run. */
  inFlight: number,
  durationMs: number,
  raw: RawRsa,
): Promise<FloorFigures> {
  const { config } = services;
  const decryptsPerTransaction = Math.max(1, Math.round(1 / tablePerDecrypt));
  const { keys } = await getSimulation().signer.jwks(config.authorityUrl);
  const signingKey = createPublicKey({ key: keys[0] as JWK, format: 'jwk' });
  const { iss, aud } = decodeJwt(users[0]!.token);
  const verifyOptions = { algorithms: ['RS256'], issuer: iss, audience: aud as string, clockTolerance: 300 };
  const table = await services.tables.table(TABLE_NAMES.auditEvents);
  const { kid } = parseProtectedSecret((JSON.parse(users[0]!.body) as { protectedSecret: string }).protectedSecret).header;
  const key = await services.protectorKeys.decryptionKey(tenantId, kid);
  if (!key.ok) throw new Error(`no decryption key: ${key.reason}`);
  const url = `${config.publicBaseUrl}/v1.0/me/pinResetProtector/decrypt`;
  const window = Math.floor(Date.now() / 3_600_000) * 3_600;
  let next = 0;

  /** One decrypt up to its answer; its rows are left for the transaction of its batch. */
  const decryptOne = async (rows: TableEntity[]): Promise<string> => {
    const user = users[next++ % users.length]!;
    const request = new HttpRequest({
      method: 'POST',
      url,
      headers: { authorization: `Bearer ${user.token}`, 'content-type': 'application/json' },
      body: { string: user.body },
    });
    const token = request.headers.get('authorization')!.slice('Bearer '.length);
    const { protectedSecret } = JSON.parse(await request.text()) as { protectedSecret: string };
    const { payload } = await jwtVerify(token, signingKey, verifyOptions);
    const parsed = parseProtectedSecret(protectedSecret);
    const secret = decryptProtectedSecret(parsed, key.privateKey);
    const rowKey = `${String(9_999_999_999_999 - Date.now()).padStart(13, '0')}_${randomUUID()}`;
    rows.push(
      {
        partitionKey: tenantId,
        rowKey,
        activity: 'protectorDecrypt',
        result: 'success',
        initiatedBy: JSON.stringify({ user: { id: payload.oid } }),
        targetResources: JSON.stringify([{ id: parsed.header.kid, type: 'protectorKey' }]),
        correlationId: randomUUID(),
      },
      { partitionKey: tenantId, rowKey: `~rl_floor_${String(payload.oid)}_${randomUUID()}_${window}`, count: 1, windowEnd: new Date().toISOString() },
    );
    return JSON.stringify({ secret: secret.toString('base64'), keyId: parsed.header.kid, reprotectRecommended: false });
  };

  /** One transaction's worth of decrypts, concurrently, then their transaction. */
  const batch = async () => {
    const rows: TableEntity[] = [];
    await Promise.all(Array.from({ length: decryptsPerTransaction }, () => decryptOne(rows)));
    await table.submitTransaction(rows.map((row): TransactionAction => ['create', row]));
    return decryptsPerTransaction;
  };
  /** As many batches at once as make `inFlight` decrypts, like the handler's run. */
  const batches = Math.max(1, Math.round(inFlight / decryptsPerTransaction));

  for (let warm = 0; warm < 10; warm += 1) await batch();
  let decrypts = 0;
  const run = await interleavedWithRaw(raw, durationMs, async (started) => {
    await Promise.all(
      Array.from({ length: batches }, async () => {
        while (performance.now() - started < FLOOR_SLICE_MS) {
          // Not `decrypts += await batch()`: that reads `decrypts` before the await and loses the other loops' counts.
          const done = await batch();
          decrypts += done;
        }
      }),
    );
  });
  return { cpuMsPerDecrypt: run.cpuMs / decrypts, rawCpuMsPerDecrypt: run.rawCpuMsPerDecrypt, decrypts, decryptsPerTransaction };
}
