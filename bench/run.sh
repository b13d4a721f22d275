#!/usr/bin/env bash
# briefing benchmarks: whole processes, medians of several runs, peak memory.
#
#   bench/run.sh            everything (about 10 minutes on 2 cores)
#   bench/run.sh check      one part: check | build | send | listen | clicks | search | import | serve
#
# Installs what it needs (hyperfine, hugo, postfix's smtp-sink/smtp-source, PyYAML); the
# Postfix mail system itself is never started. Results go to bench/results/ and the summary
# to standard output; bench/README.md records them.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=${BENCH_WORK:-/tmp/briefing-bench}
RESULTS=$ROOT/bench/results
RUNS=${RUNS:-5}
mkdir -p "$WORK" "$RESULTS"

need() {
  local missing=()
  command -v hyperfine >/dev/null || missing+=(hyperfine)
  command -v hugo >/dev/null || missing+=(hugo)
  [ -x /usr/sbin/smtp-sink ] || missing+=(postfix)
  [ -x /usr/bin/time ] || missing+=(time)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  python3 -c "import yaml" 2>/dev/null || python3 -m pip install -q pyyaml
}

peak_kb() { # peak resident memory of one run of "$@", in KB
  /usr/bin/time -f "%M" "$@" 2>&1 >/dev/null | tail -1
}

median() { # median seconds from a hyperfine JSON export
  python3 -c "import json,sys; print('%.3f' % json.load(open(sys.argv[1]))['results'][0]['median'])" "$1"
}

cpu() { # mean user and system seconds from a hyperfine JSON export
  python3 -c "import json,sys; r=json.load(open(sys.argv[1]))['results'][0]; print('user %.2f s, sys %.2f s' % (r['user'], r['system']))" "$1"
}

BIN=$ROOT/target/release/briefing
cargo build --release --quiet
need

corpus() { # corpus N -> $WORK/cards-N
  local n=$1 dir=$WORK/cards-$1
  [ -d "$dir" ] || python3 bench/gen_corpus.py --cards "$n" --out "$dir"
  echo "$dir"
}

bench_check() {
  for n in 1000 10000; do
    local dir; dir=$(corpus $n)
    hyperfine -N --warmup 1 --runs "$RUNS" --export-json "$RESULTS/check-$n.json" "$BIN -C $dir check" >/dev/null
    echo "check $n cards: median $(median "$RESULTS/check-$n.json") s, peak $(( $(peak_kb "$BIN" -C "$dir" check) / 1024 )) MB"
  done
}

# build_pair N OUTDIR LABEL: both tools build the N-card corpus into OUTDIR, which is deleted
# before every run (a clean build), side by side.
build_pair() {
  local n=$1 base=$2 label=$3
  local dir; dir=$(corpus "$n")
  local out=$base/out-$n hugo_site=$WORK/hugo-$n hugo_out=$base/hugo-out-$n
  mkdir -p "$base"
  # A clean build: no output and no email cache (`.briefing/cache/`) from an earlier run.
  hyperfine --warmup 1 --runs "$RUNS" --prepare "rm -rf $out $dir/.briefing/cache" --export-json "$RESULTS/build-$label-$n.json" \
    "$BIN -C $dir build --out $out" >/dev/null
  rm -rf "$out" "$dir/.briefing/cache"
  local ours_mb=$(( $(peak_kb "$BIN" -C "$dir" build --out "$out") / 1024 ))
  rm -rf "$out"
  [ -d "$hugo_site" ] || python3 bench/to_hugo.py "$dir" "$hugo_site"
  hyperfine --warmup 1 --runs "$RUNS" --prepare "rm -rf $hugo_out" --export-json "$RESULTS/hugo-$label-$n.json" \
    "hugo --quiet --source $hugo_site --destination $hugo_out" >/dev/null
  rm -rf "$hugo_out"
  local hugo_mb=$(( $(peak_kb hugo --quiet --source "$hugo_site" --destination "$hugo_out") / 1024 ))
  rm -rf "$hugo_out"
  local ours hugo; ours=$(median "$RESULTS/build-$label-$n.json"); hugo=$(median "$RESULTS/hugo-$label-$n.json")
  echo "build --all $n cards ($label): median $ours s ($(cpu "$RESULTS/build-$label-$n.json")), peak $ours_mb MB | hugo $(hugo version | cut -d' ' -f2): $hugo s ($(cpu "$RESULTS/hugo-$label-$n.json")), peak $hugo_mb MB | hugo/briefing = $(python3 -c "print('%.2f' % ($hugo/$ours))")"
  rebuild_pair "$n" "$base" "$label"
}

