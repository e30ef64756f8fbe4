/**
 * Text from a source (display names, logins, error bodies) is attacker-controlled: an ESC sequence can rewrite the
 * screen, a carriage return or newline can fake a table row, and a bidi override can make `evil.exe` read as
 * `exe.live`. Every terminal renderer and the text logger pass such text through `visible`: control and
 * direction-changing characters become readable escapes (`\x1b`, `<U+202E>`), everything else is unchanged.
 */

// C0 controls, DEL and C1 controls: matching them is the point.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
// Bidi embeddings, overrides and isolates, the implicit marks, and the Arabic letter mark.
const BIDI = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g;

export function visible(text: string): string {
  return text
    .replace(CONTROL, (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`)
    .replace(BIDI, (char) => `<U+${char.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}>`);
}

/** `visible` for multi-line text we wrote ourselves around source values: keeps the line breaks. */
export function visibleLines(text: string): string {
  return text.split('\n').map(visible).join('\n');
}
