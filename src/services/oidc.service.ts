import type { Configuration } from 'openid-client';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Principal, Role } from '../domain/roles.js';
import { ROLES } from '../domain/roles.js';
import { AppError } from '../errors.js';
import type { AuditService } from './audit.service.js';
import type { Clock } from './clock.js';
import type { SessionsService } from './sessions.service.js';
import type { UsersService } from './users.service.js';

type OidcConfig = NonNullable<Config['oidc']>;
type Pending = { verifier: string; nonce: string; redirectUri: string; at: number };

/** openid-client, loaded at the first sign-in through a provider, not at every start of an instance that has none. */
const openidClient = () => import('openid-client');

/** How long a browser may spend at the identity provider between the redirect and the callback. */
const PENDING_MS = 10 * 60_000;
const MAX_PENDING = 10_000;

/**
 * Roles from a claim (a list of groups or one string), through the configured map. Unknown
 * values are ignored; pure, for the unit test.
 * @example rolesFromClaim(['DL-CRM', 'Staff'], { 'DL-CRM': 'crm' }) // ['crm']
 */
export function rolesFromClaim(value: unknown, map: Record<string, Role>): Role[] {
  const values = Array.isArray(value) ? value : typeof value === 'string' ? value.split(/[\s,]+/) : [];
  const roles = new Set<Role>();
  for (const v of values) if (typeof v === 'string' && map[v] && (ROLES as readonly string[]).includes(map[v])) roles.add(map[v]);
  return ROLES.filter((r) => roles.has(r));
}

/**
 * Single sign-on with OpenID Connect: authorization code flow with PKCE (S256), state and nonce,
 * through openid-client. The provider's metadata is discovered on first use, so a provider that
 * is down at start-up does not stop the service.
 */
export class OidcService {
  private configuration?: Promise<Configuration>;
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly cfg: OidcConfig,
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly logger?: Logger,
  ) {}

  get label(): string {
    return this.cfg.label;
  }

  private discover(): Promise<Configuration> {
    this.configuration ??= openidClient()
      .then((client) => client.discovery(new URL(this.cfg.issuer), this.cfg.clientId, undefined, this.cfg.clientSecret ? client.ClientSecretPost(this.cfg.clientSecret) : client.None(), {
        // config.ts admits http only for a loopback issuer.
        execute: new URL(this.cfg.issuer).protocol === 'http:' ? [client.allowInsecureRequests] : [],
        timeout: 10,
      }))
      .catch((err) => {
        this.configuration = undefined; // try again on the next sign-in
        this.logger?.error({ err }, 'OpenID Connect discovery failed');
        throw new AppError(502, 'sso_unavailable', 'The identity provider cannot be reached');
      });
    return this.configuration;
  }

  /** The provider's authorization URL for a new sign-in, and the state that binds it to this browser. */
  async begin(fallbackRedirectUri: string): Promise<{ url: string; state: string }> {
    const config = await this.discover();
    const client = await openidClient();
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const redirectUri = this.cfg.redirectUrl ?? fallbackRedirectUri;
    const now = this.clock.now().getTime();
    for (const [k, p] of this.pending) if (now - p.at > PENDING_MS) this.pending.delete(k);
    // Bounded, so a flood of started sign-ins cannot fill the memory: the oldest give way.
    while (this.pending.size >= MAX_PENDING) this.pending.delete(this.pending.keys().next().value!);
    this.pending.set(state, { verifier, nonce, redirectUri, at: now });
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'openid profile email',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    return { url: url.href, state };
  }

  /**
   * Finishes a sign-in at the callback: checks state (against the browser's cookie), exchanges
   * the code with the PKCE verifier, reads the roles, finds or creates the user, starts a session.
   */
  async complete(query: URLSearchParams, browserState: string | undefined, address: string | null) {
    const state = query.get('state') ?? '';
    const pending = this.pending.get(state);
    if (!pending || !browserState || browserState !== state || this.clock.now().getTime() - pending.at > PENDING_MS) {
      throw new AppError(400, 'sso_state', 'This sign-in was not started here or took too long; start again');
    }
    this.pending.delete(state);
    if (query.get('error')) throw new AppError(401, 'sso_denied', `The identity provider said: ${query.get('error_description') ?? query.get('error')}`);
    const config = await this.discover();
    const client = await openidClient();
    const currentUrl = new URL(pending.redirectUri);
    currentUrl.search = query.toString();
    let tokens;
    try {
      tokens = await client.authorizationCodeGrant(config, currentUrl, { pkceCodeVerifier: pending.verifier, expectedState: state, expectedNonce: pending.nonce, idTokenExpected: true });
    } catch (err) {
      this.logger?.warn({ err }, 'OpenID Connect code exchange failed');
      throw new AppError(401, 'sso_failed', 'The identity provider did not confirm the sign-in');
    }
    const claims = tokens.claims()!;
    let source: Record<string, unknown> = claims;
    // Providers often leave groups out of the ID token and give them at the userinfo endpoint.
    if (claims[this.cfg.roleClaim] === undefined || claims.name === undefined) {
      source = { ...(await client.fetchUserInfo(config, tokens.access_token, claims.sub)), ...claims };
    }
    const roles = rolesFromClaim(source[this.cfg.roleClaim], this.cfg.roleMap);
    const subject = `${claims.iss} ${claims.sub}`;
    const name = String(source.name ?? source.preferred_username ?? source.email ?? claims.sub).slice(0, 200);
    if (!roles.length) {
      await this.audit.recordNow({ actorId: null, action: 'session.fail', subjectType: 'user', details: { via: 'sso', subject, reason: 'no_role', address } });
      throw new AppError(403, 'no_role', `Your account at the identity provider has none of the groups that give a role here (claim ${this.cfg.roleClaim})`);
    }
    const { principal, created, disabled } = await this.users.fromSso(subject, name, roles);
    if (disabled) {
      await this.audit.recordNow({ actorId: principal.id, action: 'session.fail', subjectType: 'user', subjectId: principal.id, details: { via: 'sso', reason: 'disabled', address } });
      throw new AppError(403, 'disabled', 'Your account here is disabled');
    }
    const session = await this.sessions.start(principal.id, 'sso', address);
    await this.audit.recordNow({ actorId: principal.id, action: 'session.create', subjectType: 'user', subjectId: principal.id, details: { via: 'sso', address, created } });
    return { principal: principal as Principal, ...session };
  }
}