# rebuild_pair N OUTDIR LABEL: the everyday build: the site and the email cache are there
# from the last build and one story's title was edited since (every run edits it again). Hugo rewrites every file;
# briefing renders every file and replaces the ones whose bytes changed.
rebuild_pair() {
  local n=$1 base=$2 label=$3
  local dir=$WORK/cards-$n out=$base/out-$n hugo_site=$WORK/hugo-$n hugo_out=$base/hugo-out-$n
  local card; card=$(find "$dir/briefs" -name '*.yaml' ! -name issue.yaml | sort | sed -n 1p)
  local page; page=$hugo_site/content/stories/$(basename "$card" .yaml | tr 'A-Z' 'a-z' | sed 's/[^a-z0-9]\{1,\}/-/g').md
  [ -f "$page" ] || { echo "no Hugo page $page for $card" >&2; exit 1; }
  rm -rf "$out" "$hugo_out"
  # The edit toggles the title between two texts, and `build` keeps its last two search
  # indexes (.briefing/cache/search/): removed before each run, or every run after the
  # first two would take an index made for the same words, as a real edit never does.
  hyperfine --warmup 1 --runs "$RUNS" --prepare "rm -rf $dir/.briefing/cache/search; python3 bench/edit_card.py $card" \
    --export-json "$RESULTS/rebuild-$label-$n.json" "$BIN -C $dir build --out $out" >/dev/null
  hyperfine --warmup 1 --runs "$RUNS" --prepare "python3 bench/edit_card.py $page" \
    --export-json "$RESULTS/hugo-rebuild-$label-$n.json" \
    "hugo --quiet --source $hugo_site --destination $hugo_out" >/dev/null
  # An even number of edits leaves both corpora as generated.
  (( (RUNS + 1) % 2 == 0 )) || python3 bench/edit_card.py "$card" "$page"
  rm -rf "$out" "$hugo_out"
  local ours hugo; ours=$(median "$RESULTS/rebuild-$label-$n.json"); hugo=$(median "$RESULTS/hugo-rebuild-$label-$n.json")
  echo "rebuild after one edit, $n cards ($label): median $ours s ($(cpu "$RESULTS/rebuild-$label-$n.json")) | hugo: $hugo s ($(cpu "$RESULTS/hugo-rebuild-$label-$n.json")) | hugo/briefing = $(python3 -c "print('%.2f' % ($hugo/$ours))")"
}

bench_build() {
  # Output on the work disk, as a publisher builds, and in memory (tmpfs), which leaves out
  # the file system's cost of allocating ~22,000 fresh inodes: that cost is the kernel's,
  # the same for both tools, and on this machine's ext4 it swings by seconds between runs.
  # SIZES and PLACES choose a part: `SIZES=10000 PLACES=tmpfs bench/run.sh build`.
  for n in ${SIZES:-1000 10000}; do
    for place in ${PLACES:-disk tmpfs}; do
      case $place in
        disk) build_pair "$n" "$WORK" disk ;;
        tmpfs) [ -d /dev/shm ] && [ -w /dev/shm ] && build_pair "$n" /dev/shm/briefing-bench tmpfs ;;
      esac
    done
  done
  rm -rf /dev/shm/briefing-bench
}

