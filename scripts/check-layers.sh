#!/usr/bin/env bash
# Checks the crate's layering with a scan of `use` and `crate::` / `super::`
# paths in src/ (comments, strings and `#[cfg(test)]` modules aside):
#   - the core (src/core) imports no other module of the crate;
#   - db imports only the core;
#   - a feature imports the core, db, and another feature only along an
#     allowed, one-way edge (ALLOWED below);
#   - nothing imports the composition root (src/security) but lib.rs;
#   - no cycle among files, and none among top-level modules;
#   - no HTML outside the templates: a string literal with an HTML tag only
#     inside a maud `html! { ... }` template or a test (doc comments aside),
#     and `PreEscaped` (escaping off) only over a literal or a constant.
# Prints every violation and exits 1 if there is one.
#
#   scripts/check-layers.sh          # check
#   scripts/check-layers.sh --graph  # also print the module graph
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 - "$@" <<'PY'
import os, re, sys

SRC = "src"
CORE, DB, ROOT = "core", "db", "security"
# Feature -> features it may use (one-way, real dependencies only).
ALLOWED = {
    "session": {"auth"},   # an expired session is refused through auth's answer
    "reports": {"csp", "csrf"},  # the dashboard sends a nonce for its inline code;
                                 # its triage forms run only once CSRF protection passed them
}

