#!/bin/sh
# obj_llvm.sh BUILD_DIR SHARED_DIR — `bpftk obj show -j` over every object
# of SHARED_DIR/corpus (except invalid/) cross-checked against LLVM's own
# reading of the same files: llvm-readelf -S/-s (sections, symbol values
# and sizes) and llvm-objdump -s (section bytes).
#
# From LLVM's tables the script derives, with the loader's documented rules
# (object.h), what the loader must report, and compares:
#   programs  one per global STT_FUNC symbol of a code section other than
#             .text (of .text when it is the only code), or per code section
#             without function symbols; its section, offset and own
#             instruction count (symbol size / 8, or section size / 8);
#   maps      legacy definitions decoded from the section bytes (type,
#             key/value size, max_entries, flags, in offset order, size =
#             section size / symbols); one map per global-data section with
#             value_size = section size;
#   license   the "license" bytes up to the first NUL;
#   version   the "version" u32.
# Also checks that the JSON parses (python3 json).  Prints the counts;
# fails on any mismatch.  Exit 77 when llvm-readelf, llvm-objdump or
# python3 is missing.
set -u
B=$(cd "$1" && pwd)
S=$2
for t in llvm-readelf llvm-objdump python3; do
	command -v "$t" >/dev/null 2>&1 || { echo "obj_llvm: $t missing, skipped"; exit 77; }
