// The digits of quantities on Arabic pages, by the site setting `site.arabic_digits` (docs/configuration.md):
// the page says `<html data-numbering="arab">` (Arabic-Indic, ٠١٢٣) or "latn" (Western, 0123, Morocco's and
// the default). Ticket codes, counter numbers and references are not quantities: they stay Western, as
// printed and announced. Quantities are marked `data-digits`; whatever the page's scripts write into them
// later is converted too.
export const numbering = document.documentElement.dataset.numbering === "arab" ? "arab" : "latn";

const glyphs = Array.from({ length: 10 },
  (_, digit) => new Intl.NumberFormat("ar", { numberingSystem: numbering, useGrouping: false }).format(digit));

export function localDigits(text) {
  return numbering === "latn" ? text : text.replace(/[0-9]/g, (digit) => glyphs[Number(digit)]);
}

function convert(element) {
  const texts = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
  for (let text = texts.nextNode(); text; text = texts.nextNode()) {
    if (/[0-9]/.test(text.data)) text.data = localDigits(text.data);
  }
}

export function watchDigits(root = document.body) {
  if (numbering === "latn") return;
  root.querySelectorAll("[data-digits]").forEach(convert);
  new MutationObserver((records) => {
    for (const record of records) {
      const target = record.target.nodeType === Node.ELEMENT_NODE ? record.target : record.target.parentElement;
      const holder = target?.closest("[data-digits]");
      if (holder) convert(holder);
      for (const node of record.addedNodes) {
        if (node.nodeType === Node.ELEMENT_NODE) node.querySelectorAll("[data-digits]").forEach(convert);
      }
    }
  }).observe(root, { subtree: true, childList: true, characterData: true });
}
