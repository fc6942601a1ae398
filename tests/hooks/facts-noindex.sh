#!/bin/sh
# tests/hooks/facts.sh again, judged without the blob-facts index
# (GATE_NO_FACTS_INDEX, which reaches the hook over file:// and, through
# start_http, over smart HTTP): the same pushes must give the same verdicts.
GATE_NO_FACTS_INDEX=1
export GATE_NO_FACTS_INDEX
: "${GATE_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$GATE_SRCDIR/tests/hooks/facts.sh"
