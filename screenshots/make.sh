#!/usr/bin/env bash
# Regenerate the README's pictures with warroom's own snapshot command.
set -euo pipefail
cd "$(dirname "$0")/.."
shot() { cargo run --quiet -- snapshot --demo invoice-approval-timeout --at 09:20 "$@"; }
shot --out screenshots/overview.svg
shot --out screenshots/drilldown.svg --keys "enter"
shot --out screenshots/operation.svg --keys "enter enter"
shot --out screenshots/failing-requests.svg --keys "enter enter enter"
cargo run --quiet -- snapshot --demo alert-endpoint-404 --at 14:56 --out screenshots/alert-endpoint-404.svg
shot --out screenshots/log-tail.svg --keys ": c i d space c - 9 f 3 a 6 e 1 d enter"
shot --out screenshots/log-line.svg --keys ": c i d space c - 9 f 3 a 6 e 1 d enter p"
shot --out screenshots/waterfall.svg --keys "enter enter enter enter enter"
shot --out screenshots/not-sampled.svg --keys ": t r a c e space c - 9 f 3 a 6 e 1 d enter"
shot --out screenshots/changes.svg --size 200x50
shot --out screenshots/present.svg --present --keys ": c i d space c - 9 f 3 a 6 e 1 d enter home p"
shot --out screenshots/light.svg --theme light --keys "enter"
shot --out screenshots/slo.svg --config config.example.toml --keys "s"
ev() { cargo run --quiet -- snapshot --evidence tests/fixtures/evidence/story "$@"; }
ev --out screenshots/evidence.svg --size 200x50
ev --out screenshots/evidence-request.svg --keys ": c i d space c - 7 d 2 e 9 1 b 4 enter"
