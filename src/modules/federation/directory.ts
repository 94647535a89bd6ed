import { AppError } from '../../core/errors.ts';
import { canonicalJson } from '../../verify/document.ts';
import type { Executor } from '../../db/database.ts';
import { openSignedDocument, type NationalTrustList, type SignedDocument } from '../../verify/signed-document.ts';
import { keyValidAt, signDocument, type DirectoryDocument, type DirectoryMember } from './documents.ts';
import { HUB_TIMEOUT_MS, type FederationContext } from './federation-context.ts';
import * as repo from './federation.repository.ts';
import type { MemberKey, MemberLedger, StatusSigners } from './federation.tables.ts';
import { createMembers } from './members.ts';
import { federated, forgetNodeKey, nodeKey, parseMemberId } from './node-identity.ts';

/** The port other code looks members up through: the hub's table, or a province's verified copy of the hub's directory. */
export interface DirectoryLookup {
  /** The approved member, or null; `executor` reads inside the caller's transaction; never asks the hub. */
  find: (memberId: string, options?: { executor?: Executor }) => Promise<DirectoryMember | null>;
  /** As `find`, but a province asks the hub for a newer directory once when the member is not in its copy. */
  resolve: (memberId: string) => Promise<DirectoryMember | null>;
}

/** What a node asks the hub with (`POST /api/federation/members`), signed by one of the keys it names. */
export interface JoinRequest {
  memberId: string;
  name: string;
  endpoint: string;
  keys: MemberKey[];
  services: string[];
  datasets: string[];
  rootCertificate: string;
  statusSigners: StatusSigners;
  /** Its ledger's log and witness keys, for the other members to witness it and be witnessed by it. */
  ledger?: MemberLedger;
}

/** Another member as an issuer of certificates this node verifies: where its status lists are, what its keys chain to, its log key. */
export interface Issuer {
  memberId: string;
  endpoint: string;
  /** The root its status signers must chain to: its province root, or the national root for the hub. */
  roots: string[];
  /** Status signers to accept, each only if it chains to `roots`. */
  statusSigners: StatusSigners;
  logVkey: string | null;
}

export interface HubInfo {
  memberId: string;
  name: string;
  key: MemberKey;
  certificatePem: string;
  chainPem: string;
}

const REFRESH_EVERY_MS = 2000;