done
[ -x "$B/bpftk" ] || { echo "obj_llvm: $B/bpftk missing" >&2; exit 1; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT INT TERM
find "$S/corpus" -type f -name '*.o' ! -path '*/invalid/*' | sort > "$T/list"
while read -r f; do
	n=$(echo "$f" | tr '/' '_')
	"$B/bpftk" obj show -j "$f" > "$T/$n.json" 2> "$T/$n.err"
	echo $? > "$T/$n.rc"
	llvm-readelf -S -W "$f" > "$T/$n.sec" 2>/dev/null
	llvm-readelf -s -W "$f" > "$T/$n.sym" 2>/dev/null
	# the bytes of the sections that need them, in one run
	js=$(awk '/^ *\[ *[0-9]+\] (maps|license|version)/ {
		sub(/^ *\[ *[0-9]+\] /, ""); printf " -j %s", $1 }' "$T/$n.sec")
	: > "$T/$n.bytes"
	[ -n "$js" ] && llvm-objdump -s $js "$f" > "$T/$n.bytes" 2>/dev/null
done < "$T/list"
python3 - "$T" "$T/list" <<'PY'
import json, re, sys
tmp, listf = sys.argv[1], sys.argv[2]
files = [l.strip() for l in open(listf) if l.strip()]
bad = 0
counts = dict(objects=0, skipped=0, programs=0, insns=0, maps=0, data=0, lic=0, ver=0)

def fail(f, msg):
    global bad
    bad += 1
    print("MISMATCH %s: %s" % (f, msg))

def sections(path):
    out = {}
    for line in open(path):
        m = re.match(r'\s*\[\s*(\d+)\]\s+(.*)$', line)
        if not m or m.group(1) == '0':
            continue
        parts = m.group(2).split()
        # Name Type Address Off Size ES Flg Lk Inf Al (Flg may be empty)
        name, typ = parts[0], parts[1]
        size = int(parts[4], 16)
        flags = parts[6] if len(parts) == 10 else ''
        out[int(m.group(1))] = dict(name=name, type=typ, size=size, flags=flags)
    return out

def symbols(path):
    out = []
    for line in open(path):
        p = line.split()
        if len(p) < 7 or not p[0].endswith(':') or not p[0][:-1].isdigit():
            continue
        ndx = p[6]
        out.append(dict(value=int(p[1], 16), size=int(p[2]), type=p[3],
                        bind=p[4], ndx=int(ndx) if ndx.isdigit() else -1,
                        name=p[7] if len(p) > 7 else ''))
    return out

def dump_bytes(path):
    secs, cur = {}, None
    for line in open(path):
        m = re.match(r'Contents of section (.*):$', line.strip())
        if m:
            cur = m.group(1)
            secs[cur] = bytearray()
            continue
        m = re.match(r'\s*[0-9a-f]{4,} ((?:[0-9a-f]{2,8} ?)+)', line)
        if m and cur is not None:
            hexs = ''.join(m.group(1).split())
            secs[cur] += bytes.fromhex(hexs)
    return secs

for f in files:
    n = f.replace('/', '_')
    rc = int(open('%s/%s.rc' % (tmp, n)).read())
    if rc != 0:
        counts['skipped'] += 1
        print("not opened (see test_object_corpus): %s: %s" %
              (f, open('%s/%s.err' % (tmp, n)).read().strip().splitlines()[0]))
        continue
    try:
        j = json.load(open('%s/%s.json' % (tmp, n)))
    except ValueError as e:
        fail(f, "invalid JSON: %s" % e)
        continue
    counts['objects'] += 1
    big = j['endian'] == 'big'
    secs = sections('%s/%s.sec' % (tmp, n))
    syms = symbols('%s/%s.sym' % (tmp, n))
    code = {i for i, s in secs.items()
            if 'X' in s['flags'] and s['type'] == 'PROGBITS' and s['size'] > 0}
    text = [i for i in code if secs[i]['name'] == '.text']
    funcs = [y for y in syms if y['type'] == 'FUNC' and y['ndx'] in code]
    only_text = all(secs[i]['name'] == '.text' for i in code)
    want = []
    for y in funcs:
        on_text = secs[y['ndx']]['name'] == '.text'
        if y['bind'] == 'LOCAL' or (on_text and not only_text):
            continue
        want.append((y['name'], secs[y['ndx']]['name'], y['value'], y['size'] // 8))
    for i in code:
        if secs[i]['name'] == '.text' and not only_text:
            continue
        if not any(y['ndx'] == i for y in funcs):
            want.append((None, secs[i]['name'], 0, secs[i]['size'] // 8))
    got = [(p['name'], p['section'], p['section_offset'], p['main_insns'])
           for p in j['programs']]
    for w in want:
        if w[0] is None:
            hit = [g for g in got if g[1] == w[1] and g[2:] == w[2:]]
        else:
            hit = [g for g in got if g == w]
        if not hit:
            fail(f, "program %s not reported as expected (got %s)" % (w, got))
        else:
            counts['programs'] += 1
            counts['insns'] += w[3]
    if len(got) != len(want):
        fail(f, "%d programs, LLVM's tables give %d" % (len(got), len(want)))
    # legacy maps from the section bytes
    raw = dump_bytes('%s/%s.bytes' % (tmp, n))
    maps = j['maps']
    legacy = [m for m in maps if m['kind'] == 'legacy']
    expect = []
    for i, s in sorted(secs.items()):
        if not (s['name'] == 'maps' or s['name'].startswith('maps/')) or s['size'] == 0:
            continue
        ms = sorted([y for y in syms if y['ndx'] == i and y['type'] not in ('SECTION', 'FILE')],
                    key=lambda y: y['value'])
        data = raw.get(s['name'], b'')
        if not ms or len(data) != s['size']:
            fail(f, "cannot read section %s" % s['name'])
            continue
        dsz = s['size'] // len(ms)
        for y in ms:
            b = data[y['value']:y['value'] + 20]
            w = [int.from_bytes(b[k:k + 4], 'big' if big else 'little') for k in range(0, 20, 4)]
            expect.append((y['name'], w))
    if len(expect) != len(legacy):
        fail(f, "%d legacy maps, bytes give %d" % (len(legacy), len(expect)))
    for (name, w), m in zip(expect, legacy):
        g = [m['type_id'], m['key_size'], m['value_size'], m['max_entries'], m['flags']]
        if m['name'] != name or g != w:
            fail(f, "legacy map %s %s, bytes say %s %s" % (m['name'], g, name, w))
        else:
            counts['maps'] += 1
    # global data: one map per section, value = section size
    for i, s in sorted(secs.items()):
        nm = s['name']
        isdata = (s['type'] == 'PROGBITS' and s['size'] > 0 and 'X' not in s['flags'] and
                  (nm in ('.data', '.rodata') or nm.startswith('.data.') or nm.startswith('.rodata.'))) or \
                 (s['type'] == 'NOBITS' and nm == '.bss' and s['size'] > 0)
        if not isdata:
            continue
        hit = [m for m in maps if m['section'] == nm and m['value_size'] == s['size']
               and m['kind'] in ('data', 'rodata', 'bss')]
        if len(hit) != 1:
            fail(f, "no map for data section %s (%d bytes)" % (nm, s['size']))
        else:
            counts['data'] += 1
    # license and version
    lic = raw.get('license')
    if lic is not None:
        want_lic = bytes(lic).split(b'\0')[0].decode('latin-1')
        if j['license'] != want_lic:
            fail(f, "license %r, bytes say %r" % (j['license'], want_lic))
        else:
            counts['lic'] += 1
    elif j['license'] is not None:
        fail(f, "license %r without a license section" % j['license'])
    ver = raw.get('version')
    if ver is not None and len(ver) == 4:
        v = int.from_bytes(bytes(ver), 'big' if big else 'little')
        if j['kernel_version'] != v:
            fail(f, "kernel version %r, bytes say %d" % (j['kernel_version'], v))
        else:
            counts['ver'] += 1

print("obj_llvm: %(objects)d objects compared (%(skipped)d not opened), "
      "%(programs)d programs (%(insns)d instructions), %(maps)d legacy maps, "
      "%(data)d global-data maps, %(lic)d licenses, %(ver)d kernel versions "
      "agree with llvm-readelf/llvm-objdump" % counts)
print("obj_llvm: %d mismatches" % bad)
sys.exit(1 if bad else 0)
PY
