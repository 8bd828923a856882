import type { ParsedMail } from 'mailparser';

export type MailFile = { name: string | null; content: Buffer; related: boolean };

/** The attachments, those of messages forwarded as attachments included (three levels deep), and who sent those. */
export async function attachmentsOf(parsed: ParsedMail, depth = 0, out: { files: MailFile[]; forwardedFrom: string[] } = { files: [], forwardedFrom: [] }) {
  for (const att of parsed.attachments) {
    if (att.contentType === 'message/rfc822' && depth < 3) {
      const { simpleParser } = await import('mailparser');
      const inner = await simpleParser(att.content);
      const from = inner.from?.value?.[0]?.address;
      if (from) out.forwardedFrom.push(from);
      await attachmentsOf(inner, depth + 1, out);
      continue;
    }
    out.files.push({ name: att.filename ?? null, content: att.content, related: att.related === true });
  }
  return out;
}
