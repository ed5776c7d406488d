#!/usr/bin/env python3
# The README shows the demo's trace and a state dump as the code produces
# them. This script runs the demo under uiommufd-run to make both, with the
# parts that change from run to run (pids, user and context addresses)
# elided, and either checks the README's copies (--check, a meson test) or
# rewrites them (--update). The README's VFIO trace excerpt (block
# trace-vfio) is checked too: each of its lines must be a line of
# test/trace/expected.txt, the trace the suite compares (test/trace).
#
#   readme-samples.py UIOMMUFD_RUN DEMO README (--check | --update)
import json
import os
import re
import subprocess
import sys
import tempfile

DUMP_AFTER = 7  # the state once the copy is made


def run_demo(run, demo):
    with tempfile.NamedTemporaryFile("r") as trace, \
            tempfile.NamedTemporaryFile("r") as dump:
        subprocess.run([run, "--trace", trace.name, "--dump", dump.name,
                        "--dump-after", str(DUMP_AFTER), "--", demo],
                       check=True, stdout=subprocess.DEVNULL)
        return trace.read(), dump.read()


# User addresses: where mmap put the demo's buffers, usually 0x7f..., but
# anywhere the sanitizers leave room. Shown as 0x7f… whatever they are.
USER_ADDR = r"0x[0-9a-f]{11,12}\b"


def elide_trace(text):
    text = re.sub(r"^\[\d+\]", "[pid]", text, flags=re.M)
    return re.sub(USER_ADDR, "0x7f…", text)


def format_dump(text):
    line = next(l for l in text.splitlines()
                if json.loads(l)["when"] == "after-call-%d" % DUMP_AFTER)
    d = json.loads(line)
    out = ["{"]
    keys = list(d)
    for i, k in enumerate(keys):
        v = d[k]
        end = "," if i + 1 < len(keys) else ""
        if isinstance(v, list) and v:
            out.append("  %s: [" % json.dumps(k))
            for j, item in enumerate(v):
                sep = "," if j + 1 < len(v) else ""
                out.append("    " + json.dumps(item) + sep)
            out.append("  ]" + end)
        else:
            out.append("  %s: %s%s" % (json.dumps(k), json.dumps(v), end))
    out.append("}")
    text = "\n".join(out) + "\n"
    text = re.sub(r'"uptr": "%s"' % USER_ADDR, '"uptr": "0x7f…"', text)
    text = re.sub(r'"pid": \d+', '"pid": "pid"', text)
    # Pages objects are named by their address in the context, which is
    # chosen at random; name them by order of appearance instead.
    seen = {}
    return re.sub(r'"0x[0-9a-f]{9,}"',
                  lambda m: seen.setdefault(m.group(0),
                                            '"pages#%d"' % (len(seen) + 1)),
                  text)


def block(name, body):
    return ("<!-- %s: made by scripts/readme-samples.py -->\n```\n%s```\n"
            "<!-- end %s -->" % (name, body, name))


def main():
    run, demo, readme, mode = sys.argv[1:5]
    trace, dump = run_demo(run, demo)
    want = {"trace": elide_trace(trace), "dump": format_dump(dump)}
    text = open(readme, encoding="utf-8").read()
    new = text
    for name, body in want.items():
        pat = re.compile(r"<!-- %s: .*?<!-- end %s -->" % (name, name), re.S)
        if not pat.search(new):
            sys.exit("README has no %s block" % name)
        new = pat.sub(lambda m: block(name, body), new)
    excerpt = re.search(r"<!-- trace-vfio: .*?```\n(.*?)```", new, re.S)
    if not excerpt:
        sys.exit("README has no trace-vfio block")
    expected = os.path.join(os.path.dirname(os.path.abspath(readme)),
                            "test", "trace", "expected.txt")
    lines = set(open(expected, encoding="utf-8").read().splitlines())
    stale = [l for l in excerpt.group(1).splitlines() if l not in lines]
    if stale:
        sys.exit("README trace-vfio lines not in %s:\n%s" %
                 (expected, "\n".join(stale)))
    if mode == "--update":
        if new != text:
            open(readme, "w", encoding="utf-8").write(new)
        return
    if new != text:
        sys.stdout.writelines(l + "\n" for l in
                              __import__("difflib").unified_diff(
                                  text.splitlines(), new.splitlines(),
                                  "README.md", "demo", lineterm=""))
        sys.exit("README samples are stale: run scripts/readme-samples.py "
                 "with --update")
    print("README trace and dump match the demo")


if __name__ == "__main__":
    main()
