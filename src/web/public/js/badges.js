// Menu badges: how much waits for the signed-in person (review items, coupon reviews,
// disposals proposed by someone else that await a second officer). Refreshed on every screen.
import { api, session } from './api.js';
import { h } from './dom.js';
import { t } from './i18n.js';
import { may } from './ui.js';

const SOURCES = [
  { path: 'review', roles: ['mailroom'], count: async () => (await api('GET', '/api/review', { query: { limit: 1 } })).total },
  { path: 'coupons', roles: ['mailroom'], count: async () => (await api('GET', '/api/coupons/review', { query: { status: 'open', limit: 500 } })).items.length },
  {
    path: 'retention',
    roles: ['compliance'],
    count: async (me) => (await api('GET', '/api/disposals', { query: { status: 'proposed' } })).disposals.filter((d) => d.proposedBy?.id !== me.id).length,
  },
];

let seq = 0;
export async function refreshBadges() {
  const me = session.me;
  if (!me) return;
  const mine = ++seq;
  await Promise.all(
    SOURCES.filter((s) => may(me, s.roles)).map(async (s) => {
      let n = 0;
      try {
        n = await s.count(me);
      } catch {
        return; // a badge is a hint; the screen itself shows what is wrong
      }
      if (mine !== seq) return;
      const a = document.querySelector(`#nav a[data-path="${s.path}"]`);
      if (!a) return;
      a.querySelector('.nav-badge')?.remove();
      if (n > 0) a.append(' ', h('span', { class: 'nav-badge', dataset: { count: String(n) }, 'aria-label': t('nav.waiting', { n }) }, String(n)));
    }),
  );
}