bench_send() {
  local dir; dir=$(corpus 1000)
  local port=25250 msgs=10000
  for rows in 10000 100000; do
    [ -f "$WORK/subs-$rows.csv" ] || python3 bench/gen_corpus.py --subscribers $rows --out "$WORK/subs-$rows.csv"
  done
  # Keep the generated config once; every run starts from it.
  [ -f "$dir/config.yaml.orig" ] || cp "$dir/config.yaml" "$dir/config.yaml.orig"
  cat "$dir/config.yaml.orig" > "$dir/config.yaml"
  printf 'smtp:\n  host: 127.0.0.1\n  port: %s\n  security: none\nsend:\n  rate_per_second: 1000000\n  retries: 0\n' $port >> "$dir/config.yaml"
  export BRIEFING_UNSUBSCRIBE_SECRET=bench-secret-bench-secret
  /usr/sbin/smtp-sink -u nobody -c 127.0.0.1:$port 1000 >/dev/null & local sink=$!
  trap 'kill $sink 2>/dev/null || true' RETURN
  sleep 0.5
  # smtp-source sends messages of the size of ours: one real message, text and HTML parts
  # quoted-printable encoded, written to an outbox.
  rm -rf "$WORK/one-message" "$dir/.briefing"
  "$BIN" -C "$dir" send --latest --to reader@example.com --outbox "$WORK/one-message" >/dev/null
  local size; size=$(find "$WORK/one-message" -name '*.eml' -exec wc -c {} + | awk '{print $1; exit}')
  for c in 1 4 8; do
    hyperfine -N --runs 3 --prepare "rm -rf $dir/.briefing" --export-json "$RESULTS/send-c$c.json" \
      "$BIN -C $dir send --yes --latest --list $WORK/subs-10000.csv --concurrency $c" >/dev/null
    hyperfine -N --runs 3 --export-json "$RESULTS/source-c$c.json" \
      "/usr/sbin/smtp-source -s $c -m $msgs -l $size -f bench@example.org -t reader@example.com 127.0.0.1:$port" >/dev/null
    local ours theirs sent
    ours=$(median "$RESULTS/send-c$c.json"); theirs=$(median "$RESULTS/source-c$c.json")
    sent=$(grep -c '' "$WORK/subs-10000.csv")
    echo "send 10,000 rows at concurrency $c: $ours s ($(python3 -c "print('%.0f' % (($sent-1)*0.98/$ours))") msg/s) | smtp-source $msgs x $size B: $theirs s ($(python3 -c "print('%.0f' % ($msgs/$theirs))") msg/s)"
  done
  for rows in 10000 100000; do
    rm -rf "$dir/.briefing"
    echo "send peak memory, $rows rows: $(( $(peak_kb "$BIN" -C "$dir" send --yes --latest --list "$WORK/subs-$rows.csv" --concurrency 8) / 1024 )) MB"
  done
  cat "$dir/config.yaml.orig" > "$dir/config.yaml"
}

bench_clicks() {
  command -v wrk >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
  local dir=$WORK/clicks port=28026 pid
  rm -rf "$dir"
  "$BIN" init "$dir" >/dev/null
  export BRIEFING_UNSUBSCRIBE_SECRET=bench-secret-bench-secret
  python3 - "$dir" "$port" <<'PY'
import sys
d, port = sys.argv[1], sys.argv[2]
cfg = [l for l in open(f"{d}/config.yaml").read().splitlines()
       if not l.startswith(("unsubscribe_url:", "audience:"))]
cfg += ["audience:", f"  url: http://127.0.0.1:{port}/", "  clicks: true", "list_id: bench.example.org"]
open(f"{d}/config.yaml", "w").write("\n".join(cfg) + "\n")
PY
  # The issue sent to one reader; its counted links taken from the .eml; 15 s of clicks under
  # wrk; then clicks of known number on each link and a check, link by link.
  "$BIN" -C "$dir" send --latest --to reader-clicks@example.org --outbox "$dir/clicks-outbox" >/dev/null 2>&1
  python3 - "$dir" <<'PY'
import email, glob, re, sys
from email import policy
d = sys.argv[1]
raw = open(glob.glob(f"{d}/clicks-outbox/*.eml")[0], "rb")
html = email.message_from_binary_file(raw, policy=policy.default).get_body(("html",)).get_content()
links = sorted({re.sub(r"^https?://[^/]+", "", h) for h in re.findall(r'href="([^"]+/c/[^"]+)"', html)})
open(f"{d}/click-paths.txt", "w").write("\n".join(links) + "\n")
print(f"{len(links)} counted links in the message")
PY
  "$BIN" -C "$dir" listen --bind 127.0.0.1:$port >/dev/null 2>"$dir/listen.log" & pid=$!
  sleep 1
  PATHS=$dir/click-paths.txt wrk -t2 -c32 -d15s --latency -s bench/clicks.lua \
    "http://127.0.0.1:$port" | tee "$RESULTS/listen-clicks-wrk.txt"
  kill $pid; wait $pid 2>/dev/null || true
  "$BIN" -C "$dir" listen --bind 127.0.0.1:$port >/dev/null 2>"$dir/listen.log" & pid=$!
  sleep 1
  python3 bench/click_check.py $port "$dir/click-paths.txt" "$dir/.briefing/audience.sqlite3" "$dir/clicks-before.json"
  kill $pid; wait $pid 2>/dev/null || true
  python3 bench/click_check.py --verify "$dir/click-paths.txt" "$dir/.briefing/audience.sqlite3" "$dir/clicks-before.json" \
    | tee "$RESULTS/listen-clicks-check.txt"
}

