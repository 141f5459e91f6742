#!/usr/bin/env bash
# Installs the peer workloads that `deno task bench` and `deno task bench:pool`
# compare troupe against.
# Kept out of the benchmark run itself: it needs the npm registry, and the
# run must not depend on the network. Safe to run again (idempotent).
set -euo pipefail

# The npm peers are pinned so that ratios stay comparable from one run to the
# next: nact for `deno task bench`, the worker pools for `deno task bench:pool`.
NACT_VERSION="7.6.2"
PISCINA_VERSION="5.3.2"
TINYPOOL_VERSION="2.2.0"
WORKERPOOL_VERSION="10.0.3"
NPM_PEERS=(
  "nact@$NACT_VERSION"
  "piscina@$PISCINA_VERSION"
  "tinypool@$TINYPOOL_VERSION"
  "workerpool@$WORKERPOOL_VERSION"
)

bench_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$bench_dir/.." && pwd)"
peers_out="$bench_dir/.peers"

# The peers are shared read-only at /work/shared/peers; a checkout next to
# the repository (../shared/peers) works too.
src=""
for candidate in "${PEERS_SRC:-}" /work/shared/peers "$repo_root/../shared/peers"; do
  if [[ -n "$candidate" && -f "$candidate/asyncio_queue.py" ]]; then
    src="$(cd "$candidate" && pwd)"
    break
  fi
done
if [[ -z "$src" ]]; then
  echo "peers.sh: no peer workloads found (tried \$PEERS_SRC, /work/shared/peers, $repo_root/../shared/peers)" >&2
  exit 1
fi

for tool in node npm; do
  if ! command -v "$tool" >/dev/null; then
    echo "peers.sh: $tool not found on PATH (the nact and worker-pool peers need Node.js)" >&2
    exit 1
  fi
done

mkdir -p "$peers_out"
# The source is read-only (r--): copy the contents, then make them writable so
# that a later run can overwrite them.
cp -r "$src"/. "$peers_out"/
chmod -R u+w "$peers_out"
echo "peers.sh: copied $(ls "$src" | wc -l) files from $src to $peers_out"

cd "$peers_out"
# `deno task check` type-checks every .mjs under bench/, and these peers import
# npm packages that Deno cannot resolve; a config here excludes the folder.
cat >deno.json <<'JSON'
{
  // Written by bench/peers.sh: peer workloads run by node and python, not Deno.
  "exclude": ["./"]
}
JSON
echo "peers.sh: wrote $peers_out/deno.json (keeps the peers out of deno check)"
if [[ ! -f package.json ]]; then
  # `npm init -y` takes the package name from the directory, and ".peers" is
  # not a valid name, so write the minimal manifest ourselves.
  cat >package.json <<'JSON'
{
  "name": "troupe-bench-peers",
  "version": "0.0.0",
  "private": true,
  "description": "Peer workloads for troupe's benchmarks (made by bench/peers.sh)"
}
JSON
  echo "peers.sh: created $peers_out/package.json"
fi
# Install only what is missing or at another version, in one npm call.
wanted=()
for spec in "${NPM_PEERS[@]}"; do
  name="${spec%@*}"
  version="${spec##*@}"
  installed="$(node -p "try { require('./node_modules/$name/package.json').version } catch { '' }" 2>/dev/null || true)"
  if [[ "$installed" == "$version" ]]; then
    echo "peers.sh: $spec already installed"
  else
    wanted+=("$spec")
  fi
done
if ((${#wanted[@]} > 0)); then
  npm install --no-audit --no-fund --save-exact "${wanted[@]}"
  echo "peers.sh: installed ${wanted[*]}"
fi

if [[ -x /usr/bin/python3 ]]; then
  echo "peers.sh: python peers use $(/usr/bin/python3 --version) (asyncio, multiprocessing: stdlib only)"
else
  echo "peers.sh: warning: /usr/bin/python3 not found; the asyncio and multiprocessing peers will be skipped" >&2
fi
echo "peers.sh: node peers use node $(node --version)"
echo "peers.sh: done; now run: deno task bench (and deno task bench:pool)"
