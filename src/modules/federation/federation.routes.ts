import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { notFound } from '../../core/errors.ts';
import { withErrors } from '../../http/schemas.ts';
import type { FederationService } from './federation.service.ts';
import {
  HubInfo,
  JoinAnswer,
  MessageAnswer,
  NodeInfo,
  Receipt,
  ReceiptParams,
  SignedDirectory,
  SignedTrustList,
  CosignedParams,
  PublishedCheckpoints,
  ForeignStatusListParams,
  ForeignStatusListQuery,
} from './federation.schemas.ts';
import { verifyJoin, verifyKeyChange } from './join.ts';

const tags = ['federation'];
const BODY_LIMIT = 1024 * 1024;

/**
 * The federation interface between nodes: no sessions; what changes anything is signed (RFC 9421,
 * sm2-sm3) by a member's key and checked against the directory. Bodies are read as text: the
 * signatures cover their digests.
 */
export function federationRoutes(deps: { federation: FederationService }): FastifyPluginAsyncTypebox {
  const { federation } = deps;
  return async (app) => {
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: BODY_LIMIT }, (_request, body, done) => done(null, body));
    const wire = (request: {
      protocol: string;
      host: string;
      url: string;
      headers: Record<string, string | string[] | undefined>;
      body: unknown;
    }) => ({
      url: `${request.protocol}://${request.host}${request.url}`,
      headers: Object.fromEntries(Object.entries(request.headers).flatMap(([k, v]) => (typeof v === 'string' ? [[k, v]] : []))),
      body: typeof request.body === 'string' ? request.body : '',
    });

    app.get(
      '/federation/node',
      {
        schema: {
          tags,
          summary: '本节点 · this node: role, member id, endpoint and message-signing key',
          security: [],
          response: withErrors({ 200: NodeInfo }, [404]),
        },
      },
      async () => federation.node(),
    );

    app.get(
      '/federation/status-lists/:purpose',
      {
        schema: {
          tags,
          summary: '外省成员签发的证明状态列表（经本节点取得，原样签名）· another member’s signed status list, through this node',
          description:
            'For the verify page: the list a certificate names (`list`, its `status.list` URL), fetched from the issuing member’s published endpoint and kept as for `POST /api/verify`. Only lists of approved members; the page checks the signature itself. Headers: `yiban-issuer` (the member), `yiban-issuer-log-vkey` (its log key from the directory, when published).',
          security: [],
          params: ForeignStatusListParams,
          querystring: ForeignStatusListQuery,
          response: withErrors(
            { 200: Type.Unknown({ description: 'the W3C Bitstring Status List credential as the issuer signed it' }) },
            [400, 404, 502, 503],
          ),
        },
      },
      async (request, reply) => {
        const { credential, issuer, ledgerVkey } = await federation.foreignStatusList(request.query.list, request.params.purpose);
        void reply.header('cache-control', 'public, max-age=60').header('yiban-issuer', issuer);
        if (ledgerVkey) void reply.header('yiban-issuer-log-vkey', ledgerVkey);
        return reply.type('application/json; charset=utf-8').send(JSON.stringify(credential));
      },
    );

    app.get(
      '/federation/hub',
      {
        schema: {
          tags,
          summary: '联邦中枢及其公钥 · the hub and its key, for a province to pin',
          security: [],
          response: withErrors({ 200: HubInfo }, [404]),
        },
      },
      async () => federation.directory.hubInfo(),
    );

    app.get(
      '/federation/checkpoints',
      {
        schema: {
          tags,
          summary: '各成员互证的检查点 · every member’s latest checkpoint with its peers’ cosignatures, and any equivocation (hub)',
          security: [],
          response: withErrors({ 200: PublishedCheckpoints }, [404]),
        },
      },
      async () => ({ members: await federation.witnessing.published() }),
    );

    app.get(
      '/federation/cosigned/:witness/:originHash/checkpoint',
      {
        schema: {
          tags,
          summary: '某成员所联署的最新检查点 · the latest checkpoint a member reported cosigned for a log (hub; witness gossip)',
          security: [],
          params: CosignedParams,
          response: withErrors({ 200: Type.String() }, [404]),
        },
      },
      async (request, reply) => {
        const note = await federation.witnessing.cosignedBy(request.params.witness, request.params.originHash);
        if (note === null) throw notFound('checkpoint');
        return reply.type('text/plain; charset=utf-8').send(note);
      },
    );

    app.get(
      '/federation/directory',
      {
        schema: {
          tags,
          summary: '成员目录（中枢签名）· the member directory, signed by the hub',
          security: [],
          response: withErrors({ 200: SignedDirectory }, [404]),
        },
      },
      async () => federation.directory.signedDirectory(),
    );

    app.get(
      '/federation/trust-list',
      {
        schema: {
          tags,
          summary:
            '全国信任列表（国家根与交叉签名的省级根）· the national trust list: the national root and the cross-signed province roots',
          security: [],
          response: withErrors({ 200: SignedTrustList }, [404]),
        },
      },
      async () => {
        const list = await federation.directory.trustList();
        if (!list?.signer) throw notFound('trustList');
        return { ...list, signer: list.signer };
      },
    );

    app.post(
      '/federation/members',
      {
        bodyLimit: BODY_LIMIT,
        // Per source address, and per the member id the body names: 429 FEDERATION_JOIN_RATE_LIMITED.
        config: { rateLimitClass: 'federationJoin' },
        schema: {
          tags,
          summary: '申请加入联邦（待中枢核准）· ask to join (the hub operator approves)',
          description:
            '请求以申请方自己的 SM2 密钥签名（RFC 9421）；已登记的成员须以其已登记的密钥签名，变更后待重新核准。Signed (RFC 9421, sm2-sm3) with a key the request names; a member already on file must sign with a key on file, and a change waits for approval again.',
          security: [],
          body: Type.String({ description: 'JSON: memberId, name, endpoint, keys, services, datasets, rootCertificate, statusSigners' }),
          response: withErrors({ 202: JoinAnswer }, [400, 401, 403, 404, 429]),
        },
      },
      async (request, reply) => {
        const { request: join, signedBy } = await verifyJoin(wire(request), federation.clock());
        return reply.status(202).send(await federation.directory.recordJoin(join, signedBy));
      },
    );

    app.post(
      '/federation/members/key-change',
      {
        bodyLimit: 64 * 1024,
        config: { rateLimitClass: 'federationJoin' },
        schema: {
          tags,
          summary: '成员密钥变更申请（待中枢核准）· a member rolls its message key (the hub operator approves)',
          description:
            '以成员已登记的（旧）密钥签名（RFC 9421），载明新密钥；核准后目录同时列出新旧密钥，旧密钥在过渡期内仍有效。Signed (RFC 9421, sm2-sm3) by a key on file (the old one), naming the new one; once approved, the directory lists both, the old one valid for an overlap.',
          security: [],
          body: Type.String({ description: 'JSON: memberId, key (keyId, alg sm2-sm3, publicKeySpki, notBefore, notAfter)' }),
          response: withErrors({ 202: JoinAnswer }, [400, 401, 403, 404, 429]),
        },
      },
      async (request, reply) => {
        const { request: change, signedBy } = await verifyKeyChange(wire(request), federation.clock(), (memberId) =>
          federation.directory.keysOnFile(memberId),
        );
        return reply.status(202).send(await federation.members.recordKeyChange(change.memberId, change.key, signedBy));
      },
    );

    app.post(
      '/federation/messages',
      {
        bodyLimit: BODY_LIMIT,
        schema: {
          tags,
          summary: '节点间报文 · a message from another node (RFC 9421, sm2-sm3; idempotent by message id)',
          security: [],
          body: Type.String({ description: 'JSON: id (UUID), from, to, type, payload, created' }),
          response: {
            200: MessageAnswer,
            400: MessageAnswer,
            401: MessageAnswer,
            403: MessageAnswer,
            404: MessageAnswer,
            409: MessageAnswer,
          },
        },
      },
      async (request, reply) => {
        const answer = await federation.receive(wire(request));
        // The bytes as signed (content-digest): a Buffer is sent as it is, never re-serialised.
        const status = answer.status as 200 | 400 | 401 | 403 | 404 | 409;
        return reply
          .code(status)
          .headers(answer.headers)
          .send(Buffer.from(answer.body, 'utf8') as never);
      },
    );

    app.get(
      '/federation/messages/:direction/:id',
      {
        schema: {
          tags,
          summary: '报文回执 · what this node knows of a message (ids, digests and state; never the payload)',
          security: [],
          params: ReceiptParams,
          response: withErrors({ 200: Receipt }, [400, 404]),
        },
      },
      async (request) => {
        const receipt = await federation.receipt(request.params.direction, request.params.id);
        if (!receipt) throw notFound('federationMessage');
        return receipt;
      },
    );
  };
}