def strip(text):
    """Removes comments, string/char literals and #[cfg(test)] modules."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if text.startswith("/*", i): depth, i = depth + 1, i + 2
                elif text.startswith("*/", i): depth, i = depth - 1, i + 2
                else: i += 1
        elif c == 'r' and re.match(r'r#*"', text[i:i+10]) and (i == 0 or not (text[i-1].isalnum() or text[i-1] == '_')):
            m = re.match(r'r(#*)"', text[i:])
            end = text.find('"' + m.group(1), i + len(m.group(0)))
            out.append('""'); i = n if end < 0 else end + 1 + len(m.group(1))
        elif c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == '\\' else 1
            out.append('""'); i += 1
        elif c == "'" and re.match(r"'(\\.|[^\\'])'", text[i:i+4] + "    ") and not re.match(r"'[a-zA-Z_]\w*[^'\w]", text[i:i+40]):
            m = re.match(r"'(\\[^']*|[^\\'])'", text[i:])
            i += len(m.group(0)) if m else 1
            out.append("' '")
        else:
            out.append(c); i += 1
    s = "".join(out)
    # Drop `#[cfg(test)] mod x { ... }` blocks.
    while True:
        m = re.search(r"#\[cfg\(test\)\]\s*(pub(\([^)]*\))?\s+)?mod\s+\w+\s*\{", s)
        if not m: break
        depth, j = 1, m.end()
        while j < len(s) and depth:
            depth += {"{": 1, "}": -1}.get(s[j], 0); j += 1
        s = s[:m.start()] + s[j:]
    return s

def module_of(path):
    rel = os.path.relpath(path, SRC)[:-3].split(os.sep)
    if rel[-1] in ("mod", "lib"): rel = rel[:-1]
    return rel

files = {}
for d, _, names in os.walk(SRC):
    for f in names:
        if f.endswith(".rs"):
            p = os.path.join(d, f)
            files[tuple(module_of(p))] = p

def resolve(parts):
    """The file a module path lands in (longest existing module prefix)."""
    for k in range(len(parts), -1, -1):
        if tuple(parts[:k]) in files:
            return files[tuple(parts[:k])]
    return None

def expand(tree):
    """`a::{b, c::{d, e}}` -> [a::b, a::c::d, a::c::e]."""
    tree = tree.replace(" ", "").replace("\n", "")
    depth = 0
    for i, ch in enumerate(tree):
        if ch == "{" and depth == 0:
            prefix, inner = tree[:i], tree[i+1:tree.rindex("}")]
            items, buf, d = [], "", 0
            for x in inner:
                if x == "," and d == 0: items.append(buf); buf = ""; continue
                d += {"{": 1, "}": -1}.get(x, 0); buf += x
            items.append(buf)
            return [p for it in items if it for p in expand(prefix + it)]
    return [tree]

def paths_in(text):
    body = strip(text)
    found = []
    for m in re.finditer(r"\buse\s+([^;]+);", body):
        found += [p.split(" as ")[0].split("as")[0] if False else re.sub(r"\bas\b.*$", "", p) for p in expand(m.group(1))]
    rest = re.sub(r"\buse\s+[^;]+;", "", body)
    found += re.findall(r"\b(?:crate|super|self)(?:::\w+)+", rest)
    return found

edges = {}
for mod, path in files.items():
    text = open(path, encoding="utf-8").read()
    is_dir_mod = os.path.basename(path) in ("mod.rs", "lib.rs")
    here = list(mod)
    targets = set()
    for p in paths_in(text):
        parts = [x for x in p.split("::") if x]
        if not parts: continue
        if parts[0] == "crate":
            parts = parts[1:]
        elif parts[0] in ("super", "self"):
            base = list(here) if is_dir_mod else list(here[:-1])
            # `self::` in a file is that file's module; `super::` its parent.
            if parts[0] == "self":
                base = list(here)
                parts = parts[1:]
            else:
                while parts and parts[0] == "super":
                    parts = parts[1:]
                    if parts and parts[0] == "super":
                        base = base[:-1]
            parts = base + parts
        else:
            continue
        t = resolve(parts)
        if t and t != path:
            targets.add(t)
    edges[path] = targets

def top(path):
    m = module_of(path)
    return m[0] if m else "lib"

problems = []
for f, ts in edges.items():
    a = top(f)
    for t in ts:
        b = top(t)
        if a == b or a == "lib":
            continue
        if b == "lib":
            problems.append(f"{f} -> {t}: only the crate root may name items through `crate::` re-exports; use the defining module")
        elif a == CORE:
            problems.append(f"{f} -> {t}: the core imports no feature")
        elif a == DB and b != CORE:
            problems.append(f"{f} -> {t}: db imports only the core")
        elif b == ROOT:
            problems.append(f"{f} -> {t}: nothing below the composition root may import it")
        elif a != ROOT and b not in (CORE, DB) and b not in ALLOWED.get(a, set()):
            problems.append(f"{f} -> {t}: feature `{a}` may not import feature `{b}` (allowed: {sorted(ALLOWED.get(a, set())) or 'none'})")

def cycles(graph):
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]
    sys.setrecursionlimit(10000)
    def visit(v):
        index[v] = low[v] = counter[0]; counter[0] += 1
        stack.append(v); on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w); low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop(); on.discard(w); comp.append(w)
                if w == v: break
            if len(comp) > 1: out.append(sorted(comp))
    for v in list(graph):
        if v not in index: visit(v)
    return out

# HTML lives in templates only: a string literal holding an HTML tag is
# allowed inside a maud `html! { ... }` template (where every spliced value
# is escaped) and in tests, nowhere else in src/ (doc comments aside: their
# examples show users their own pages).
TAG = re.compile(r"</?(!doctype|html|head|body|title|style|script|meta|link|h[1-6]|p|div|span|table|thead|tbody|tr|td|th|svg|rect|input|form|button|select|option|label|a|code|pre|br|nav|strong|em|ul|ol|li|img|iframe)(\s|/?>)", re.I)

def literal_spans(text):
    """The text with comments and literals blanked, and the (start, end) of each string literal."""
    out, spans, i, n = list(text), [], 0, len(text)
    def blank(a, b):
        for k in range(a, b):
            if out[k] != "\n": out[k] = " "
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i); j = n if j < 0 else j
            blank(i, j); i = j
        elif text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j): depth, j = depth + 1, j + 2
                elif text.startswith("*/", j): depth, j = depth - 1, j + 2
                else: j += 1
            blank(i, j); i = j
        elif re.match(r'b?r#*"', text[i:i+10]) and (i == 0 or not (text[i-1].isalnum() or text[i-1] == '_')) and c in "br":
            m = re.match(r'b?r(#*)"', text[i:])
            end = text.find('"' + m.group(1), i + len(m.group(0)))
            j = n if end < 0 else end + 1 + len(m.group(1))
            spans.append((i, j)); blank(i, j); i = j
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == '\\' else 1
            j += 1
            spans.append((i, j)); blank(i, j); i = j
        elif c == "'" and re.match(r"'(\\.|[^\\'])'", text[i:i+4] + "    ") and not re.match(r"'[a-zA-Z_]\w*[^'\w]", text[i:i+40]):
            m = re.match(r"'(\\[^']*|[^\\'])'", text[i:])
            j = i + (len(m.group(0)) if m else 1)
            blank(i, j); i = j
        else:
            i += 1
    return "".join(out), spans

def block_end(masked, open_at):
    """The end of the bracketed block that opens at `open_at`."""
    pairs = {"{": "}", "(": ")", "[": "]"}
    o, depth, j = masked[open_at], 0, open_at
    while j < len(masked):
        if masked[j] == o: depth += 1
        elif masked[j] == pairs[o]:
            depth -= 1
            if depth == 0: return j + 1
        j += 1
    return len(masked)

for path in sorted(files.values()):
    text = open(path, encoding="utf-8").read()
    masked, spans = literal_spans(text)
    allowed = []
    for m in re.finditer(r"\bhtml!\s*[{(\[]|#\[cfg\(test\)\]\s*(pub(\([^)]*\))?\s+)?mod\s+\w+\s*\{", masked):
        allowed.append((m.start(), block_end(masked, m.end() - 1)))
    for a, b in spans:
        if any(x <= a and b <= y for x, y in allowed): continue
        t = TAG.search(text[a:b])
        if t:
            line = text.count("\n", 0, a) + 1
            problems.append(f"{path}:{line}: HTML outside a template ({t.group(0).strip()!r}): write it in a maud `html!` template")
    # `PreEscaped` turns escaping off: only for a string literal or a
    # constant (the doctype, the style sheet), never for a value.
    for m in re.finditer(r"\bPreEscaped\s*\(", masked):
        at = m.end() + len(text[m.end():]) - len(text[m.end():].lstrip())
        arg = text[at:at + 60]
        literal = any(a == at for a, _ in spans)
        constant = re.match(r"[A-Z][A-Z0-9_]*\s*\)", arg)
        if not (literal or constant):
            line = text.count("\n", 0, m.start()) + 1
            problems.append(f"{path}:{line}: PreEscaped over a value turns escaping off: splice the value as `(value)` in the template")

for c in cycles(edges):
    problems.append("file cycle: " + " -> ".join(c))
mods = {}
for f, ts in edges.items():
    for t in ts:
        if top(f) != top(t):
            mods.setdefault(top(f), set()).add(top(t))
for c in cycles(mods):
    problems.append("module cycle: " + " -> ".join(c))

if "--graph" in sys.argv:
    for a in sorted(mods):
        print(f"{a} -> {', '.join(sorted(mods[a]))}")
if problems:
    print("layering violations:")
    for p in sorted(problems):
        print("  " + p)
    sys.exit(1)
print(f"layers ok: {len(files)} files, modules {', '.join(sorted(set(top(p) for p in files.values())))}")
PY