# Archive search on the 10,000-card corpus: what the index adds to a clean build (tmpfs, the
# same corpus with `search: false` beside it), and a reader's first query in headless
# Chromium on a static host (Python's http.server): time to first results and bytes.
bench_search() {
  local dir; dir=$(corpus 10000)
  local off=$WORK/cards-10000-nosearch base=/dev/shm/briefing-bench
  [ -d "$off" ] || { cp -r "$dir" "$off"; printf 'search: false\n' >> "$off/config.yaml"; }
  mkdir -p "$base"
  for variant in on off; do
    local src=$dir; [ $variant = off ] && src=$off
    hyperfine --warmup 1 --runs "$RUNS" --prepare "rm -rf $base/search-$variant $src/.briefing/cache" \
      --export-json "$RESULTS/search-build-$variant.json" "$BIN -C $src build --out $base/search-$variant" >/dev/null
  done
  local on_s off_s; on_s=$(median "$RESULTS/search-build-on.json"); off_s=$(median "$RESULTS/search-build-off.json")
  echo "clean build 10000 cards (tmpfs): search on $on_s s, off $off_s s: +$(python3 -c "print('%.0f' % (($on_s/$off_s - 1) * 100))") %"
  rm -rf "$base/search-on" "$dir/.briefing/cache"
  echo "peak memory, clean build with search: $(( $(peak_kb "$BIN" -C "$dir" build --out "$base/search-on") / 1024 )) MB"
  rm -rf "$base/search-off" "$off/.briefing/cache"
  echo "peak memory, clean build without: $(( $(peak_kb "$BIN" -C "$off" build --out "$base/search-off") / 1024 )) MB"
  echo "index: $(du -sh "$base/search-on/pagefind" | cut -f1) in $(find "$base/search-on/pagefind" -type f | wc -l) files"
  python3 -m http.server 28090 --bind 127.0.0.1 --directory "$base/search-on" >/dev/null 2>&1 & local host=$!
  sleep 1
  # Cold: the box focused and the word typed at once. Focused: the reader clicked the box
  # half a second before typing (its focus starts loading Pagefind), as readers do.
  for word in Korea robotics; do
    for pause in 0 500; do
    PAUSE=$pause node bench/search_first_query.mjs "http://127.0.0.1:28090/archive/" "$word" "$RUNS" > "$RESULTS/search-$word-$pause.jsonl"
    python3 - "$RESULTS/search-$word-$pause.jsonl" "$word" "$pause" <<'PY'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
print(f"first query \"{sys.argv[2]}\" (focused {sys.argv[3]} ms before typing): median {statistics.median(r['ms'] for r in runs):.0f} ms, "
      f"max {max(r['ms'] for r in runs):.0f} ms; {statistics.median(r['bytes'] for r in runs)/1024:.0f} KB "
      f"in {runs[0]['files']} files; {runs[0]['status']}")
PY
    done
  done
  kill $host
  rm -rf "$base/search-on" "$base/search-off"
}

