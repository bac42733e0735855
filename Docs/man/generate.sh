#!/usr/bin/env bash
# Regenerates Docs/man/qmpbook.1 from the command line's own definition, with
# swift-argument-parser's generate-manual plugin. Run it after changing a
# command, an option or a help text (ManualPageTests fails while the page is stale).
set -euo pipefail
cd "$(dirname "$0")/../.."
swift package generate-manual --configuration debug --date "$(date -u +%F)" --authors "the qmpbook developers"
cp .build/plugins/GenerateManual/outputs/qmpbook/qmpbook.1 Docs/man/qmpbook.1
echo "Docs/man/qmpbook.1 updated"
