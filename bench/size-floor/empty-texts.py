"""Size-floor cut 7: every message text in the crate's Rust source becomes "".

A message text is a plain string literal ("...") with a space in it and no `{`/`}` (a format
string would lose its arguments' places). Literals of attributes (`#[wasm_bindgen(...)]`: inline
JS, TypeScript types), raw strings, byte strings, comments and char literals are left as they are;
so are identifiers, keys, event names, transport names and JSON fragments (no space).
Usage: python3 bench/size-floor/empty-texts.py FILE... (bench/size-floor.sh runs it)
"""
import re, sys

ATTR_KEYS = re.compile(r'(unchecked_param_type|unchecked_return_type|unchecked_optional_param_type|'
                       r'inline_js|js_name|typescript_type|js_namespace|module|js_class|getter|setter)\s*=\s*$')

def transform(src):
    out = []
    i, n = 0, len(src)
    attr_depth = 0  # inside #[ ... ]
    bracket = 0
    while i < n:
        c = src[i]
        if src.startswith('//', i):
            j = src.find('\n', i)
            j = n if j < 0 else j
            out.append(src[i:j]); i = j; continue
        if src.startswith('/*', i):
            j = src.find('*/', i) + 2
            out.append(src[i:j]); i = j; continue
        if src.startswith('#[', i) or src.startswith('#![', i):
            # copy the whole attribute verbatim (balanced brackets, strings inside)
            j = src.find('[', i); depth = 0; k = j
            while k < n:
                ch = src[k]
                if ch == '"':
                    k += 1
                    while src[k] != '"':
                        k += 2 if src[k] == '\\' else 1
                elif ch == '[': depth += 1
                elif ch == ']':
                    depth -= 1
                    if depth == 0: break
                k += 1
            out.append(src[i:k+1]); i = k + 1; continue
        m = re.match(r'(b?r)(#*)"', src[i:])
        if m and (i == 0 or not (src[i-1].isalnum() or src[i-1] == '_')):
            hashes = m.group(2)
            end = src.find('"' + hashes, i + len(m.group(0)))
            j = end + 1 + len(hashes)
            out.append(src[i:j]); i = j; continue
        if c == "'":
            m = re.match(r"'(\\u\{[0-9a-fA-F]+\}|\\x[0-9a-fA-F]{2}|\\.|[^\\'])'", src[i:])
            if m:
                out.append(m.group(0)); i += len(m.group(0)); continue
            out.append(c); i += 1; continue
        if c == '"':
            j = i + 1
            while src[j] != '"':
                j += 2 if src[j] == '\\' else 1
            lit = src[i:j+1]
            byte = i > 0 and src[i-1] == 'b' and not (i > 1 and (src[i-2].isalnum() or src[i-2] == '_'))
            line_start = src.rfind('\n', 0, i) + 1
            before = src[line_start:i]
            body = lit[1:-1]
            if (not byte and ' ' in body.replace('\\\n', '') and '{' not in body and '}' not in body
                    and not ATTR_KEYS.search(before)):
                out.append('""')
            else:
                out.append(lit)
            i = j + 1; continue
        out.append(c); i += 1
    return ''.join(out)

for path in sys.argv[1:]:
    s = open(path).read()
    # Unit tests (a `mod tests` under #[cfg(...test...)], at the end of a file) are left alone.
    m = re.search(r'\n#\[cfg\([^\n]*test[^\n]*\)\]\n(pub )?mod tests', s)
    cut = m.start() if m else len(s)
    t = transform(s[:cut]) + s[cut:]
    if t != s:
        open(path, 'w').write(t)
