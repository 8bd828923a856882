/**
 * A real OpenID provider (the `oidc-provider` package) on loopback for the single sign-on tests:
 * authorization code flow with PKCE, its own login page (any login name, the password is not
 * checked), and a table of people with their groups. Consent is granted automatically, as a
 * company's provider does for its own applications.
 */
import { createServer, type Server } from 'node:http';
import Provider, { type KoaContextWithOIDC } from 'oidc-provider';

export type IdpPerson = { name: string; email?: string; groups: string[] };

export type TestIdp = {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Registers the app's callback; call once the app's URL is known. */
  start(redirectUri: string): void;
  close(): Promise<void>;
};

export async function listenIdp(people: Record<string, IdpPerson>): Promise<TestIdp> {
  const server: Server = createServer((_req, res) => {
    res.statusCode = 503;
    res.end('not started');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const addr = server.address();
  const issuer = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  const clientId = 'dossierlink';
  const clientSecret = 'test-client-secret-0123456789abcdef';
  return {
    issuer,
    clientId,
    clientSecret,
    start(redirectUri) {
      const provider = new Provider(issuer, {
        clients: [{ client_id: clientId, client_secret: clientSecret, redirect_uris: [redirectUri], token_endpoint_auth_method: 'client_secret_post' }],
        cookies: { keys: ['test-cookie-key-0123456789'] },
        claims: { openid: ['sub'], profile: ['name', 'groups'], email: ['email'] },
        features: { devInteractions: { enabled: true } },
        ttl: { Interaction: 600, Grant: 600, Session: 600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
        async findAccount(_ctx: KoaContextWithOIDC, sub: string) {
          const p = people[sub];
          if (!p) return undefined;
          return { accountId: sub, claims: async () => ({ sub, name: p.name, email: p.email, groups: p.groups }) };
        },
        async loadExistingGrant(ctx: KoaContextWithOIDC) {
          const existing = ctx.oidc.result?.consent?.grantId || ctx.oidc.session!.grantIdFor(ctx.oidc.client!.clientId);
          if (existing) return ctx.oidc.provider.Grant.find(existing);
          const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client!.clientId, accountId: ctx.oidc.session!.accountId });
          grant.addOIDCScope('openid profile email');
          await grant.save();
          return grant;
        },
      });
      const handle = provider.callback();
      server.removeAllListeners('request');
      server.on('request', handle);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A tiny cookie jar per host, enough to walk the redirects of a sign-in with fetch. */
export class CookieJar {
  private readonly jars = new Map<string, Map<string, string>>();
  store(url: string, res: Response) {
    const host = new URL(url).host;
    const jar = this.jars.get(host) ?? new Map<string, string>();
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      const value = pair.slice(i + 1);
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(c)) jar.delete(pair.slice(0, i));
      else jar.set(pair.slice(0, i), value);
    }
    this.jars.set(host, jar);
  }
  header(url: string): string {
    return [...(this.jars.get(new URL(url).host) ?? new Map()).entries()].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  get(url: string, name: string): string | undefined {
    return this.jars.get(new URL(url).host)?.get(name);
  }
  /** One request without following redirects; cookies in and out. */
  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const res = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), cookie: this.header(url) } });
    this.store(url, res);
    return res;
  }
}
