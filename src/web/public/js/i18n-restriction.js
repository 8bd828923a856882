// Texts about GDPR art. 18 (restriction of processing) on the coupon and mailing screens: a held
// reply coupon, withheld letters. Merged into the main dictionary by i18n.js; a file of its own so
// parallel work on i18n.js does not collide.

const plural = (one, many) => (p) => (p.n === 1 ? one : many).replace(/\{(\w+)\}/g, (_, k) => String(p[k] ?? ''));

export const RESTRICTION = {
  nl: {
    'coupons.held': '{code}: vastgehouden. De verwerking van deze klant is beperkt (AVG art. 18): er is niets bij de klant vastgelegd. Leg de coupon apart voor compliance.',
    'coupons.reason.restricted': 'Vastgehouden: verwerking beperkt',
    'coupons.reasonHelp.restricted': 'De verwerking van deze klant is beperkt (AVG art. 18): de coupon is bewaard, het antwoord niet vastgelegd. Vervallen verklaren kan altijd; vastleggen (code opslaan) pas nadat de beperking is opgeheven.',
    'coupons.sum.restricted': 'vastgehouden (verwerking beperkt)',
    'coupons.noImage': 'Geen afbeelding: deze coupon is los gescand, het papier ligt bij de postkamer.',
    'coupons.withheld': 'Achtergehouden',
    'ml.withheldCol': 'Achtergehouden',
    'ml.withheld': plural('1 brief achtergehouden: de verwerking van die klant is beperkt (AVG art. 18); niet verstuurd.', '{n} brieven achtergehouden: de verwerking van die klanten is beperkt (AVG art. 18); niet verstuurd.'),
  },
  en: {
    'coupons.held': '{code}: held. This customer\'s processing is restricted (GDPR art. 18): nothing was recorded on the customer. Set the coupon aside for compliance.',
    'coupons.reason.restricted': 'Held: processing restricted',
    'coupons.reasonHelp.restricted': 'This customer\'s processing is restricted (GDPR art. 18): the coupon is kept, its reply not recorded. It can be discarded at any time; recorded (save the code) only once the restriction is lifted.',
    'coupons.sum.restricted': 'held (processing restricted)',
    'coupons.noImage': 'No image: this coupon was scanned on its own, the paper is with the mailroom.',
    'coupons.withheld': 'Withheld',
    'ml.withheldCol': 'Withheld',
    'ml.withheld': plural('1 letter withheld: that customer\'s processing is restricted (GDPR art. 18); not sent.', '{n} letters withheld: those customers\' processing is restricted (GDPR art. 18); not sent.'),
  },
};
