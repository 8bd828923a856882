// Mailroom: the e-mail intake (GET /api/mail-intake): is a mailbox configured, how did the last
// read go, and what became of each message. "Read now" polls at once (POST /api/mail-intake/poll).
import { api } from '../api.js';
import { h, replace, select, field } from '../dom.js';
import { t } from '../i18n.js';
import { announce, badge, errorSentence, errorText, failureText, fmtDateTime, header, poll, table } from '../ui.js';

const TONE = { queued: 'info', done: 'ok', failed: 'bad' };

export async function render(main, { query, navigate }) {
  const status = select([['', t('mail.allMessages')], ...['queued', 'done', 'failed'].map((s) => [s, t(`mail.status.${s}`)])], { id: 'mail-status', value: query.status ?? '' });
  status.addEventListener('change', () => navigate('mail-intake', { status: status.value }));
  const box = h('section', { class: 'card', id: 'mail-config' });
  const counts = h('div', { class: 'kpis', id: 'mail-counts' });
  const list = h('div', { id: 'mail-messages' });
  const pollBtn = h('button', { type: 'button', class: 'primary', id: 'mail-poll', onclick: pollNow }, t('mail.pollNow'));
  const pollMsg = h('p', { id: 'mail-poll-result', role: 'status' });

  async function load() {
    const r = await api('GET', '/api/mail-intake', { query: { status: status.value, limit: 100 } });
    drawConfig(r);
    replace(counts, ['queued', 'done', 'failed'].map((s) => h('div', { class: 'kpi', dataset: { status: s } }, h('div', { class: 'n' }, String(r.counts[s] ?? 0)), h('div', { class: 'l' }, t(`mail.status.${s}`)))));
    replace(
      list,
      table(
        [
          { label: t('mail.received'), cell: (m) => fmtDateTime(m.receivedAt ?? m.createdAt) },
          { label: t('mail.status'), cell: (m) => badge(t(`mail.status.${m.status}`), TONE[m.status] ?? 'neutral') },
          { label: t('mail.sender'), cell: (m) => [m.sender ?? '—', h('div', { class: 'small' }, m.subject ?? '')] },
          // A restricted customer's message (GDPR art. 18) comes without sender, subject and customer: say why.
          { label: t('common.customer'), cell: (m) => (m.restricted ? badge(t('customers.restricted'), 'warn') : (m.customerId ?? h('span', { class: 'muted' }, t('upload.noCustomer')))) },
          { label: t('mail.documents'), cell: documents },
          { label: t('mail.problems'), cell: problems },
        ],
        r.messages,
        { empty: r.enabled ? t('mail.noMessages') : t('mail.noMessagesOff'), rowAttrs: (m) => ({ class: 'mail-message', dataset: { status: m.status, id: m.id } }) },
      ),
    );
  }

  function drawConfig(r) {
    if (!r.enabled) {
      replace(
        box,
        h('h2', {}, t('mail.notConfigured')),
        h('p', {}, t('mail.howToConfigure')),
        h('ul', { class: 'small', id: 'mail-env' }, ['DOSSIER_IMAP_URL', 'DOSSIER_IMAP_HOST', 'DOSSIER_IMAP_INTERVAL_MS', 'DOSSIER_IMAP_PROCESSED'].map((v) => h('li', {}, h('code', {}, v), ' — ', t(`mail.env.${v}`)))),
        h('p', { class: 'small muted' }, t('mail.seeReadme')),
      );
      box.dataset.enabled = 'false';
      pollBtn.disabled = true;
      return;
    }
    const mb = r.mailbox;
    const last = r.lastPoll;
    replace(
      box,
      h('h2', {}, t('mail.configured')),
      h(
        'dl',
        { class: 'kv' },
        h('dt', {}, t('mail.mailbox')), h('dd', {}, h('code', {}, `${mb.user ?? ''}@${mb.host}:${mb.port}${mb.secure ? ' (TLS)' : ''} · ${mb.mailbox}`)),
        h('dt', {}, t('mail.afterwards')), h('dd', {}, mb.processed === 'move' ? t('mail.moveTo', { to: mb.moveTo }) : t('mail.flagged')),
        h('dt', {}, t('mail.interval')), h('dd', {}, t('mail.everySeconds', { n: Math.round(mb.intervalMs / 1000) })),
        h('dt', {}, t('mail.lastPoll')),
        h('dd', { id: 'mail-last-poll' }, last ? [fmtDateTime(last.at), ' · ', last.ok ? badge(t('mail.pollOk'), 'ok') : badge(t('mail.pollFailed'), 'bad'), last.error ? h('span', { class: 'error small' }, ` ${last.error}`) : '', last.ok ? ` · ${t('mail.pollCounts', last)}` : ''] : t('mail.neverPolled')),
        // With several worker processes one reads the mailbox; "last read" above is this process's own.
        ...(r.lease ? [h('dt', {}, t('mail.readBy')), h('dd', { id: 'mail-lease' }, h('code', {}, r.lease.holder), r.lease.thisProcess ? ` · ${t('mail.thisProcess')}` : '', h('span', { class: 'muted small' }, ` · ${t('mail.leaseUntil', { at: fmtDateTime(r.lease.expiresAt) })}`))] : []),
      ),
    );
    box.dataset.enabled = 'true';
    pollBtn.disabled = false;
  }

  function documents(m) {
    if (!m.documents.length) return h('span', { class: 'muted' }, '—');
    return h('ul', { class: 'plain' }, m.documents.map((d) => h('li', {}, h('a', { href: `#/document/${encodeURIComponent(d.documentId)}` }, d.name ?? d.documentId), d.duplicate ? h('span', { class: 'muted small' }, ` · ${t('upload.duplicate')}`) : '')));
  }

  function problems(m) {
    const out = [];
    // The reason in the user's language when its code has a text (error.<code>), else as the server said it.
    // A restricted customer's message (GDPR art. 18) comes without its server-side texts: say so in the user's language.
    const reason = (s) => (s.code && t(`error.${s.code}`) !== `error.${s.code}` ? t(`error.${s.code}`) : m.restricted ? t('mail.hidden') : s.reason);
    if (m.skipped?.length) out.push(h('ul', { class: 'plain small skipped' }, m.skipped.map((s) => h('li', {}, t('mail.skipped', { name: s.name ?? t('mail.noName'), reason: reason(s) })))));
    // Why it failed as the processing screen says it (error.<code> of its job), the server's own text folded below.
    if (m.error && m.restricted) out.push(h('div', { class: 'error small' }, t('mail.hidden')));
    else if (m.error) {
      const said = failureText({ errorCode: m.job?.lastErrorCode, errorDetails: m.job?.lastErrorDetails, error: errorSentence(m.error) }, { job: true });
      out.push(h('div', { class: 'error small mail-error' }, said));
      if (said !== m.error) out.push(h('details', { class: 'small' }, h('summary', {}, t('jobs.technical')), h('pre', { class: 'mono small job-stack' }, m.error)));
    }
    if (m.status === 'failed') {
      const job = m.job ? t('mail.attempts', { n: m.job.attempts, max: m.job.maxAttempts }) : '';
      out.push(h('div', { class: 'small' }, job, job ? ' · ' : '', h('a', { href: '#/jobs?status=failed', class: 'mail-retry' }, t('mail.toJobs'))));
    }
    return out.length ? out : h('span', { class: 'muted' }, '—');
  }

  async function pollNow() {
    pollBtn.disabled = true;
    replace(pollMsg, t('mail.polling'));
    try {
      const r = await api('POST', '/api/mail-intake/poll');
      const text = r.ok ? t('mail.polled', r) : t('mail.pollError', { error: r.error ?? '' });
      replace(pollMsg, h('span', { class: r.ok ? '' : 'error' }, text));
      announce(text, r.ok ? 'ok' : 'error');
      await load();
    } catch (err) {
      replace(pollMsg, h('span', { class: 'error' }, errorText(err)));
    } finally {
      pollBtn.disabled = box.dataset.enabled !== 'true';
    }
  }

  main.append(
    header(t('mail.title'), t('mail.intro'), h('a', { class: 'button', href: '#/jobs' }, t('nav.jobs'))),
    box,
    h('section', { class: 'card' }, h('div', { class: 'row' }, field(t('mail.filter'), status), pollBtn), pollMsg, counts, list),
  );
  await load();
  // New mail and finished jobs show up without a reload.
  return poll(() => load().catch(() => undefined), 10_000);
}