bench_listen() {
  command -v wrk >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
  local dir=$WORK/listen port=28025 rows=${LISTEN_ROWS:-400000}
  rm -rf "$dir"
  "$BIN" init "$dir" >/dev/null
  export BRIEFING_UNSUBSCRIBE_SECRET=bench-secret-bench-secret
  # A list of $rows active subscribers, and each one's one-click path with its token.
  python3 - "$dir" "$rows" "$port" <<'PY'
import hashlib, hmac, os, sys
d, rows, port = sys.argv[1], int(sys.argv[2]), sys.argv[3]
cfg = open(f"{d}/config.yaml").read().splitlines()
cfg = [l for l in cfg if not l.startswith(("unsubscribe_url:", "audience:"))]
cfg += ["audience:", f"  url: http://127.0.0.1:{port}/", "list_id: bench.example.org"]
open(f"{d}/config.yaml", "w").write("\n".join(cfg) + "\n")
key = os.environ["BRIEFING_UNSUBSCRIBE_SECRET"].encode()
with open(f"{d}/subs.csv", "w") as csv, open(f"{d}/paths.txt", "w") as paths:
    csv.write("email\n")
    for i in range(rows):
        email = f"reader{i}@example.org"
        csv.write(email + "\n")
        token = hmac.new(key, f"{email}\nbench.example.org".encode(), hashlib.sha256).hexdigest()
        paths.write(f"/unsubscribe?email=reader{i}%40example.org&token={token}\n")
PY
  "$BIN" -C "$dir" subscribers import "$dir/subs.csv" >/dev/null
  unsubscribed() {
    python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(\"select count(*) from subscribers where status='unsubscribed'\").fetchone()[0])" "$dir/.briefing/audience.sqlite3"
  }
  # 1. Throughput and latency: 15 s of one-click unsubscribes, 32 connections.
  "$BIN" -C "$dir" listen --bind 127.0.0.1:$port >/dev/null 2>"$dir/listen.log" & local pid=$!
  sleep 1
  PATHS=$dir/paths.txt START=0 THREADS=2 wrk -t2 -c32 -d15s --latency -s bench/one_click.lua \
    "http://127.0.0.1:$port" | tee "$RESULTS/listen-wrk.txt"
  kill $pid; wait $pid 2>/dev/null || true
  echo "unsubscribed in the database after run 1: $(unsubscribed)"
  # 2. kill -9 in the middle of a run: every address answered 200 must be unsubscribed in
  # the database, looked up one by one (a total could hide a loss behind a revisit).
  local before; before=$(unsubscribed)
  "$BIN" -C "$dir" listen --bind 127.0.0.1:$port >/dev/null 2>"$dir/listen.log" & pid=$!
  sleep 1
  python3 bench/kill_check.py $port "$dir/paths.txt" $(( before + 1000 )) \
    "$dir/.briefing/audience.sqlite3" > "$RESULTS/listen-kill.txt" & local load=$!
  sleep 4
  kill -9 $pid
  local verdict=0
  wait $load || verdict=$?
  echo "kill -9 after 4 s: $(head -1 "$RESULTS/listen-kill.txt")"
  [ "$verdict" -eq 0 ] || { cat "$RESULTS/listen-kill.txt" >&2; echo "LOST acknowledged unsubscribes" >&2; return 1; }
  # 3. Sign-up answers by the state of the address: new, pending, active, unsubscribed.
  local n=${SIGNUP_N:-300}
  python3 - "$dir" "$n" <<'PY'
import sys
d, n = sys.argv[1], int(sys.argv[2])
with open(f"{d}/states.csv", "w") as f:
    f.write("email,status\n")
    for i in range(n):
        f.write(f"active{i}@example.org,subscribed\ngone{i}@example.org,unsubscribed\n")
PY
  "$BIN" -C "$dir" subscribers import "$dir/states.csv" >/dev/null
  "$BIN" -C "$dir" listen --bind 127.0.0.1:$port >/dev/null 2>"$dir/listen.log" & pid=$!
  sleep 1
  python3 - $port "$n" <<'PY'
import http.client, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
for i in range(n):
    conn = http.client.HTTPConnection("127.0.0.1", port)
    conn.request("POST", "/subscribe", body=f"email=pending{i}%40example.org",
                 headers={"Content-Type": "application/x-www-form-urlencoded",
                          "X-Forwarded-For": f"172.16.{i >> 8}.{i & 255}"})
    conn.getresponse().read()
    conn.close()
PY
  sleep 2
  python3 bench/sign_up_timing.py $port "$n" | tee "$RESULTS/listen-signup.txt"
  kill $pid; wait $pid 2>/dev/null || true
  bench_clicks
}

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GB, $(uname -r); briefing $(git rev-parse --short HEAD)"
bench_import() {
  command -v sqlite3 >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sqlite3 >/dev/null; }
  local rows=${IMPORT_ROWS:-100000} dir=$WORK/import export=$WORK/export-${IMPORT_ROWS:-100000}
  [ -f "$export/subscribed.csv" ] || python3 bench/gen_export.py --rows "$rows" --out "$export"
  rm -rf "$dir"
  "$BIN" init "$dir" >/dev/null
  export BRIEFING_UNSUBSCRIBE_SECRET=bench-secret-bench-secret
  local db=$dir/.briefing/audience.sqlite3 import="$BIN -C $dir subscribers import"
  # The reference: sqlite3's own CSV import of the same file into a fresh database, the floor
  # of reading the rows and writing them, with no mapping, validation or history.
  hyperfine -N --runs "$RUNS" --prepare "rm -f $WORK/reference.sqlite3" --export-json "$RESULTS/import-sqlite3.json" \
    "sqlite3 $WORK/reference.sqlite3 -cmd '.import --csv $export/subscribed.csv readers'" >/dev/null
  hyperfine -N --runs "$RUNS" --export-json "$RESULTS/import-dry.json" "$import --dry-run $export/subscribed.csv" >/dev/null
  hyperfine -N --runs "$RUNS" --prepare "rm -rf $dir/.briefing" --export-json "$RESULTS/import-fresh.json" \
    "$import $export/subscribed.csv" >/dev/null
  # The same file again, into the full database: every row unchanged.
  hyperfine -N --runs "$RUNS" --export-json "$RESULTS/import-again.json" "$import $export/subscribed.csv" >/dev/null
  echo "import $rows Mailchimp rows: dry run $(median "$RESULTS/import-dry.json") s, fresh $(median "$RESULTS/import-fresh.json") s, again $(median "$RESULTS/import-again.json") s | sqlite3 .import: $(median "$RESULTS/import-sqlite3.json") s"
  rm -rf "$dir/.briefing"
  echo "import peak memory: dry run $(( $(peak_kb $import --dry-run "$export/subscribed.csv") / 1024 )) MB, fresh $(( $(peak_kb $import "$export/subscribed.csv") / 1024 )) MB, again $(( $(peak_kb $import "$export/subscribed.csv") / 1024 )) MB, unsubscribed file $(( $(peak_kb $import "$export/unsubscribed.csv") / 1024 )) MB | sqlite3: $(( $(peak_kb sqlite3 "$WORK/reference2.sqlite3" -cmd ".import --csv $export/subscribed.csv readers") / 1024 )) MB"
  rm -f "$WORK/reference.sqlite3" "$WORK/reference2.sqlite3"
  # Every address checked: the status it must have after both files, its name, and its
  # consent record (the opt-in time and IP of its row).
  "$BIN" -C "$dir" subscribers export --history > "$WORK/import-history.csv"
  python3 - "$export" "$WORK/import-history.csv" "$db" <<'PY'
import csv, sqlite3, sys
export, history, db = sys.argv[1:]
expected = dict(line.rstrip("\n").split("\t") for line in open(f"{export}/expected.tsv"))
rows = {r["Email Address"]: r for r in csv.DictReader(open(f"{export}/subscribed.csv", newline=""))}
conn = sqlite3.connect(db)
have = dict(conn.execute("select email, status from subscribers"))
names = dict(conn.execute("select email, name from subscribers"))
wrong = [a for a, s in expected.items() if have.get(a) != s]
wrong += [a for a in have if a not in expected]
misnamed = [a for a, r in rows.items() if names.get(a) != f"{r['First Name']} {r['Last Name']}"]
opted = {}
for r in csv.DictReader(open(history, newline="")):
    if r.get("source") == "import" and "opted in" in (r.get("detail") or ""):
        opted[r["email"]] = r["detail"]
unrecorded = [a for a, r in rows.items()
              if f"opted in {r['OPTIN_TIME'][:16]} UTC from {r['OPTIN_IP']}" not in opted.get(a, "")]
print(f"checked {len(expected)} addresses one by one: {len(wrong)} with a wrong status, "
      f"{len(misnamed)} with a wrong name, {len(unrecorded)} without their opt-in record")
for what, items in (("status", wrong), ("name", misnamed), ("opt-in", unrecorded)):
    if items:
        print(f"  wrong {what}: {items[:5]}")
sys.exit(1 if wrong or misnamed or unrecorded else 0)
PY
}

bench_serve() {
  # From a card's save to the preview's reload event, the page checked after each edit.
  for n in ${SIZES:-1000 10000}; do
    local dir; dir=$(corpus "$n")
    rm -rf "$dir/public"
    for kind in ${KINDS:-title summary tags template style}; do
      echo "serve, $n cards: $(python3 bench/serve_latency.py "$BIN" "$dir" "${EDITS:-9}" "$kind")"
    done
  done
}

case "${1:-all}" in
  check) bench_check ;;
  build) bench_build ;;
  send) bench_send ;;
  listen) bench_listen ;;
  clicks) bench_clicks ;;
  search) bench_search ;;
  import) bench_import ;;
  serve) bench_serve ;;
  all) bench_check; bench_build; bench_send; bench_listen; bench_search; bench_import; bench_serve ;;
  *) echo "usage: bench/run.sh [check|build|send|listen|clicks|search|import|serve|all]" >&2; exit 2 ;;
esac