export function createDirectory(ctx: FederationContext) {
  const { db, clock } = ctx;
  let lastRefresh = 0;
  const parsed = new Map<number, DirectoryDocument>();
  const parsedLists = new Map<number, NationalTrustList>();
  const admin = createMembers(ctx);

  const self = async (): Promise<DirectoryMember> => {
    const config = federated(ctx.config);
    return {
      memberId: config.memberId,
      name: config.name,
      endpoint: ctx.publicUrl,
      keys: [(await nodeKey(ctx)).published],
      // The services this node handles for other provinces' residents (全程网办): its catalog's codes.
      services: ctx.services ? (await ctx.services()).slice(0, 500) : [],
      datasets: (await ctx.offers?.())?.datasets ?? [],
      ...(ctx.witnessing ? { ledger: { logVkey: await ctx.witnessing.logVkey(), witnessVkey: await ctx.witnessing.witnessVkey() } } : {}),
    };
  };

  const published = (row: repo.MemberRow): DirectoryMember => ({
    memberId: row.memberId,
    name: row.name,
    endpoint: row.endpoint,
    keys: row.keys,
    services: row.services,
    datasets: row.datasets,
    ...(row.ledger ? { ledger: row.ledger } : {}),
  });

  const isHub = () => ctx.config.role === 'hub';
  const requireHub = () => {
    federated(ctx.config);
    if (!isHub()) throw new AppError('FEDERATION_NOT_HUB');
  };

  async function cachedDirectory(executor: Executor): Promise<DirectoryDocument | null> {
    const version = await repo.latestVersion(executor, 'directory');
    if (version === null) return null;
    const known = parsed.get(version);
    if (known) return known;
    const row = await repo.latestDocument(executor, 'directory');
    if (!row) return null;
    // Stored only after its signature verified against the pinned hub key.
    const doc = (JSON.parse(row.envelope) as SignedDocument<DirectoryDocument>).document;
    parsed.set(row.version, doc);
    return doc;
  }

  async function hubGet(path: string): Promise<unknown> {
    const pin = await repo.hubPin(db);
    const config = federated(ctx.config);
    const base = pin?.hubUrl ?? (config.role === 'province' ? config.hubUrl : '');
    let response: Response;
    try {
      response = await ctx.fetch(`${base}${path}`, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(HUB_TIMEOUT_MS),
      });
    } catch (error) {
      throw new AppError('FEDERATION_HUB_UNAVAILABLE', { reason: (error as Error).message });
    }
    if (!response.ok) throw new AppError('FEDERATION_HUB_UNAVAILABLE', { reason: `HTTP ${response.status}` });
    return response.json();
  }

  /** The national trust list: the national root, each approved province root cross-signed by it, their status signers. */
  async function signedTrustList(): Promise<SignedDocument<NationalTrustList>> {
    requireHub();
    const rows = (await repo.listMembers(db)).filter((r) => r.status === 'approved' && r.nationalCertificate);
    const root = await ctx.keys.ensurePlatformRoot('SM2');
    const key = await nodeKey(ctx);
    const own = await ctx.trustAnchors();
    const statusSigners: StatusSigners = { ...own.statusSigners };
    for (const r of rows) Object.assign(statusSigners, r.statusSigners);
    return signDocument(
      key,
      {
        kind: 'yiban-national-trust-list' as const,
        version: 1 as const,
        issuedAt: clock().toISOString(),
        // Any member's change moves it (a revocation too: the list loses a province and must read as newer).
        serial: await repo.membersVersion(db),
        roots: [root.certificatePem],
        intermediates: rows.map((r) => r.nationalCertificate!),
        statusSigners,
        provinces: rows.map((r) => ({
          memberId: r.memberId,
          name: r.name,
          rootCertificate: r.rootCertificate,
          nationalCertificate: r.nationalCertificate!,
        })),
      },
      true,
    );
  }

  /** The province's verified copy of the national trust list (null before the first refresh). */
  async function storedTrustList(): Promise<NationalTrustList | null> {
    const version = await repo.latestVersion(db, 'trust-list');
    if (version === null) return null;
    const known = parsedLists.get(version);
    if (known) return known;
    const row = await repo.latestDocument(db, 'trust-list');
    if (!row) return null;
    // Stored only after its signature verified against the pinned hub key.
    const list = (JSON.parse(row.envelope) as SignedDocument<NationalTrustList>).document;
    parsedLists.set(row.version, list);
    return list;
  }

  const directory = {
    /** The hub's directory document, signed by the hub's key (hub only). */
    async signedDirectory(): Promise<SignedDocument<DirectoryDocument>> {
      requireHub();
      const config = federated(ctx.config);
      const rows = (await repo.listMembers(db)).filter((r) => r.status === 'approved');
      const key = await nodeKey(ctx);
      // Any member's change moves it: a revoked member's leaving makes a newer directory, which provinces take.
      const version = await repo.membersVersion(db);
      return signDocument(key, {
        kind: 'yiban-federation-directory' as const,
        version,
        issuedAt: clock().toISOString(),
        hub: config.memberId,
        members: [await self(), ...rows.map(published)],
      });
    },

    signedTrustList,

    /** Who the hub is and its key, for a province to pin (hub only). */
    async hubInfo(): Promise<HubInfo> {
      requireHub();
      const config = federated(ctx.config);
      const key = await nodeKey(ctx);
      return {
        memberId: config.memberId,
        name: config.name,
        key: key.published,
        certificatePem: key.certificatePem,
        chainPem: key.chainPem,
      };
    },

    /** This node as it would ask to join: its endpoint, key and root (any federated node). */
    async joinRequest(): Promise<JoinRequest> {
      const me = await self();
      const trust = await ctx.trustAnchors();
      const root = (await ctx.keys.ensurePlatformRoot('SM2')).certificatePem;
      return { ...me, rootCertificate: root, statusSigners: trust.statusSigners ?? {} };
    },

    /**
     * A join request whose signature verified (the route checks it), recorded as pending. A member
     * already on file (pending or approved) must sign with one of the keys on file, so nobody else
     * can replace its request or unpublish it; an approved member that changes anything is pending
     * again until the operator approves; one that changes nothing stays approved.
     */
    async recordJoin(request: JoinRequest, signedBy: string): Promise<{ memberId: string; status: string }> {
      requireHub();
      const existing = await repo.findMember(db, request.memberId);
      if (existing?.status === 'revoked') throw new AppError('FEDERATION_MEMBER_REVOKED', { member: request.memberId });
      // A rejected request binds nobody: asking again is a new request (any key).
      if (existing && existing.status !== 'rejected' && !existing.keys.some((k) => k.keyId === signedBy && keyValidAt(k, clock())))
        throw new AppError('FEDERATION_SIGNATURE_INVALID', { reason: 'UNKNOWN_KEY' });
      const same =
        existing?.status === 'approved' &&
        existing.name === request.name &&
        existing.endpoint === request.endpoint &&
        existing.rootCertificate === request.rootCertificate &&
        // jsonb keeps its own key order: compared canonically.
        canonicalJson(existing.keys) === canonicalJson(request.keys) &&
        canonicalJson(existing.statusSigners) === canonicalJson(request.statusSigners) &&
        canonicalJson(existing.ledger ?? null) === canonicalJson(request.ledger ?? null);
      if (same) {
        // What it offers (its services and datasets) is the member's own to say: published at once, no new approval.
        if (
          canonicalJson(existing.services) !== canonicalJson(request.services) ||
          canonicalJson(existing.datasets) !== canonicalJson(request.datasets)
        )
          await db.transaction(async (tx) => {
            await repo.lockMember(tx, request.memberId);
            const now = await repo.changeTime(tx, clock());
            await repo.updateMember(tx, request.memberId, { services: request.services, datasets: request.datasets, updatedAt: now });
          });
        return { memberId: request.memberId, status: 'approved' };
      }
      const now = await repo.changeTime(db, clock());
      await repo.upsertMember(db, {
        memberId: request.memberId,
        name: request.name,
        endpoint: request.endpoint,
        status: 'pending',
        keys: request.keys,
        services: request.services,
        datasets: request.datasets,
        rootCertificate: request.rootCertificate,
        nationalCertificate: null,
        statusSigners: request.statusSigners,
        ledger: request.ledger ?? null,
        requestedAt: now,
        approvedAt: null,
        rejectedAt: null,
        rejectionReason: null,
        updatedAt: now,
      });
      return { memberId: request.memberId, status: 'pending' };
    },

    /** The hub operator's decisions on members (成员审批: the console's routes and the CLI). */
    admin,

    /** The hub operator's approval (the CLI's): a request, or a key change; see `admin.approve`. */
    approve: (memberId: string) => admin.approve('operator', memberId),

    /** An approved member's keys as the hub has them on file (hub), for checking its key change request; none otherwise. */
    async keysOnFile(memberId: string): Promise<MemberKey[]> {
      requireHub();
      const row = await repo.findMember(db, memberId);
      return row?.status === 'approved' ? row.keys : [];
    },

    async members() {
      requireHub();
      return (await repo.listMembers(db)).map((r) => ({ memberId: r.memberId, name: r.name, endpoint: r.endpoint, status: r.status }));
    },

    /** Pins the hub's key (province, at join): the first pin stays; a hub that shows another key is refused. */
    async pinHub(expectedKeyId?: string): Promise<HubInfo> {
      const config = federated(ctx.config);
      if (config.role !== 'province') throw new AppError('FEDERATION_DISABLED', { role: config.role });
      const info = (await hubGet('/api/federation/hub')) as HubInfo;
      if (expectedKeyId && info.key.keyId !== expectedKeyId)
        throw new AppError('FEDERATION_DOCUMENT_INVALID', { reason: `the hub's key is ${info.key.keyId}, not ${expectedKeyId}` });
      const pinned = await repo.hubPin(db);
      if (pinned && pinned.keyId !== info.key.keyId)
        throw new AppError('FEDERATION_DOCUMENT_INVALID', { reason: `the hub's key is ${info.key.keyId}, the pinned one ${pinned.keyId}` });
      if (!pinned)
        await repo.pinHub(db, {
          hubUrl: config.hubUrl,
          memberId: info.memberId,
          keyId: info.key.keyId,
          publicKeySpki: info.key.publicKeySpki,
          pinnedAt: clock(),
        });
      return info;
    },

    /** Fetches the hub's directory and trust list, keeps each when its signature verifies against the pinned key and it is newer. */
    async refresh(): Promise<{ directoryVersion: number; members: number }> {
      const config = federated(ctx.config);
      if (config.role !== 'province') throw new AppError('FEDERATION_DISABLED', { role: config.role });
      lastRefresh = Date.now();
      const pin = await repo.hubPin(db);
      if (!pin) throw new AppError('FEDERATION_HUB_NOT_PINNED');
      const spki = new Uint8Array(Buffer.from(pin.publicKeySpki, 'base64'));
      const envelope = await hubGet('/api/federation/directory');
      const opened = openSignedDocument<DirectoryDocument>(envelope, spki, pin.keyId);
      if (!opened.ok) throw new AppError('FEDERATION_DOCUMENT_INVALID', { reason: opened.reason });
      if (opened.document.kind !== 'yiban-federation-directory' || opened.document.hub !== pin.memberId)
        throw new AppError('FEDERATION_DOCUMENT_INVALID', { reason: 'not the pinned hub’s directory' });
      const current = (await repo.latestVersion(db, 'directory')) ?? -1;
      if (opened.document.version >= current)
        await repo.storeDocument(db, 'directory', opened.document.version, JSON.stringify(envelope), clock());
      const list = await hubGet('/api/federation/trust-list');
      const trust = openSignedDocument<NationalTrustList>(list, spki, pin.keyId);
      if (!trust.ok) throw new AppError('FEDERATION_DOCUMENT_INVALID', { reason: `trust list: ${trust.reason}` });
      const currentList = (await repo.latestVersion(db, 'trust-list')) ?? -1;
      if (trust.document.serial >= currentList)
        await repo.storeDocument(db, 'trust-list', trust.document.serial, JSON.stringify(list), clock());
      // A key change the hub approved is used from the next message on.
      forgetNodeKey(ctx);
      return { directoryVersion: Math.max(current, opened.document.version), members: opened.document.members.length };
    },

    /** The directory this node goes by: the hub's own, or a province's verified copy (null before the first refresh). */
    async current(): Promise<DirectoryDocument | null> {
      federated(ctx.config);
      return isHub() ? (await directory.signedDirectory()).document : cachedDirectory(db);
    },

    /**
     * What this node's verifiers add to their own anchors (certificates' `foreignTrust` port): the
     * hub its members' cross-certified roots and status signers; a province its verified copy of
     * the national trust list; a standalone node nothing.
     */
    async foreignAnchors(): Promise<{ roots: string[]; intermediates: string[]; statusSigners: StatusSigners } | null> {
      if (ctx.config.role === 'standalone') return null;
      if (isHub()) {
        const rows = (await repo.listMembers(db)).filter((r) => r.status === 'approved' && r.nationalCertificate);
        return {
          roots: [],
          intermediates: rows.map((r) => r.nationalCertificate!),
          statusSigners: Object.assign({}, ...rows.map((r) => r.statusSigners)) as StatusSigners,
        };
      }
      const list = await storedTrustList();
      return list && { roots: list.roots, intermediates: list.intermediates, statusSigners: list.statusSigners };
    },

    /**
     * The other approved members whose certificates this node may be asked to verify, from what it
     * already holds (the hub's table, or a province's verified directory and trust list): never a
     * signature, never a call to the hub.
     */
    async issuers(): Promise<Issuer[]> {
      const config = ctx.config;
      if (config.role === 'standalone') return [];
      if (config.role === 'hub') {
        const rows = (await repo.listMembers(db)).filter((r) => r.status === 'approved' && r.nationalCertificate);
        return rows.map((r) => ({
          memberId: r.memberId,
          endpoint: r.endpoint,
          roots: [r.rootCertificate],
          statusSigners: r.statusSigners,
          logVkey: r.ledger?.logVkey ?? null,
        }));
      }
      const [doc, list] = await Promise.all([cachedDirectory(db), storedTrustList()]);
      if (!doc || !list) return [];
      return doc.members.flatMap((m) => {
        const roots =
          m.memberId === doc.hub ? list.roots : list.provinces.filter((p) => p.memberId === m.memberId).map((p) => p.rootCertificate);
        return m.memberId === config.memberId || roots.length === 0
          ? []
          : [{ memberId: m.memberId, endpoint: m.endpoint, roots, statusSigners: list.statusSigners, logVkey: m.ledger?.logVkey ?? null }];
      });
    },

    /** The national trust list this node holds: the hub's own, or a province's verified copy (null before the first refresh). */
    async trustList(): Promise<SignedDocument<NationalTrustList> | null> {
      federated(ctx.config);
      if (isHub()) return signedTrustList();
      const row = await repo.latestDocument(db, 'trust-list');
      return row ? (JSON.parse(row.envelope) as SignedDocument<NationalTrustList>) : null;
    },

    lookup: {
      find: async (memberId: string, options: { executor?: Executor } = {}): Promise<DirectoryMember | null> => {
        if (!parseMemberId(memberId)) return null;
        const executor = options.executor ?? db;
        const config = federated(ctx.config);
        const now = clock();
        const usable = (m: DirectoryMember | null) => (m && m.keys.some((k) => keyValidAt(k, now)) ? m : null);
        if (config.role === 'hub') {
          if (memberId === config.memberId) return self();
          const row = await repo.findMember(executor, memberId);
          return row?.status === 'approved' ? usable(published(row)) : null;
        }
        const doc = await cachedDirectory(executor);
        return usable(doc?.members.find((m) => m.memberId === memberId) ?? null);
      },
      resolve: async (memberId: string): Promise<DirectoryMember | null> => {
        const found: DirectoryMember | null = await directory.lookup.find(memberId);
        if (found || ctx.config.role !== 'province' || !parseMemberId(memberId)) return found;
        if (Date.now() - lastRefresh < REFRESH_EVERY_MS) return null;
        await directory.refresh();
        return directory.lookup.find(memberId);
      },
    } satisfies DirectoryLookup,
  };
  return directory;
}

export type Directory = ReturnType<typeof createDirectory>;
